package prom_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/internal/testmodel"
	"github.com/triggergen/triggergen/runtime/prom"
)

// The tests' model, Item, is testmodel's.
type (
	item       = testmodel.Item
	itemChange = testmodel.ItemChange
)

var itemModel = testmodel.ItemModel

var errBoom = errors.New("boom")

func persist(context.Context, *item) error { return nil }

// newEngine returns an engine recording to audit, with these Item triggers:
//
//   - item_ok (after_create) succeeds;
//   - item_fail (after_create, one retry) fails both attempts;
//   - item_panic (after_update) panics;
//   - item_slow (after_update, 1ms timeout) times out;
//   - item_never (after_create) has a condition that never holds;
//   - item_async (after_delete, async) succeeds.
func newEngine(t *testing.T, audit runtime.AuditSink) *runtime.Engine {
	t.Helper()
	eng := runtime.New(runtime.Config{Audit: audit, MaxWorkers: 3, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	ok := func(context.Context, *itemChange) error { return nil }
	for _, tr := range []runtime.Trigger[itemChange]{
		{Name: "item_ok", Events: []runtime.Event{runtime.AfterCreate}, Actions: []runtime.Action[itemChange]{ok}},
		{
			Name: "item_fail", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Retries: 1, Backoff: time.Millisecond},
			Actions: []runtime.Action[itemChange]{func(context.Context, *itemChange) error { return errBoom }},
		},
		{
			Name: "item_panic", Events: []runtime.Event{runtime.AfterUpdate},
			Actions: []runtime.Action[itemChange]{func(context.Context, *itemChange) error { panic("kaput") }},
		},
		{
			Name: "item_slow", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Timeout: time.Millisecond},
			Actions: []runtime.Action[itemChange]{func(ctx context.Context, _ *itemChange) error { <-ctx.Done(); return ctx.Err() }},
		},
		{
			Name: "item_never", Events: []runtime.Event{runtime.AfterCreate},
			Conditions: []runtime.Condition[itemChange]{{Description: "never", Test: func(context.Context, *itemChange) bool { return false }}},
			Actions:    []runtime.Action[itemChange]{ok},
		},
		{Name: "item_async", Events: []runtime.Event{runtime.AfterDelete}, Options: runtime.Options{Async: true}, Actions: []runtime.Action[itemChange]{ok}},
	} {
		require.NoError(t, runtime.On(eng, itemModel, tr))
	}
	return eng
}

// exercise creates three items, updates one and deletes one, then closes
// the engine so that the async run is done.
func exercise(t *testing.T, eng *runtime.Engine) {
	t.Helper()
	ctx := context.Background()
	var items []*item
	for i := range 3 {
		it := &item{ID: fmt.Sprint("i", i), Price: i}
		require.ErrorIs(t, runtime.Do(ctx, eng, itemModel, runtime.OpCreate, nil, it, persist), errBoom)
		items = append(items, it)
	}
	old := *items[0]
	items[0].Price = 99
	require.Error(t, runtime.Do(ctx, eng, itemModel, runtime.OpUpdate, &old, items[0], persist))
	require.NoError(t, runtime.Do(ctx, eng, itemModel, runtime.OpDelete, nil, items[1], persist))
	require.NoError(t, eng.Close(ctx))
}

const countersWant = `
# HELP triggergen_trigger_executions_total Trigger run attempts, by trigger, model, event and outcome (success, failure, timeout, panic).
# TYPE triggergen_trigger_executions_total counter
triggergen_trigger_executions_total{event="after_create",model="Item",outcome="failure",trigger="item_fail"} 6
triggergen_trigger_executions_total{event="after_create",model="Item",outcome="success",trigger="item_ok"} 3
triggergen_trigger_executions_total{event="after_delete",model="Item",outcome="success",trigger="item_async"} 1
triggergen_trigger_executions_total{event="after_update",model="Item",outcome="panic",trigger="item_panic"} 1
triggergen_trigger_executions_total{event="after_update",model="Item",outcome="timeout",trigger="item_slow"} 1
# HELP triggergen_trigger_failures_total Trigger run attempts whose outcome was not success, by trigger and model.
# TYPE triggergen_trigger_failures_total counter
triggergen_trigger_failures_total{model="Item",trigger="item_fail"} 6
triggergen_trigger_failures_total{model="Item",trigger="item_panic"} 1
triggergen_trigger_failures_total{model="Item",trigger="item_slow"} 1
`

