package jobs

import (
	"context"
	"fmt"
	"slices"

	"github.com/riverqueue/river/rivertype"
)

// TypeStats are the counts of the jobs of one type in the queue.
type TypeStats struct {
	Type string
	// Pending counts the jobs waiting to run, due or not; Due those due
	// now (the backlog).
	Pending, Due int64
	// Running counts the jobs being worked, on any instance.
	Running int64
	// Failed counts the failed jobs still kept (Config.FailedRetention).
	Failed int64
	// Stale counts the running jobs this instance found with an expired
	// lease at its last lease pass (see Leases): their instance died or
	// they overran their timeout. They are taken back as they are found,
	// so a steady non-zero value means instances keep dying.
	Stale int64
}

// Stats returns the counts of the jobs of each registered type (and of
// types found in the queue but no longer registered), sorted by type.
// It reads the whole queue's index: call it at scrape time, not per
// request.
func (e *Engine) Stats(ctx context.Context) ([]TypeStats, error) {
	counts, err := e.q.counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	by := make(map[string]*TypeStats)
	get := func(kind string) *TypeStats {
		s := by[kind]
		if s == nil {
			s = &TypeStats{Type: kind}
			by[kind] = s
		}
		return s
	}
	for _, name := range e.names {
		get(name)
	}
	for _, c := range counts {
		s := get(c.kind)
		switch c.state {
		case rivertype.JobStateAvailable:
			s.Pending += c.n
			s.Due += c.n
		case rivertype.JobStateScheduled, rivertype.JobStateRetryable:
			s.Pending += c.n
		case rivertype.JobStateRunning:
			s.Running += c.n
		case rivertype.JobStateDiscarded:
			s.Failed += c.n
		}
	}
	if stale := e.stale.Load(); stale != nil {
		for kind, n := range *stale {
			get(kind).Stale = n
		}
	}
	out := make([]TypeStats, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b TypeStats) int {
		switch {
		case a.Type < b.Type:
			return -1
		case a.Type > b.Type:
			return 1
		}
		return 0
	})
	return out, nil
}
