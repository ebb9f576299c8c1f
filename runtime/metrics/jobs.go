package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/specstar-go/specstar/runtime/jobs"
)

// Buckets of the job histograms, in seconds: the wait from due to start
// is milliseconds on an idle queue and minutes on a backlog; a run is
// anything from a no-op to the timeout (10 minutes by default).
var (
	jobWaitBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	jobRunBuckets  = []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 600}
)

// jobMetrics are the metrics of the job queue: what this instance's
// workers measure (jobs.Metrics) and the queue's counts, read at scrape
// time.
type jobMetrics struct {
	wait     *prometheus.HistogramVec
	run      *prometheus.HistogramVec
	finished *prometheus.CounterVec

	stats   func(ctx context.Context) ([]jobs.TypeStats, error)
	pending *prometheus.Desc
	due     *prometheus.Desc
	running *prometheus.Desc
	failed  *prometheus.Desc
	stale   *prometheus.Desc
}

// Jobs adds the metrics of a job queue to the registry and returns the
// jobs.Metrics its engine reports to (nil for nil metrics):
//
//   - specstar_job_wait_seconds{type}: from when a job was due (enqueued,
//     or its run_at) to when its attempt started, on this instance: the
//     latency of the queue;
//   - specstar_job_run_seconds{type}: the duration of attempts;
//   - specstar_jobs_finished_total{type,status}: attempts ended, by the
//     job's status after them (pending: it will be retried);
//   - specstar_jobs_pending{type}, specstar_jobs_due{type} (the
//     backlog: pending jobs due now), specstar_jobs_running{type},
//     specstar_jobs_failed{type} (failed jobs still kept) and
//     specstar_jobs_stale{type} (running jobs whose instance died or that
//     overran, found at the engine's last lease pass), read from the
//     queue at every scrape through stats (jobres.Queue.Stats).
func (m *Metrics) Jobs(stats func(ctx context.Context) ([]jobs.TypeStats, error)) jobs.Metrics {
	if m == nil {
		return nil
	}
	label := []string{"type"}
	j := &jobMetrics{
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "job_wait_seconds", Buckets: jobWaitBuckets,
			Help: "Time from when a job was due (enqueued or its run_at) to the start of its attempt on this instance, by job type.",
		}, label),
		run: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "job_run_seconds", Buckets: jobRunBuckets,
			Help: "Duration of job attempts on this instance, by job type.",
		}, label),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "jobs_finished_total",
			Help: "Job attempts ended on this instance, by job type and the job's status after the attempt (pending: retried later).",
		}, []string{"type", "status"}),
		stats:   stats,
		pending: prometheus.NewDesc(Namespace+"_jobs_pending", "Jobs waiting to run, due or not, by job type (every instance's).", label, nil),
		due:     prometheus.NewDesc(Namespace+"_jobs_due", "Jobs due now and not started: the backlog, by job type.", label, nil),
		running: prometheus.NewDesc(Namespace+"_jobs_running", "Jobs running on any instance, by job type.", label, nil),
		failed:  prometheus.NewDesc(Namespace+"_jobs_failed", "Failed jobs still kept in the queue, by job type.", label, nil),
		stale:   prometheus.NewDesc(Namespace+"_jobs_stale", "Running jobs found with an expired lease (dead instance or overrun) at this instance's last lease pass, by job type; they are taken back.", label, nil),
	}
	m.reg.MustRegister(j.wait, j.run, j.finished, j)
	return j
}

// JobStarted records the wait of a job.
func (j *jobMetrics) JobStarted(jobType string, wait time.Duration) {
	j.wait.WithLabelValues(jobType).Observe(wait.Seconds())
}

// JobFinished records the end of an attempt.
func (j *jobMetrics) JobFinished(jobType string, status jobs.Status, run time.Duration) {
	j.run.WithLabelValues(jobType).Observe(run.Seconds())
	j.finished.WithLabelValues(jobType, string(status)).Inc()
}

// Describe sends the descriptors of the queue's counts.
func (j *jobMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{j.pending, j.due, j.running, j.failed, j.stale} {
		ch <- d
	}
}

// Collect reads the queue's counts.
func (j *jobMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := j.stats(ctx)
	if err != nil {
		for _, d := range []*prometheus.Desc{j.pending, j.due, j.running, j.failed, j.stale} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(j.pending, prometheus.GaugeValue, float64(s.Pending), s.Type)
		ch <- prometheus.MustNewConstMetric(j.due, prometheus.GaugeValue, float64(s.Due), s.Type)
		ch <- prometheus.MustNewConstMetric(j.running, prometheus.GaugeValue, float64(s.Running), s.Type)
		ch <- prometheus.MustNewConstMetric(j.failed, prometheus.GaugeValue, float64(s.Failed), s.Type)
		ch <- prometheus.MustNewConstMetric(j.stale, prometheus.GaugeValue, float64(s.Stale), s.Type)
	}
}
