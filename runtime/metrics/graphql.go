package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the kind label of the GraphQL metrics: the operation types,
// and OtherKind for anything else (a document that did not parse, or
// named no operation the server could run).
const (
	KindQuery        = "query"
	KindMutation     = "mutation"
	KindSubscription = "subscription"
	OtherKind        = "other"
)

// Values of the outcome label of the GraphQL metrics.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// graphQLKinds are the values of the kind label, in the order of the
// series arrays.
var graphQLKinds = [...]string{KindQuery, KindMutation, KindSubscription, OtherKind}

// graphQLMetrics count and time GraphQL operations. Every series exists
// from the start, in fixed arrays: no lookup, no allocation.
type graphQLMetrics struct {
	operations *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	counts     [len(graphQLKinds)][2]prometheus.Counter // by kind, then ok and error
	durations  [len(graphQLKinds)]prometheus.Observer
}

// newGraphQLMetrics defines the GraphQL metrics.
func newGraphQLMetrics() *graphQLMetrics {
	g := &graphQLMetrics{
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Subsystem: "graphql",
			Name:      "operations_total",
			Help:      "GraphQL operations, by kind (query, mutation, subscription, other) and outcome (ok, or error when the response carries errors).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Subsystem: "graphql",
			Name:      "operation_duration_seconds",
			Help:      "Duration of GraphQL operations, by kind; for a subscription, the life of the stream.",
			Buckets:   requestBuckets,
		}, []string{"kind"}),
	}
	for i, kind := range graphQLKinds {
		g.counts[i][0] = g.operations.WithLabelValues(kind, OutcomeOK)
		g.counts[i][1] = g.operations.WithLabelValues(kind, OutcomeError)
		g.durations[i] = g.duration.WithLabelValues(kind)
	}
	return g
}

// register adds the GraphQL metrics to reg.
func (g *graphQLMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(g.operations, g.duration)
}

// ObserveGraphQL records one GraphQL operation: its kind ("query",
// "mutation", "subscription"; anything else counts as OtherKind), its
// duration and whether it failed. Its signature is that of
// gql.Options.Observe, so a server passes the method value
// (m.ObserveGraphQL). The operation name is not a label: clients choose
// it freely. Nil metrics record nothing.
func (m *Metrics) ObserveGraphQL(ctx context.Context, operation, kind string, d time.Duration, failed bool) {
	if m == nil {
		return
	}
	i := len(graphQLKinds) - 1 // OtherKind
	switch kind {
	case KindQuery:
		i = 0
	case KindMutation:
		i = 1
	case KindSubscription:
		i = 2
	}
	outcome := 0
	if failed {
		outcome = 1
	}
	g := m.graphql
	g.counts[i][outcome].Inc()
	g.durations[i].Observe(d.Seconds())
}
