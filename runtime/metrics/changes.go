package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/specstar-go/specstar/runtime/resource"
)

// changeOps are the change operations, in the order of kindSeries.changes.
var changeOps = [...]resource.ChangeOp{
	resource.ChangeCreated, resource.ChangeUpdated, resource.ChangeDeleted,
	resource.ChangeRestored, resource.ChangeSwitched, resource.ChangePurged,
}

// changeMetrics count the committed changes the Service reports.
type changeMetrics struct {
	changes   *prometheus.CounterVec
	revisions *prometheus.CounterVec
}

// kindSeries are the change metrics of one kind.
type kindSeries struct {
	revisions prometheus.Counter
	changes   [len(changeOps)]prometheus.Counter
}

// newChangeMetrics defines the change metrics.
func newChangeMetrics() *changeMetrics {
	return &changeMetrics{
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Subsystem: "resource",
			Name:      "changes_total",
			Help:      "Committed changes of resources, by kind and op (created, updated, deleted, restored, switched, purged); cascades and set_null updates count as changes of their own.",
		}, []string{"kind", "op"}),
		revisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Subsystem: "resource",
			Name:      "revisions_written_total",
			Help:      "Revisions written by committed changes, by kind: one per create and per update that wrote a new revision (not for drafts edited in place).",
		}, []string{"kind"}),
	}
}

// register adds the change metrics to reg.
func (c *changeMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(c.changes, c.revisions)
}

// series returns the series of a kind.
func (c *changeMetrics) series(kind string) *kindSeries {
	ks := &kindSeries{revisions: c.revisions.WithLabelValues(kind)}
	for i, op := range changeOps {
		ks.changes[i] = c.changes.WithLabelValues(kind, string(op))
	}
	return ks
}

// Observer returns the resource.Observer that counts the committed
// changes of the service (give it to resource.WithObserver):
// specstar_resource_changes_total by kind and op, and
// specstar_resource_revisions_written_total by kind. The series of the
// kinds of s exist, at 0, from the start, so that rate() and alerts see
// them before the first write. Nil metrics return nil.
func (m *Metrics) Observer(s *resource.Schema) resource.Observer {
	if m == nil {
		return nil
	}
	c := m.changes
	byKind := make(map[*resource.Kind]*kindSeries, len(s.Kinds))
	for _, k := range s.Kinds {
		byKind[k] = c.series(k.Name)
	}
	return func(_ context.Context, ch resource.Change) {
		ks := byKind[ch.Kind]
		if ks == nil {
			// A kind outside the schema: not reached through the
			// Service, but counted rather than dropped.
			ks = c.series(ch.Kind.Name)
		}
		if i := opIndex(ch.Op); i >= 0 {
			ks.changes[i].Inc()
		} else {
			c.changes.WithLabelValues(ch.Kind.Name, string(ch.Op)).Inc()
		}
		if wroteRevision(ch) {
			ks.revisions.Inc()
		}
	}
}

// opIndex returns the index of op in changeOps, or -1.
func opIndex(op resource.ChangeOp) int {
	for i, o := range changeOps {
		if o == op {
			return i
		}
	}
	return -1
}

// wroteRevision reports whether a change wrote a revision: every create,
// and an update whose current revision was created by the write. An
// update of a draft in place (mode=modify) keeps its revision, whose
// created_time is that of an earlier write, while a new revision's
// created_time is the write's time, which the write also sets as the
// resource's updated_time. (A draft edited in place within the
// microsecond of its creation would be counted; real clocks do not
// commit two transactions in one microsecond.)
func wroteRevision(ch resource.Change) bool {
	switch ch.Op {
	case resource.ChangeCreated:
		return true
	case resource.ChangeUpdated:
		env := ch.Envelope
		return env != nil && env.RevisionInfo.CreatedTime.Equal(env.Meta.UpdatedTime)
	}
	return false
}
