package s3_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/s3"
	"github.com/specstar-go/specstar/runtime/store/s3/s3test"
)

func TestPurgeDeletesObjects(t *testing.T) {
	f := newFixture(t)
	gone := f.create(f.kinds.Note, `{"v":1}`)
	f.update(f.kinds.Note, gone, `{"v":2}`)
	kept := f.create(f.kinds.Note, `{"v":1}`) // same body as gone's first revision
	if n := len(f.objects()); n != 3 {
		t.Fatalf("%d objects before the purge, want 3", n)
	}
	if err := f.svc.Purge(f.ctx, f.kinds.Note, gone, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"note/" + kept + "/" + sum(`{"v":1}`): `{"v":1}`}
	if diff := cmp.Diff(want, f.objects()); diff != "" {
		t.Fatalf("objects after the purge (-want +got):\n%s", diff)
	}
	if got := f.revision(f.kinds.Note, kept, 1); got != `{"v":1}` {
		t.Fatalf("revision of the other resource = %s", got)
	}
}

func TestPurgeCleanupFailureIsNotAnError(t *testing.T) {
	// The fake refuses deletes: the purge itself must still commit.
	srv := s3test.Start(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				http.Error(w, "no deletes today", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	s := open(t, srv.Config)
	kinds := resourcetest.NewKinds()
	ctx := context.Background()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	id := must(svc.Create(ctx, kinds.Note, json.RawMessage(`{"v":1}`), resource.WriteOptions{})).Meta.ResourceID
	if err := svc.Purge(ctx, kinds.Note, id, resource.WriteOptions{}); err != nil {
		t.Fatalf("Purge = %v, want success despite the failed cleanup", err)
	}
	if _, err := svc.Get(ctx, kinds.Note, id, resource.ReadOptions{IncludeDeleted: true}); resource.CodeOf(err) != resource.CodeNotFound {
		t.Fatalf("Get after Purge = %v, want 404", err)
	}
}

func TestGC(t *testing.T) {
	f := newFixture(t)
	// Post keeps the last 3 revisions (and the current one): six
	// versions leave two objects unreferenced.
	a := f.create(f.kinds.Author, `{"email":"a@example.com"}`)
	post := f.create(f.kinds.Post, `{"slug":"v0","author":"`+a+`"}`)
	for i := 1; i <= 5; i++ {
		f.update(f.kinds.Post, post, `{"slug":"v`+string(rune('0'+i))+`","author":"`+a+`"}`)
	}
	if got := revisionNumbers(t, f, f.kinds.Post, post); !slices.Equal(got, []int{6, 5, 4, 3}) {
		t.Fatalf("stored revisions = %v, want [6 5 4 3]", got)
	}
	// An orphan of a purged resource, and keys the store does not own.
	raw := f.raw()
	for key, body := range map[string]string{
		"post/purged-id/" + sum("{}"): "{}",
		"post/readme.txt":             "not ours",
		"post/x/not-a-hash":           "not ours",
		"other_table/y/" + sum("{}"):  "{}",
	} {
		if err := raw.Put(f.ctx, key, strings.NewReader(body), -1, ""); err != nil {
			t.Fatal(err)
		}
	}
	before := len(f.objects())

	st, err := f.store.GC(f.ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if st.Deleted != 0 || len(f.objects()) != before {
		t.Fatalf("GC with a one-hour grace deleted %d fresh objects", st.Deleted)
	}
	st, err = f.store.GC(f.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Deleted != 3 {
		t.Fatalf("GC deleted %d objects, want 3 (2 pruned revisions and 1 orphan); stats %+v", st.Deleted, st)
	}
	got := slices.Sorted(mapsKeys(f.objects()))
	var want []string
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		want = append(want, "post/"+post+"/"+sum(`{"slug":"`+v+`","author":"`+a+`"}`))
	}
	want = append(want, "author/"+a+"/"+sum(`{"email":"a@example.com"}`), "other_table/y/"+sum("{}"), "post/readme.txt", "post/x/not-a-hash")
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("objects after GC (-want +got):\n%s", diff)
	}
	for _, n := range []int{3, 4, 5, 6} {
		f.revision(f.kinds.Post, post, n)
	}
	if st, err := f.store.GC(f.ctx, 0); err != nil || st.Deleted != 0 {
		t.Fatalf("second GC = %+v, %v, want nothing deleted", st, err)
	}
}

func TestGCBeforeMigrate(t *testing.T) {
	s := open(t, s3test.Fake(t))
	if _, err := s.GC(context.Background(), 0); err == nil {
		t.Fatal("GC before Migrate succeeded")
	}
}

// TestGCUnderConcurrentWrites runs GC without a grace period while
// writers cycle resources that keep 3 revisions through 5 bodies (so they
// keep re-uploading bodies whose old revisions GC is deleting), then
// checks that every stored revision still has its object.
func TestGCUnderConcurrentWrites(t *testing.T) {
	f := newFixture(t, s3.WithCacheSize(0))
	ids := []string{f.create(f.kinds.Event, `{"v":0}`), f.create(f.kinds.Event, `{"v":0}`)}
	done := make(chan struct{})
	errs := make(chan error, 3)
	for _, id := range ids {
		go func() {
			for i := 1; i <= 60; i++ {
				data := json.RawMessage(`{"v":` + string(rune('0'+i%5)) + `}`)
				if _, err := f.svc.Update(f.ctx, f.kinds.Event, id, data, resource.WriteOptions{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	go func() {
		for {
			select {
			case <-done:
				errs <- nil
				return
			default:
			}
			if _, err := f.store.GC(f.ctx, 0); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		for _, n := range revisionNumbers(t, f, f.kinds.Event, id) {
			f.revision(f.kinds.Event, id, n)
		}
	}
	if _, err := f.store.GC(f.ctx, 0); err != nil {
		t.Fatal(err)
	}
	// Event keeps at most 3 revisions per resource.
	if n := len(f.objects()); n > 6 {
		t.Fatalf("%d objects left after GC, want at most 6", n)
	}
}
