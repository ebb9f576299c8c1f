package admin

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
)

// jobView is the job part of a job resource's page.
type jobView struct {
	Status    string
	Running   bool // pending or running: the page refreshes its logs
	LastError string
	Logs      []jobs.Log
	CanRerun  bool
	CanCancel bool
	LogsHref  string
}

// previousRunFields are the job fields that describe a finished run: a
// job's page leaves them out while a run (a rerun) is under way, and shows
// the new values when it ends.
var previousRunFields = []string{"finished_at", "last_error", "result"}

// jobDetail reads the job's state and logs.
func (a *Admin) jobDetail(c echo.Context, r *Resource, env *resource.Envelope) (*jobView, error) {
	ctx := c.Request().Context()
	data := decodeData(env.Data)
	jv := &jobView{}
	jv.Status, _ = data["status"].(string)
	// The statuses are the engine's: a job that may still run is pending
	// (due, or waiting for a retry) or running.
	jv.Running = jv.Status == string(jobs.StatusPending) || jv.Status == string(jobs.StatusRunning)
	if !jv.Running {
		jv.LastError, _ = data["last_error"].(string)
	}
	q := a.queue()
	if q == nil {
		return jv, nil
	}
	def := q.TypeOf(r.Kind)
	if def == nil {
		return jv, nil
	}
	logs, err := q.Logs(ctx, def, env.Meta.ResourceID)
	if err != nil && resource.CodeOf(err) == resource.CodeInternal {
		return nil, err
	}
	jv.Logs = logs
	jv.CanRerun = !jv.Running && a.allowed(ctx, r, resource.ActionRerun)
	jv.CanCancel = jv.Running && a.allowed(ctx, r, resource.ActionCancel)
	jv.LogsHref = cookiePath(c) + "/" + r.Kind.Path + "/" + url.PathEscape(env.Meta.ResourceID)
	return jv, nil
}

// jobControl reruns or cancels a job (POST …/rerun, …/cancel).
func (a *Admin) jobControl(r *Resource, rerun bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := c.Param("id")
		q := a.queue()
		if q == nil || q.TypeOf(r.Kind) == nil {
			return a.fail(c, resource.Errorf(resource.CodeNotFound, "the job queue is not running"))
		}
		def := q.TypeOf(r.Kind)
		done := "rerun"
		var err error
		if rerun {
			_, err = q.Rerun(ctx, def, id)
		} else {
			_, _, err = q.Cancel(ctx, def, id)
			done = "cancelled"
		}
		if err != nil {
			return a.fail(c, err)
		}
		return c.Redirect(http.StatusSeeOther, cookiePath(c)+"/"+r.Kind.Path+"/"+url.PathEscape(id)+"?done="+done)
	}
}
