package model_test

import (
	"slices"
	"testing"
	"time"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/runtime/jobs"
	rt "github.com/specstar-go/specstar/runtime/resource"
)

// TestJobStatusesMatchRuntime keeps the model's job statuses in step with
// runtime/jobs.
func TestJobStatusesMatchRuntime(t *testing.T) {
	var want []string
	for _, s := range jobs.Statuses {
		want = append(want, string(s))
	}
	if !slices.Equal(model.JobStatuses(), want) {
		t.Errorf("model.JobStatuses() = %v, want jobs.Statuses %v", model.JobStatuses(), want)
	}
	if model.DefaultJobMaxAttempts != jobs.DefaultMaxAttempts || model.DefaultJobTimeout != jobs.DefaultTimeout {
		t.Errorf("model defaults %d, %s; runtime %d, %s", model.DefaultJobMaxAttempts, model.DefaultJobTimeout, jobs.DefaultMaxAttempts, jobs.DefaultTimeout)
	}
}

// TestCheckScheduleMatchesRuntime checks that a schedule the model accepts
// is one the engine accepts, and the other way round.
func TestCheckScheduleMatchesRuntime(t *testing.T) {
	for _, s := range []string{
		"0 9 * * MON", "*/5 * * * *", "0 9 * * MON,THU", "@hourly", "@daily", "@weekly", "@monthly", "@yearly",
		"@every 1s", "@every 1h30m", "TZ=Europe/Paris 0 9 * * *", "CRON_TZ=UTC 0 0 1 * *",
		"@every", "@every 1.5s", "@every 500ms", "@every x", "0 9 * *", "0 9 * * MONDAY", "61 * * * *", "@sometimes",
	} {
		modelOK := model.CheckSchedule(s) == ""
		_, err := jobs.OpenMemory(t.Context(), jobs.Config{Types: []jobs.Type{{Name: "Tick", Schedule: s}}})
		if runtimeOK := err == nil; modelOK != runtimeOK {
			t.Errorf("schedule %q: model accepts %v (%s), runtime accepts %v (%v)", s, modelOK, model.CheckSchedule(s), runtimeOK, err)
		}
	}
}

func TestJobResources(t *testing.T) {
	spec, err := load.Bytes("spec.yaml", []byte(`specstar: 1
package: shop
auth:
  roles: [clerk]
resources:
  Order:
    fields:
      total: {type: float, required: true}
jobs:
  SendReceipt:
    payload:
      order: {type: ref, to: Order, required: true}
      note:  {type: string, index: true}
    max_attempts: 5
    timeout: 30s
    concurrency: 2
    unique_for: 10m
    permissions: {create: role:clerk}
  Cleanup:
    schedule: "@every 1h"
`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	jobRes := m.Jobs()
	if len(jobRes) != 2 || jobRes[0].Name != "SendReceiptJob" || jobRes[1].Name != "CleanupJob" {
		t.Fatalf("jobs %v", jobRes)
	}
	r := jobRes[0]
	j := r.Job
	if r.Path != "jobs/send-receipt" || r.Table != "send_receipt_job" || r.GoName != "SendReceiptJob" || j.Name != "SendReceipt" ||
		j.MaxAttempts != 5 || j.Timeout != 30*time.Second || j.Concurrency != 2 || j.UniqueFor != 10*time.Minute ||
		j.PayloadGoType != "SendReceiptPayload" || j.RunGoType != "SendReceiptRun" || j.HandlerOption != "WithSendReceiptHandler" {
		t.Errorf("SendReceipt: %+v %+v", r, j)
	}
	var names []string
	for _, f := range r.Fields {
		names = append(names, f.Name)
	}
	if want := []string{"payload", "status", "attempts", "max_attempts", "run_at", "started_at", "finished_at", "last_error", "result", "logs"}; !slices.Equal(names, want) {
		t.Errorf("fields %v, want %v", names, want)
	}
	if p := r.Fields[0]; p != j.Payload || p.Type != model.Object || p.Fields[0].Type != model.Ref || p.Fields[0].Target.Name != "Order" {
		t.Errorf("payload %+v", p)
	}
	// The payload's ref is checked at enqueue, not a reference of the
	// resource; the state's times, status and attempts are indexed.
	k := r.Kind()
	var indexed []string
	for _, f := range k.Fields {
		if f.Ref != nil {
			t.Errorf("field %s of a job's kind is a reference", f.JSON)
		}
		indexed = append(indexed, f.JSON)
	}
	if want := []string{"payload.note", "status", "attempts", "run_at", "started_at", "finished_at"}; !slices.Equal(indexed, want) {
		t.Errorf("indexed %v, want %v", indexed, want)
	}
	// Jobs are for admins unless the spec says otherwise.
	if r.Rule("read").Source != "role:admin" || r.Rule("create").Source != "role:clerk" || r.Rule("update").Source != "role:admin" {
		t.Errorf("rules %+v %+v %+v", r.Rule("read"), r.Rule("create"), r.Rule("update"))
	}
	var actions []string
	for _, op := range r.Operations {
		actions = append(actions, op.Action)
	}
	var want []string
	for _, a := range rt.JobActions() {
		want = append(want, string(a))
	}
	if !slices.Equal(actions, want) {
		t.Errorf("actions %v, want %v", actions, want)
	}
	if op := r.Operation(model.ActionCancel); op.Route != "/jobs/send-receipt/:id/cancel" || op.Rule.Source != "role:admin" || op.GraphQL.Name != "cancelSendReceiptJob" {
		t.Errorf("cancel %+v", op)
	}
	c := jobRes[1]
	if c.Job.Payload != nil || c.Fields[0].Type != model.JSON || !c.Fields[0].ReadOnly || c.Job.Schedule != "@every 1h" {
		t.Errorf("Cleanup: %+v %+v", c.Job, c.Fields[0])
	}
}
