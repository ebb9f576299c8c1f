package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// grouped runs calls concurrently as Update calls of s, such that calls
// 1..n-1 queue while call 0 runs: they then commit as one group. It
// returns each call's error, or its recovered panic as an error.
func grouped(t *testing.T, s *sqlite.Store, calls []func(resource.Writer) error) []error {
	t.Helper()
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	run := func(i int, fn func(resource.Writer) error) {
		defer wg.Done()
		defer func() {
			if r := recover(); r != nil {
				errs[i] = fmt.Errorf("panic: %v", r)
			}
		}()
		errs[i] = s.Update(context.Background(), fn)
	}
	started := make(chan struct{})
	wg.Add(1)
	go run(0, func(w resource.Writer) error {
		close(started)
		// Hold the write connection until every other call queued.
		for deadline := time.Now().Add(10 * time.Second); s.Queued() < len(calls)-1; {
			if time.Now().After(deadline) {
				return errors.New("the other calls never queued")
			}
			time.Sleep(time.Millisecond)
		}
		return calls[0](w)
	})
	<-started
	// The others queue one after the other, in the order of calls:
	// goroutines started together would queue in any order, and the
	// outcome of a call (a unique email) may depend on the ones before.
	for i, fn := range calls[1:] {
		wg.Add(1)
		go run(i+1, fn)
		for deadline := time.Now().Add(10 * time.Second); s.Queued() < i+1 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Microsecond)
		}
	}
	wg.Wait()
	return errs
}

// putAuthor returns a write function storing a new Author with the
// given email, returning fail afterwards when it is not nil.
func putAuthor(kinds *resourcetest.Kinds, id, email string, fail error) func(resource.Writer) error {
	return func(w resource.Writer) error {
		rec, rev := resourcetest.NewRecord(id, fmt.Sprintf(`{"email":%q}`, email))
		if err := w.PutRevision(kinds.Author, rev); err != nil {
			return err
		}
		if err := w.PutRecord(kinds.Author, rec); err != nil {
			return err
		}
		return fail
	}
}