// histograms returns the duration histograms in reg by trigger.
func histograms(t *testing.T, reg prometheus.Gatherer, name string) map[string]*dto.Histogram {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]*dto.Histogram{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		require.Equal(t, dto.MetricType_HISTOGRAM, mf.GetType())
		for _, m := range mf.GetMetric() {
			var trigger string
			for _, l := range m.GetLabel() {
				if l.GetName() == "trigger" {
					trigger = l.GetValue()
				}
			}
			out[trigger] = m.GetHistogram()
		}
	}
	return out
}

func TestSinkCountsEngineRuns(t *testing.T) {
	reg := prometheus.NewRegistry()
	mem := runtime.NewMemoryAudit(100)
	sink, err := prom.NewSink(reg, mem)
	require.NoError(t, err)
	assert.Same(t, mem, sink.Next())
	eng := newEngine(t, sink)
	exercise(t, eng)

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(countersWant),
		"triggergen_trigger_executions_total", "triggergen_trigger_failures_total"))

	hs := histograms(t, reg, "triggergen_trigger_duration_seconds")
	require.Len(t, hs, 5, "one histogram per trigger that ran")
	for trigger, want := range map[string]uint64{"item_ok": 3, "item_fail": 6, "item_panic": 1, "item_slow": 1, "item_async": 1} {
		require.Contains(t, hs, trigger)
		assert.Equal(t, want, hs[trigger].GetSampleCount(), trigger)
	}
	assert.GreaterOrEqual(t, hs["item_slow"].GetSampleSum(), 0.001, "the timed-out attempt took at least its 1ms")
	bounds := make([]float64, 0, len(prom.DefaultBuckets))
	for _, b := range hs["item_ok"].GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
	}
	assert.Equal(t, prom.DefaultBuckets, bounds)
	assert.Equal(t, 1e-5, prom.DefaultBuckets[0])
	assert.Equal(t, 30.0, prom.DefaultBuckets[len(prom.DefaultBuckets)-1])

	// Records reach the next sink, and Logs reads it.
	assert.Len(t, mem.(runtime.LogReader).Logs(runtime.LogFilter{}), 12)
	assert.Len(t, eng.Logs(runtime.LogFilter{Trigger: "item_fail"}), 6)
	assert.Equal(t, "item_async", eng.Logs(runtime.LogFilter{Limit: 1})[0].Trigger, "newest first")

	// The engine's own Stats count runs, the metrics attempts.
	info, ok := eng.Trigger("item_fail")
	require.True(t, ok)
	assert.Equal(t, int64(3), info.Stats.Executions)

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// countingSink counts records and cannot be read.
type countingSink struct {
	mu sync.Mutex
	n  int
}

func (c *countingSink) Record(runtime.ExecutionRecord) { c.mu.Lock(); c.n++; c.mu.Unlock() }

func TestSinkNextWithoutLogs(t *testing.T) {
	reg := prometheus.NewRegistry()
	next := &countingSink{}
	sink, err := prom.NewSink(reg, next)
	require.NoError(t, err)
	eng := newEngine(t, sink)
	exercise(t, eng)
	assert.Equal(t, 12, next.n, "every record is forwarded")
	assert.Nil(t, eng.Logs(runtime.LogFilter{}), "nothing to read")
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(countersWant),
		"triggergen_trigger_executions_total", "triggergen_trigger_failures_total"))

	alone, err := prom.NewSink(prometheus.NewRegistry(), nil)
	require.NoError(t, err)
	assert.NotPanics(t, func() { alone.Record(runtime.ExecutionRecord{Trigger: "t", Outcome: runtime.OutcomeSuccess}) })
	assert.Nil(t, alone.Logs(runtime.LogFilter{}))
	assert.Nil(t, alone.Next())
}

func TestSinksShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := prom.NewSink(reg, nil)
	require.NoError(t, err)
	b, err := prom.NewSink(reg, nil)
	require.NoError(t, err, "a second sink adds to the registered metrics")
	r := runtime.ExecutionRecord{Trigger: "t", Model: "M", Event: "after_create", Outcome: runtime.OutcomeFailure, Duration: time.Millisecond}
	a.Record(r)
	b.Record(r)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP triggergen_trigger_failures_total Trigger run attempts whose outcome was not success, by trigger and model.
# TYPE triggergen_trigger_failures_total counter
triggergen_trigger_failures_total{model="M",trigger="t"} 2
`), "triggergen_trigger_failures_total"))

	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "triggergen_trigger_failures_total", Help: "other"}))
	_, err = prom.NewSink(clash, nil)
	assert.Error(t, err, "a conflicting metric is an error")
}

func TestSinkOptions(t *testing.T) {
	reg := prometheus.NewRegistry()
	sink, err := prom.NewSink(reg, nil,
		prom.WithNamespace("shop"), prom.WithBuckets(0.001, 1), prom.WithConstLabels(prometheus.Labels{"service": "api"}), nil)
	require.NoError(t, err)
	sink.Record(runtime.ExecutionRecord{Trigger: "t", Model: "M", Event: "after_update", Outcome: runtime.OutcomeSuccess, Duration: 2 * time.Millisecond})
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP shop_trigger_duration_seconds Duration of trigger run attempts in seconds, by trigger and model.
# TYPE shop_trigger_duration_seconds histogram
shop_trigger_duration_seconds_bucket{model="M",service="api",trigger="t",le="0.001"} 0
shop_trigger_duration_seconds_bucket{model="M",service="api",trigger="t",le="1"} 1
shop_trigger_duration_seconds_bucket{model="M",service="api",trigger="t",le="+Inf"} 1
shop_trigger_duration_seconds_sum{model="M",service="api",trigger="t"} 0.002
shop_trigger_duration_seconds_count{model="M",service="api",trigger="t"} 1
# HELP shop_trigger_executions_total Trigger run attempts, by trigger, model, event and outcome (success, failure, timeout, panic).
# TYPE shop_trigger_executions_total counter
shop_trigger_executions_total{event="after_update",model="M",outcome="success",service="api",trigger="t"} 1
`), "shop_trigger_duration_seconds", "shop_trigger_executions_total", "shop_trigger_failures_total"))
}

func TestSinkConcurrentRecord(t *testing.T) {
	reg := prometheus.NewRegistry()
	mem := runtime.NewMemoryAudit(10)
	sink, err := prom.NewSink(reg, mem)
	require.NoError(t, err)
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				outcome := runtime.OutcomeSuccess
				if i%5 == 0 {
					outcome = runtime.OutcomeFailure
				}
				sink.Record(runtime.ExecutionRecord{
					Trigger: fmt.Sprint("t", w%3), Model: "M", Event: "after_create",
					Outcome: outcome, Duration: time.Duration(i) * time.Microsecond,
				})
			}
		})
	}
	wg.Wait()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	totals := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				totals[mf.GetName()] += m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				totals[mf.GetName()] += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	assert.Equal(t, map[string]float64{
		"triggergen_trigger_executions_total": workers * each,
		"triggergen_trigger_failures_total":   workers * each / 5,
		"triggergen_trigger_duration_seconds": workers * each,
	}, totals)
	assert.Len(t, mem.(runtime.LogReader).Logs(runtime.LogFilter{}), 10)
}

