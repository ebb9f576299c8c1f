// Package resourcetest is the conformance suite every resource.Backend must
// pass. It drives the backend through resource.Service on a small schema
// that exercises every rule of the revision engine (DESIGN.md §4), and
// checks the Backend contract directly (atomic Update, copies, uniqueness).
//
// A backend package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		resourcetest.Run(t, func(t *testing.T) resource.Backend {
//			b := memory.New()
//			t.Cleanup(func() { b.Close() })
//			return b
//		})
//	}
package resourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Run runs the conformance suite. open returns a fresh, empty backend for
// one subtest (closing it is open's business, typically via t.Cleanup);
// Run migrates it.
func Run(t *testing.T, open func(t *testing.T) resource.Backend) {
	tests := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{name: "create", run: testCreate},
		{name: "create options", run: testCreateOptions},
		{name: "uuidv7 ids", run: testUUIDv7},
		{name: "subject and times", run: testSubjectAndTimes},
		{name: "update writes a revision", run: testUpdate},
		{name: "identical update writes nothing", run: testDedupe},
		{name: "patch", run: testPatch},
		{name: "patch many", run: testPatchMany},
		{name: "drafts", run: testDrafts},
		{name: "if-match", run: testIfMatch},
		{name: "switch and branch", run: testSwitch},
		{name: "switch checks unique and refs", run: testSwitchChecks},
		{name: "delete restore purge", run: testDeleteRestorePurge},
		{name: "unknown ids", run: testUnknown},
		{name: "unique", run: testUnique},
		{name: "nested unique", run: testNestedUnique},
		{name: "unique ignoring case", run: testFoldedUnique},
		{name: "concurrent unique creates ignoring case", run: testConcurrentFoldedUnique},
		{name: "references", run: testRefs},
		{name: "on delete restrict", run: testRestrict},
		{name: "on delete cascade", run: testCascade},
		{name: "failed cascade changes nothing", run: testCascadeAtomic},
		{name: "restore brings back the cascade", run: testRestoreCascade},
		{name: "on delete set null", run: testSetNull},
		{name: "reference cycle", run: testCycle},
		{name: "purge applies on delete", run: testPurgeOnDelete},
		{name: "retention keep last", run: testKeepLast},
		{name: "retention max age", run: testMaxAge},
		{name: "list and count", run: testList},
		{name: "list cursor under concurrent inserts", run: testListConcurrentInserts},
		{name: "revisions paging", run: testRevisionsPaging},
		{name: "revision lookup", run: testRevisionLookup},
		{name: "diff", run: testDiff},
		{name: "concurrent if-match updates", run: testConcurrentIfMatch},
		{name: "concurrent unique creates", run: testConcurrentUnique},
		{name: "backend abort leaves nothing", run: testBackendAbort},
		{name: "backend panic leaves nothing", run: testBackendPanic},
		{name: "backend cancelled context", run: testBackendCancelled},
		{name: "backend copies data", run: testBackendCopies},
		{name: "backend unique", run: testBackendUnique},
		{name: "backend unique ignoring case", run: testBackendFoldedUnique},
		{name: "backend create record", run: testBackendCreateRecord},
		{name: "backend referrers", run: testBackendReferrers},
		{name: "migrate is idempotent", run: testMigrateIdempotent},
	}
	tests = append(tests, hookTests()...)
	tests = append(tests, accessTests()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newEnv(t, open(t)))
		})
	}
}

// Kinds is the schema of the suite, with its kinds by role.
type Kinds struct {
	// Author: unique email, unique nested profile.handle, indexed nested
	// address.city.
	Author *resource.Kind
	// Post: unique slug, indexed title, author (cascade), editor
	// (set_null); keeps the last 3 revisions.
	Post *resource.Kind
	// Comment: post (restrict).
	Comment *resource.Kind
	// Like: post (cascade), so deleting an author cascades two levels.
	Like *resource.Kind
	// Event: keeps the last 2 revisions and nothing older than an hour.
	Event *resource.Kind
	// Node: parent (cascade) to itself, for cycles.
	Node *resource.Kind
	// Note: no fields, no retention.
	Note *resource.Kind
	// Member: email unique without regard to ASCII case (Fold) and
	// indexed, as generated code declares a unique email field.
	Member *resource.Kind
	// Ticket has permission rules (Kind.Access): rows by owner, role,
	// status and assignee (@me), and the field notes readable and
	// writable by editors only.
	Ticket *resource.Kind
	// Reply: ticket (cascade), readable by everyone.
	Reply *resource.Kind
	// Schema holds every kind above.
	Schema *resource.Schema
}

