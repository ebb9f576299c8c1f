package model

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/names"
)

// Job statuses, in lifecycle order: the values of a job resource's status
// (runtime/jobs.Statuses; the model test checks that they agree).
func JobStatuses() []string {
	return []string{"pending", "running", "completed", "failed", "cancelled"}
}

// Defaults and bounds of job settings (runtime/jobs.DefaultMaxAttempts
// and DefaultTimeout).
const (
	DefaultJobMaxAttempts = 3
	DefaultJobTimeout     = 10 * time.Minute
	maxJobAttempts        = 1000
	maxJobConcurrency     = 10000
)

// JobPathPrefix is the REST path segment under /api of every job
// resource: /api/jobs/send-newsletter.
const JobPathPrefix = "jobs"

// JobHelperNames returns the exported Go names the emitters declare for a
// job besides those of its resource (HelperNames): its handler's run
// type and the App option that sets the handler.
func JobHelperNames(job string) []string {
	return []string{job + "Run", "With" + job + "Handler"}
}

// jobPermissionActions are the actions a job's permissions may name: read
// and list its resources, create (enqueue) and update (cancel, rerun).
func jobPermissionActions() []string { return []string{"read", "list", "create", "update"} }

// jobs resolves the job types of the spec, after the resources (their
// payloads refer to resources). Each gets a resource, appended to the
// model.
func (b *builder) jobs(spec *load.Spec) {
	seen := make(map[string]*load.Job)
	queues := make(map[string]*load.Job) // River queue name -> job with a concurrency
	for _, lj := range spec.Jobs {
		subject := "job " + lj.Name
		p := pos(lj.Pos)
		if prev, ok := seen[lj.Name]; ok {
			b.errorf(p, "%s: declared twice (first at line %d)", subject, prev.Pos.Line)
			continue
		}
		seen[lj.Name] = lj
		if !resourceNameRE.MatchString(lj.Name) || len(lj.Name) < 2 {
			hint := ""
			if s := names.Pascal(lj.Name); resourceNameRE.MatchString(s) && len(s) >= 2 {
				hint = load.DidYouMean(s)
			}
			b.errorf(p, "%s: name must be PascalCase of at least two characters (an upper-case letter, then letters and digits)%s", subject, hint)
			continue
		}
		if r := b.byName[lj.Name]; r != nil {
			b.errorf(p, "%s: a resource has this name (%s, line %d); name the job after what it does, such as Send%s", subject, r.Name, r.Pos.Line, lj.Name)
			continue
		}
		r := b.jobResource(lj)
		if r == nil {
			continue
		}
		if r.Job.Concurrency > 0 {
			q := strings.ToLower(lj.Name)
			if prev, ok := queues[q]; ok {
				b.errorf(p, "%s: jobs %s and %s differ only in case and both have a concurrency, so they would share one queue; rename one", subject, prev.Name, lj.Name)
			}
			queues[q] = lj
		}
		b.m.Resources = append(b.m.Resources, r)
		b.jobBody(lj, r)
		b.checkJobPermissions(lj)
		b.rules(jobSpec(lj), r)
		r.Operations = jobOperations(r)
	}
}

