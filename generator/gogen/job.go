package gogen

import (
	"fmt"
	"go/format"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// Import paths of the job packages generated code uses.
const (
	pkgJobs   = "github.com/specstar-go/specstar/runtime/jobs"
	pkgJobres = "github.com/specstar-go/specstar/runtime/jobres"
)

// JobsScaffoldFile is the user's file of job handlers in the output
// package, written once when absent and the spec has jobs.
const JobsScaffoldFile = "jobs.go"

// Names of the per-job helpers of the generated code, for NotifySubscribers:
// notifySubscribersJobDef (the jobres.Def), enqueueNotifySubscribers (the
// enqueue every door shares), notifySubscribersJobInput and its required
// paths (the body of a REST enqueue).
func jobDefVar(r *model.Resource) string   { return r.VarName + "Def" }
func enqueueFunc(r *model.Resource) string { return "enqueue" + r.Job.Name }
func jobInput(r *model.Resource) string    { return r.VarName + "Input" }

// jobFile emits what a job type has besides its resource: its jobres.Def,
// the type its handler gets (NotifySubscribersRun), the option that sets
// the handler (WithNotifySubscribersHandler), the encoding of its payload
// and the enqueue that REST, GraphQL and the repositories share.
func jobFile(m *model.Model, r *model.Resource, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	j := r.Job
	def := jobDefVar(r)
	hasPayload := j.Payload != nil

	// The definition.
	typ := jen.Dict{jen.Id("Name"): jen.Lit(j.Name), jen.Id("MaxAttempts"): jen.Lit(j.MaxAttempts), jen.Id("Timeout"): durationCode(j.Timeout)}
	if j.Schedule != "" {
		typ[jen.Id("Schedule")] = jen.Lit(j.Schedule)
		if hasPayload {
			typ[jen.Id("SchedulePayload")] = jen.Id(r.VarName + "SchedulePayload").Call()
		}
	}
	if j.Concurrency > 0 {
		typ[jen.Id("Concurrency")] = jen.Lit(j.Concurrency)
	}
	if j.UniqueFor > 0 {
		typ[jen.Id("UniqueFor")] = durationCode(j.UniqueFor)
	}
	d := jen.Dict{
		jen.Id("Type"): jen.Qual(pkgJobs, "Type").Values(typ),
		jen.Id("Kind"): jen.Id(r.VarName + "Kind"),
	}
	if hasPayload {
		var refs []jen.Code
		for _, fd := range j.Payload.Fields {
			if fd.Type == model.Ref && fd.Target != nil {
				refs = append(refs, jen.Values(jen.Dict{jen.Id("Field"): jen.Lit(fd.Name), jen.Id("Kind"): jen.Lit(fd.Target.Name)}))
			}
		}
		if len(refs) > 0 {
			d[jen.Id("Refs")] = jen.Index().Qual(pkgJobres, "Ref").Values(refs...)
		}
	}
	f.Comment(fmt.Sprintf("%s is the %s job type: its queue settings (spec: max_attempts, timeout,", def, j.Name))
	f.Comment("schedule, concurrency, unique_for) and its resource.")
	f.Var().Id(def).Op("=").Op("&").Qual(pkgJobres, "Def").Values(d)
	f.Line()
	if j.Schedule != "" && hasPayload {
		f.Comment(fmt.Sprintf("%sSchedulePayload returns the payload of the scheduled %s jobs: the defaults of", r.VarName, j.Name))
		f.Comment("its fields.")
		f.Func().Id(r.VarName+"SchedulePayload").Params().Qual(pkgJSON, "RawMessage").Block(
			jen.Var().Id("p").Id(j.PayloadGoType),
			jen.List(jen.Id("data"), jen.Err()).Op(":=").Id("p").Dot("encode").Call(),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Lit("the defaults of "+j.PayloadGoType+" are not valid: ").Op("+").Err().Dot("Error").Call())),
			jen.Return(jen.Id("data")),
		)
		f.Line()
	}

	// The payload's encoding.
	if hasPayload {
		f.Comment("encode prepares and validates the payload and returns its canonical JSON; errors name")
		f.Comment("the fields as payload.<field>.")
		f.Func().Params(jen.Id("p").Op("*").Id(j.PayloadGoType)).Id("encode").Params().Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
			jen.Id("p").Dot("prepare").Call(),
			jen.Var().Id("errs").Qual(pkgResource, "ValidationErrors"),
			jen.Id("p").Dot("validate").Call(jen.Lit("payload"), jen.Op("&").Id("errs")),
			jen.If(jen.Err().Op(":=").Id("errs").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Qual(pkgJSON, "Marshal").Call(jen.Id("p"))),
		)
		f.Line()
	}

	// The enqueue every door shares.
	params := []jen.Code{jen.Id("ctx").Qual("context", "Context"), jen.Id("svc").Op("*").Qual(pkgResource, "Service")}
	if hasPayload {
		params = append(params, jen.Id("p").Op("*").Id(j.PayloadGoType))
	}
	params = append(params, jen.Id("o").Qual(pkgJobres, "EnqueueOptions"))
	f.Comment(fmt.Sprintf("%s validates a %s payload and enqueues the job with its resource, in the", enqueueFunc(r), j.Name))
	f.Comment("transaction ctx carries, if any; duplicate reports the job of the same payload that")
	f.Comment("unique_for returned instead.")
	f.Func().Id(enqueueFunc(r)).Params(params...).Params(jen.Op("*").Qual(pkgResource, "Envelope"), jen.Bool(), jen.Error()).BlockFunc(func(g *jen.Group) {
		g.List(jen.Id("q"), jen.Err()).Op(":=").Qual(pkgJobres, "Of").Call(jen.Id("svc"))
		g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.False(), jen.Err()))
		payload := jen.Nil()
		if hasPayload {
			g.If(jen.Id("p").Op("==").Nil()).Block(jen.Id("p").Op("=").Op("&").Id(j.PayloadGoType).Values())
			g.List(jen.Id("data"), jen.Err()).Op(":=").Id("p").Dot("encode").Call()
			g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.False(), jen.Err()))
			payload = jen.Id("data")
		}
		g.Return(jen.Id("q").Dot("Enqueue").Call(jen.Id("ctx"), jen.Id(def), payload, jen.Id("o")))
	})
	f.Line()

	// The body of a REST enqueue.
	in := jobInput(r)
	f.Comment(fmt.Sprintf("%s is the body of POST /api/%s: the payload and, optionally, when the", in, r.Path))
	f.Comment("job is due.")
	f.Type().Id(in).StructFunc(func(g *jen.Group) {
		if hasPayload {
			g.Id("Payload").Id(j.PayloadGoType).Tag(map[string]string{"json": "payload"})
		}
		g.Id("RunAt").Op("*").Qual("time", "Time").Tag(map[string]string{"json": "run_at"})
	})
	f.Line()
	f.Comment(in + "Required lists the JSON paths that the body must hold, non-null.")
	f.Var().Id(in + "Required").Op("=").Index().String().ValuesFunc(func(g *jen.Group) {
		if hasPayload {
			g.Lit("payload")
			for _, p := range requiredPaths(j.Payload.Fields, "payload.") {
				g.Lit(p)
			}
		}
	})
	f.Line()

	// What the handler gets, and the option that sets it.
	run := j.RunGoType
	f.Comment(fmt.Sprintf("%s is one attempt of a %s job, as its handler sees it.", run, j.Name))
	f.Type().Id(run).StructFunc(func(g *jen.Group) {
		g.Comment("ID is the job's id: its resource's id.")
		g.Id("ID").String()
		if hasPayload {
			g.Comment("Payload is what the job was enqueued with.")
			g.Id("Payload").Id(j.PayloadGoType)
		}
		g.Comment("Attempt is the number of this attempt, from 1, of at most MaxAttempts.")
		g.List(jen.Id("Attempt"), jen.Id("MaxAttempts")).Int()
		if j.Schedule != "" {
			g.Comment("Tick is the time of the schedule's tick that enqueued the job (zero for a job")
			g.Comment("enqueued otherwise).")
			g.Id("Tick").Qual("time", "Time")
		}
		g.Comment("Logger writes the job's logs: its lines are stored with the job (GET .../logs) when the")
		g.Comment("attempt ends, and copied to the server's log.")
		g.Id("Logger").Op("*").Qual("log/slog", "Logger")
		g.Comment("Client reads and writes every resource, as the system (no permission rule applies).")
		g.Id("Client").Op("*").Id("Client")
	})
	f.Line()
	f.Comment(fmt.Sprintf("%s sets the handler of %s jobs. fn works one attempt: ctx is cancelled", j.HandlerOption, j.Name))
	f.Comment(fmt.Sprintf("when the attempt's timeout (%s) passes, when the job is cancelled and when the server", durationText(j.Timeout)))
	f.Comment("stops and its drain deadline passes. Its result is stored with the job as JSON (a nil")
	f.Comment("pointer, slice or map: no result). Its error fails the attempt, which is retried with")
	f.Comment(fmt.Sprintf("backoff while attempts are left (%d in all); return jobs.RetryAfter(d, err) to retry", j.MaxAttempts))
	f.Comment("after d, jobs.Fail(err) to fail without retry, jobs.Cancel(err) to end the job")
	f.Comment("cancelled. A job may run more than once (at least once delivery): make fn idempotent.")
	f.Func().Id(j.HandlerOption).Types(jen.Id("R").Any()).Params(
		jen.Id("fn").Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("run").Op("*").Id(run)).Params(jen.Id("R"), jen.Error()),
	).Id("Option").Block(
		jen.Return(jen.Func().Params(jen.Id("o").Op("*").Id("appOptions")).Block(
			jen.If(jen.Id("o").Dot("jobs").Op("==").Nil()).Block(
				jen.Id("o").Dot("jobs").Op("=").Make(jen.Map(jen.String()).Func().Params(jen.Op("*").Qual(pkgResource, "Service")).Qual(pkgJobs, "Handler")),
			),
			jen.Id("o").Dot("jobs").Index(jen.Lit(j.Name)).Op("=").Func().Params(jen.Id("svc").Op("*").Qual(pkgResource, "Service")).Qual(pkgJobs, "Handler").Block(
				jen.Id("client").Op(":=").Id("NewClient").Call(jen.Id("svc")),
				jen.Return(jen.Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("r").Op("*").Qual(pkgJobs, "Run")).Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).BlockFunc(func(g *jen.Group) {
					vals := jen.Dict{
						jen.Id("ID"):          jen.Qual(pkgJobres, "ID").Call(jen.Id("r").Dot("ID")),
						jen.Id("Attempt"):     jen.Id("r").Dot("Attempt"),
						jen.Id("MaxAttempts"): jen.Id("r").Dot("MaxAttempts"),
						jen.Id("Logger"):      jen.Id("r").Dot("Logger"),
						jen.Id("Client"):      jen.Id("client"),
					}
					if j.Schedule != "" {
						vals[jen.Id("Tick")] = jen.Id("r").Dot("Tick")
					}
					g.Id("run").Op(":=").Op("&").Id(run).Values(vals)
					if hasPayload {
						g.If(jen.Err().Op(":=").Qual(pkgJSON, "Unmarshal").Call(jen.Id("r").Dot("Payload"), jen.Op("&").Id("run").Dot("Payload")), jen.Err().Op("!=").Nil()).Block(
							jen.Return(jen.Nil(), jen.Qual(pkgJobs, "Fail").Call(jen.Qual("fmt", "Errorf").Call(jen.Lit("decode the payload: %w"), jen.Err()))),
						)
					}
					g.List(jen.Id("res"), jen.Err()).Op(":=").Id("fn").Call(jen.Qual(pkgResource, "AsSystem").Call(jen.Id("ctx")), jen.Id("run"))
					g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err()))
					g.Return(jen.Qual(pkgJobres, "Result").Call(jen.Id("res")))
				})),
			),
		)),
	)
	return f
}