// NewKinds returns a fresh copy of the suite's schema.
func NewKinds() *Kinds {
	str := resource.TypeString
	k := &Kinds{
		Author: &resource.Kind{Name: "Author", Table: "author", Path: "authors", SchemaVersion: 1, Fields: []resource.Field{
			{JSON: "name", Type: str, Indexed: true},
			{JSON: "email", Type: str, Unique: true},
			{JSON: "profile.handle", Type: str, Unique: true},
			{JSON: "address.city", Type: str, Indexed: true},
		}},
		Post: &resource.Kind{Name: "Post", Table: "post", Path: "posts", SchemaVersion: 2, KeepLast: 3, Fields: []resource.Field{
			{JSON: "title", Type: str, Indexed: true},
			{JSON: "slug", Type: str, Unique: true},
			{JSON: "author", Type: str, Indexed: true, Ref: &resource.Ref{Kind: "Author", OnDelete: resource.Cascade}},
			{JSON: "editor", Type: str, Ref: &resource.Ref{Kind: "Author", OnDelete: resource.SetNull}},
		}},
		Comment: &resource.Kind{Name: "Comment", Table: "comment", Path: "comments", SchemaVersion: 1, Fields: []resource.Field{
			{JSON: "post", Type: str, Ref: &resource.Ref{Kind: "Post", OnDelete: resource.Restrict}},
		}},
		Like: &resource.Kind{Name: "Like", Table: "like", Path: "likes", SchemaVersion: 1, Fields: []resource.Field{
			{JSON: "post", Type: str, Ref: &resource.Ref{Kind: "Post", OnDelete: resource.Cascade}},
		}},
		Event: &resource.Kind{Name: "Event", Table: "event", Path: "events", SchemaVersion: 1, KeepLast: 2, MaxAge: time.Hour},
		Node: &resource.Kind{Name: "Node", Table: "node", Path: "nodes", SchemaVersion: 1, Fields: []resource.Field{
			{JSON: "parent", Type: str, Ref: &resource.Ref{Kind: "Node", OnDelete: resource.Cascade}},
		}},
		Note: &resource.Kind{Name: "Note", Table: "note", Path: "notes", SchemaVersion: 1},
		Member: &resource.Kind{Name: "Member", Table: "member", Path: "members", SchemaVersion: 1, Fields: []resource.Field{
			{JSON: "email", Type: str, Indexed: true, Unique: true, Fold: true},
		}},
	}
	k.Ticket = &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1, Fields: []resource.Field{
		{JSON: "status", Type: str, Indexed: true},
		{JSON: "assignee", Type: str, Indexed: true},
		{JSON: "notes", Type: str, Indexed: true},
	}, DataFields: []string{"title", "status", "assignee", "notes", "priority"}, Access: &resource.Access{
		Rules: map[resource.Action]string{
			resource.ActionRead:   `role:editor | owner | where(status = "published") | where(assignee = @me)`,
			resource.ActionCreate: `authenticated`,
			resource.ActionUpdate: `owner | role:editor | where(assignee = @me)`,
			resource.ActionDelete: `role:editor`,
		},
		Fields: []resource.FieldAccess{
			{Field: "notes", Read: "role:editor", Write: "role:editor"},
			{Field: "priority", Read: "role:editor", Write: "role:editor", Default: []byte("3")},
		},
	}}
	k.Reply = &resource.Kind{Name: "Reply", Table: "reply", Path: "replies", SchemaVersion: 1, Fields: []resource.Field{
		{JSON: "ticket", Type: str, Indexed: true, Ref: &resource.Ref{Kind: "Ticket", OnDelete: resource.Cascade}},
	}, Access: &resource.Access{Rules: map[resource.Action]string{resource.ActionRead: "public", resource.ActionRestore: "role:admin"}}}
	k.Schema = &resource.Schema{Kinds: []*resource.Kind{k.Author, k.Post, k.Comment, k.Like, k.Event, k.Node, k.Note, k.Member, k.Ticket, k.Reply}}
	return k
}

