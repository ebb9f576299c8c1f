package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Handler works one attempt of a job. ctx is cancelled when the attempt's
// timeout passes, when the job is cancelled, and when the engine stops and
// its drain deadline passes; a handler should return soon after.
//
// It returns the job's result (nil for none; any other value must be
// JSON), or an error:
//
//   - RetryAfter(d, err): the attempt failed; retry after d instead of the
//     backoff (if attempts are left);
//   - Fail(err): the job failed; do not retry;
//   - Cancel(err): the job is cancelled;
//   - any other error: the attempt failed; retry with exponential backoff
//     while attempts are left, then the job fails.
//
// A panic is an attempt that failed with the panic's value.
type Handler func(ctx context.Context, run *Run) (json.RawMessage, error)

// Run is one attempt of a job, as its handler sees it.
type Run struct {
	// ID is the job's id.
	ID int64
	// Type is the job's type name.
	Type string
	// Payload is the job's payload.
	Payload json.RawMessage
	// Attempt is the number of this attempt, from 1.
	Attempt     int
	MaxAttempts int
	// Tick is the time of the schedule tick that enqueued the job (zero
	// for a job enqueued otherwise).
	Tick time.Time
	// Logger writes the job's logs: its lines are stored with the job
	// (Job.Logs) when the attempt ends, and copied to the engine's logger.
	Logger *slog.Logger
}

// Typed adapts a function of a typed payload and result to a Handler: the
// payload is decoded into P (a payload that does not decode fails the job
// without retry), and the result encoded as JSON, unless it encodes to
// null (a nil pointer, slice or map): then the job has no result.
func Typed[P, R any](fn func(ctx context.Context, run *Run, payload P) (R, error)) Handler {
	return func(ctx context.Context, run *Run) (json.RawMessage, error) {
		var p P
		if err := json.Unmarshal(run.Payload, &p); err != nil {
			return nil, Fail(fmt.Errorf("payload: %w", err))
		}
		r, err := fn(ctx, run, p)
		if err != nil {
			return nil, err
		}
		out, err := json.Marshal(r)
		if err != nil {
			return nil, Fail(fmt.Errorf("result: %w", err))
		}
		if string(out) == "null" {
			return nil, nil
		}
		return out, nil
	}
}

// RetryError is the error of RetryAfter.
type RetryError struct {
	Delay time.Duration
	Err   error
}

// Error returns the message of the error.
func (e *RetryError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.Delay, e.Err)
}

// Unwrap returns the handler's error.
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns an error that fails the attempt and asks for the next
// one after d rather than after the backoff. The attempt counts: when it
// was the last one, the job fails.
func RetryAfter(d time.Duration, err error) error {
	if err == nil {
		err = errors.New("retry requested")
	}
	return &RetryError{Delay: max(d, 0), Err: err}
}

// FailError is the error of Fail.
type FailError struct{ Err error }

// Error returns the message of the error.
func (e *FailError) Error() string { return "failed without retry: " + e.Err.Error() }

// Unwrap returns the handler's error.
func (e *FailError) Unwrap() error { return e.Err }

// Fail returns an error that fails the job now, whatever attempts are
// left: for errors that another attempt cannot fix (a payload that names
// nothing, a refused request).
func Fail(err error) error {
	if err == nil {
		err = errors.New("failed")
	}
	return &FailError{Err: err}
}

// CancelError is the error of Cancel.
type CancelError struct{ Err error }

// Error returns the message of the error.
func (e *CancelError) Error() string { return "cancelled: " + e.Err.Error() }

// Unwrap returns the handler's error.
func (e *CancelError) Unwrap() error { return e.Err }

// Cancel returns an error that ends the job as cancelled: the work is no
// longer wanted.
func Cancel(err error) error {
	if err == nil {
		err = errors.New("cancelled by its handler")
	}
	return &CancelError{Err: err}
}
