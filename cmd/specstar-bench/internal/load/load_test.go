package load

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsSuccessesAndErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     func(seq uint64) int
		wantErrors bool
		wantOK     bool
	}{
		{name: "all 2xx", status: func(uint64) int { return http.StatusOK }, wantOK: true},
		{name: "201 is a success", status: func(uint64) int { return http.StatusCreated }, wantOK: true},
		{name: "every 404 is an error", status: func(uint64) int { return http.StatusNotFound }, wantErrors: true},
		{name: "a 500 now and then is counted", status: func(seq uint64) int {
			if seq%3 == 0 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}, wantOK: true, wantErrors: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var seq uint64
				for _, c := range r.URL.Query().Get("seq") {
					seq = seq*10 + uint64(c-'0')
				}
				w.WriteHeader(tt.status(seq))
				w.Write([]byte(`{"ok":true}`))
			}))
			defer srv.Close()
			res, err := Run(context.Background(), Config{Concurrency: 4, Duration: 100 * time.Millisecond},
				func(_ *rand.Rand, seq uint64) (*http.Request, error) {
					return http.NewRequest(http.MethodGet, srv.URL+"/?seq="+itoa(seq), nil)
				})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Requests > 0; got != tt.wantOK {
				t.Errorf("Requests = %d, want some: %v", res.Requests, tt.wantOK)
			}
			if got := res.Errors > 0; got != tt.wantErrors {
				t.Errorf("Errors = %d, want some: %v", res.Errors, tt.wantErrors)
			}
			if tt.wantErrors && (len(res.Failures) == 0 || !strings.Contains(res.Failures[0], "GET /")) {
				t.Errorf("Failures = %q, want examples naming the request", res.Failures)
			}
			if len(res.Failures) > maxFailures {
				t.Errorf("%d failures kept, want at most %d", len(res.Failures), maxFailures)
			}
			if uint64(res.Requests+res.Errors) != res.Sent {
				t.Errorf("Requests %d + Errors %d != Sent %d", res.Requests, res.Errors, res.Sent)
			}
			if len(res.Latencies) != res.Requests {
				t.Errorf("%d latencies for %d requests", len(res.Latencies), res.Requests)
			}
		})
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestRunTransportErrorIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	res, err := Run(context.Background(), Config{Concurrency: 2, Duration: 50 * time.Millisecond},
		func(*rand.Rand, uint64) (*http.Request, error) { return http.NewRequest(http.MethodGet, url, nil) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors == 0 || res.Requests != 0 {
		t.Errorf("Requests %d, Errors %d; want only errors", res.Requests, res.Errors)
	}
}

func TestRunCheckRefusesBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("bad") != "" {
			w.Write([]byte(`{"errors":[{"message":"boom"}],"data":null}`))
			return
		}
		w.Write([]byte(`{"data":{}}`))
	}))
	defer srv.Close()
	check := func(body []byte) error {
		if strings.Contains(string(body), `"errors"`) {
			return errors.New("GraphQL errors")
		}
		return nil
	}
	res, err := Run(context.Background(), Config{Concurrency: 2, Duration: 100 * time.Millisecond, Check: check},
		func(_ *rand.Rand, seq uint64) (*http.Request, error) {
			u := srv.URL + "/"
			if seq%2 == 0 {
				u += "?bad=1"
			}
			return http.NewRequest(http.MethodGet, u, nil)
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors == 0 || len(res.Latencies) != res.Requests {
		t.Fatalf("Requests %d, Errors %d, %d latencies; want both kinds, one latency per success", res.Requests, res.Errors, len(res.Latencies))
	}
	if !strings.Contains(res.Failures[0], "200 OK but GraphQL errors") || !strings.Contains(res.Failures[0], "boom") {
		t.Errorf("Failures = %q, want the status, the check's error and the body", res.Failures)
	}
}

func TestRunSequenceNumbers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	var mu sync.Mutex
	seen := make(map[uint64]bool)
	res, err := Run(context.Background(), Config{Concurrency: 3, Duration: 50 * time.Millisecond, FirstSeq: 1000},
		func(_ *rand.Rand, seq uint64) (*http.Request, error) {
			mu.Lock()
			defer mu.Unlock()
			if seen[seq] {
				t.Errorf("seq %d used twice", seq)
			}
			seen[seq] = true
			return http.NewRequest(http.MethodGet, srv.URL, nil)
		})
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1000); seq < 1000+res.Sent; seq++ {
		if !seen[seq] {
			t.Fatalf("seq %d of %d..%d never used", seq, 1000, 1000+res.Sent-1)
		}
	}
}

