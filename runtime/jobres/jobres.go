// Package jobres makes the jobs of runtime/jobs resources (DESIGN.md §8):
// each job type of a spec is a resource kind, each job a resource whose id
// is its queue id and whose revisions are its status changes. Generated
// code describes the job types (Def) and calls a Queue for what is
// particular to jobs (enqueue, cancel, rerun, logs); reads, lists, filters,
// history and subscriptions are those of every resource, through the
// resource.Service.
//
// # One record, two stores
//
// The queue (River's tables, in the same database as the resources) is
// the truth of a job's state; its resource is a record of it, kept in
// step in three ways:
//
//   - an enqueue inserts the job and creates its resource (revision 1,
//     pending) in one store transaction (Service.Transaction and
//     jobs.EnqueueTx), so that a job exists if and only if its resource
//     does, and, from a hook, if and only if the hook's write commits;
//     the enqueues of concurrent callers share one (group.go); the jobs
//     of schedule ticks are enqueued the same way (jobs.Config.Ticks);
//   - every status change the engine makes (start, end of an attempt,
//     retry, cancel, rerun, a job taken back from a dead instance) is
//     written as a new revision by the instance that made it, as the
//     system principal, in commit order per job (jobs.Observer); the
//     changes are written in batches, one store transaction for every
//     change that arrived meanwhile, and the start of an attempt waits
//     for its end (up to startHold, a quarter of a second) to be written
//     with it (shard.go);
//   - the observer is at most once (a change made just before a crash is
//     not written), so every instance looks, at start and then every
//     ReconcileInterval, at the job resources that are pending or running
//     and brings those the queue has moved on up to date.
//
// A job resource's data is its payload, status, attempts, max_attempts,
// run_at, started_at, finished_at, last_error, result and logs (Data);
// clients cannot write it, only enqueue, cancel and rerun.
package jobres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Def describes one job type of a spec: its queue settings and its
// resource. Generated code declares one per job.
type Def struct {
	// Type holds the queue settings: Name (the spec's job name),
	// MaxAttempts, Timeout, Schedule, SchedulePayload, Concurrency and
	// UniqueFor. Its Handler is given to the Queue with Handle.
	Type jobs.Type
	// Kind is the job's resource kind.
	Kind *resource.Kind
	// Refs are the ref fields of the payload: an enqueue checks that they
	// name live resources (a 422 naming payload.<field> otherwise). They
	// are not references of the job's resource: deleting a target leaves
	// its jobs as they are.
	Refs []Ref
}

// Ref is a ref field of a payload.
type Ref struct {
	Field string // the payload key
	Kind  string // the target kind's name
	List  bool   // a list of refs
}

