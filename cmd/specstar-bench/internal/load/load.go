// Package load is the HTTP load generator of specstar-bench: a fixed number
// of workers, each with one request in flight at a time (a closed loop),
// for a bounded duration. Every response is read to the end; any
// transport error, non-2xx status or body that Config.Check refuses counts
// as an error. Latencies are kept
// as raw samples, so percentiles are exact rather than bucketed.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request builds the next request of a worker. rng is the worker's own
// random source; seq numbers the requests of the whole run from 0, so
// builders can make every request unique (an update that must change the
// content, a create of a new row).
type Request func(rng *rand.Rand, seq uint64) (*http.Request, error)

// Config is the shape of one load run.
type Config struct {
	Concurrency int           // workers, each with one request in flight
	Duration    time.Duration // how long workers start new requests
	Client      *http.Client  // NewClient(Concurrency) when nil
	Seed        uint64        // seeds the workers' random sources
	FirstSeq    uint64        // seq of the first request (continue a previous run with its Sent)
	// Check, when set, inspects the body of every 2xx response; an error
	// makes the request a failure. GraphQL answers most errors with 200
	// and an "errors" array, which only the body tells.
	Check func(body []byte) error
}

// Result is the outcome of one load run.
type Result struct {
	Sent      uint64          // requests built (seq numbers used)
	Requests  int             // successful (2xx) requests
	Errors    int             // transport errors and non-2xx responses
	Failures  []string        // up to maxFailures examples of errors
	Elapsed   time.Duration   // from the first request to the last response
	Latencies []time.Duration // of the successful requests, sorted
}

// maxFailures bounds Result.Failures.
const maxFailures = 5

// Throughput returns the successful requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile (0 < p <= 100) of the latencies,
// by the nearest-rank method, or 0 when there are none.
func (r *Result) Percentile(p float64) time.Duration {
	return Percentile(r.Latencies, p)
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted, by the
// nearest-rank method, or 0 when sorted is empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// Merge returns the results of several runs as one: counts and elapsed
// times add up, latencies are merged and sorted.
func Merge(rs ...*Result) *Result {
	out := &Result{}
	for _, r := range rs {
		out.Sent += r.Sent
		out.Requests += r.Requests
		out.Errors += r.Errors
		out.Elapsed += r.Elapsed
		out.Latencies = append(out.Latencies, r.Latencies...)
		for _, f := range r.Failures {
			if len(out.Failures) < maxFailures {
				out.Failures = append(out.Failures, f)
			}
		}
	}
	slices.Sort(out.Latencies)
	return out
}

// NewClient returns an HTTP client for load runs: keep-alive connections,
// one idle connection per worker (so no request waits for a dial once
// warm), no proxy and no compression.
func NewClient(concurrency int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency * 2,
			MaxIdleConnsPerHost: concurrency * 2,
			MaxConnsPerHost:     0,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
		Timeout: 30 * time.Second,
	}
}

// worker is the state of one worker of a run.
type worker struct {
	latencies []time.Duration
	requests  int
	errors    int
	failures  []string
}

// Run drives requests built by next with cfg.Concurrency workers for
// cfg.Duration, or until ctx ends. A request that is in flight when the
// duration ends is waited for and counted. The error is non-nil only when
// the run could not be made at all (a bad configuration or a builder that
// failed); request failures are counted in the Result.
func Run(ctx context.Context, cfg Config, next Request) (*Result, error) {
	if cfg.Concurrency < 1 {
		return nil, fmt.Errorf("load: concurrency must be at least 1, got %d", cfg.Concurrency)
	}
	if cfg.Duration <= 0 {
		return nil, fmt.Errorf("load: duration must be positive, got %s", cfg.Duration)
	}
	client := cfg.Client
	if client == nil {
		client = NewClient(cfg.Concurrency)
	}
	var (
		sent     atomic.Uint64
		errMu    sync.Mutex
		buildErr error
		wg       sync.WaitGroup
	)
	workers := make([]*worker, cfg.Concurrency)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	for i := range workers {
		w := &worker{latencies: make([]time.Duration, 0, 4096)}
		workers[i] = w
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				req, err := next(rng, cfg.FirstSeq+sent.Add(1)-1)
				if err != nil {
					errMu.Lock()
					buildErr = errors.Join(buildErr, err)
					errMu.Unlock()
					return
				}
				w.do(client, req.WithContext(ctx), cfg.Check)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if buildErr != nil {
		return nil, fmt.Errorf("load: build request: %w", buildErr)
	}
	res := &Result{Elapsed: elapsed, Sent: sent.Load()}
	for _, w := range workers {
		res.Requests += w.requests
		res.Errors += w.errors
		res.Latencies = append(res.Latencies, w.latencies...)
		for _, f := range w.failures {
			if len(res.Failures) < maxFailures {
				res.Failures = append(res.Failures, f)
			}
		}
	}
	slices.Sort(res.Latencies)
	return res, nil
}

// do sends one request and records its outcome; check, when set, judges
// the body of a 2xx response.
func (w *worker) do(client *http.Client, req *http.Request, check func([]byte) error) {
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		w.fail(fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err))
		return
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	switch {
	case err != nil:
		w.fail(fmt.Sprintf("%s %s: reading the response: %v", req.Method, req.URL.Path, err))
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		w.fail(fmt.Sprintf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, snippet(body)))
	default:
		if check != nil {
			if err := check(body); err != nil {
				w.fail(fmt.Sprintf("%s %s: %s but %v: %s", req.Method, req.URL.Path, resp.Status, err, snippet(body)))
				return
			}
		}
		w.requests++
		w.latencies = append(w.latencies, d)
	}
}

// fail records one error.
func (w *worker) fail(msg string) {
	w.errors++
	if len(w.failures) < maxFailures {
		w.failures = append(w.failures, msg)
	}
}

// snippet returns the start of a response body for an error message.
func snippet(body []byte) string {
	const n = 200
	if len(body) > n {
		return string(body[:n]) + "..."
	}
	return string(body)
}

// Each sends the requests 0..n-1 built by build, with concurrency workers,
// and passes the body of every 2xx response to handle (which may be called
// from several goroutines at once). It stops at the first failure: a
// transport error, a non-2xx status, or an error from build or handle.
func Each(ctx context.Context, client *http.Client, concurrency, n int, build func(i int) (*http.Request, error), handle func(i int, body []byte) error) error {
	if concurrency < 1 {
		return fmt.Errorf("load: concurrency must be at least 1, got %d", concurrency)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(concurrency, max(n, 1)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := each(ctx, client, i, build, handle); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// each sends request i of Each.
func each(ctx context.Context, client *http.Client, i int, build func(int) (*http.Request, error), handle func(int, []byte) error) error {
	req, err := build(i)
	if err != nil {
		return fmt.Errorf("load: build request %d: %w", i, err)
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("load: %s %s: %w", req.Method, req.URL.Path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("load: %s %s: reading the response: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("load: %s %s: %s: %s", req.Method, req.URL.Path, resp.Status, snippet(body))
	}
	return handle(i, body)
}
