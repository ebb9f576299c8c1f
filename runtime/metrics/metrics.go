// Package metrics instruments a specstar server for Prometheus: HTTP
// requests by route pattern, method and status, requests in flight, the
// latency of storage transactions, transaction retries, connection pool
// statistics, revisions written and resources changed, and GraphQL
// operations. Everything is registered on a private registry (never the
// global default one), served by Handler in the Prometheus text format.
//
// The names, labels and example alert rules are documented in
// docs/deploy.md ("Metrics"). Other subsystems add their own collectors
// to the same registry with Register.
//
// A nil *Metrics is valid: its methods record nothing, Register accepts
// and ignores collectors, Backend returns the backend unwrapped and
// Observer returns nil. A server with metrics turned off hands out a nil
// *Metrics, so code that instruments itself need not ask whether metrics
// are on.
package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace is the prefix of every metric this package defines
// ("specstar_http_requests_total"). Collectors added with Register
// should use it too.
const Namespace = "specstar"

// Histogram buckets, in seconds. Requests and GraphQL operations range
// from a point read in memory (tens of microseconds) to the write timeout
// (30s by default); transactions start lower, since a point read or a
// small View on SQLite takes well under a millisecond.
var (
	requestBuckets     = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	transactionBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}
)

// Metrics holds the metrics of one server on its own registry. New
// creates one; it is safe for concurrent use.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler
	http    *httpMetrics
	store   *storeMetrics
	changes *changeMetrics
	graphql *graphQLMetrics
}

// New returns metrics on a fresh registry that also holds the Go runtime
// and process collectors (go_*, process_*). Errors of a scrape are logged
// to logger at warn level when it is not nil.
func New(logger *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:     reg,
		http:    newHTTPMetrics(),
		store:   newStoreMetrics(),
		changes: newChangeMetrics(),
		graphql: newGraphQLMetrics(),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.http.register(reg)
	m.store.register(reg)
	m.changes.register(reg)
	m.graphql.register(reg)
	opts := promhttp.HandlerOpts{
		// Serve what could be gathered rather than nothing when one
		// collector fails.
		ErrorHandling: promhttp.ContinueOnError,
		// Bound the scrapes served at once: a collector such as the
		// process one reads /proc, and a scrape storm should not pile
		// them up.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}
	if logger != nil {
		opts.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	m.handler = promhttp.HandlerFor(reg, opts)
	return m
}

// Registry returns the private registry of the metrics (nil for nil
// metrics), for code that needs the registry itself, such as a test
// gathering the metrics without HTTP. To add collectors, use Register.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Register adds collectors to the registry, so that /metrics serves them:
// the hook for subsystems outside this package (jobs, uploads). It fails
// when a collector's metrics clash with ones already registered. With nil
// metrics (metrics turned off) it does nothing and returns nil.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	if m == nil {
		return nil
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Handler returns the HTTP handler that serves the metrics in the
// Prometheus exposition formats (text, or what the scraper negotiates).
// For nil metrics it answers 404.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return m.handler
}