// jobResource names the resource of a job and resolves its settings; nil
// when its names collide.
func (b *builder) jobResource(lj *load.Job) *Resource {
	subject := "job " + lj.Name
	p := pos(lj.Pos)
	goName := lj.Name + "Job"
	r := &Resource{
		Pos:         p,
		Name:        goName,
		GoName:      goName,
		VarName:     varName(goName),
		Receiver:    names.Receiver(goName),
		Plural:      names.Plural(goName),
		Table:       names.Snake(goName),
		Path:        JobPathPrefix + "/" + names.Kebab(lj.Name),
		DefaultSort: "-created_time",
		// A job's data has one form: the queue writes it.
		SchemaVersion: 1,
		Job: &Job{
			Pos: p, Name: lj.Name, MaxAttempts: DefaultJobMaxAttempts, Timeout: DefaultJobTimeout,
			PayloadGoType: lj.Name + "Payload", RunGoType: lj.Name + "Run", HandlerOption: "With" + lj.Name + "Handler",
		},
	}
	if lj.Description != nil {
		r.Description = names.DocLines(lj.Description.Value)
	}
	if !b.declare(r.GoName, subject, "the Go type of its resource", p) {
		return nil
	}
	for _, h := range HelperNames(r.GoName) {
		b.declare(h, subject, "a generated helper", p)
	}
	for _, h := range JobHelperNames(lj.Name) {
		b.declare(h, subject, "a generated helper", p)
	}
	b.table(r)
	if prev, ok := b.paths[r.Path]; ok {
		b.errorf(p, "%s: path /api/%s is already used by %s; rename the job", subject, r.Path, declaredBy(prev))
	}
	b.paths[r.Path] = r
	j := r.Job
	if v := lj.MaxAttempts; v != nil {
		if v.Value < 1 || v.Value > maxJobAttempts {
			b.errorf(pos(v.Pos), "%s: max_attempts must be between 1 and %d, got %d", subject, maxJobAttempts, v.Value)
		} else {
			j.MaxAttempts = int(v.Value)
		}
	}
	if v := lj.Timeout; v != nil {
		if v.Value < time.Second {
			b.errorf(pos(v.Pos), "%s: timeout must be at least 1s, got %q (it bounds one attempt; omit it for the default, 10m)", subject, v.Text)
		} else {
			j.Timeout = v.Value
		}
	}
	if v := lj.Concurrency; v != nil {
		if v.Value < 1 || v.Value > maxJobConcurrency {
			b.errorf(pos(v.Pos), "%s: concurrency must be between 1 and %d, got %d (omit it to share the instance's workers)", subject, maxJobConcurrency, v.Value)
		} else {
			j.Concurrency = int(v.Value)
		}
	}
	if v := lj.UniqueFor; v != nil {
		if v.Value < time.Second {
			b.errorf(pos(v.Pos), "%s: unique_for must be at least 1s, got %q", subject, v.Text)
		} else {
			j.UniqueFor = v.Value
		}
	}
	if v := lj.Schedule; v != nil {
		if msg := CheckSchedule(v.Value); msg != "" {
			b.errorf(pos(v.Pos), "%s: schedule %q %s", subject, v.Value, msg)
		} else {
			j.Schedule = strings.TrimSpace(v.Value)
		}
		if lj.UniqueFor != nil {
			b.errorf(pos(lj.UniqueFor.KeyPos), "%s: unique_for does not apply to a scheduled job: each tick is one job already", subject)
		}
	}
	return r
}

// CheckSchedule checks a job's schedule as runtime/jobs parses it: five
// cron fields in UTC ("0 9 * * MON"; "TZ=Europe/Paris 0 9 * * MON" for
// another zone), a descriptor (@hourly, @daily, @weekly, @monthly,
// @yearly) or "@every d" with d a whole number of seconds, at least 1s.
// It returns what is wrong, "" when nothing is.
func CheckSchedule(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "is empty: write five cron fields (\"0 9 * * MON\") or @every with an interval (\"@every 1h\")"
	}
	if rest, ok := strings.CutPrefix(s, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		switch {
		case err != nil:
			return fmt.Sprintf("has an invalid interval: %v (write a Go duration such as 30s, 5m or 1h)", err)
		case d < time.Second || d%time.Second != 0:
			return "needs an interval of a whole number of seconds, at least 1s"
		}
		return ""
	}
	if strings.HasPrefix(s, "@every") {
		return "needs an interval after @every, such as \"@every 1h\""
	}
	if _, err := cron.ParseStandard(s); err != nil {
		return fmt.Sprintf("is not a cron expression: %v (write five fields: minute hour day-of-month month day-of-week, such as \"0 9 * * MON\")", err)
	}
	return ""
}

