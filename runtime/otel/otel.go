// Package otel traces triggergen's operations and trigger runs with
// OpenTelemetry and reports the triggers' statistics as OpenTelemetry
// metrics. It is optional: the runtime itself depends on the standard
// library only, and an engine without an observer pays a nil check.
//
// Install the observer when the engine is created, and register the
// metrics once it exists:
//
//	eng := runtime.New(runtime.Config{Observer: otel.NewObserver(otel.Options{})})
//	reg, err := otel.RegisterMetrics(eng, otel.MetricsOptions{})
//	defer reg.Unregister()
//
// The spans:
//
//   - one per operation whose triggers run (CreateM, UpdateM, DeleteM,
//     the bulk ones and FireM), named after the operation and the model
//     ("update SimCard"), around the whole operation: persist, before,
//     after, async and on_commit triggers;
//   - one per attempt of a trigger run ("trigger sim_card_fraud_alert"),
//     synchronous, async, durable or Engine.Execute's, the child of the
//     operation's span, with the trigger, model, key, event, attempt and
//     outcome as attributes and a failure recorded as the span's error;
//   - one for the on_commit work of a trigger ("on_commit
//     sim_card_fraud_alert") when its scope commits: running the trigger,
//     or handing its async job to the queue (a durable queue that writes
//     in the operation's transaction takes the job at once: no such span).
//
// Queued work continues the trace of what queued it: an async run on the
// in-process pool is the child of the span that queued it (the operation's,
// or the on_commit span of its commit), and a durable job carries the trace
// context (runtime.Job.Trace, stored with the job by runtime/riverqueue), so
// that its run, perhaps in another process, is the child of the same span.
// An update that flags a card for fraud, its commit and the async alert are
// thus one trace.
package otel

import (
	"context"

	otelapi "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/triggergen/triggergen/runtime"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/triggergen/triggergen/runtime/otel"

// The attributes of the spans and metrics.
const (
	AttrTrigger   = attribute.Key("triggergen.trigger")
	AttrModel     = attribute.Key("triggergen.model")
	AttrKey       = attribute.Key("triggergen.key")
	AttrEvent     = attribute.Key("triggergen.event")
	AttrOperation = attribute.Key("triggergen.operation")
	AttrItems     = attribute.Key("triggergen.items")
	AttrDepth     = attribute.Key("triggergen.depth")
	AttrAttempt   = attribute.Key("triggergen.attempt")
	AttrOutcome   = attribute.Key("triggergen.outcome")
)

// Options configure NewObserver. The zero value works.
type Options struct {
	// TracerProvider makes the tracer (default: the global one,
	// go.opentelemetry.io/otel.GetTracerProvider, read when a span starts).
	TracerProvider trace.TracerProvider
	// Propagator writes and reads the trace context a durable job carries
	// (default: W3C Trace Context, propagation.TraceContext).
	Propagator propagation.TextMapPropagator
}

// Observer is a runtime.Observer that records OpenTelemetry spans; set it
// as runtime.Config.Observer.
type Observer struct {
	tp   trace.TracerProvider // nil: the global one
	prop propagation.TextMapPropagator
}

var _ runtime.Observer = (*Observer)(nil)

// NewObserver returns an observer configured by opts.
func NewObserver(opts Options) *Observer {
	o := &Observer{tp: opts.TracerProvider, prop: opts.Propagator}
	if o.prop == nil {
		o.prop = propagation.TraceContext{}
	}
	return o
}

func (o *Observer) tracer() trace.Tracer {
	tp := o.tp
	if tp == nil {
		tp = otelapi.GetTracerProvider()
	}
	return tp.Tracer(ScopeName)
}

// StartOperation starts the span of an operation.
func (o *Observer) StartOperation(ctx context.Context, op runtime.OperationInfo) (context.Context, func(error)) {
	attrs := []attribute.KeyValue{
		AttrModel.String(op.Model), AttrOperation.String(op.Operation), AttrKey.String(op.Key),
		AttrItems.Int(op.Items), AttrDepth.Int(op.Depth),
	}
	if op.Event != "" {
		attrs = append(attrs, AttrEvent.String(op.Event))
	}
	ctx, span := o.tracer().Start(ctx, op.Operation+" "+op.Model, trace.WithAttributes(attrs...))
	return ctx, func(err error) { end(span, err) }
}

// StartRun starts the span of one attempt of a trigger run.
func (o *Observer) StartRun(ctx context.Context, run runtime.RunInfo) (context.Context, func(string, error)) {
	ctx, span := o.tracer().Start(ctx, "trigger "+run.Trigger, trace.WithAttributes(runAttrs(run)...))
	return ctx, func(outcome string, err error) {
		span.SetAttributes(AttrOutcome.String(outcome))
		end(span, err)
	}
}

// StartDeferred starts the span of a trigger's on_commit work.
func (o *Observer) StartDeferred(ctx context.Context, run runtime.RunInfo) (context.Context, func(error)) {
	ctx, span := o.tracer().Start(ctx, "on_commit "+run.Trigger, trace.WithAttributes(runAttrs(run)...))
	return ctx, func(err error) { end(span, err) }
}

// Inject writes the trace context of ctx into carrier.
func (o *Observer) Inject(ctx context.Context, carrier map[string]string) {
	o.prop.Inject(ctx, propagation.MapCarrier(carrier))
}

// Extract returns ctx with the trace context carrier holds.
func (o *Observer) Extract(ctx context.Context, carrier map[string]string) context.Context {
	return o.prop.Extract(ctx, propagation.MapCarrier(carrier))
}

// runAttrs are the attributes of a run's span.
func runAttrs(run runtime.RunInfo) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		AttrTrigger.String(run.Trigger), AttrModel.String(run.Model), AttrKey.String(run.Key),
		AttrEvent.String(run.Event), AttrDepth.Int(run.Depth),
	}
	if run.Attempt > 0 {
		attrs = append(attrs, AttrAttempt.Int(run.Attempt))
	}
	return attrs
}

