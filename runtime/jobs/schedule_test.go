package jobs

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	at := time.Date(2026, 3, 4, 10, 17, 42, 500, time.UTC) // a Wednesday
	cases := []struct {
		name, spec string
		want       time.Time // Next(at)
		wantErr    string
	}{
		{name: "cron weekly", spec: "0 9 * * MON", want: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)},
		{name: "cron every minute", spec: "* * * * *", want: time.Date(2026, 3, 4, 10, 18, 0, 0, time.UTC)},
		{name: "descriptor", spec: "@hourly", want: time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)},
		{name: "every hour aligned", spec: "@every 1h", want: time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)},
		{name: "every second", spec: "@every 1s", want: time.Date(2026, 3, 4, 10, 17, 43, 0, time.UTC)},
		{name: "time zone", spec: "TZ=Europe/Paris 0 9 * * *", want: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)},
		{name: "six fields", spec: "0 0 9 * * MON", wantErr: "expected exactly 5 fields"},
		{name: "sub-second", spec: "@every 500ms", wantErr: "whole number of seconds"},
		{name: "fraction", spec: "@every 1500ms", wantErr: "whole number of seconds"},
		{name: "garbage", spec: "every day", wantErr: "schedule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := parseSchedule(c.spec)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(at); !got.Equal(c.want) {
				t.Fatalf("Next = %s, want %s", got, c.want)
			}
		})
	}
}

// TestScheduleOneEngine runs an @every 1s schedule for a few ticks.
func TestScheduleOneEngine(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			var mu sync.Mutex
			var ticks []time.Time
			e := b.open(t, Config{Types: []Type{{
				Name: "Tick", Schedule: "@every 1s", SchedulePayload: json.RawMessage(`{"from":"schedule"}`),
				Handler: func(_ context.Context, run *Run) (json.RawMessage, error) {
					var p map[string]string
					if json.Unmarshal(run.Payload, &p) != nil || p["from"] != "schedule" {
						t.Errorf("payload %s", run.Payload)
					}
					mu.Lock()
					ticks = append(ticks, run.Tick)
					mu.Unlock()
					return nil, nil
				},
			}}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "two ticks", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(ticks) >= 2
			})
			if err := e.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			sort.Slice(ticks, func(i, j int) bool { return ticks[i].Before(ticks[j]) })
			for i, tick := range ticks {
				if tick.Nanosecond() != 0 || tick.IsZero() {
					t.Fatalf("tick %s not on a second", tick)
				}
				if i > 0 && tick.Sub(ticks[i-1]) != time.Second {
					t.Fatalf("ticks %v", ticks)
				}
			}
			jobs, err := e.List(ctx, ListOptions{Type: "Tick"})
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range jobs {
				if j.Tick.IsZero() || !j.RunAt.Equal(j.Tick) && j.Attempts == 1 {
					t.Errorf("job %+v", j)
				}
			}
		})
	}
}
