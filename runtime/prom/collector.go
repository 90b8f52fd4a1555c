package prom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/triggergen/triggergen/runtime"
)

// Collector is a prometheus.Collector that reports an engine's state at
// each scrape. Create it with NewCollector and register it.
type Collector struct {
	eng *runtime.Engine

	engineEnabled   *prometheus.Desc
	triggers        *prometheus.Desc
	triggersEnabled *prometheus.Desc
	triggerEnabled  *prometheus.Desc
	queueWorkers    *prometheus.Desc
	queueCapacity   *prometheus.Desc
	queueDepth      *prometheus.Desc
	queueRunning    *prometheus.Desc
	queueCompleted  *prometheus.Desc
	queueFailed     *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector of eng's state (WithBuckets does not
// apply). With the default namespace it exports:
//
//	triggergen_engine_enabled                     gauge: 1 when the engine runs triggers
//	triggergen_triggers                           gauge: registered triggers
//	triggergen_triggers_enabled                   gauge: triggers switched on
//	triggergen_trigger_enabled{trigger,model}     gauge: 1 when the trigger is switched on
//
// and, when the engine's queue reports its figures (runtime.QueueStatser,
// as the default pool does):
//
//	triggergen_queue_workers                      gauge
//	triggergen_queue_capacity                     gauge: jobs that may wait
//	triggergen_queue_depth                        gauge: jobs waiting now
//	triggergen_queue_running                      gauge: jobs running now
//	triggergen_queue_jobs_completed_total         counter
//	triggergen_queue_jobs_failed_total            counter
//
// A scrape reads the engine's trigger list and queue figures only; it does
// not run the health checks (report.StatusOf and report.HealthOf in
// runtime/report read the audit sink, which may be a database).
func NewCollector(eng *runtime.Engine, opts ...Option) *Collector {
	c := newConfig(opts)
	desc := func(sub, name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(c.namespace, sub, name), help, labels, c.constLabels)
	}
	return &Collector{
		eng:             eng,
		engineEnabled:   desc("engine", "enabled", "1 when the engine runs triggers, 0 when it is switched off."),
		triggers:        desc("", "triggers", "Registered triggers."),
		triggersEnabled: desc("", "triggers_enabled", "Registered triggers that are switched on (whether or not the engine is)."),
		triggerEnabled:  desc("trigger", "enabled", "1 when the trigger is switched on, 0 otherwise.", "trigger", "model"),
		queueWorkers:    desc("queue", "workers", "Worker goroutines of the async queue."),
		queueCapacity:   desc("queue", "capacity", "Jobs that may wait in the async queue."),
		queueDepth:      desc("queue", "depth", "Jobs waiting in the async queue."),
		queueRunning:    desc("queue", "running", "Jobs the async queue is running."),
		queueCompleted:  desc("queue", "jobs_completed_total", "Async jobs that completed."),
		queueFailed:     desc("queue", "jobs_failed_total", "Async jobs that failed or panicked."),
	}
}

// Describe sends the descriptors of every metric the Collector may export.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.engineEnabled, c.triggers, c.triggersEnabled, c.triggerEnabled,
		c.queueWorkers, c.queueCapacity, c.queueDepth, c.queueRunning,
		c.queueCompleted, c.queueFailed,
	} {
		ch <- d
	}
}

// Collect sends the engine's current figures.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.engineEnabled, prometheus.GaugeValue, boolValue(c.eng.EngineEnabled()))
	ts := c.eng.List(runtime.ListFilter{})
	enabled := 0
	for _, t := range ts {
		if t.Enabled {
			enabled++
		}
		ch <- prometheus.MustNewConstMetric(c.triggerEnabled, prometheus.GaugeValue, boolValue(t.Enabled), t.Name, t.Model)
	}
	ch <- prometheus.MustNewConstMetric(c.triggers, prometheus.GaugeValue, float64(len(ts)))
	ch <- prometheus.MustNewConstMetric(c.triggersEnabled, prometheus.GaugeValue, float64(enabled))
	if qs, ok := c.eng.Config().Queue.(runtime.QueueStatser); ok {
		q := qs.QueueStats()
		ch <- prometheus.MustNewConstMetric(c.queueWorkers, prometheus.GaugeValue, float64(q.Workers))
		ch <- prometheus.MustNewConstMetric(c.queueCapacity, prometheus.GaugeValue, float64(q.Capacity))
		ch <- prometheus.MustNewConstMetric(c.queueDepth, prometheus.GaugeValue, float64(q.Queued))
		ch <- prometheus.MustNewConstMetric(c.queueRunning, prometheus.GaugeValue, float64(q.Running))
		ch <- prometheus.MustNewConstMetric(c.queueCompleted, prometheus.CounterValue, float64(q.Completed))
		ch <- prometheus.MustNewConstMetric(c.queueFailed, prometheus.CounterValue, float64(q.Failed))
	}
}

// boolValue returns 1 for true and 0 for false.
func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
