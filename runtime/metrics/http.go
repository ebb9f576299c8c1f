package metrics

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Label values the HTTP metrics use for requests outside the bounded sets.
const (
	// UnmatchedRoute is the route label of a request that matched no
	// route (answered 404 by the router): one value for every such path,
	// so that scanners cannot grow the number of series.
	UnmatchedRoute = "unmatched"
	// OtherMethod is the method label of a request whose method is not
	// one of the nine of RFC 9110 and RFC 5789.
	OtherMethod = "OTHER"
)

// httpMetrics are the request metrics. Each request resolves its series
// with one lookup in a copy-on-write map, lock-free and without
// allocating: client_golang's WithLabelValues takes its label values as a
// variadic slice that escapes, which costs an allocation per call.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	mu     sync.Mutex // serialises additions to series
	series atomic.Pointer[map[httpKey]httpSeries]
}

// httpKey selects the series of a request.
type httpKey struct {
	route, method string
	status        int
}

// httpSeries are the metrics of one route, method and status.
type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer // shared by the statuses of a route and method
}

// newHTTPMetrics defines the request metrics.
func newHTTPMetrics() *httpMetrics {
	h := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Subsystem: "http",
			Name:      "requests_total",
			Help:      "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Subsystem: "http",
			Name:      "request_duration_seconds",
			Help:      "Time from routing a request to the end of its response, by route pattern and method.",
			Buckets:   requestBuckets,
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace,
			Subsystem: "http",
			Name:      "requests_in_flight",
			Help:      "HTTP requests being served.",
		}),
	}
	empty := map[httpKey]httpSeries{}
	h.series.Store(&empty)
	return h
}

// register adds the request metrics to reg.
func (h *httpMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(h.requests, h.duration, h.inFlight)
}

// get returns the series of k, creating them on first use.
func (h *httpMetrics) get(k httpKey) httpSeries {
	if s, ok := (*h.series.Load())[k]; ok {
		return s
	}
	return h.add(k)
}

// add creates the series of k, unless a concurrent call did. The map is
// copied: the number of keys is bounded by routes × methods × statuses,
// and each is added once.
func (h *httpMetrics) add(k httpKey) httpSeries {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.series.Load()
	if s, ok := old[k]; ok {
		return s
	}
	s := httpSeries{
		requests: h.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status)),
		duration: h.duration.WithLabelValues(k.route, k.method),
	}
	next := make(map[httpKey]httpSeries, len(old)+1)
	maps.Copy(next, old)
	next[k] = s
	h.series.Store(&next)
	return s
}

// Middleware returns the echo middleware that counts and times requests.
// Use it with Echo.Use (not Pre): echo routes a request before it runs
// that middleware, so c.Path() is the route pattern ("/api/posts/:id"),
// never the raw URL, and the number of series stays bounded. Like an
// access log, it writes the response of a handler's error itself, to
// learn its status, and returns nil. For nil metrics it passes requests
// through.
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	if m == nil {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	h := m.http
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h.inFlight.Inc()
			// Deferred: a handler aborting with http.ErrAbortHandler
			// panics through every middleware.
			defer h.inFlight.Dec()
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = UnmatchedRoute
			}
			s := h.get(httpKey{route: route, method: methodLabel(c.Request().Method), status: c.Response().Status})
			s.requests.Inc()
			s.duration.Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// methodLabel returns the method label of an HTTP method: the method for
// the nine of RFC 9110 and RFC 5789, OtherMethod for anything else, which
// a client can choose freely. The labels are constants, so that the
// series keep no request's memory alive.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	}
	return OtherMethod
}