// durationText writes a duration as a spec does: 10m, 1h30m, 45s.
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// addJobsApp emits what makes app a server.JobsApp, for a spec with jobs:
//
//	func (app) JobDefs() []*jobres.Def
//	func (a app) JobHandlers(svc *resource.Service) (map[string]jobs.Handler, error)
func addJobsApp(f *jen.File, m *model.Model) {
	jobs := m.Jobs()
	if len(jobs) == 0 {
		return
	}
	f.Comment("The spec has jobs: the server opens the job queue in the store's database and works")
	f.Comment("them (docs/jobs.md).")
	f.Var().Id("_").Qual(pkgServer, "JobsApp").Op("=").Id("app").Values()
	f.Line()
	f.Comment("JobDefs returns the job types of the spec.")
	f.Func().Params(jen.Id("app")).Id("JobDefs").Params().Index().Op("*").Qual(pkgJobres, "Def").Block(
		jen.Return(jen.Index().Op("*").Qual(pkgJobres, "Def").ValuesFunc(func(g *jen.Group) {
			for _, r := range jobs {
				g.Id(jobDefVar(r))
			}
		})),
	)
	f.Line()
	f.Comment("JobHandlers returns the handler of every job type, bound to svc; it fails, naming them,")
	f.Comment("when job types have none (set them in jobHandlers, in jobs.go).")
	f.Func().Params(jen.Id("a").Id("app")).Id("JobHandlers").Params(jen.Id("svc").Op("*").Qual(pkgResource, "Service")).Params(
		jen.Map(jen.String()).Qual(pkgJobs, "Handler"), jen.Error(),
	).BlockFunc(func(g *jen.Group) {
		g.Id("out").Op(":=").Make(jen.Map(jen.String()).Qual(pkgJobs, "Handler"))
		g.Var().Id("missing").Index().String()
		g.For(jen.List(jen.Id("_"), jen.Id("name")).Op(":=").Range().Index().String().ValuesFunc(func(g *jen.Group) {
			for _, r := range jobs {
				g.Lit(r.Job.Name)
			}
		})).Block(
			jen.List(jen.Id("h"), jen.Id("ok")).Op(":=").Id("a").Dot("opts").Dot("jobs").Index(jen.Id("name")),
			jen.If(jen.Op("!").Id("ok")).Block(
				jen.Id("missing").Op("=").Append(jen.Id("missing"), jen.Lit("With").Op("+").Id("name").Op("+").Lit("Handler")),
				jen.Continue(),
			),
			jen.Id("out").Index(jen.Id("name")).Op("=").Id("h").Call(jen.Id("svc")),
		)
		g.If(jen.Len(jen.Id("missing")).Op(">").Lit(0)).Block(
			jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(
				jen.Lit("job types without a handler: set them with %s in the options jobHandlers returns (jobs.go)"),
				jen.Qual("strings", "Join").Call(jen.Id("missing"), jen.Lit(", ")))),
		)
		g.Return(jen.Id("out"), jen.Nil())
	})
	f.Line()
}