func TestRunBuildError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Run(context.Background(), Config{Concurrency: 2, Duration: time.Second},
		func(*rand.Rand, uint64) (*http.Request, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "no workers", cfg: Config{Concurrency: 0, Duration: time.Second}},
		{name: "no duration", cfg: Config{Concurrency: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tt.cfg, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{name: "empty", sorted: nil, p: 50, want: 0},
		{name: "one sample", sorted: []time.Duration{ms(7)}, p: 99, want: ms(7)},
		{name: "p50 of 1..100", sorted: hundred, p: 50, want: ms(50)},
		{name: "p99 of 1..100", sorted: hundred, p: 99, want: ms(99)},
		{name: "p100 is the maximum", sorted: hundred, p: 100, want: ms(100)},
		{name: "p50 of four rounds up the rank", sorted: []time.Duration{ms(1), ms(2), ms(3), ms(4)}, p: 50, want: ms(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p%v) = %s, want %s", tt.p, got, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	a := &Result{Sent: 3, Requests: 2, Errors: 1, Failures: []string{"x"}, Elapsed: time.Second,
		Latencies: []time.Duration{1, 5}}
	b := &Result{Sent: 2, Requests: 2, Elapsed: time.Second, Latencies: []time.Duration{2, 3}}
	m := Merge(a, b)
	if m.Sent != 5 || m.Requests != 4 || m.Errors != 1 || m.Elapsed != 2*time.Second || len(m.Failures) != 1 {
		t.Errorf("Merge = %+v", m)
	}
	want := []time.Duration{1, 2, 3, 5}
	for i, d := range want {
		if m.Latencies[i] != d {
			t.Fatalf("latencies %v, want %v", m.Latencies, want)
		}
	}
	if got := m.Throughput(); got != 2 {
		t.Errorf("Throughput = %v, want 2", got)
	}
}

func TestEach(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "nope", http.StatusBadRequest)
			return
		}
		w.Write([]byte(r.URL.Query().Get("i")))
	}))
	defer srv.Close()
	client := NewClient(4)
	t.Run("every request once, bodies handed over", func(t *testing.T) {
		got := make([]string, 50)
		err := Each(context.Background(), client, 4, len(got),
			func(i int) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, srv.URL+"/?i="+itoa(uint64(i)), nil)
			},
			func(i int, body []byte) error { got[i] = string(body); return nil })
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range got {
			if s != itoa(uint64(i)) {
				t.Fatalf("body %d = %q", i, s)
			}
		}
	})
	t.Run("a non-2xx stops the run", func(t *testing.T) {
		calls.Store(0)
		err := Each(context.Background(), client, 2, 1000,
			func(i int) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, srv.URL+"/?fail=1", nil)
			},
			func(int, []byte) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("err = %v, want the 400", err)
		}
		if n := calls.Load(); n > 10 {
			t.Errorf("%d requests sent after the failure, want the run stopped", n)
		}
	})
	t.Run("a handler error stops the run", func(t *testing.T) {
		boom := errors.New("boom")
		err := Each(context.Background(), client, 2, 100,
			func(i int) (*http.Request, error) { return http.NewRequest(http.MethodGet, srv.URL, nil) },
			func(int, []byte) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}
