package otel_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/internal/testmodel"
	"github.com/triggergen/triggergen/runtime/otel"
)

// The tests' model, Item, is testmodel's.
type (
	item       = testmodel.Item
	itemChange = testmodel.ItemChange
)

var itemModel = testmodel.ItemModel

var errBoom = errors.New("boom")

func ok(context.Context, *itemChange) error { return nil }

// traced returns an engine with cfg whose observer records to the
// returned recorder.
func traced(t *testing.T, cfg runtime.Config) (*runtime.Engine, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	cfg.Observer = otel.NewObserver(otel.Options{TracerProvider: tp})
	cfg.Logger = slog.New(slog.DiscardHandler)
	eng := runtime.New(cfg)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	return eng, rec
}

func on(t *testing.T, eng *runtime.Engine, tr runtime.Trigger[itemChange]) {
	t.Helper()
	require.NoError(t, runtime.On(eng, itemModel, tr))
}

func update(ctx context.Context, eng *runtime.Engine, price int) error {
	it := &item{ID: "i1", Price: price}
	old := item{ID: "i1"}
	return runtime.Do(ctx, eng, itemModel, runtime.OpUpdate, &old, it, func(context.Context, *item) error { return nil })
}

// spans indexes the ended spans by name.
func spans(rec *tracetest.SpanRecorder) map[string][]sdktrace.ReadOnlySpan {
	out := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		out[s.Name()] = append(out[s.Name()], s)
	}
	return out
}

// one returns the only span named name.
func one(t *testing.T, rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	s := spans(rec)[name]
	require.Len(t, s, 1, "spans named %q among %v", name, names(rec))
	return s[0]
}

func names(rec *tracetest.SpanRecorder) []string {
	var ns []string
	for _, s := range rec.Ended() {
		ns = append(ns, s.Name())
	}
	return ns
}

func attr(s sdktrace.ReadOnlySpan, k attribute.Key) attribute.Value {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// childOf asserts that child's parent is parent, in the same trace.
func childOf(t *testing.T, child, parent sdktrace.ReadOnlySpan) {
	t.Helper()
	assert.Equal(t, parent.SpanContext().TraceID(), child.SpanContext().TraceID(), "%s and %s are one trace", child.Name(), parent.Name())
	assert.Equal(t, parent.SpanContext().SpanID(), child.Parent().SpanID(), "%s is the child of %s", child.Name(), parent.Name())
}

func TestOperationAndRunSpans(t *testing.T) {
	eng, rec := traced(t, runtime.Config{})
	on(t, eng, runtime.Trigger[itemChange]{Name: "ok", Events: []runtime.Event{runtime.AfterUpdate}, Actions: []runtime.Action[itemChange]{ok}})
	on(t, eng, runtime.Trigger[itemChange]{Name: "fails", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Retries: 1, Backoff: time.Millisecond},
		Actions: []runtime.Action[itemChange]{func(context.Context, *itemChange) error { return errBoom }}})
	on(t, eng, runtime.Trigger[itemChange]{Name: "never", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[itemChange]{{Description: "false", Test: func(context.Context, *itemChange) bool { return false }}},
		Actions:    []runtime.Action[itemChange]{ok}})
	var seen runtime.RunInfo
	on(t, eng, runtime.Trigger[itemChange]{Name: "reads_ctx", Events: []runtime.Event{runtime.AfterUpdate}, Actions: []runtime.Action[itemChange]{
		func(ctx context.Context, _ *itemChange) error { seen, _ = runtime.CurrentRun(ctx); return nil }}})

	err := update(context.Background(), eng, 5)
	require.ErrorIs(t, err, errBoom)

	op := one(t, rec, "update Item")
	assert.False(t, op.Parent().IsValid(), "the operation's span is a root")
	assert.Equal(t, "Item", attr(op, otel.AttrModel).AsString())
	assert.Equal(t, "update", attr(op, otel.AttrOperation).AsString())
	assert.Equal(t, "i1", attr(op, otel.AttrKey).AsString())
	assert.Equal(t, codes.Error, op.Status().Code, "the operation returned the trigger's error")

	okSpan := one(t, rec, "trigger ok")
	childOf(t, okSpan, op)
	for k, want := range map[attribute.Key]string{otel.AttrTrigger: "ok", otel.AttrModel: "Item", otel.AttrKey: "i1", otel.AttrEvent: "after_update", otel.AttrOutcome: "success"} {
		assert.Equal(t, want, attr(okSpan, k).AsString(), "%s", k)
	}
	assert.Equal(t, int64(1), attr(okSpan, otel.AttrAttempt).AsInt64())
	assert.Equal(t, codes.Unset, okSpan.Status().Code)

	fails := spans(rec)["trigger fails"]
	require.Len(t, fails, 2, "one span per attempt")
	for i, s := range fails {
		childOf(t, s, op)
		assert.Equal(t, int64(i+1), attr(s, otel.AttrAttempt).AsInt64())
		assert.Equal(t, "failure", attr(s, otel.AttrOutcome).AsString())
		assert.Equal(t, codes.Error, s.Status().Code)
		require.Len(t, s.Events(), 1)
		assert.Equal(t, "exception", s.Events()[0].Name, "the error is recorded")
	}
	assert.Empty(t, spans(rec)["trigger never"], "a trigger whose condition fails has no span")
	assert.Equal(t, "reads_ctx", seen.Trigger, "CurrentRun works on the run span's context")
}

