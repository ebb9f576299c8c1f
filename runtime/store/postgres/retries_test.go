package postgres_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
)

// TestRetries makes two write transactions deadlock, each holding the
// lock of one record and asking for the other's, and checks that
// PostgreSQL's abort of one of them (40P01) is retried, that both writes
// then succeed, and that Retries counts every run after the first. (A
// retry can deadlock again: when the victim rolls back, the other
// transaction wakes up to re-check the row, and the victim's next
// attempt may lock it first.)
func TestRetries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := open(t)
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	var ids [2]string
	for i := range ids {
		env, err := svc.Create(ctx, kinds.Note, json.RawMessage(`{"n":1}`), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = env.Meta.ResourceID
	}
	if n := s.Retries(); n != 0 {
		t.Fatalf("Retries = %d before any conflict", n)
	}

	// Both transactions lock their first record, meet, then ask for the
	// other's: a deadlock, which PostgreSQL detects after its
	// deadlock_timeout (1s by default). Only the first attempts meet.
	var locked sync.WaitGroup
	locked.Add(2)
	var met [2]sync.Once
	attempts := make([]int, 2)
	write := func(i int, first, second string) error {
		return s.Update(ctx, func(w resource.Writer) error {
			attempts[i]++
			if _, err := w.Get(kinds.Note, first); err != nil {
				return err
			}
			met[i].Do(func() {
				locked.Done()
				locked.Wait()
			})
			_, err := w.Get(kinds.Note, second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- write(0, ids[0], ids[1]) }()
	go func() { errs <- write(1, ids[1], ids[0]) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a deadlocked write failed instead of being retried: %v", err)
		}
	}
	reruns := uint64(attempts[0] + attempts[1] - 2)
	if reruns == 0 {
		t.Fatalf("attempts %v: no transaction was run again", attempts)
	}
	if n := s.Retries(); n != reruns {
		t.Errorf("Retries = %d, want %d (attempts %v)", n, reruns, attempts)
	}
}