// Data is the data of a job resource. Its JSON is what the queue writes
// and what generated typed records decode.
type Data struct {
	Payload     json.RawMessage `json:"payload"`
	Status      jobs.Status     `json:"status"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	RunAt       time.Time       `json:"run_at"`
	StartedAt   *time.Time      `json:"started_at,omitempty"`
	FinishedAt  *time.Time      `json:"finished_at,omitempty"`
	LastError   *string         `json:"last_error,omitempty"`
	Result      json.RawMessage `json:"result,omitempty"`
	Logs        []jobs.Log      `json:"logs,omitempty"`
}

// Defaults of Options.
const (
	DefaultReconcileInterval = 30 * time.Second
	defaultReconcileQuiet    = 10 * time.Second
	// batchMax bounds the changes written in one store transaction.
	batchMax = 256
)

// Options configure a Queue.
type Options struct {
	// Logger receives the queue's logs (default slog.Default()).
	Logger *slog.Logger
	// ReconcileInterval is how often the job resources that are pending
	// or running are checked against the queue (default 30s; negative:
	// only at Start).
	ReconcileInterval time.Duration
	// ReconcileQuiet is how long a job resource must have been left alone
	// before the reconciler corrects it (default 10s): changes in flight
	// are the observers'.
	ReconcileQuiet time.Duration
	// Writers is how many goroutines write status changes, each in
	// transactions of its own (default 1): the changes of one job are
	// always written by the same one, in order.
	Writers int
}

// DefaultWriters is the default of Options.Writers. One writer writes
// the changes that arrived while it wrote the last batch in one
// transaction (up to batchMax), so a busier queue makes larger batches
// rather than more transactions: the transaction and its statements cost
// PostgreSQL the same for 10 jobs as for 100. With four writers each
// batch held about a quarter of the jobs, and a job cost about 15% more
// CPU (process and PostgreSQL; docs/jobs.md, Performance). One is
// enough for a fast queue too: fed the starts and ends of 6,000 jobs at
// once on the development machine, it wrote them in batches of 256
// changes at about 12,000 jobs a second.
const DefaultWriters = 1

// Queue is the job types of an application over one resource.Service and
// one jobs.Engine. New makes it, Bind attaches the service (whose options
// include ServiceOption), Attach the engine (opened with the queue's
// EngineConfig), Start starts the work and Stop drains it.
type Queue struct {
	defs   []*Def
	byName map[string]*Def
	byKind map[*resource.Kind]*Def
	opts   Options
	log    *slog.Logger

	svc    *resource.Service
	engine *jobs.Engine

	// shards write the changes of the observer: the changes of one job
	// always go to the same shard, which writes them in order.
	shards []*shard

	mu      sync.Mutex
	started bool

	// The enqueues waiting for a group (group.go), and whether one of
	// them leads.
	gmu     sync.Mutex
	gqueue  []*enqueueCall
	leaders int

	stopReconcile context.CancelFunc
	reconciled    chan struct{}
}

// New returns the queue of defs, without service or engine.
func New(defs []*Def, o Options) (*Queue, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ReconcileInterval == 0 {
		o.ReconcileInterval = DefaultReconcileInterval
	}
	if o.ReconcileQuiet == 0 {
		o.ReconcileQuiet = defaultReconcileQuiet
	}
	if o.Writers == 0 {
		o.Writers = DefaultWriters
	}
	q := &Queue{
		defs: defs, byName: make(map[string]*Def), byKind: make(map[*resource.Kind]*Def),
		opts: o, log: o.Logger,
	}
	for range max(o.Writers, 1) {
		q.shards = append(q.shards, newShard(q))
	}
	for _, d := range defs {
		if d.Kind == nil || q.byName[d.Type.Name] != nil {
			return nil, fmt.Errorf("jobres: job type %q: no kind, or declared twice", d.Type.Name)
		}
		q.byName[d.Type.Name], q.byKind[d.Kind] = d, d
	}
	return q, nil
}

// queueKey is the key of the queue among the service's values.
type queueKey struct{}

// ServiceOption attaches q to the service it is given to, for From.
func (q *Queue) ServiceOption() resource.Option { return resource.WithValue(queueKey{}, q) }

// From returns the queue attached to svc, or nil: generated code finds
// the queue of its service this way.
func From(svc *resource.Service) *Queue {
	if svc == nil {
		return nil
	}
	q, _ := svc.Value(queueKey{}).(*Queue)
	return q
}

// Bind sets the service the job resources are stored by.
func (q *Queue) Bind(svc *resource.Service) { q.svc = svc }

// Service returns the service of the queue.
func (q *Queue) Service() *resource.Service { return q.svc }

// Defs returns the job types.
func (q *Queue) Defs() []*Def { return q.defs }

// Def returns the job type of a name, or nil.
func (q *Queue) Def(name string) *Def { return q.byName[name] }

// EngineConfig returns cfg with the queue's part filled in: the job types
// (their handlers are given with Handle), the observer that records
// status changes, and the enqueue of schedule ticks.
func (q *Queue) EngineConfig(cfg jobs.Config) jobs.Config {
	cfg.Types = nil
	for _, d := range q.defs {
		cfg.Types = append(cfg.Types, d.Type)
	}
	cfg.Observer = q.observe
	cfg.Ticks = q.tick
	if cfg.Logger == nil {
		cfg.Logger = q.log
	}
	return cfg
}

// Attach sets the engine, opened with EngineConfig.
func (q *Queue) Attach(e *jobs.Engine) { q.engine = e }

// Engine returns the engine (nil before Attach).
func (q *Queue) Engine() *jobs.Engine { return q.engine }

// Handle sets the handler of a job type, before Start.
func (q *Queue) Handle(name string, h jobs.Handler) error {
	if q.engine == nil {
		return errors.New("jobres: Handle before Attach")
	}
	return q.engine.Handle(name, h)
}

// Start starts the engine (which fails when a job type has no handler),
// the writer of status changes and the reconciler.
func (q *Queue) Start(ctx context.Context) error {
	if q.svc == nil || q.engine == nil {
		return errors.New("jobres: Start before Bind and Attach")
	}
	q.mu.Lock()
	if q.started {
		q.mu.Unlock()
		return errors.New("jobres: Start called twice")
	}
	q.started = true
	q.mu.Unlock()
	for _, sh := range q.shards {
		go sh.run()
	}
	if err := q.engine.Start(ctx); err != nil {
		q.stopWriters()
		return err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.stopReconcile, q.reconciled = cancel, make(chan struct{})
	go func() {
		defer close(q.reconciled)
		q.reconcileLoop(rctx)
	}()
	return nil
}

// Stop drains the engine (see jobs.Engine.Stop: running jobs finish until
// ctx is done, then are released for retry), stops the reconciler, and
// writes the status changes still waiting. It returns the engine's error.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	started := q.started
	q.mu.Unlock()
	if !started {
		return nil
	}
	if q.stopReconcile != nil {
		q.stopReconcile()
		<-q.reconciled
		q.stopReconcile = nil
	}
	err := q.engine.Stop(ctx)
	q.stopWriters()
	return err
}

// Close stops the queue if it runs and closes the engine.
func (q *Queue) Close() error {
	err := q.Stop(context.Background())
	if q.engine != nil {
		err = errors.Join(err, q.engine.Close())
	}
	return err
}

// ID returns the resource id of a queue id.
func ID(jobID int64) string { return strconv.FormatInt(jobID, 10) }

// jobID parses a resource id, or answers the 404 of an id that is none.
func jobID(k *resource.Kind, id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || ID(n) != id {
		return 0, resource.Errorf(resource.CodeNotFound, "%s %q not found", noun(k), id)
	}
	return n, nil
}

// noun names a kind in messages: "SendNewsletter job".
func noun(k *resource.Kind) string { return k.Name }

// EnqueueOptions are the options of Enqueue.
type EnqueueOptions struct {
	// RunAt is when the job is due (zero: now).
	RunAt time.Time
}

// Enqueue enqueues a job of def with payload (valid and canonical: the
// generated code has checked it) and creates its resource, in one
// transaction: the caller's when ctx carries one (a hook's), so that the
// job exists if and only if the hook's write commits; otherwise one
// shared with the enqueues of other callers made at the same time (see
// group.go). It authorizes the enqueue (the create rule of the job's
// kind) and checks the payload's references. With the type's UniqueFor,
// an enqueue whose payload matches a job of the same window returns that
// job's resource and duplicate set.
func (q *Queue) Enqueue(ctx context.Context, def *Def, payload json.RawMessage, o EnqueueOptions) (env *resource.Envelope, duplicate bool, err error) {
	if err := q.svc.Allow(ctx, def.Kind, resource.ActionEnqueue); err != nil {
		return nil, false, err
	}
	if payload == nil {
		payload = json.RawMessage(`{}`)
	}
	if q.engine == nil {
		return nil, false, errors.New("jobres: the queue has no engine")
	}
	if !grouped(ctx, def) {
		return q.enqueueAlone(ctx, def, payload, o)
	}
	c := &enqueueCall{ctx: ctx, def: def, payload: payload, opts: o, subject: resource.SubjectFrom(ctx)}
	q.enqueueGrouped(c)
	return c.env, c.dup, c.err
}

// enqueueAlone enqueues one job and creates its resource in a
// transaction of its own, or the caller's.
func (q *Queue) enqueueAlone(ctx context.Context, def *Def, payload json.RawMessage, o EnqueueOptions) (env *resource.Envelope, duplicate bool, err error) {
	err = q.svc.Transaction(ctx, func(ctx context.Context, tx *resource.Tx) error {
		if err := q.checkRefs(ctx, def, payload); err != nil {
			return err
		}
		var err error
		env, duplicate, err = q.enqueueTx(ctx, tx, def, payload, &jobs.EnqueueOptions{RunAt: o.RunAt})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return env, duplicate, nil
}

// enqueueTx enqueues inside tx and creates the resource.
func (q *Queue) enqueueTx(ctx context.Context, tx *resource.Tx, def *Def, payload json.RawMessage, o *jobs.EnqueueOptions) (*resource.Envelope, bool, error) {
	if q.engine == nil {
		return nil, false, errors.New("jobres: the queue has no engine")
	}
	res, err := q.engine.EnqueueTx(ctx, tx, def.Type.Name, payload, o)
	if err != nil {
		return nil, false, err
	}
	return q.recordEnqueued(ctx, def, res, payload)
}

// recordEnqueued creates the resource of a job just enqueued, or returns
// that of the job a duplicate enqueue found.
func (q *Queue) recordEnqueued(ctx context.Context, def *Def, res *jobs.Enqueued, payload json.RawMessage) (*resource.Envelope, bool, error) {
	id := ID(res.Job.ID)
	if res.Duplicate {
		env, err := q.svc.Get(ctx, def.Kind, id, resource.ReadOptions{})
		if resource.CodeOf(err) == resource.CodeNotFound {
			// A job the queue had without a resource (enqueued by other
			// means): record it now.
			env, err = q.create(ctx, def, res.Job, payload)
		}
		return env, true, err
	}
	env, err := q.create(ctx, def, res.Job, payload)
	return env, false, err
}

// create creates the resource of a job.
func (q *Queue) create(ctx context.Context, def *Def, j *jobs.Job, payload json.RawMessage) (*resource.Envelope, error) {
	d := apply(Data{Payload: payload}, j)
	data, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return q.svc.Create(ctx, def.Kind, data, resource.WriteOptions{ID: ID(j.ID)})
}

// tick enqueues the job of a schedule tick, as the system, with its
// resource (jobs.Config.Ticks). Another instance may have enqueued it.
func (q *Queue) tick(ctx context.Context, typ string, tick time.Time) error {
	def := q.byName[typ]
	if def == nil {
		return fmt.Errorf("jobres: tick of unknown job type %q", typ)
	}
	payload := def.Type.SchedulePayload
	if payload == nil {
		payload = json.RawMessage(`{}`)
	}
	return q.svc.Transaction(resource.AsSystem(ctx), func(ctx context.Context, tx *resource.Tx) error {
		_, _, err := q.enqueueTx(ctx, tx, def, payload, &jobs.EnqueueOptions{Tick: tick})
		return err
	})
}

// checkRefs checks that the ref fields of a payload name live resources.
func (q *Queue) checkRefs(ctx context.Context, def *Def, payload json.RawMessage) error {
	if len(def.Refs) == 0 {
		return nil
	}
	var errs resource.ValidationErrors
	for _, r := range def.Refs {
		target := q.svc.Schema().Kind(r.Kind)
		if target == nil {
			return fmt.Errorf("jobres: job %s: payload field %s refers to kind %q, which is not in the schema", def.Type.Name, r.Field, r.Kind)
		}
		raw, ok, err := resource.Lookup(payload, r.Field)
		if err != nil {
			return resource.Errorf(resource.CodeValidation, "the payload is not valid JSON")
		}
		if !ok || string(raw) == "null" {
			continue
		}
		var ids []string
		if r.List {
			err = json.Unmarshal(raw, &ids)
		} else {
			var id string
			err = json.Unmarshal(raw, &id)
			ids = []string{id}
		}
		if err != nil {
			errs.Add("payload."+r.Field, "must hold resource ids")
			continue
		}
		found, err := q.svc.GetMany(ctx, target, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if found[id] == nil {
				errs.Add("payload."+r.Field, fmt.Sprintf("%s %q not found", target.Name, id))
			}
		}
	}
	return errs.Err()
}

// Cancel cancels a job: a pending one at once, a running one by
// cancelling its handler's context (it ends cancelled when the handler
// returns an error; running reports that it still runs). A finished job
// is a 409.
func (q *Queue) Cancel(ctx context.Context, def *Def, id string) (env *resource.Envelope, running bool, err error) {
	return q.control(ctx, def, id, resource.ActionCancel, q.engine.Cancel)
}

// Rerun makes a job due now: a finished one runs again, a pending one
// without waiting for its run_at. A running job is a 409.
func (q *Queue) Rerun(ctx context.Context, def *Def, id string) (*resource.Envelope, error) {
	env, _, err := q.control(ctx, def, id, resource.ActionRerun, q.engine.Rerun)
	return env, err
}

// control runs a cancel or a rerun and records its outcome.
func (q *Queue) control(ctx context.Context, def *Def, id string, a resource.Action, fn func(context.Context, int64) (*jobs.Job, error)) (*resource.Envelope, bool, error) {
	if err := q.svc.Allow(ctx, def.Kind, a); err != nil {
		return nil, false, err
	}
	n, err := jobID(def.Kind, id)
	if err != nil {
		return nil, false, err
	}
	// The resource must exist and be readable by the caller.
	if _, err := q.svc.Get(ctx, def.Kind, id, resource.ReadOptions{}); err != nil {
		return nil, false, err
	}
	j, err := fn(ctx, n)
	switch {
	case errors.Is(err, jobs.ErrFinished):
		if j != nil {
			q.record(ctx, def, j)
		}
		return nil, false, resource.Errorf(resource.CodeConflict, "%s %s has finished (%s): there is nothing to cancel", noun(def.Kind), id, statusOf(j))
	case errors.Is(err, jobs.ErrRunning):
		if j != nil {
			q.record(ctx, def, j)
		}
		return nil, false, resource.Errorf(resource.CodeConflict, "%s %s is running: cancel it, or wait for it to finish, before a rerun", noun(def.Kind), id)
	case errors.Is(err, jobs.ErrNotFound):
		return nil, false, resource.Errorf(resource.CodeConflict, "the queue no longer holds %s %s (finished jobs are removed from it after a while): enqueue a new one", noun(def.Kind), id)
	case err != nil:
		return nil, false, err
	}
	env, err := q.record(ctx, def, j)
	return env, j.Status == jobs.StatusRunning, err
}

// statusOf names the status of j, "unknown" without one.
func statusOf(j *jobs.Job) string {
	if j == nil {
		return "unknown"
	}
	return string(j.Status)
}

// record writes the state j of a job to its resource now, as the system
// (the observer's later write of the same change then finds nothing to
// do), and returns the resource.
func (q *Queue) record(ctx context.Context, def *Def, j *jobs.Job) (*resource.Envelope, error) {
	var env *resource.Envelope
	err := q.svc.Transaction(resource.AsSystem(context.WithoutCancel(ctx)), func(ctx context.Context, tx *resource.Tx) error {
		var err error
		env, err = q.write(ctx, def, j, "")
		return err
	})
	return env, err
}

// Logs returns the logs of a job: one entry per attempt that logged
// anything, as the job resource holds them.
func (q *Queue) Logs(ctx context.Context, def *Def, id string) ([]jobs.Log, error) {
	if err := q.svc.Allow(ctx, def.Kind, resource.ActionLogs); err != nil {
		return nil, err
	}
	env, err := q.svc.Get(ctx, def.Kind, id, resource.ReadOptions{Fields: []string{"logs"}})
	if err != nil {
		return nil, err
	}
	var d struct {
		Logs []jobs.Log `json:"logs"`
	}
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return nil, fmt.Errorf("jobres: logs of %s %s: %w", def.Type.Name, id, err)
	}
	if d.Logs == nil {
		d.Logs = []jobs.Log{}
	}
	return d.Logs, nil
}

// apply returns d with the state of j (d's payload is kept: the queue
// may hold it in another form, jsonb on PostgreSQL).
func apply(d Data, j *jobs.Job) Data {
	d.Status, d.Attempts, d.MaxAttempts = j.Status, j.Attempts, j.MaxAttempts
	d.RunAt = stamp(j.RunAt)
	d.StartedAt, d.FinishedAt = nil, nil
	if !j.StartedAt.IsZero() {
		t := stamp(j.StartedAt)
		d.StartedAt = &t
	}
	if !j.FinishedAt.IsZero() {
		t := stamp(j.FinishedAt)
		d.FinishedAt = &t
	}
	d.LastError = nil
	if j.LastError != "" {
		e := j.LastError
		d.LastError = &e
	}
	d.Result, d.Logs = j.Result, j.Logs
	if len(d.Payload) == 0 {
		d.Payload = j.Payload
	}
	return d
}

// stamp is a time as resources store it: UTC, microseconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// stale reports whether a change (ev, with the job's state j) is older
// than what the resource holds (cur), so that writing it would go back:
// the writes of different instances about one job may arrive out of
// order (a job rerun on one instance and started on another at once).
func stale(cur Data, j *jobs.Job, ev jobs.Event) bool {
	switch {
	case j.Attempts < cur.Attempts:
		// An interrupted attempt is not counted: the job goes back one.
		return !(ev == jobs.EventInterrupted && j.Attempts == cur.Attempts-1 && cur.Status == jobs.StatusRunning)
	case j.Attempts > cur.Attempts:
		return false
	}
	// The start of an attempt whose end is recorded already.
	return j.Status == jobs.StatusRunning && cur.Status != jobs.StatusRunning && cur.StartedAt != nil && stamp(j.StartedAt).Equal(*cur.StartedAt)
}

// write records j on its resource, creating it if it is missing (a job
// enqueued by other means); with ev set, a stale change is skipped.
func (q *Queue) write(ctx context.Context, def *Def, j *jobs.Job, ev jobs.Event) (*resource.Envelope, error) {
	id := ID(j.ID)
	_, err := q.svc.Get(ctx, def.Kind, id, resource.ReadOptions{})
	if resource.CodeOf(err) == resource.CodeNotFound {
		return q.create(ctx, def, j, nil)
	}
	if err != nil {
		return nil, err
	}
	return q.svc.Patch(ctx, def.Kind, id, patch(def, j, ev), resource.WriteOptions{})
}

// patch returns the patch that records the state j of a job on its
// resource; with ev set, a stale change (see stale) changes nothing.
func patch(def *Def, j *jobs.Job, ev jobs.Event) func(json.RawMessage) (json.RawMessage, error) {
	return func(current json.RawMessage) (json.RawMessage, error) {
		var cur Data
		if err := json.Unmarshal(current, &cur); err != nil {
			return nil, fmt.Errorf("jobres: decode %s %d: %w", def.Type.Name, j.ID, err)
		}
		if ev != "" && stale(cur, j, ev) {
			return current, nil
		}
		return json.Marshal(apply(cur, j))
	}
}

// observe is the engine's observer: it queues the change for the shard
// of its job.
func (q *Queue) observe(_ context.Context, c jobs.Change) {
	if q.byName[c.Job.Type] == nil {
		return // a type of another version of the application
	}
	q.shards[uint64(c.Job.ID)%uint64(len(q.shards))].add(c)
}

// stopWriters stops every shard once it has written what is queued.
func (q *Queue) stopWriters() {
	for _, sh := range q.shards {
		sh.stop()
	}
}

// writeBatch writes changes with one Service.PatchMany: one read of
// their resources, then a revision per change, in one transaction. When
// it fails (a resource is missing: a job enqueued by other means; or a
// change cannot be written), each change is written alone, creating the
// resource it lacks, so that one bad change holds back no other.
func (q *Queue) writeBatch(batch []jobs.Change) {
	ctx := resource.AsSystem(context.Background())
	ops := make([]resource.PatchOp, len(batch))
	for i, c := range batch {
		def := q.byName[c.Job.Type]
		ops[i] = resource.PatchOp{Kind: def.Kind, ID: ID(c.Job.ID), Fn: patch(def, c.Job, c.Event)}
	}
	if _, err := q.svc.PatchMany(ctx, ops, resource.WriteOptions{}); err == nil {
		return
	}
	for _, c := range batch {
		err := q.svc.Transaction(ctx, func(ctx context.Context, tx *resource.Tx) error {
			_, err := q.write(ctx, q.byName[c.Job.Type], c.Job, c.Event)
			return err
		})
		if err != nil {
			q.log.Error("jobs: record a status change of a job", "job_type", c.Job.Type, "job_id", c.Job.ID,
				"event", string(c.Event), "error", err)
		}
	}
}

// reconcileLoop reconciles at start and every ReconcileInterval until ctx
// ends.
func (q *Queue) reconcileLoop(ctx context.Context) {
	for {
		if err := q.Reconcile(ctx, q.opts.ReconcileQuiet); err != nil && ctx.Err() == nil {
			q.log.Warn("jobs: reconcile job resources with the queue", "error", err)
		}
		if q.opts.ReconcileInterval < 0 {
			return
		}
		t := time.NewTimer(q.opts.ReconcileInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Reconcile brings the job resources that are pending or running, and
// were last written more than quiet ago, up to date with the queue: the
// changes the observer did not record (a crash between a change and its
// record). It runs at Start and every ReconcileInterval.
func (q *Queue) Reconcile(ctx context.Context, quiet time.Duration) error {
	sys := resource.AsSystem(ctx)
	before := time.Now().Add(-quiet).UTC().Format(time.RFC3339Nano)
	filter := fmt.Sprintf(`status in ["pending", "running"] && updated_time < %q`, before)
	for _, def := range q.defs {
		cursor := ""
		for {
			page, err := q.svc.List(sys, def.Kind, resource.ListQuery{Filter: filter, Limit: 200, Cursor: cursor, Sort: "resource_id"})
			if err != nil {
				return err
			}
			for _, env := range page.Items {
				if err := q.reconcileOne(sys, def, env); err != nil {
					return err
				}
			}
			if page.NextCursor == nil || ctx.Err() != nil {
				break
			}
			cursor = *page.NextCursor
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// reconcileOne corrects one job resource.
func (q *Queue) reconcileOne(ctx context.Context, def *Def, env *resource.Envelope) error {
	n, err := jobID(def.Kind, env.Meta.ResourceID)
	if err != nil {
		return nil // not a job of the queue
	}
	j, err := q.engine.Get(ctx, n)
	if errors.Is(err, jobs.ErrNotFound) {
		q.log.Warn("jobs: the queue has no record of a job its resource shows pending or running", "job_type", def.Type.Name, "job_id", n)
		return nil
	}
	if err != nil {
		return err
	}
	var cur Data
	if err := json.Unmarshal(env.Data, &cur); err != nil {
		return fmt.Errorf("jobres: decode %s %d: %w", def.Type.Name, n, err)
	}
	want, _ := json.Marshal(apply(cur, j))
	if string(want) == string(env.Data) {
		return nil
	}
	q.log.Info("jobs: recording a status change the observer missed", "job_type", def.Type.Name, "job_id", n, "from", string(cur.Status), "to", string(j.Status))
	_, err = q.record(ctx, def, j)
	return err
}

// Stats returns the counts of the queue by job type: pending, due,
// running, failed, and stale (running jobs whose lease the engine found
// expired at its last pass: their instance died or they overran).
func (q *Queue) Stats(ctx context.Context) ([]jobs.TypeStats, error) {
	if q.engine == nil {
		return nil, errors.New("jobres: no engine")
	}
	return q.engine.Stats(ctx)
}

// TypeOf returns the job type of a kind, or nil.
func (q *Queue) TypeOf(k *resource.Kind) *Def { return q.byKind[k] }

// Of returns the queue attached to svc, or an error saying that the
// service has none: generated code calls it for every enqueue, cancel,
// rerun and logs read.
func Of(svc *resource.Service) (*Queue, error) {
	if q := From(svc); q != nil && q.engine != nil {
		return q, nil
	}
	return nil, errors.New("jobres: this service has no job queue: server.New opens it for an app with jobs (in tests, use the service of a server)")
}

// Result encodes the result of a typed handler: a value that encodes to
// null (nil, a nil pointer, slice or map) is no result; one that does not
// encode fails the job.
func Result(v any) (json.RawMessage, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return nil, jobs.Fail(fmt.Errorf("encode the result: %w", err))
	}
	if string(out) == "null" {
		return nil, nil
	}
	return out, nil
}
