// Package reliability is the reliability suite of the generated blog
// server (issue 17): tests that build the real server binary
// (examples/blog), run it as a process on loopback and check what
// DESIGN.md §11 promises under failure:
//
//   - crash: concurrent writes, SIGKILL mid-stream, restart on the same
//     data, every invariant checked after each restart (SQLite and
//     PostgreSQL);
//   - If-Match races across three instances on one PostgreSQL schema:
//     no lost update, every 412 a real conflict;
//   - slow clients (slowloris, slow body) cut at the configured read
//     timeout while other clients are served promptly;
//   - SIGTERM during in-flight writes loses none and exits 0.
//
// The package holds only tests; they are skipped with -short. The
// PostgreSQL ones take their database from pgtest (skipped without
// SPECSTAR_TEST_POSTGRES_URL, failing without it under CI=true). The
// longer soak runs from the benchmark command instead: specstar-bench
// soak (docs/benchmarks.md).
package reliability