// epoch is the start time of the suite's clock. It has nanoseconds and a
// non-UTC zone, so that the suite checks the UTC microsecond truncation.
func epoch() time.Time {
	return time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+2", 2*3600))
}

// Clock is a manual clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// SeqIDs returns a generator of increasing ids "id-000001", "id-000002"...
// safe for concurrent use.
func SeqIDs() func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("id-%06d", n)
	}
}

// env is the state of one subtest.
type env struct {
	t     *testing.T
	b     resource.Backend
	svc   *resource.Service
	clock *Clock
	ids   func() string
	ctx   context.Context
	*Kinds
}

// newEnv migrates b and builds a service with a manual clock and
// sequential ids.
func newEnv(t *testing.T, b resource.Backend) *env {
	t.Helper()
	kinds := NewKinds()
	if err := b.Migrate(context.Background(), kinds.Schema); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	clock := NewClock(epoch())
	ids := SeqIDs()
	return &env{
		t:     t,
		b:     b,
		svc:   resource.NewService(b, kinds.Schema, resource.WithClock(clock.Now), resource.WithIDs(ids)),
		clock: clock,
		ids:   ids,
		ctx:   resource.WithSubject(context.Background(), "alice"),
		Kinds: kinds,
	}
}

// create creates a resource or fails the test.
func (e *env) create(k *resource.Kind, data string) *resource.Envelope {
	e.t.Helper()
	env, err := e.svc.Create(e.ctx, k, json.RawMessage(data), resource.WriteOptions{})
	if err != nil {
		e.t.Fatalf("Create %s %s: %v", k.Name, data, err)
	}
	return env
}

// update writes a new revision or fails the test.
func (e *env) update(k *resource.Kind, id, data string) *resource.Envelope {
	e.t.Helper()
	env, err := e.svc.Update(e.ctx, k, id, json.RawMessage(data), resource.WriteOptions{})
	if err != nil {
		e.t.Fatalf("Update %s %s %s: %v", k.Name, id, data, err)
	}
	return env
}

// get reads the current envelope, deleted or not, or fails the test.
func (e *env) get(k *resource.Kind, id string) *resource.Envelope {
	e.t.Helper()
	env, err := e.svc.Get(e.ctx, k, id, resource.ReadOptions{IncludeDeleted: true})
	if err != nil {
		e.t.Fatalf("Get %s %s: %v", k.Name, id, err)
	}
	return env
}

// numbers lists the stored revision numbers of a resource, newest first.
func (e *env) numbers(k *resource.Kind, id string, chain bool) []int {
	e.t.Helper()
	page, err := e.svc.Revisions(e.ctx, k, id, resource.RevisionQuery{Chain: chain, Limit: resource.MaxLimit})
	if err != nil {
		e.t.Fatalf("Revisions %s %s: %v", k.Name, id, err)
	}
	out := make([]int, len(page.Items))
	for i, info := range page.Items {
		out[i] = info.Number
	}
	return out
}

// wantCode fails the test unless err is a *resource.Error with code, and
// returns it.
func wantCode(t *testing.T, err error, code resource.Code) *resource.Error {
	t.Helper()
	var e *resource.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want a *resource.Error with code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("error code = %s (%v), want %s", e.Code, err, code)
	}
	return e
}

// wantField fails the test unless e names field in its first field error.
func wantField(t *testing.T, e *resource.Error, field string) {
	t.Helper()
	if len(e.Fields) == 0 || e.Fields[0].Field != field {
		t.Fatalf("error fields = %+v, want field %q", e.Fields, field)
	}
}

// wantContains fails the test unless s contains sub.
func wantContains(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q does not contain %q", s, sub)
	}
}

// wantJSON fails the test unless got and want are the same JSON value.
func wantJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("invalid JSON %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("data = %s, want %s", got, want)
	}
}