// authors returns the ids of the stored Author records.
func authors(t *testing.T, s *sqlite.Store, kinds *resourcetest.Kinds) map[string]bool {
	t.Helper()
	got := make(map[string]bool)
	err := s.View(context.Background(), func(r resource.Reader) error {
		recs, err := r.List(kinds.Author, &resource.Query{IncludeDeleted: true})
		for _, rec := range recs {
			got[rec.Meta.ResourceID] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestGroupCommit checks that calls committed as one group keep the
// guarantees of one transaction per call: a failed, panicking, cancelled
// or unique-violating call leaves no trace and does not affect the others.
func TestGroupCommit(t *testing.T) {
	s, kinds := migrated(t, t.TempDir()+"/group.db")
	defer s.Close()
	boom := errors.New("boom")
	type call struct {
		fn   func(resource.Writer) error
		want string // "" for success, else a substring of the error
		kept bool   // the author is stored afterwards
	}
	calls := []call{
		{fn: putAuthor(kinds, "a0", "a0@x", nil), kept: true},
		{fn: putAuthor(kinds, "a1", "a1@x", nil), kept: true},
		{fn: putAuthor(kinds, "a2", "a2@x", boom), want: "boom"},
		{fn: putAuthor(kinds, "a3", "a3@x", nil), kept: true},
		{fn: func(w resource.Writer) error {
			if err := putAuthor(kinds, "a4", "a4@x", nil)(w); err != nil {
				return err
			}
			panic("kaboom")
		}, want: "kaboom"},
		{fn: putAuthor(kinds, "a5", "a1@x", nil), want: "unique"}, // a1's email
		{fn: putAuthor(kinds, "a6", "a6@x", nil), kept: true},
	}
	fns := make([]func(resource.Writer) error, len(calls))
	for i, c := range calls {
		fns[i] = c.fn
	}
	errs := grouped(t, s, fns)
	if s.Groups() == 0 {
		t.Fatal("no group commit happened")
	}
	for i, err := range errs {
		want := calls[i].want
		switch {
		case want == "" && err != nil:
			t.Errorf("call %d: %v", i, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("call %d: error %v, want %q", i, err, want)
		}
	}
	// A call whose context is done before its turn is not run.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Update(cancelled, putAuthor(kinds, "a7", "a7@x", nil)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v, want context.Canceled", err)
	}
	got := authors(t, s, kinds)
	if got["a7"] {
		t.Error("the cancelled call's author was stored")
	}
	for i, c := range calls {
		id := fmt.Sprintf("a%d", i)
		if got[id] != c.kept {
			t.Errorf("author %s stored = %v, want %v", id, got[id], c.kept)
		}
	}
}

// TestGroupCommitFallback checks that when one call ends the whole
// transaction, the other calls of its group are run again alone and
// commit.
func TestGroupCommitFallback(t *testing.T) {
	s, kinds := migrated(t, t.TempDir()+"/fallback.db")
	defer s.Close()
	fns := []func(resource.Writer) error{
		putAuthor(kinds, "b0", "b0@x", nil),
		putAuthor(kinds, "b1", "b1@x", nil),
		func(w resource.Writer) error {
			if err := putAuthor(kinds, "b2", "b2@x", nil)(w); err != nil {
				return err
			}
			if err := sqlite.EndTransaction(w); err != nil {
				return err
			}
			return errors.New("disk full")
		},
		putAuthor(kinds, "b3", "b3@x", nil),
	}
	errs := grouped(t, s, fns)
	for i, err := range errs {
		if (err != nil) != (i == 2) {
			t.Errorf("call %d: %v", i, err)
		}
	}
	got := authors(t, s, kinds)
	for _, id := range []string{"b0", "b1", "b3"} {
		if !got[id] {
			t.Errorf("author %s lost", id)
		}
	}
	if got["b2"] {
		t.Error("the failed call's author was stored")
	}
}

// TestGroupCommitThroughService runs many concurrent creates and updates
// through the Service and checks every one of them.
func TestGroupCommitThroughService(t *testing.T) {
	s, kinds := migrated(t, t.TempDir()+"/service.db")
	defer s.Close()
	svc := resource.NewService(s, kinds.Schema)
	ctx := context.Background()
	const n = 64
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env, err := svc.Create(ctx, kinds.Author, json.RawMessage(fmt.Sprintf(`{"email":"c%d@x"}`, i)), resource.WriteOptions{})
			if err != nil {
				errs <- err
				return
			}
			ids[i] = env.Meta.ResourceID
			_, err = svc.Update(ctx, kinds.Author, ids[i], json.RawMessage(fmt.Sprintf(`{"email":"d%d@x"}`, i)), resource.WriteOptions{})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, id := range ids {
		env, err := svc.Get(ctx, kinds.Author, id, resource.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"email":"d%d@x"}`, i); string(env.Data) != want || env.Meta.TotalRevisionCount != 2 {
			t.Errorf("author %d: %s with %d revisions, want %s with 2", i, env.Data, env.Meta.TotalRevisionCount, want)
		}
	}
}

// TestBackgroundCheckpoint checks that committed pages reach the
// database file without the write connection checkpointing: a few
// writes stay far below its automatic checkpoint.
func TestBackgroundCheckpoint(t *testing.T) {
	path := t.TempDir() + "/ckpt.db"
	s, kinds := migrated(t, path)
	defer s.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the checkpoint of the migration pass first.
	time.Sleep(300 * time.Millisecond)
	before := size()
	for i := range 50 {
		if err := s.Update(context.Background(), putAuthor(kinds, fmt.Sprintf("k%d", i), fmt.Sprintf("k%d@x", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); size() == before; {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes: no checkpoint ran", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
