package jobs

import (
	"encoding/json"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// Status is where a job stands. A job is pending until a worker starts it,
// running while a handler works it, and then completed, failed (its last
// attempt failed, or the handler failed it without retry) or cancelled.
// A failed attempt with attempts left makes it pending again, due after
// its backoff.
type Status string

// The statuses of a job.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled}

// Final reports whether no worker will start the job again (unless it is
// rerun).
func (s Status) Final() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Job is the state of one job, as stored in the queue.
type Job struct {
	// ID is the job's id, unique in its database; ids grow with time.
	ID int64 `json:"id"`
	// Type is the name of the job's type.
	Type string `json:"type"`
	// Payload is the job's JSON payload.
	Payload json.RawMessage `json:"payload"`
	Status  Status          `json:"status"`
	// Attempts counts the attempts started so far; a retry after an
	// interruption by a shutdown does not count.
	Attempts    int `json:"attempts"`
	MaxAttempts int `json:"max_attempts"`
	// RunAt is when the job is due: the run_at of its enqueue, the tick of
	// a scheduled job, or after a failed attempt the time of its retry.
	RunAt time.Time `json:"run_at"`
	// CreatedAt is when the job was enqueued.
	CreatedAt time.Time `json:"created_at"`
	// StartedAt is when its last attempt started (zero before the first).
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when it reached a final status (zero before).
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// LastError is the error of the last failed attempt, if any.
	LastError string `json:"last_error,omitempty"`
	// Errors are the errors of every failed attempt, oldest first.
	Errors []AttemptError `json:"errors,omitempty"`
	// Result is the JSON result the handler returned (nil if none).
	Result json.RawMessage `json:"result,omitempty"`
	// Logs are the lines the handler logged, one entry per attempt that
	// logged anything.
	Logs []Log `json:"logs,omitempty"`
	// CancelRequested is set on a running job whose cancellation was
	// asked for: its handler's context is being cancelled.
	CancelRequested bool `json:"cancel_requested,omitempty"`
	// WorkedBy names the engine instance that ran the last attempt.
	WorkedBy string `json:"worked_by,omitempty"`
	// Tick is the schedule tick that enqueued the job (zero for a job
	// enqueued otherwise).
	Tick time.Time `json:"tick,omitzero"`
}

// AttemptError is the error of one failed attempt.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// Log is what a handler logged during one attempt, as text lines
// (log/slog's text format).
type Log struct {
	Attempt int    `json:"attempt"`
	Text    string `json:"text"`
}

// statusOf maps River's job state to a Status. River's scheduled,
// retryable and available all mean waiting to run, and its pending (a job
// held back until the store transaction that enqueued it commits, see
// EnqueueTx) is not visible yet but waits too.
func statusOf(s rivertype.JobState) Status {
	switch s {
	case rivertype.JobStateRunning:
		return StatusRunning
	case rivertype.JobStateCompleted:
		return StatusCompleted
	case rivertype.JobStateDiscarded:
		return StatusFailed
	case rivertype.JobStateCancelled:
		return StatusCancelled
	default:
		return StatusPending
	}
}

// riverStates returns the River states of a status.
func riverStates(s Status) []rivertype.JobState {
	switch s {
	case StatusPending:
		return []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable}
	case StatusRunning:
		return []rivertype.JobState{rivertype.JobStateRunning}
	case StatusCompleted:
		return []rivertype.JobState{rivertype.JobStateCompleted}
	case StatusFailed:
		return []rivertype.JobState{rivertype.JobStateDiscarded}
	case StatusCancelled:
		return []rivertype.JobState{rivertype.JobStateCancelled}
	}
	return nil
}

// jobMetadata is the part of River's metadata column the engine reads.
type jobMetadata struct {
	Output            json.RawMessage `json:"output"`
	Log               []riverLog      `json:"river:log"`
	CancelAttemptedAt *time.Time      `json:"cancel_attempted_at"`
	Tick              *time.Time      `json:"specstar:tick"`
}

// riverLog is an entry of riverlog's logs.
type riverLog struct {
	Attempt int    `json:"attempt"`
	Log     string `json:"log"`
}

// tickKey is the metadata key of a scheduled job's tick.
const tickKey = "specstar:tick"

// tickMetadata returns the metadata of the job of a tick.
func tickMetadata(tick time.Time) []byte {
	b, _ := json.Marshal(map[string]time.Time{tickKey: tick.UTC()})
	return b
}

// tickOf returns the tick in a job's metadata, or zero.
func tickOf(metadata []byte) time.Time {
	var md struct {
		Tick time.Time `json:"specstar:tick"`
	}
	if len(metadata) > 0 {
		_ = json.Unmarshal(metadata, &md)
	}
	return md.Tick
}

// jobOf converts a River job row. The row's metadata holds the result
// (river.RecordOutput) and the logs (riverlog); a row whose metadata does
// not parse is still returned, without them.
func jobOf(r *rivertype.JobRow) *Job {
	j := &Job{
		ID:          r.ID,
		Type:        r.Kind,
		Payload:     json.RawMessage(r.EncodedArgs),
		Status:      statusOf(r.State),
		Attempts:    r.Attempt,
		MaxAttempts: r.MaxAttempts,
		RunAt:       r.ScheduledAt.UTC(),
		CreatedAt:   r.CreatedAt.UTC(),
	}
	if r.AttemptedAt != nil {
		j.StartedAt = r.AttemptedAt.UTC()
	}
	if r.FinalizedAt != nil {
		j.FinishedAt = r.FinalizedAt.UTC()
	}
	if n := len(r.AttemptedBy); n > 0 {
		j.WorkedBy = r.AttemptedBy[n-1]
	}
	for _, e := range r.Errors {
		j.Errors = append(j.Errors, AttemptError{Attempt: e.Attempt, At: e.At.UTC(), Error: e.Error})
	}
	if n := len(j.Errors); n > 0 {
		j.LastError = j.Errors[n-1].Error
	}
	var md jobMetadata
	if len(r.Metadata) > 0 && json.Unmarshal(r.Metadata, &md) == nil {
		if len(md.Output) > 0 && string(md.Output) != "null" {
			j.Result = md.Output
		}
		for _, l := range md.Log {
			j.Logs = append(j.Logs, Log{Attempt: l.Attempt, Text: l.Log})
		}
		j.CancelRequested = md.CancelAttemptedAt != nil && j.Status == StatusRunning
		if md.Tick != nil {
			j.Tick = md.Tick.UTC()
		}
	}
	return j
}