// jobBody builds the fields of a job's resource: its payload, then its
// state, which only the queue writes.
func (b *builder) jobBody(lj *load.Job, r *Resource) {
	j := r.Job
	subject := "job " + j.Name
	if lj.Payload != nil && len(lj.Payload.List) > 0 {
		pf := &Field{
			Pos: pos(lj.Payload.KeyPos), Name: "payload", GoName: "Payload", Path: "payload", Type: Object,
			Required: true, ObjectGoType: j.PayloadGoType, Owner: r,
			Description: []string{"What the job was enqueued with."},
		}
		b.declare(j.PayloadGoType, subject, "its payload type", pf.Pos)
		pf.Fields = b.fields(lj.Payload.List, &structScope{
			owner: r, path: "payload", typePrefix: j.PayloadGoType, subject: j.Name + ".payload", jobPayload: true,
		})
		j.Payload = pf
		r.Fields = append(r.Fields, pf)
		if lj.Schedule != nil {
			for _, f := range pf.Fields {
				if f.Required {
					b.errorf(f.Pos, "field %s.payload.%s: a scheduled job runs with an empty payload, so its payload fields cannot be required; make it optional with a default", j.Name, f.Name)
				}
			}
		}
	} else {
		r.Fields = append(r.Fields, &Field{Pos: r.Pos, Name: "payload", GoName: "Payload", Path: "payload", Type: JSON,
			ReadOnly: true, Owner: r, Description: []string{"Always {}: the job takes no payload."}})
	}
	state := func(name string, t Type, required, index bool, doc string) *Field {
		f := &Field{Pos: r.Pos, Name: name, GoName: names.Pascal(name), Path: name, Type: t, Required: required,
			Index: index, ReadOnly: true, Owner: r, Description: []string{doc}}
		r.Fields = append(r.Fields, f)
		return f
	}
	status := state("status", Enum, true, true, "Where the job stands: pending (waiting to run, or to be retried), running, completed, failed or cancelled.")
	status.EnumGoType = r.GoName + "Status"
	b.declare(status.EnumGoType, subject, "its status type", r.Pos)
	for _, v := range JobStatuses() {
		c := status.EnumGoType + names.Pascal(v)
		b.declare(c, subject, fmt.Sprintf("the constant of status %q", v), r.Pos)
		status.Values = append(status.Values, v)
		status.ValueGoNames = append(status.ValueGoNames, c)
	}
	// Status is the one state field with an index: the others are
	// filtered and sorted without one, which spares each job's record
	// (written at enqueue and at the end of each attempt) four index
	// entries per write (docs/jobs.md, "How it works").
	unindexed := func(f *Field) *Field { f.NoIndex = true; return f }
	unindexed(state("attempts", Int, true, true, "The attempts started so far."))
	state("max_attempts", Int, true, false, "The attempts the job may have before it fails.")
	runAt := unindexed(state("run_at", DateTime, false, true, "When the job is due: the run_at of its enqueue (default: then), its schedule's tick, or the time of its next retry."))
	runAt.ReadOnly = false // given at enqueue
	unindexed(state("started_at", DateTime, false, true, "When its last attempt started."))
	unindexed(state("finished_at", DateTime, false, true, "When it reached its final status (completed, failed or cancelled)."))
	state("last_error", Text, false, false, "The error of its last failed attempt.")
	state("result", JSON, false, false, "What its handler returned, as JSON.")
	state("logs", JSON, false, false, "What its handler logged: one entry per attempt that logged anything, [{\"attempt\": 1, \"text\": \"...\"}], in log/slog's text format.")
}

// checkJobPermissions reports the actions of a job's permissions that do
// not apply to jobs.
func (b *builder) checkJobPermissions(lj *load.Job) {
	if lj.Permissions == nil {
		return
	}
	for _, ar := range lj.Permissions.Rules {
		ok := false
		for _, a := range jobPermissionActions() {
			ok = ok || a == ar.Action
		}
		if !ok {
			b.errorf(pos(ar.Rule.KeyPos), "job %s permissions: %s does not apply to a job, which cannot be changed, deleted or restored; the actions of a job are read, list, create (enqueue) and update (cancel, rerun)", lj.Name, ar.Action)
		}
	}
}

// jobSpec returns the resource spec the rules of a job are resolved from.
func jobSpec(lj *load.Job) *load.Resource {
	lr := &load.Resource{Name: lj.Name, Pos: lj.Pos}
	if lj.Permissions != nil {
		p := &load.Permissions{Loc: lj.Permissions.Loc}
		for _, ar := range lj.Permissions.Rules {
			for _, a := range jobPermissionActions() {
				if a == ar.Action {
					p.Rules = append(p.Rules, ar)
				}
			}
		}
		lr.Permissions = p
	}
	return lr
}

