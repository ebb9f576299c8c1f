package metrics

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Values of the op label of the transaction metrics.
const (
	OpView      = "view"       // Backend.View: a read-only transaction
	OpUpdate    = "update"     // Backend.Update: a write transaction, retries and queueing included
	OpPointRead = "point_read" // resource.PointReader.GetRecord: one statement, no transaction
)

// storeMetrics are the storage metrics: transaction latency (recorded by
// the Backend decorator) and, read at scrape time, the retries and the
// connection pools of the backend.
type storeMetrics struct {
	duration *prometheus.HistogramVec
	view     prometheus.Observer
	update   prometheus.Observer
	point    prometheus.Observer

	retries *prometheus.Desc
	maxOpen *prometheus.Desc
	open    *prometheus.Desc
	inUse   *prometheus.Desc
	idle    *prometheus.Desc
	waits   *prometheus.Desc
	waited  *prometheus.Desc

	mu         sync.Mutex // guards the sources below against scrapes
	retryCount func() uint64
	pools      []pool
}

// pool is a connection pool whose statistics are read at scrape time.
type pool struct {
	name  string
	stats func() PoolStats
}

// newStoreMetrics defines the storage metrics.
func newStoreMetrics() *storeMetrics {
	s := &storeMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Subsystem: "store",
			Name:      "transaction_duration_seconds",
			Help:      "Duration of storage transactions, by op: view (read-only transaction), update (write transaction, including retries and the wait for the writer) and point_read (single-statement read of a current record).",
			Buckets:   transactionBuckets,
		}, []string{"op"}),
		retries: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "store", "transaction_retries_total"),
			"Write transactions run again after a deadlock or a serialization failure (PostgreSQL; always 0 on other backends).", nil, nil),
	}
	s.view = s.duration.WithLabelValues(OpView)
	s.update = s.duration.WithLabelValues(OpUpdate)
	s.point = s.duration.WithLabelValues(OpPointRead)
	poolDesc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "db_pool", name), help, []string{"pool"}, nil)
	}
	s.maxOpen = poolDesc("max_connections", "Maximum number of connections of the pool (0: unlimited).")
	s.open = poolDesc("open_connections", "Connections of the pool, in use or idle.")
	s.inUse = poolDesc("in_use_connections", "Connections of the pool in use.")
	s.idle = poolDesc("idle_connections", "Idle connections of the pool.")
	s.waits = poolDesc("waits_total", "Acquisitions of a connection that had to wait for one.")
	s.waited = poolDesc("wait_seconds_total", "Time spent waiting for a connection.")
	return s
}

// register adds the storage metrics to reg: the histogram, and the
// storeMetrics itself as the collector of the scrape-time metrics.
func (s *storeMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(s.duration, s)
}

// Describe implements prometheus.Collector.
func (s *storeMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.retries, s.maxOpen, s.open, s.inUse, s.idle, s.waits, s.waited} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it reads the retry count and
// the statistics of every pool now.
func (s *storeMetrics) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	retries, pools := s.retryCount, slices.Clone(s.pools)
	s.mu.Unlock()
	var n uint64
	if retries != nil {
		n = retries()
	}
	ch <- prometheus.MustNewConstMetric(s.retries, prometheus.CounterValue, float64(n))
	for _, p := range pools {
		st := p.stats()
		ch <- prometheus.MustNewConstMetric(s.maxOpen, prometheus.GaugeValue, float64(st.MaxOpen), p.name)
		ch <- prometheus.MustNewConstMetric(s.open, prometheus.GaugeValue, float64(st.Open), p.name)
		ch <- prometheus.MustNewConstMetric(s.inUse, prometheus.GaugeValue, float64(st.InUse), p.name)
		ch <- prometheus.MustNewConstMetric(s.idle, prometheus.GaugeValue, float64(st.Idle), p.name)
		ch <- prometheus.MustNewConstMetric(s.waits, prometheus.CounterValue, float64(st.WaitCount), p.name)
		ch <- prometheus.MustNewConstMetric(s.waited, prometheus.CounterValue, st.WaitDuration.Seconds(), p.name)
	}
}