// JobsScaffold returns the user's jobs.go for a spec with jobs: the
// options that set every job's handler, and a handler of each that fails
// until it is written.
func JobsScaffold(m *model.Model) ([]byte, error) {
	var opts, funcs strings.Builder
	for _, r := range m.Jobs() {
		j := r.Job
		fn := strings.ToLower(j.Name[:1]) + j.Name[1:]
		fmt.Fprintf(&opts, "\t\t%s(%s),\n", j.HandlerOption, fn)
		fmt.Fprintf(&funcs, `
// %[1]s works %[2]s jobs (run.Payload holds what the job was enqueued with). Return
// a result, any value that encodes to JSON (nil for none), or an error: the attempt is
// retried while attempts are left; jobs.RetryAfter, jobs.Fail and jobs.Cancel say otherwise.
func %[1]s(ctx context.Context, run *%[3]s) (any, error) {
	run.Logger.Info("%[2]s job started", "attempt", run.Attempt)
	return nil, jobs.Fail(errors.New("%[2]s jobs have no handler yet: write %[1]s in jobs.go"))
}
`, fn, j.Name, j.RunGoType)
	}
	return format.Source(fmt.Appendf(nil, `package %s

// This file is yours: specstar gen wrote it once, because the spec has jobs and
// it was missing, and never changes it. Write the handlers of the jobs here, or
// in any other file of this package. docs/jobs.md explains them.

import (
	"context"
	"errors"

	"github.com/specstar-go/specstar/runtime/jobs"
)

// jobHandlers returns the options that set the handler of each job type; App
// applies them after setup's. A job type without a handler stops the server at
// startup, naming it: add its option here when the spec gains a job.
func jobHandlers() []Option {
	return []Option{
%s	}
}
%s`, m.Package, opts.String(), funcs.String()))
}
