package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// args is the River job args of every type: the kind, and the payload as
// its JSON. River knows a kind by an args value (AddWorkerArgs) and
// encodes args with encoding/json, which the raw payload passes through.
type args struct {
	kind    string
	payload json.RawMessage
	// retryAt is the retry time a handler asked for (RetryAfter), read by
	// worker.NextRetry. River makes one args value per attempt.
	retryAt time.Time
}

// Kind returns the job type's name.
func (a args) Kind() string { return a.kind }

// MarshalJSON returns the payload.
func (a args) MarshalJSON() ([]byte, error) { return a.payload, nil }

// UnmarshalJSON keeps a copy of the payload.
func (a *args) UnmarshalJSON(b []byte) error {
	a.payload = bytes.Clone(b)
	return nil
}

// worker is the River worker of one job type: it calls the type's
// handler and maps its outcome to River's.
type worker struct {
	river.WorkerDefaults[args]
	e *Engine
	t *jobType
}

// Timeout returns the type's timeout: River cancels the attempt's context
// when it passes.
func (w *worker) Timeout(*river.Job[args]) time.Duration { return w.t.Timeout }

// NextRetry returns the retry time the handler asked for, or zero for the
// engine's backoff.
func (w *worker) NextRetry(job *river.Job[args]) time.Time { return job.Args.retryAt }

// Work runs one attempt.
func (w *worker) Work(ctx context.Context, job *river.Job[args]) error {
	row := job.JobRow
	started := w.e.now()
	w.e.attemptStarted(row, started)
	run := &Run{
		ID:          row.ID,
		Type:        row.Kind,
		Payload:     job.Args.payload,
		Attempt:     row.Attempt,
		MaxAttempts: row.MaxAttempts,
		Tick:        tickOf(row.Metadata),
		Logger:      w.e.jobLogger(ctx, row.ID, row.Kind, row.Attempt),
	}
	result, err := w.t.Handler(ctx, run)
	if err == nil && result != nil {
		if !json.Valid(result) {
			err = Fail(errors.New("the handler's result is not JSON"))
		} else if rerr := river.RecordOutput(ctx, result); rerr != nil {
			err = Fail(rerr)
		}
	}
	return w.outcome(job, err)
}

// outcome maps a handler's error to what River does with the job.
func (w *worker) outcome(job *river.Job[args], err error) error {
	var retry *RetryError
	var fail *FailError
	var cancel *CancelError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &cancel):
		return river.JobCancel(err)
	case errors.As(err, &fail):
		// River discards a failed job whose attempt is its last, judging
		// by the row it worked: make this attempt the last. (The row in
		// the database keeps its max_attempts.)
		job.JobRow.MaxAttempts = job.JobRow.Attempt
		return err
	case errors.As(err, &retry):
		job.Args.retryAt = w.e.now().Add(retry.Delay)
		return err
	}
	return err
}

// logWriterKey is the context key of the writer riverlog gives an
// attempt: what is written to it is stored with the job.
type logWriterKey struct{}

// withLogWriter is riverlog's hook: it keeps the attempt's log writer in
// the context for jobLogger.
func withLogWriter(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, logWriterKey{}, w)
}

// jobLogger returns the logger of an attempt: lines go, as text, to the
// job's stored logs, and to the engine's logger with the job's id, type
// and attempt.
func (e *Engine) jobLogger(ctx context.Context, id int64, kind string, attempt int) *slog.Logger {
	attrs := []slog.Attr{slog.Int64("job_id", id), slog.String("job_type", kind), slog.Int("attempt", attempt)}
	engine := e.log.Handler().WithAttrs(attrs)
	w, ok := ctx.Value(logWriterKey{}).(io.Writer)
	if !ok {
		return slog.New(engine)
	}
	text := slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(tee{text, engine})
}

// tee is a slog.Handler that writes to two.
type tee [2]slog.Handler

func (t tee) Enabled(ctx context.Context, l slog.Level) bool {
	return t[0].Enabled(ctx, l) || t[1].Enabled(ctx, l)
}

func (t tee) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (t tee) WithAttrs(as []slog.Attr) slog.Handler {
	return tee{t[0].WithAttrs(as), t[1].WithAttrs(as)}
}

func (t tee) WithGroup(name string) slog.Handler {
	return tee{t[0].WithGroup(name), t[1].WithGroup(name)}
}
