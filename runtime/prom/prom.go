// Package prom exports triggergen metrics to Prometheus through
// github.com/prometheus/client_golang, so that the runtime package itself
// stays free of dependencies.
//
// A Sink wraps the engine's audit sink and turns every audit record into
// metrics:
//
//	reg := prometheus.NewRegistry()
//	sink, err := prom.NewSink(reg, runtime.NewMemoryAudit(1000))
//	if err != nil { ... }
//	eng := runtime.New(runtime.Config{Audit: sink})
//	reg.MustRegister(prom.NewCollector(eng)) // optional engine gauges
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The Sink exports, with the namespace "triggergen" (see WithNamespace):
//
//	triggergen_trigger_executions_total{trigger,model,event,outcome}  counter
//	triggergen_trigger_failures_total{trigger,model}                  counter
//	triggergen_trigger_duration_seconds{trigger,model}                histogram
//
// Each audit record is one attempt, so with retries these count attempts:
// a run that fails once and then succeeds adds one failure and one success.
// (runtime.Stats, in TriggerInfo and report.MetricsOf, counts runs instead.) Failures are the
// records whose outcome is not "success": failures, timeouts and panics.
// Runs skipped because their conditions did not hold leave no record and
// are not counted.
//
// The Collector exports the engine's state at each scrape; see NewCollector.
package prom

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/triggergen/triggergen/runtime"
)

// DefaultNamespace prefixes every metric name.
const DefaultNamespace = "triggergen"

// DefaultBuckets are the upper bounds, in seconds, of the duration
// histogram: from 10µs to 30s, roughly 1-2.5-5 per decade.
var DefaultBuckets = []float64{
	0.00001, 0.000025, 0.00005,
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5,
	10, 30,
}

// Option configures NewSink and NewCollector.
type Option func(*config)

// config is what the Options set.
type config struct {
	namespace   string
	buckets     []float64
	constLabels prometheus.Labels
}

func newConfig(opts []Option) config {
	c := config{namespace: DefaultNamespace, buckets: DefaultBuckets}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithNamespace replaces the "triggergen" prefix of the metric names; an
// empty namespace means no prefix.
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithBuckets replaces DefaultBuckets as the duration histogram's upper
// bounds, in seconds, in increasing order. It applies to NewSink only.
func WithBuckets(buckets ...float64) Option {
	return func(c *config) { c.buckets = append([]float64(nil), buckets...) }
}

// WithConstLabels adds labels with fixed values to every metric, e.g. the
// service's name when several services share one registry.
func WithConstLabels(l prometheus.Labels) Option {
	return func(c *config) {
		c.constLabels = make(prometheus.Labels, len(l))
		for k, v := range l {
			c.constLabels[k] = v
		}
	}
}

// Sink is a runtime.AuditSink that observes every record into Prometheus
// metrics and then forwards it to the next sink. It is safe for concurrent
// use.
type Sink struct {
	next runtime.AuditSink
	lr   runtime.LogReader

	executions *prometheus.CounterVec
	failures   *prometheus.CounterVec
	duration   *prometheus.HistogramVec

	mu     sync.RWMutex
	series map[seriesKey]*series
}

// seriesKey names the series one record touches.
type seriesKey struct {
	trigger, model, event, outcome string
}

// series caches the metrics of one seriesKey; failures is nil for
// successes.
type series struct {
	executions prometheus.Counter
	failures   prometheus.Counter
	duration   prometheus.Observer
}

var (
	_ runtime.AuditSink = (*Sink)(nil)
	_ runtime.LogReader = (*Sink)(nil)
)

// NewSink registers the trigger metrics with reg (prometheus.DefaultRegisterer
// when nil) and returns a Sink that forwards records to next (which may be
// nil: then the records are only counted).
//
// When reg already holds metrics of the same names, labels and help, as it
// does for a second Sink on the same registry, the Sink adds to those. Any
// other registration error is returned.
func NewSink(reg prometheus.Registerer, next runtime.AuditSink, opts ...Option) (*Sink, error) {
	c := newConfig(opts)
	if reg == nil {
		reg = prometheus.DefaultRegisterer
	}
	s := &Sink{next: next, series: map[seriesKey]*series{}}
	s.lr, _ = next.(runtime.LogReader)
	var err error
	s.executions, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: c.namespace, Subsystem: "trigger", Name: "executions_total",
		Help:        "Trigger run attempts, by trigger, model, event and outcome (success, failure, timeout, panic).",
		ConstLabels: c.constLabels,
	}, []string{"trigger", "model", "event", "outcome"}))
	if err != nil {
		return nil, err
	}
	s.failures, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: c.namespace, Subsystem: "trigger", Name: "failures_total",
		Help:        "Trigger run attempts whose outcome was not success, by trigger and model.",
		ConstLabels: c.constLabels,
	}, []string{"trigger", "model"}))
	if err != nil {
		return nil, err
	}
	s.duration, err = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: c.namespace, Subsystem: "trigger", Name: "duration_seconds",
		Help:        "Duration of trigger run attempts in seconds, by trigger and model.",
		ConstLabels: c.constLabels,
		Buckets:     c.buckets,
	}, []string{"trigger", "model"}))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// register registers c with reg, or returns the collector reg already holds
// in its place.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	var zero C
	return zero, err
}

// Record counts r and forwards it to the next sink.
func (s *Sink) Record(r runtime.ExecutionRecord) {
	k := seriesKey{r.Trigger, r.Model, r.Event, r.Outcome}
	s.mu.RLock()
	m := s.series[k]
	s.mu.RUnlock()
	if m == nil {
		m = s.newSeries(k)
	}
	m.executions.Inc()
	if m.failures != nil {
		m.failures.Inc()
	}
	m.duration.Observe(r.Duration.Seconds())
	if s.next != nil {
		s.next.Record(r)
	}
}

// newSeries returns the cached series of k, creating it when missing.
func (s *Sink) newSeries(k seriesKey) *series {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.series[k]; m != nil {
		return m
	}
	m := &series{
		executions: s.executions.WithLabelValues(k.trigger, k.model, k.event, k.outcome),
		duration:   s.duration.WithLabelValues(k.trigger, k.model),
	}
	if k.outcome != runtime.OutcomeSuccess {
		m.failures = s.failures.WithLabelValues(k.trigger, k.model)
	}
	s.series[k] = m
	return m
}

// Logs delegates to the next sink when it is a runtime.LogReader and
// returns nil otherwise, which Engine.Logs treats like a sink that cannot
// be read.
func (s *Sink) Logs(f runtime.LogFilter) []runtime.ExecutionRecord {
	if s.lr == nil {
		return nil
	}
	return s.lr.Logs(f)
}

// Next returns the sink records are forwarded to (nil if none).
func (s *Sink) Next() runtime.AuditSink { return s.next }
