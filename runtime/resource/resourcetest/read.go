package resourcetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/jsonpatch"
	"github.com/specstar-go/specstar/runtime/resource"
)

func testKeepLast(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	post := func(v int) string { return fmt.Sprintf(`{"slug":"p","author":"%s","v":%d}`, a, v) }
	id := e.create(e.Post, post(1)).Meta.ResourceID
	for v := 2; v <= 10; v++ {
		e.update(e.Post, id, post(v))
	}
	// KeepLast 3: the current revision, 3 ancestors, the 3 newest.
	if got := e.numbers(e.Post, id, false); !slices.Equal(got, []int{10, 9, 8, 7}) {
		t.Fatalf("revisions after 10 writes = %v, want [10 9 8 7]", got)
	}
	if got := e.get(e.Post, id); got.Meta.TotalRevisionCount != 10 {
		t.Fatalf("total_revision_count = %d, want 10 (pruned revisions still count)", got.Meta.TotalRevisionCount)
	}
	if _, err := e.svc.Switch(e.ctx, e.Post, id, "7", resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.update(e.Post, id, post(11))
	// Current 11 -> 7 -> (6 pruned): the chain protects 7; the newest three
	// are 11, 10, 9; 8 goes.
	if got := e.numbers(e.Post, id, false); !slices.Equal(got, []int{11, 10, 9, 7}) {
		t.Fatalf("revisions after the branch = %v, want [11 10 9 7]", got)
	}
	if got := e.numbers(e.Post, id, true); !slices.Equal(got, []int{11, 7}) {
		t.Fatalf("chain = %v, want [11 7] (stops at the pruned 6)", got)
	}
	_, err := e.svc.Revision(e.ctx, e.Post, id, "8", resource.RevisionOptions{})
	wantCode(t, err, resource.CodeNotFound)
	if next := e.update(e.Post, id, post(12)); next.RevisionInfo.Number != 12 {
		t.Fatalf("next revision = %d, want 12 (numbers are never reused)", next.RevisionInfo.Number)
	}
}

func testMaxAge(t *testing.T, e *env) {
	id := e.create(e.Event, `{"v":1}`).Meta.ResourceID
	for v := 2; v <= 4; v++ {
		e.clock.Add(time.Minute)
		e.update(e.Event, id, fmt.Sprintf(`{"v":%d}`, v))
	}
	// KeepLast 2: current 4, ancestors 3 and 2.
	if got := e.numbers(e.Event, id, false); !slices.Equal(got, []int{4, 3, 2}) {
		t.Fatalf("revisions = %v, want [4 3 2]", got)
	}
	e.clock.Add(2 * time.Hour)
	e.update(e.Event, id, `{"v":5}`)
	// KeepLast keeps 5, 4, 3; MaxAge prunes 3 (older than an hour and not
	// among the first 2 members of the chain) but keeps 4.
	if got := e.numbers(e.Event, id, false); !slices.Equal(got, []int{5, 4}) {
		t.Fatalf("revisions after two hours = %v, want [5 4]", got)
	}
	e.clock.Add(2 * time.Hour)
	e.update(e.Event, id, `{"v":6}`)
	if got := e.numbers(e.Event, id, true); !slices.Equal(got, []int{6, 5}) {
		t.Fatalf("chain = %v, want [6 5]", got)
	}
}

func testList(t *testing.T, e *env) {
	var ids []string
	for i := range 25 {
		ids = append(ids, e.create(e.Note, fmt.Sprintf(`{"i":%d}`, i)).Meta.ResourceID)
	}
	deleted := []string{ids[3], ids[17]}
	for _, id := range deleted {
		if _, err := e.svc.Delete(e.ctx, e.Note, id, resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	live := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(deleted, id) })

	tests := []struct {
		name  string
		q     resource.ListQuery
		want  []string
		total int
	}{
		{name: "default limit", q: resource.ListQuery{}, want: live, total: 23},
		{name: "pages of 10", q: resource.ListQuery{Limit: 10}, want: live, total: 23},
		{name: "pages of 1", q: resource.ListQuery{Limit: 1}, want: live, total: 23},
		{name: "exact fit", q: resource.ListQuery{Limit: 23}, want: live, total: 23},
		{name: "include deleted", q: resource.ListQuery{Limit: 7, IncludeDeleted: true}, want: ids, total: 25},
		{name: "only deleted", q: resource.ListQuery{OnlyDeleted: true}, want: deleted, total: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Count = true
			limit := max(q.Limit, resource.DefaultLimit*btoi(q.Limit == 0))
			var got []string
			for pages := 0; ; pages++ {
				if pages > len(tt.want)+1 {
					t.Fatalf("cursor does not terminate")
				}
				page, err := e.svc.List(e.ctx, e.Note, q)
				if err != nil {
					t.Fatal(err)
				}
				if page.Total == nil || *page.Total != tt.total {
					t.Fatalf("total = %v, want %d", page.Total, tt.total)
				}
				if len(page.Items) > limit {
					t.Fatalf("page of %d items, limit %d", len(page.Items), limit)
				}
				for _, it := range page.Items {
					got = append(got, it.Meta.ResourceID)
				}
				if page.NextCursor == nil {
					break
				}
				if len(page.Items) != limit {
					t.Fatalf("short page of %d with a next cursor", len(page.Items))
				}
				q.Cursor = *page.NextCursor
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("listed %v, want %v", got, tt.want)
			}
			n, err := e.svc.Count(e.ctx, e.Note, tt.q)
			if err != nil || n != tt.total {
				t.Fatalf("Count = %d, %v; want %d", n, err, tt.total)
			}
		})
	}

	page, err := e.svc.List(e.ctx, e.Note, resource.ListQuery{Offset: 5, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Meta.ResourceID != live[5] || page.Total != nil {
		t.Fatalf("offset 5 = %d items from %s, want 2 from %s and no total", len(page.Items), page.Items[0].Meta.ResourceID, live[5])
	}

	bad := []struct {
		name string
		q    resource.ListQuery
	}{
		{name: "limit too large", q: resource.ListQuery{Limit: resource.MaxLimit + 1}},
		{name: "negative limit", q: resource.ListQuery{Limit: -1}},
		{name: "negative offset", q: resource.ListQuery{Offset: -1}},
		{name: "cursor not base64", q: resource.ListQuery{Cursor: "!!!"}},
		{name: "cursor padding", q: resource.ListQuery{Cursor: "aWQ="}},
		{name: "cursor control chars", q: resource.ListQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte("a\x00b"))}},
		{name: "cursor invalid utf-8", q: resource.ListQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xfe})}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.List(e.ctx, e.Note, tt.q)
			wantCode(t, err, resource.CodeBadRequest)
			_, err = e.svc.Count(e.ctx, e.Note, tt.q)
			wantCode(t, err, resource.CodeBadRequest)
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func testListConcurrentInserts(t *testing.T, e *env) {
	var before []string
	for i := range 40 {
		before = append(before, e.create(e.Note, fmt.Sprintf(`{"i":%d}`, i)).Meta.ResourceID)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.svc.Create(e.ctx, e.Note, json.RawMessage(fmt.Sprintf(`{"new":%d}`, i)), resource.WriteOptions{}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	seen := make(map[string]bool)
	var prev string
	q := resource.ListQuery{Limit: 3}
	for pages := 0; pages < 200; pages++ {
		page, err := e.svc.List(e.ctx, e.Note, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			id := it.Meta.ResourceID
			if seen[id] || id <= prev {
				t.Fatalf("page %d: %s listed twice or out of order (after %s)", pages, id, prev)
			}
			seen[id], prev = true, id
		}
		if page.NextCursor == nil {
			break
		}
		q.Cursor = *page.NextCursor
	}
	close(stop)
	wg.Wait()
	for _, id := range before {
		if !seen[id] {
			t.Fatalf("%s, created before paging began, was skipped", id)
		}
	}
}

func testRevisionsPaging(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	for v := 2; v <= 30; v++ {
		e.update(e.Note, id, fmt.Sprintf(`{"v":%d}`, v))
	}
	page, err := e.svc.Revisions(e.ctx, e.Note, id, resource.RevisionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != resource.DefaultLimit || page.Items[0].Number != 30 || page.NextCursor == nil {
		t.Fatalf("default page = %d items from %d, want %d from 30 and a cursor", len(page.Items), page.Items[0].Number, resource.DefaultLimit)
	}
	if _, err := e.svc.Switch(e.ctx, e.Note, id, "20", resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.update(e.Note, id, `{"v":31}`)
	tests := []struct {
		name  string
		chain bool
		limit int
		want  []int
	}{
		{name: "all by 7", limit: 7, want: seq(31, 1)},
		{name: "all at once", limit: 1000, want: seq(31, 1)},
		{name: "chain by 4", chain: true, limit: 4, want: append([]int{31}, seq(20, 1)...)},
		{name: "chain by 1", chain: true, limit: 1, want: append([]int{31}, seq(20, 1)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := resource.RevisionQuery{Chain: tt.chain, Limit: tt.limit}
			var got []int
			for pages := 0; pages <= len(tt.want); pages++ {
				page, err := e.svc.Revisions(e.ctx, e.Note, id, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, info := range page.Items {
					got = append(got, info.Number)
				}
				if page.NextCursor == nil {
					break
				}
				q.Cursor = *page.NextCursor
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("revisions = %v, want %v", got, tt.want)
			}
		})
	}
	for _, q := range []resource.RevisionQuery{
		{Limit: 1001},
		{Limit: -2},
		{Cursor: "%%%"},
		{Cursor: base64.RawURLEncoding.EncodeToString([]byte("x"))},
		{Cursor: base64.RawURLEncoding.EncodeToString([]byte("0"))},
	} {
		_, err := e.svc.Revisions(e.ctx, e.Note, id, q)
		wantCode(t, err, resource.CodeBadRequest)
	}
}

// seq returns the integers from hi down to lo.
func seq(hi, lo int) []int {
	var out []int
	for n := hi; n >= lo; n-- {
		out = append(out, n)
	}
	return out
}

func testRevisionLookup(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	e.update(e.Note, id, `{"v":2}`)
	e.update(e.Note, id, `{"v":3}`)
	other := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	e.update(e.Note, other, `{"v":2}`)
	tests := []struct {
		name string
		rev  string
		want int // 0: not found
	}{
		{name: "number", rev: "2", want: 2},
		{name: "full id", rev: id + ":2", want: 2},
		{name: "current", rev: "3", want: 3},
		{name: "first", rev: id + ":1", want: 1},
		{name: "other resource", rev: other + ":2"},
		{name: "zero", rev: "0"},
		{name: "negative", rev: "-1"},
		{name: "plus sign", rev: "+2"},
		{name: "unknown", rev: "4"},
		{name: "not a number", rev: "two"},
		{name: "empty number", rev: id + ":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev, err := e.svc.Revision(e.ctx, e.Note, id, tt.rev, resource.RevisionOptions{})
			if tt.want == 0 {
				wantCode(t, err, resource.CodeNotFound)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rev.Info.Number != tt.want || rev.Info.RevisionID != resource.RevisionID(id, tt.want) || rev.Info.ResourceID != id {
				t.Fatalf("revision = %+v, want %d", rev.Info, tt.want)
			}
			wantJSON(t, rev.Data, fmt.Sprintf(`{"v":%d}`, tt.want))
			env, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{Revision: tt.rev})
			if err != nil {
				t.Fatal(err)
			}
			if env.RevisionInfo.Number != tt.want || env.Meta.CurrentRevisionID != id+":3" {
				t.Fatalf("Get revision = %+v / %+v", env.RevisionInfo, env.Meta)
			}
		})
	}
}

func testDiff(t *testing.T, e *env) {
	v1 := `{"name":"a","n":1,"tags":["x"]}`
	v2 := `{"name":"b","n":1,"tags":["x","y"]}`
	v3 := `{"n":2}`
	id := e.create(e.Note, v1).Meta.ResourceID
	e.update(e.Note, id, v2)
	e.update(e.Note, id, v3)
	data := map[string]string{"1": v1, "2": v2, "3": v3, "": `{}`}
	tests := []struct {
		name     string
		rev      string
		against  string
		from, to string
	}{
		{name: "first against nothing", rev: "1", from: "", to: "1"},
		{name: "second against parent", rev: "2", from: "1", to: "2"},
		{name: "third against parent", rev: id + ":3", from: "2", to: "3"},
		{name: "backwards", rev: "1", against: "3", from: "3", to: "1"},
		{name: "same", rev: "2", against: id + ":2", from: "2", to: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := e.svc.Diff(e.ctx, e.Note, id, tt.rev, tt.against, resource.RevisionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			patch, err := json.Marshal(ops)
			if err != nil {
				t.Fatal(err)
			}
			got, err := jsonpatch.Apply(json.RawMessage(data[tt.from]), patch)
			if err != nil {
				t.Fatalf("applying %s: %v", patch, err)
			}
			wantJSON(t, got, data[tt.to])
			if tt.from == tt.to && len(ops) != 0 {
				t.Fatalf("diff of equal revisions = %s, want empty", patch)
			}
		})
	}
	ops, err := e.svc.Diff(e.ctx, e.Note, id, "2", "", resource.RevisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	patch, _ := json.Marshal(ops)
	wantJSON(t, patch, `[{"op":"replace","path":"/name","value":"b"},{"op":"add","path":"/tags/1","value":"y"}]`)

	for _, c := range [][2]string{{"9", ""}, {"1", "9"}, {"x", ""}} {
		_, err := e.svc.Diff(e.ctx, e.Note, id, c[0], c[1], resource.RevisionOptions{})
		wantCode(t, err, resource.CodeNotFound)
	}
	// The parent of a revision may have been pruned.
	ev := e.create(e.Event, `{"v":1}`).Meta.ResourceID
	for v := 2; v <= 5; v++ {
		e.update(e.Event, ev, fmt.Sprintf(`{"v":%d}`, v))
	}
	_, err = e.svc.Diff(e.ctx, e.Event, ev, "3", "", resource.RevisionOptions{})
	wantContains(t, wantCode(t, err, resource.CodeNotFound).Detail, "pruned")
}