// end ends span, recording err as its error.
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// MetricsOptions configure RegisterMetrics. The zero value works.
type MetricsOptions struct {
	// MeterProvider makes the meter (default: the global one,
	// go.opentelemetry.io/otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
}

// RegisterMetrics reports the statistics of eng's triggers (runtime.Stats)
// as asynchronous instruments, read from the engine at each collection,
// with the trigger and model as attributes:
//
//   - triggergen.trigger.runs: finished runs, by outcome (success,
//     failure), a counter;
//   - triggergen.trigger.skipped: runs whose conditions did not hold, a
//     counter;
//   - triggergen.trigger.duration.mean, .p50, .p95 and .max, in seconds,
//     gauges (0 for a trigger whose runs are not timed, see
//     runtime.Config.Observation).
//
// Unregister the returned registration to stop.
func RegisterMetrics(eng *runtime.Engine, opts MetricsOptions) (metric.Registration, error) {
	mp := opts.MeterProvider
	if mp == nil {
		mp = otelapi.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	runs, err := m.Int64ObservableCounter("triggergen.trigger.runs",
		metric.WithDescription("Finished trigger runs (retries included in one run), by outcome."), metric.WithUnit("{run}"))
	if err != nil {
		return nil, err
	}
	skipped, err := m.Int64ObservableCounter("triggergen.trigger.skipped",
		metric.WithDescription("Trigger runs not attempted: a condition did not hold, or a self re-entry."), metric.WithUnit("{run}"))
	if err != nil {
		return nil, err
	}
	gauges := make([]metric.Float64ObservableGauge, 4)
	for i, name := range []string{"mean", "p50", "p95", "max"} {
		if gauges[i], err = m.Float64ObservableGauge("triggergen.trigger.duration."+name,
			metric.WithDescription("The "+name+" duration of a trigger's timed runs."), metric.WithUnit("s")); err != nil {
			return nil, err
		}
	}
	insts := []metric.Observable{runs, skipped, gauges[0], gauges[1], gauges[2], gauges[3]}
	return m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		for _, t := range eng.List(runtime.ListFilter{}) {
			who := metric.WithAttributes(AttrTrigger.String(t.Name), AttrModel.String(t.Model))
			s := t.Stats
			obs.ObserveInt64(runs, s.Successes, metric.WithAttributes(AttrTrigger.String(t.Name), AttrModel.String(t.Model), AttrOutcome.String(runtime.OutcomeSuccess)))
			obs.ObserveInt64(runs, s.Failures, metric.WithAttributes(AttrTrigger.String(t.Name), AttrModel.String(t.Model), AttrOutcome.String(runtime.OutcomeFailure)))
			obs.ObserveInt64(skipped, s.Skipped, who)
			for i, d := range []float64{s.Mean.Seconds(), s.P50.Seconds(), s.P95.Seconds(), s.Max.Seconds()} {
				obs.ObserveFloat64(gauges[i], d, who)
			}
		}
		return nil
	}, insts...)
}
