package reliability

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// Bounds of the crash test: crashCycles kills, each after writes for
// crashRunMin plus up to crashRunJitter, by crashFamilies concurrent
// workers of at most crashMaxOps writes each per cycle.
const (
	crashCycles    = 3
	crashFamilies  = 6
	crashMaxOps    = 300
	crashRunMin    = 600 * time.Millisecond
	crashRunJitter = 600 * time.Millisecond
)

// TestCrashSQLite is the crash test (see runCrash) on SQLite.
func TestCrashSQLite(t *testing.T) {
	needServer(t)
	env := []string{"SPECSTAR_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "blog.db")}
	// The killed process's transactions die with it: nothing to wait for.
	runCrash(t, func(int) []string { return env }, func(*testing.T, int) {})
}

// TestCrashPostgres is the crash test (see runCrash) on a fresh
// PostgreSQL schema.
//
// A killed server's last transactions may still commit after its death:
// a statement (or a pipeline ending with its commit) that PostgreSQL had
// received runs to its end, and the session only notices that its
// client is gone when it answers. The checks after a restart must see
// the store once that has settled, so each server names its sessions
// (application_name) and, after a kill, the test waits until none of
// them is left.
func TestCrashPostgres(t *testing.T) {
	needServer(t)
	admin := pgtest.URL(t)
	dbURL := pgtest.SchemaURL(t, admin)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	appName := func(cycle int) string { return fmt.Sprintf("%s_crash_%d", u.Query().Get("search_path"), cycle) }
	env := func(cycle int) []string {
		q := u.Query()
		q.Set("application_name", appName(cycle))
		v := *u
		v.RawQuery = q.Encode()
		return []string{"SPECSTAR_DATABASE_URL=" + v.String()}
	}
	runCrash(t, env, func(t *testing.T, cycle int) { waitSessionsGone(t, admin, appName(cycle)) })
}

// settleTimeout bounds the wait for a killed server's sessions to end.
const settleTimeout = 30 * time.Second

// waitSessionsGone waits until the PostgreSQL server at admin has no
// session named app.
func waitSessionsGone(t *testing.T, admin, app string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	start := time.Now()
	for first := -1; ; {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatalf("sessions of the killed server (%s) still open after %s: %v", app, settleTimeout, err)
		}
		if first < 0 {
			first = n
		}
		if n == 0 {
			t.Logf("%d sessions of the killed server left at first, none after %s", first, time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runCrash starts the blog server on the storage named by env(cycle),
// runs concurrent writes of every kind against it and kills it with
// SIGKILL in the middle of them, crashCycles times, restarting it on the
// same data each time once settle says the killed server's work has
// ended. After every restart it checks every invariant (checkAll); the
// last server is stopped with SIGTERM and must exit 0.
func runCrash(t *testing.T, env func(cycle int) []string, settle func(t *testing.T, cycle int)) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	l := newLedger()
	fams := make([]*family, crashFamilies)
	for i := range fams {
		fams[i] = newFamily(i)
	}
	for cycle := 0; ; cycle++ {
		srv := startServer(t, fmt.Sprintf("server %d", cycle), env(cycle)...)
		c := newClient(t, srv)
		snap := checkAll(t, c, l, fmt.Sprintf("after restart %d", cycle), cycle > 0)
		if cycle == crashCycles {
			code, took, err := srv.terminate(stopTimeout)
			if err != nil || code != 0 {
				t.Errorf("final SIGTERM: exit %d after %s, %v\n%s", code, took, err, srv.logs.tail(20))
			}
			break
		}
		for _, f := range fams {
			f.resync(snap)
		}
		before, cutBefore, refusedBefore := len(l.acks), l.inFlight, l.refused
		runFor := crashRunMin + time.Duration(rng.Int64N(int64(crashRunJitter)))
		deadline := time.Now().Add(runFor + 10*time.Second)
		var wg sync.WaitGroup
		for i, f := range fams {
			w := &worker{f: f, c: c, l: l, rng: rand.New(rand.NewPCG(seed, uint64(1+cycle*crashFamilies+i)))}
			wg.Go(func() { w.run(crashMaxOps, deadline) })
		}
		time.Sleep(runFor)
		srv.kill()
		wg.Wait()
		settle(t, cycle)
		t.Logf("cycle %d: killed after %s: %d writes acknowledged, %d in flight cut by the kill, %d refused after it",
			cycle, runFor.Round(time.Millisecond), len(l.acks)-before, l.inFlight-cutBefore, l.refused-refusedBefore)
		if len(l.acks) == before {
			t.Fatalf("cycle %d: no write acknowledged before the kill\n%s", cycle, srv.logs.tail(20))
		}
	}
	if l.inFlight == 0 {
		t.Errorf("no kill cut a write in flight: the test did not crash the server mid-stream")
	}
	ops := slices.Sorted(maps.Keys(l.ops))
	for _, op := range ops {
		t.Logf("%-16s %5d acknowledged, %d refused as predicted", op, l.ops[op], l.predicted[op])
	}
	for _, s := range l.unexpected {
		t.Errorf("unexpected answer: %s", s)
	}
}

// checkAll takes a snapshot through c and checks every invariant on it:
// the revision history of every resource (checkHistories), every
// acknowledged write (ledger.checkAcks), references (checkRefs), the
// feed (checkFeed) and, when unique is set, unique fields (checkUnique).
// It stops the test on a violation.
func checkAll(t *testing.T, c *client, l *ledger, when string, unique bool) snapshot {
	t.Helper()
	start := time.Now()
	snap, err := takeSnapshot(c)
	if err != nil {
		t.Fatalf("%s: snapshot: %v", when, err)
	}
	var p problems
	hashes := checkHistories(c, snap, &p)
	l.checkAcks(snap, hashes, &p)
	checkRefs(snap, &p)
	checkFeed(snap, &p)
	if unique {
		checkUnique(c, snap, &p)
	}
	p.report(t, when)
	if len(p.list) > 0 {
		t.FailNow()
	}
	n := 0
	for _, k := range kinds {
		n += len(snap[k])
	}
	t.Logf("%s: %d resources and %d revisions checked in %s", when, n, len(hashes), time.Since(start).Round(time.Millisecond))
	return snap
}