// TestNoSpanWithoutTriggers checks that an operation of a model without
// triggers, and one that skips them all, start no span.
func TestNoSpanWithoutTriggers(t *testing.T) {
	eng, rec := traced(t, runtime.Config{})
	require.NoError(t, update(context.Background(), eng, 1))
	on(t, eng, runtime.Trigger[itemChange]{Name: "ok", Events: []runtime.Event{runtime.AfterUpdate}, Actions: []runtime.Action[itemChange]{ok}})
	require.NoError(t, update(runtime.WithoutTriggers(context.Background()), eng, 1))
	assert.Empty(t, rec.Ended())
}

// TestAsyncOnCommitIsOneTrace checks that an async on_commit trigger's run
// continues the trace of the operation that queued it: the operation, the
// on_commit work at the scope's commit (queueing the job) and the async
// run.
func TestAsyncOnCommitIsOneTrace(t *testing.T) {
	eng, rec := traced(t, runtime.Config{})
	done := make(chan struct{})
	on(t, eng, runtime.Trigger[itemChange]{Name: "alert", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true, OnCommit: true},
		Actions: []runtime.Action[itemChange]{func(context.Context, *itemChange) error { close(done); return nil }}})
	ctx, scope := runtime.BeginScope(context.Background())
	require.NoError(t, update(ctx, eng, 7))
	assert.Empty(t, spans(rec)["on_commit alert"], "nothing runs before the commit")
	require.NoError(t, scope.Commit(context.Background()))
	<-done
	require.NoError(t, eng.Close(context.Background()))

	op := one(t, rec, "update Item")
	commit := one(t, rec, "on_commit alert")
	run := one(t, rec, "trigger alert")
	childOf(t, commit, op)
	childOf(t, run, commit)
	assert.Equal(t, "success", attr(run, otel.AttrOutcome).AsString())
}

// durableQueue stores jobs, as a DurableQueue would in its database.
type durableQueue struct {
	mu   sync.Mutex
	jobs []runtime.Job
}

func (q *durableQueue) Enqueue(context.Context, runtime.Job) error { return errors.New("durable only") }
func (q *durableQueue) Close(context.Context) error                { return nil }
func (q *durableQueue) InTx(context.Context) bool                  { return false }
func (q *durableQueue) EnqueueDurable(_ context.Context, j runtime.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	// Stored and read back as JSON, as a database would.
	b, err := json.Marshal(j.Trace)
	if err != nil {
		return err
	}
	j.Trace = nil
	if err := json.Unmarshal(b, &j.Trace); err != nil {
		return err
	}
	q.jobs = append(q.jobs, j)
	return nil
}

// TestDurableRunContinuesTheTrace checks that a durable job carries the
// trace context of what queued it to its run, which starts from a context
// with nothing in it, as a worker's does.
func TestDurableRunContinuesTheTrace(t *testing.T) {
	q := &durableQueue{}
	eng, rec := traced(t, runtime.Config{Queue: q})
	on(t, eng, runtime.Trigger[itemChange]{Name: "later", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true}, Actions: []runtime.Action[itemChange]{ok}})
	on(t, eng, runtime.Trigger[itemChange]{Name: "later_commit", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true, OnCommit: true}, Actions: []runtime.Action[itemChange]{ok}})
	ctx, scope := runtime.BeginScope(context.Background())
	require.NoError(t, update(ctx, eng, 3))
	require.NoError(t, scope.Commit(context.Background()))
	require.Len(t, q.jobs, 2)
	for _, j := range q.jobs {
		assert.Contains(t, j.Trace, "traceparent")
		require.NoError(t, eng.RunDurable(context.Background(), j, 1, true))
	}
	op := one(t, rec, "update Item")
	childOf(t, one(t, rec, "trigger later"), op)
	commit := one(t, rec, "on_commit later_commit")
	childOf(t, commit, op)
	childOf(t, one(t, rec, "trigger later_commit"), commit)
}

