package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			rec := &recorder{}
			type payload struct {
				Subject string   `json:"subject"`
				Tags    []string `json:"tags"`
				N       float64  `json:"n"`
			}
			type result struct {
				Echo payload `json:"echo"`
			}
			e := b.open(t, Config{Observer: rec.observe, Types: []Type{{
				Name: "Echo",
				Handler: Typed(func(ctx context.Context, run *Run, p payload) (*result, error) {
					run.Logger.Info("echoing", "subject", p.Subject)
					return &result{Echo: p}, nil
				}),
			}}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			in := payload{Subject: "héllo \u2028 \"quoted\"", Tags: []string{"a", "b"}, N: 1.5}
			res, err := e.Enqueue(ctx, "Echo", mustJSON(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Job.Status != StatusPending || res.Duplicate {
				t.Fatalf("enqueued %+v", res)
			}
			j := waitStatus(t, e, res.Job.ID, StatusCompleted)
			var got payload
			if err := json.Unmarshal(j.Payload, &got); err != nil {
				t.Fatal(err)
			}
			if got.Subject != in.Subject || len(got.Tags) != 2 || got.N != 1.5 {
				t.Fatalf("payload %s", j.Payload)
			}
			var r result
			if err := json.Unmarshal(j.Result, &r); err != nil || r.Echo.Subject != in.Subject {
				t.Fatalf("result %s (%v)", j.Result, err)
			}
			if len(j.Logs) != 1 || !strings.Contains(j.Logs[0].Text, "echoing") || j.Logs[0].Attempt != 1 {
				t.Fatalf("logs %+v", j.Logs)
			}
			if j.Attempts != 1 || j.MaxAttempts != DefaultMaxAttempts || j.StartedAt.IsZero() || j.FinishedAt.IsZero() || j.WorkedBy != e.InstanceID() {
				t.Fatalf("job %+v", j)
			}
			if err := e.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if got := rec.events(j.ID); strings.Join(eventStrings(got), ",") != "enqueued,started,completed" {
				t.Fatalf("events %v", got)
			}
		})
	}
}

func eventStrings(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e)
	}
	return out
}

func TestMissingHandler(t *testing.T) {
	e := openMemoryTB(t, Config{Types: []Type{{Name: "Aa", Handler: func(context.Context, *Run) (json.RawMessage, error) { return nil, nil }}, {Name: "Bb"}, {Name: "Cc"}}})
	err := e.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "without a handler: Bb, Cc") {
		t.Fatalf("err = %v", err)
	}
	if _, err := e.Enqueue(context.Background(), "Zz", nil, nil); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("unknown type: %v", err)
	}
	_ = time.Second
}
