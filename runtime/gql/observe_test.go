package gql

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/executor/testexecutor"
)

// observation is one call of Options.Observe.
type observation struct {
	operation, kind string
	failed          bool
}

// observer records the calls of Options.Observe.
type observer struct {
	mu    sync.Mutex
	calls []observation
	done  chan struct{}
}

func (o *observer) observe(_ context.Context, operation, kind string, d time.Duration, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d < 0 {
		panic("negative duration")
	}
	o.calls = append(o.calls, observation{operation, kind, failed})
	select {
	case o.done <- struct{}{}:
	default:
	}
}

func (o *observer) take() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.calls
	o.calls = nil
	return c
}

func post(t *testing.T, url, body string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestObserveIsCalledOncePerOperation(t *testing.T) {
	exec := testexecutor.New()
	obs := &observer{done: make(chan struct{}, 1)}
	ts := httptest.NewServer(NewHandler(exec.Schema(), nil, Options{Observe: obs.observe}))
	t.Cleanup(ts.Close)

	tests := []struct {
		name  string
		body  string
		want  []observation
		fails bool
	}{
		{name: "anonymous query", body: `{"query": "{ name }"}`, want: []observation{{"", "query", false}}},
		{name: "named query", body: `{"query": "query Q { name }"}`, want: []observation{{"Q", "query", false}}},
		{name: "failed mutation", body: `{"query": "mutation M { name }"}`, want: []observation{{"M", "mutation", true}}},
		{name: "refused before execution", body: `{"query": "{ nope }"}`, want: nil},
		{name: "refused by a limit", body: `{"query": "{ a b c ...F } fragment F on Query { ...F }"}`, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, ts.URL, tt.body)
			resp.Body.Close()
			got := obs.take()
			if len(got) != len(tt.want) {
				t.Fatalf("observed %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("observed %+v, want %+v", got[i], tt.want[i])
				}
			}
		})
	}

	t.Run("subscription, when its stream ends", func(t *testing.T) {
		select {
		case <-obs.done: // a signal of the queries above
		default:
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL, strings.NewReader(`{"query": "subscription S { name }"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		lines := bufio.NewScanner(resp.Body)
		exec.SendNextSubscriptionMessage()
		for lines.Scan() && !strings.HasPrefix(lines.Text(), "data:") {
		}
		if got := obs.take(); len(got) != 0 {
			t.Fatalf("observed %+v before the stream ended", got)
		}
		cancel()
		select {
		case <-obs.done:
		case <-time.After(5 * time.Second):
			t.Fatal("the end of the subscription was not observed")
		}
		if got := obs.take(); len(got) != 1 || got[0] != (observation{"S", "subscription", false}) {
			t.Errorf("observed %+v, want one subscription S", got)
		}
	})
}

func TestObserveIsOptional(t *testing.T) {
	ts := httptest.NewServer(NewHandler(testexecutor.New().Schema(), nil, Options{}))
	t.Cleanup(ts.Close)
	resp := post(t, ts.URL, `{"query": "{ name }"}`)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