// jobOperations computes the operations table of the resource of a job,
// in the order the echo routes are registered. A job is enqueued (its
// resource created by the queue), read, listed, counted, and its history
// read like any resource's; it is cancelled and rerun; its logs are read.
// It is never updated, deleted, restored, purged or switched.
func jobOperations(r *Resource) []*Operation {
	g, jn := r.GoName, r.Job.Name
	an := "a " + jn + " job"
	one, many := names.Camel(g), names.Camel(r.Plural)
	ops := []*Operation{
		{Action: ActionEnqueue, Method: "POST", Route: "", OperationID: "enqueue" + jn, Handler: "enqueue",
			Summary: "Enqueue " + an, Doc: "enqueues a job, which creates its resource, pending",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "enqueue" + jn}, Repo: "Enqueue"},
		{Action: ActionList, Method: "GET", Route: "", OperationID: "list" + r.Plural, Handler: "list",
			Summary: "List " + jn + " jobs", Doc: "lists jobs, newest first unless sorted otherwise, one page at a time",
			GraphQL: GraphQLField{Root: GraphQLQuery, Name: many, Order: 1}, Repo: "List",
			Query: []string{QueryFilter, QuerySort, QueryLimit, QueryCursor, QueryOffset, QueryCount, QueryFields}},
		{Action: ActionCount, Method: "GET", Route: "/count", OperationID: "count" + r.Plural, Handler: "count",
			Summary: "Count " + jn + " jobs", Doc: "counts jobs",
			Repo: "Count", Query: []string{QueryFilter}},
		{Action: ActionRead, Method: "GET", Route: "/:id", OperationID: "get" + g, Handler: "read",
			Summary: "Read " + an, Doc: "reads a job, at its current or a given revision",
			GraphQL: GraphQLField{Root: GraphQLQuery, Name: one}, Repo: "Get",
			Query: []string{QueryRevision, QueryFields}},
		{Action: ActionRevisions, Method: "GET", Route: "/:id/revisions", OperationID: "list" + g + "Revisions", Handler: "revisions",
			Summary: "List the revisions of " + an + ": its status changes", Doc: "lists the revisions of a job (one per status change), newest first",
			GraphQL: GraphQLField{Root: GraphQLResource, Name: "revisions"}, Repo: "Revisions",
			Query: []string{QueryChain, QueryLimit, QueryCursor}},
		{Action: ActionRevision, Method: "GET", Route: "/:id/revisions/:rev", OperationID: "get" + g + "Revision", Handler: "revision",
			Summary: "Read one revision of " + an, Doc: "reads one revision's data and info",
			Repo: "Revision"},
		{Action: ActionDiff, Method: "GET", Route: "/:id/revisions/:rev/diff", OperationID: "diff" + g + "Revision", Handler: "diff",
			Summary: "Diff two revisions of " + an, Doc: "returns the JSON Patch between two revisions",
			GraphQL: GraphQLField{Root: GraphQLResource, Name: "diff"}, Repo: "Diff",
			Query: []string{QueryAgainst}},
		{Action: ActionCancel, Method: "POST", Route: "/:id/cancel", OperationID: "cancel" + g, Handler: "cancel",
			Summary: "Cancel " + an, Doc: "cancels a pending job, or stops a running one",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "cancel" + g}, Repo: "Cancel"},
		{Action: ActionRerun, Method: "POST", Route: "/:id/rerun", OperationID: "rerun" + g, Handler: "rerun",
			Summary: "Run " + an + " again", Doc: "makes a finished job run again, or a pending one run now",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "rerun" + g}, Repo: "Rerun"},
		{Action: ActionLogs, Method: "GET", Route: "/:id/logs", OperationID: "get" + g + "Logs", Handler: "logs",
			Summary: "Read the logs of " + an, Doc: "returns what a job's handler logged, by attempt",
			Repo: "Logs"},
		{Action: ActionSubscribe, OperationID: "",
			GraphQL: GraphQLField{Root: GraphQLSubscription, Name: one + "Changed"}},
	}
	for _, op := range ops {
		op.Permission = permissionOf(op.Action)
		op.Rule = r.Rule(op.Permission)
		if op.Method == "" {
			continue
		}
		op.Route = "/" + r.Path + op.Route
		op.OpenAPIPath = openAPIPath(op.Route)
	}
	return ops
}
