// Package jobs runs background jobs (DESIGN.md §8) in the database of the
// resource store: a durable queue, workers with per-type timeouts and
// concurrency, retries with exponential backoff, schedules that fire once
// per tick across instances, unique jobs, cancellation, leases that take
// back the jobs of dead instances, and a graceful drain. The generator
// emits typed wrappers (payload and result types, Enqueue functions) over
// this engine; the engine itself knows job types by name and payloads as
// JSON.
//
// # One engine on River, for SQLite and PostgreSQL
//
// The queue is River (github.com/riverqueue/river, v0.51.2), with its
// PostgreSQL driver (riverpgxv5) for the postgres backend and its SQLite
// driver (riversqlite) for the embedded ones: OpenPostgres, OpenSQLite on
// the store's file, OpenMemory on an SQLite database in memory for the
// memory store. One implementation of the engine serves all three.
//
// riversqlite was evaluated first against the project's SQLite
// (modernc.org/sqlite v1.60.1, files in WAL mode as runtime/store/sqlite
// opens them) and held:
//
//   - River's migrations apply in one IMMEDIATE transaction, so processes
//     opening a file at once take turns; leader election, retries,
//     cancellation of a running job (River keeps SQLite's notifications
//     in a table, polled every 50ms) and retention all work;
//   - an insert through River on the store's *sql.Tx (another connection
//     to the same file) commits and rolls back with it, savepoints of the
//     store's group commit included;
//   - a worker killed with SIGKILL mid-job: after a restart the job runs
//     again and completes, no job is lost, and no job's record completes
//     twice (TestKill9, on SQLite and PostgreSQL).
//
// It needed five corrections, made here rather than by a second engine:
//
//   - riversqlite sends every query as text, and modernc prepares each
//     anew: parsing River's larger statements cost more than running them
//     (about a millisecond each on the test machine). The engine's
//     connections keep their prepared statements (package
//     runtime/internal/stmtcache; so does the SQLite store's write
//     connection, on which a hook's enqueue runs): in the evaluation, no-op jobs went from 969
//     to 3,211 jobs/s, enqueue to completion, on one connection; the
//     engine runs 2.3 to 2.5 times raw River's throughput
//     (BenchmarkThroughput/sqlite).
//   - River inserts every job given a run_at as scheduled, even one due
//     already, and only its leader's scheduler, every five seconds, makes
//     it available; a job due within that interval is inserted available
//     (dueSoon).
//   - River's rescuer, which runs on the leader, retries a job left
//     running by a dead process only once the job's timeout (ten minutes
//     by default) has passed, and tells no one. The engine keeps leases
//     instead (see Leases in lease.go): heartbeats per instance, and a
//     job whose instance is silent for Config.WorkerTTL (30s) is taken
//     back, and the observer told.
//   - River's periodic jobs are enqueued by the leader only, so a tick
//     falls between two leaders when leadership moves. Every instance
//     enqueues every tick instead, and River's unique jobs keep one job
//     per (type, tick) (see schedule.go).
//   - SQLite has no notifications; River polls its notification table
//     every 50ms. After a commit in this process that enqueued jobs the
//     engine notifies its own workers directly (Wake), so an idle
//     engine starts a job within milliseconds.
//
// # Semantics
//
// Delivery is at least once. A job whose instance dies mid-attempt runs
// again from the start once its lease expires; a job that finished just
// before its instance died, before River recorded it, runs again. Its
// record completes once. Handlers should be idempotent.
//
// A job's statuses are pending, running, completed, failed and cancelled
// (see Status); its record (Job) has its attempts, run_at, start and end
// times, errors, result and logs. Logs are what the handler wrote to
// Run.Logger, stored when the attempt ends. On PostgreSQL the payload is
// stored as jsonb: it comes back equal as JSON, not byte for byte.
//
// Enqueue inserts in a transaction of its own; EnqueueTx inside the
// store's write transaction, so that a job enqueued by a hook exists if
// and only if the write commits; EnqueueManyTx many jobs with one insert
// (runtime/jobres enqueues the jobs of concurrent callers together). On
// PostgreSQL the store's BEGIN is sent with River's insert
// (PgxConnPending), one round trip instead of two. The observer (Config.Observer) is told
// of every status change an instance makes, once across instances, in
// commit order per job: the resource layer records each as a revision of
// the job's resource.
//
// Stop drains: no more fetching, running jobs finish until the deadline,
// then their contexts are cancelled and they are released, pending again
// without counting the attempt.
package jobs