func TestCollector(t *testing.T) {
	eng := newEngine(t, runtime.NewMemoryAudit(100))
	reg := prometheus.NewRegistry()
	reg.MustRegister(prom.NewCollector(eng))
	names := []string{
		"triggergen_engine_enabled", "triggergen_triggers", "triggergen_triggers_enabled",
		"triggergen_trigger_enabled",
	}
	state := func(engine, triggersEnabled, okEnabled int) string {
		return fmt.Sprintf(`
# HELP triggergen_engine_enabled 1 when the engine runs triggers, 0 when it is switched off.
# TYPE triggergen_engine_enabled gauge
triggergen_engine_enabled %d
# HELP triggergen_trigger_enabled 1 when the trigger is switched on, 0 otherwise.
# TYPE triggergen_trigger_enabled gauge
triggergen_trigger_enabled{model="Item",trigger="item_async"} 1
triggergen_trigger_enabled{model="Item",trigger="item_fail"} 1
triggergen_trigger_enabled{model="Item",trigger="item_never"} 1
triggergen_trigger_enabled{model="Item",trigger="item_ok"} %d
triggergen_trigger_enabled{model="Item",trigger="item_panic"} 1
triggergen_trigger_enabled{model="Item",trigger="item_slow"} 1
# HELP triggergen_triggers Registered triggers.
# TYPE triggergen_triggers gauge
triggergen_triggers 6
# HELP triggergen_triggers_enabled Registered triggers that are switched on (whether or not the engine is).
# TYPE triggergen_triggers_enabled gauge
triggergen_triggers_enabled %d
`, engine, okEnabled, triggersEnabled)
	}
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(state(1, 6, 1)), names...))

	require.NoError(t, eng.SetEnabled("item_ok", false))
	eng.SetEngineEnabled(false)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(state(0, 5, 0)), names...))
	eng.SetEngineEnabled(true)
	require.NoError(t, eng.SetEnabled("item_ok", true))

	exercise(t, eng) // one async job, completed
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP triggergen_queue_capacity Jobs that may wait in the async queue.
# TYPE triggergen_queue_capacity gauge
triggergen_queue_capacity 192
# HELP triggergen_queue_depth Jobs waiting in the async queue.
# TYPE triggergen_queue_depth gauge
triggergen_queue_depth 0
# HELP triggergen_queue_jobs_completed_total Async jobs that completed.
# TYPE triggergen_queue_jobs_completed_total counter
triggergen_queue_jobs_completed_total 1
# HELP triggergen_queue_jobs_failed_total Async jobs that failed or panicked.
# TYPE triggergen_queue_jobs_failed_total counter
triggergen_queue_jobs_failed_total 0
# HELP triggergen_queue_running Jobs the async queue is running.
# TYPE triggergen_queue_running gauge
triggergen_queue_running 0
# HELP triggergen_queue_workers Worker goroutines of the async queue.
# TYPE triggergen_queue_workers gauge
triggergen_queue_workers 3
`), "triggergen_queue_capacity", "triggergen_queue_depth", "triggergen_queue_jobs_completed_total",
		"triggergen_queue_jobs_failed_total", "triggergen_queue_running", "triggergen_queue_workers"))

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// plainQueue is a queue that does not report its figures.
type plainQueue struct{}

func (plainQueue) Enqueue(ctx context.Context, j runtime.Job) error { return j.Run(ctx) }
func (plainQueue) Close(context.Context) error                      { return nil }

func TestCollectorWithoutQueueStats(t *testing.T) {
	eng := runtime.New(runtime.Config{Queue: plainQueue{}, Logger: slog.New(slog.DiscardHandler)})
	c := prom.NewCollector(eng, prom.WithNamespace("app"), prom.WithConstLabels(prometheus.Labels{"service": "api"}))
	descs := make(chan *prometheus.Desc, 20)
	c.Describe(descs)
	assert.Len(t, descs, 10, "every metric it may export is described")
	assert.Equal(t, 3, testutil.CollectAndCount(c), "no queue metrics, no trigger series")
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP app_engine_enabled 1 when the engine runs triggers, 0 when it is switched off.
# TYPE app_engine_enabled gauge
app_engine_enabled{service="api"} 1
# HELP app_triggers Registered triggers.
# TYPE app_triggers gauge
app_triggers{service="api"} 0
# HELP app_triggers_enabled Registered triggers that are switched on (whether or not the engine is).
# TYPE app_triggers_enabled gauge
app_triggers_enabled{service="api"} 0
`)))
}
