package shop

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
		WithSendReceiptHandler(sendReceipt),
		WithRebuildHandler(rebuild),
		WithCleanupHandler(cleanup),
	}
}

// sendReceipt works SendReceipt jobs (run.Payload holds what the job was enqueued with). Return
// a result, any value that encodes to JSON (nil for none), or an error: the attempt is
// retried while attempts are left; jobs.RetryAfter, jobs.Fail and jobs.Cancel say otherwise.
func sendReceipt(ctx context.Context, run *SendReceiptRun) (any, error) {
	run.Logger.Info("SendReceipt job started", "attempt", run.Attempt)
	return nil, jobs.Fail(errors.New("SendReceipt jobs have no handler yet: write sendReceipt in jobs.go"))
}

// rebuild works Rebuild jobs (run.Payload holds what the job was enqueued with). Return
// a result, any value that encodes to JSON (nil for none), or an error: the attempt is
// retried while attempts are left; jobs.RetryAfter, jobs.Fail and jobs.Cancel say otherwise.
func rebuild(ctx context.Context, run *RebuildRun) (any, error) {
	run.Logger.Info("Rebuild job started", "attempt", run.Attempt)
	return nil, jobs.Fail(errors.New("Rebuild jobs have no handler yet: write rebuild in jobs.go"))
}

// cleanup works Cleanup jobs (run.Payload holds what the job was enqueued with). Return
// a result, any value that encodes to JSON (nil for none), or an error: the attempt is
// retried while attempts are left; jobs.RetryAfter, jobs.Fail and jobs.Cancel say otherwise.
func cleanup(ctx context.Context, run *CleanupRun) (any, error) {
	run.Logger.Info("Cleanup job started", "attempt", run.Attempt)
	return nil, jobs.Fail(errors.New("Cleanup jobs have no handler yet: write cleanup in jobs.go"))
}
