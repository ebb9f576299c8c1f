package jobs

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Defaults of a Type.
const (
	DefaultMaxAttempts = 3
	DefaultTimeout     = 10 * time.Minute
)

// Type is a job type: its name and how its jobs run.
type Type struct {
	// Name identifies the type in the queue: letters, digits and
	// underscores, starting with a letter, at least two characters
	// ("SendNewsletter").
	Name string
	// MaxAttempts bounds the attempts of a job (0: DefaultMaxAttempts).
	MaxAttempts int
	// Timeout bounds one attempt: the handler's context is cancelled when
	// it passes and the attempt fails (0: DefaultTimeout). It is also the
	// job's lease: a job running longer than Timeout plus
	// Config.StuckGrace is taken back and retried even when its instance
	// is alive.
	Timeout time.Duration
	// Schedule, when set, enqueues a job at each tick, once per tick
	// across all instances (see parseSchedule): five cron fields in UTC
	// ("0 9 * * MON"), a descriptor (@hourly, @daily, …) or "@every d".
	Schedule string
	// SchedulePayload is the payload of scheduled jobs (nil: {}).
	SchedulePayload json.RawMessage
	// Concurrency bounds how many jobs of the type one instance works at
	// once (0: the type shares the engine's Config.Workers with the other
	// types without a bound).
	Concurrency int
	// UniqueFor, when set, makes an enqueue whose payload equals that of a
	// job of the type enqueued in the same window return that job instead
	// of a new one (while it is pending, running or completed; a failed or
	// cancelled job does not count). Windows are fixed periods of
	// UniqueFor aligned on the zero time (with 1h: clock hours), not
	// sliding ones: that is how River's unique jobs work.
	UniqueFor time.Duration
	// Handler works the type's jobs. It may be left nil here and given
	// with Engine.Handle; Start fails while a type has none.
	Handler Handler
}

// jobType is a registered Type.
type jobType struct {
	Type
	schedule schedule // nil without a Schedule
	queue    string   // the River queue its jobs go to
}

// nameRE matches type names. River accepts more, but names also become
// queue names, URL segments and Go identifiers in generated code.
var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]+$`)

// defaultQueue is the River queue of types without a Concurrency.
const defaultQueue = "default"

// newJobType validates t and fills in its defaults.
func newJobType(t Type) (*jobType, error) {
	if !nameRE.MatchString(t.Name) {
		return nil, fmt.Errorf("jobs: job type name %q: want letters, digits and underscores, starting with a letter, at least two characters", t.Name)
	}
	jt := &jobType{Type: t, queue: defaultQueue}
	if jt.MaxAttempts == 0 {
		jt.MaxAttempts = DefaultMaxAttempts
	}
	if jt.Timeout == 0 {
		jt.Timeout = DefaultTimeout
	}
	switch {
	case jt.MaxAttempts < 0:
		return nil, fmt.Errorf("jobs: job type %s: max_attempts %d is negative", t.Name, t.MaxAttempts)
	case jt.Timeout < 0:
		return nil, fmt.Errorf("jobs: job type %s: timeout %s is negative", t.Name, t.Timeout)
	case jt.Concurrency < 0:
		return nil, fmt.Errorf("jobs: job type %s: concurrency %d is negative", t.Name, t.Concurrency)
	case jt.UniqueFor < 0:
		return nil, fmt.Errorf("jobs: job type %s: unique_for %s is negative", t.Name, t.UniqueFor)
	case jt.UniqueFor > 0 && jt.UniqueFor < time.Second:
		return nil, fmt.Errorf("jobs: job type %s: unique_for %s is under a second", t.Name, t.UniqueFor)
	}
	if t.Schedule != "" {
		s, err := parseSchedule(t.Schedule)
		if err != nil {
			return nil, fmt.Errorf("jobs: job type %s: %w", t.Name, err)
		}
		jt.schedule = s
	}
	if jt.SchedulePayload == nil {
		jt.SchedulePayload = json.RawMessage(`{}`)
	} else if !json.Valid(jt.SchedulePayload) {
		return nil, fmt.Errorf("jobs: job type %s: the schedule payload is not JSON", t.Name)
	}
	if jt.Concurrency > 0 {
		jt.queue = queueName(t.Name)
	}
	return jt, nil
}

// queueName returns the River queue of a type with its own concurrency:
// River wants lower-case queue names, so "SendNewsletter" runs in
// "t_sendnewsletter" (the prefix keeps it apart from the default queue).
func queueName(name string) string {
	return "t_" + strings.ToLower(name)
}