// PoolStats is a snapshot of a connection pool.
type PoolStats struct {
	MaxOpen      int           // the pool's size limit; 0 for none
	Open         int           // connections, in use or idle
	InUse        int           // connections in use
	Idle         int           // idle connections
	WaitCount    int64         // acquisitions that waited for a connection, since the pool opened
	WaitDuration time.Duration // their total wait
}

// PgxPoolStats returns the statistics of a pgx pool (PostgreSQL). Its
// open connections include those being established.
func PgxPoolStats(p *pgxpool.Pool) PoolStats {
	st := p.Stat()
	return PoolStats{
		MaxOpen:      int(st.MaxConns()),
		Open:         int(st.TotalConns()),
		InUse:        int(st.AcquiredConns()),
		Idle:         int(st.IdleConns()),
		WaitCount:    st.EmptyAcquireCount(),
		WaitDuration: st.EmptyAcquireWaitTime(),
	}
}

// SQLPoolStats converts the statistics of a database/sql pool (SQLite).
func SQLPoolStats(st sql.DBStats) PoolStats {
	return PoolStats{
		MaxOpen:      st.MaxOpenConnections,
		Open:         st.OpenConnections,
		InUse:        st.InUse,
		Idle:         st.Idle,
		WaitCount:    st.WaitCount,
		WaitDuration: st.WaitDuration,
	}
}

// AddPool adds a connection pool to the db_pool metrics, with the given
// value of the pool label; stats is called at every scrape. Nil metrics
// ignore it.
func (m *Metrics) AddPool(name string, stats func() PoolStats) {
	if m == nil {
		return
	}
	m.store.mu.Lock()
	defer m.store.mu.Unlock()
	m.store.pools = append(m.store.pools, pool{name: name, stats: stats})
}

// CountRetries sets where specstar_store_transaction_retries_total is
// read at scrape time: a backend's running count of transactions it ran
// again (postgres.Store.Retries). Without it the metric is 0, as it is
// on backends that never retry. Nil metrics ignore it.
func (m *Metrics) CountRetries(retries func() uint64) {
	if m == nil {
		return
	}
	m.store.mu.Lock()
	defer m.store.mu.Unlock()
	m.store.retryCount = retries
}

// Backend returns b with the latency of its transactions recorded in
// specstar_store_transaction_duration_seconds. The result implements
// resource.PointReader exactly when b does (the Service's fast path for
// reads of a current record), and Unwrap returns b. Nil metrics return b
// itself.
func (m *Metrics) Backend(b resource.Backend) resource.Backend {
	if m == nil {
		return b
	}
	tb := &timedBackend{Backend: b, s: m.store}
	if pr, ok := b.(resource.PointReader); ok {
		return &timedPointBackend{timedBackend: tb, pr: pr}
	}
	return tb
}

// timedBackend is the Backend decorator of Metrics.Backend. Migrate,
// Ping and Close pass through.
type timedBackend struct {
	resource.Backend
	s *storeMetrics
}

// View runs the wrapped View and records its duration.
func (b *timedBackend) View(ctx context.Context, fn func(resource.Reader) error) error {
	start := time.Now()
	err := b.Backend.View(ctx, fn)
	b.s.view.Observe(time.Since(start).Seconds())
	return err
}

// Update runs the wrapped Update and records its duration.
func (b *timedBackend) Update(ctx context.Context, fn func(resource.Writer) error) error {
	start := time.Now()
	err := b.Backend.Update(ctx, fn)
	b.s.update.Observe(time.Since(start).Seconds())
	return err
}

// Unwrap returns the wrapped backend.
func (b *timedBackend) Unwrap() resource.Backend { return b.Backend }

// timedPointBackend is a timedBackend over a resource.PointReader.
type timedPointBackend struct {
	*timedBackend
	pr resource.PointReader
}

// GetRecord runs the wrapped GetRecord and records its duration.
func (b *timedPointBackend) GetRecord(ctx context.Context, k *resource.Kind, id string) (*resource.Record, error) {
	start := time.Now()
	rec, err := b.pr.GetRecord(ctx, k, id)
	b.s.point.Observe(time.Since(start).Seconds())
	return rec, err
}

var (
	_ resource.Backend     = (*timedBackend)(nil)
	_ resource.PointReader = (*timedPointBackend)(nil)
)