// TestFireExecuteAndBulkSpans checks the spans of FireM, Execute and a bulk
// operation.
func TestFireExecuteAndBulkSpans(t *testing.T) {
	eng, rec := traced(t, runtime.Config{})
	on(t, eng, runtime.Trigger[itemChange]{Name: "ok", Events: []runtime.Event{runtime.AfterUpdate}, Actions: []runtime.Action[itemChange]{ok}})
	runtime.SetLoader(eng, itemModel, func(context.Context, string) (*item, error) { return &item{ID: "i9"}, nil })

	require.NoError(t, runtime.Do(context.Background(), eng, itemModel, runtime.FireOp(runtime.AfterUpdate), &item{ID: "i2"}, &item{ID: "i2"}, nil))
	fire := one(t, rec, "fire Item")
	assert.Equal(t, "after_update", attr(fire, otel.AttrEvent).AsString())
	assert.Equal(t, "i2", attr(fire, otel.AttrKey).AsString())

	require.NoError(t, eng.Execute(context.Background(), "ok", "i9", 0))
	var executed sdktrace.ReadOnlySpan
	for _, s := range spans(rec)["trigger ok"] {
		if attr(s, otel.AttrKey).AsString() == "i9" {
			executed = s
		}
	}
	require.NotNil(t, executed, "Execute's run has a span")

	olds := []item{{ID: "a"}, {ID: "b"}}
	require.NoError(t, runtime.DoMany(context.Background(), eng, itemModel, runtime.OpUpdate, olds, []*item{{ID: "a", Price: 1}, {ID: "b", Price: 2}}, nil))
	bulk := one(t, rec, "update_many Item")
	assert.Equal(t, int64(2), attr(bulk, otel.AttrItems).AsInt64())
	assert.Equal(t, "a,b", attr(bulk, otel.AttrKey).AsString())
	n := 0
	for _, s := range spans(rec)["trigger ok"] {
		if s.Parent().SpanID() == bulk.SpanContext().SpanID() {
			n++
		}
	}
	assert.Equal(t, 2, n, "one run per item, children of the bulk operation")
}

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	eng, _ := traced(t, runtime.Config{})
	on(t, eng, runtime.Trigger[itemChange]{Name: "ok", Events: []runtime.Event{runtime.AfterUpdate}, Actions: []runtime.Action[itemChange]{ok}})
	on(t, eng, runtime.Trigger[itemChange]{Name: "fails", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[itemChange]{{Description: "price > 1", Test: func(_ context.Context, c *itemChange) bool { return c.New.Price > 1 }}},
		Actions:    []runtime.Action[itemChange]{func(context.Context, *itemChange) error { return errBoom }}})
	reg, err := otel.RegisterMetrics(eng, otel.MetricsOptions{MeterProvider: mp})
	require.NoError(t, err)
	defer reg.Unregister()
	for _, price := range []int{1, 1, 2} {
		_ = update(context.Background(), eng, price)
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otel.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					trig, _ := p.Attributes.Value(otel.AttrTrigger)
					out, _ := p.Attributes.Value(otel.AttrOutcome)
					got[m.Name+"/"+trig.AsString()+"/"+out.AsString()] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					trig, _ := p.Attributes.Value(otel.AttrTrigger)
					got[m.Name+"/"+trig.AsString()] = p.Value
				}
			}
		}
	}
	assert.Equal(t, float64(3), got["triggergen.trigger.runs/ok/success"])
	assert.Equal(t, float64(0), got["triggergen.trigger.runs/ok/failure"])
	assert.Equal(t, float64(1), got["triggergen.trigger.runs/fails/failure"])
	assert.Equal(t, float64(2), got["triggergen.trigger.skipped/fails/"])
	assert.Positive(t, got["triggergen.trigger.duration.max/ok"])
	assert.Contains(t, got, "triggergen.trigger.duration.p95/fails")
}
