package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/report"
)

// opsQueue is a Queue that reports fixed figures and runs jobs inline.
type opsQueue struct{ stats runtime.QueueStats }

func (q *opsQueue) Enqueue(ctx context.Context, j runtime.Job) error { return j.Run(ctx) }
func (q *opsQueue) Close(context.Context) error                      { return nil }
func (q *opsQueue) QueueStats() runtime.QueueStats                   { return q.stats }

// opsPlainQueue is a Queue that does not report figures.
type opsPlainQueue struct{}

func (opsPlainQueue) Enqueue(ctx context.Context, j runtime.Job) error { return j.Run(ctx) }
func (opsPlainQueue) Close(context.Context) error                      { return nil }

// opsPlainSink is an AuditSink that cannot be read.
type opsPlainSink struct{}

func (opsPlainSink) Record(runtime.ExecutionRecord) {}

// opsFailing registers "flaky", an after_update trigger that fails for cards
// whose Status is "bad", and "steady", which always succeeds.
func opsFailing(t *testing.T, eng *runtime.Engine) {
	t.Helper()
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "flaky", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: acts(func(_ context.Context, c *CardChange) error {
			if c.New.Status == "bad" {
				return errBoom
			}
			return nil
		}),
	})
	on(t, eng, runtime.Trigger[CardChange]{Name: "steady", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
}

// opsSlow registers a trigger "slow" that takes d, and runs it once.
func opsSlow(t *testing.T, eng *runtime.Engine, d time.Duration) {
	t.Helper()
	on(t, eng, runtime.Trigger[CardChange]{Name: "slow", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: acts(func(context.Context, *CardChange) error { time.Sleep(d); return nil })})
	c := &Card{ID: "c1"}
	old := SnapshotCard(c)
	require.NoError(t, UpdateCard(context.Background(), eng, &old, c, nil))
}

// opsUpdates runs ok good and bad failing updates of a card.
func opsUpdates(t *testing.T, eng *runtime.Engine, good, bad int) {
	t.Helper()
	ctx := context.Background()
	for i := range good + bad {
		c := &Card{ID: "c1", Status: "good"}
		if i >= good {
			c.Status = "bad"
		}
		old := SnapshotCard(c)
		_ = UpdateCard(ctx, eng, &old, c, nil)
	}
}

// opsJSONObject decodes b as a JSON object.
func opsJSONObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	return m
}

func TestStatus(t *testing.T) {
	eng := newEngine(t, runtime.Config{MaxWorkers: 3})
	s := report.StatusOf(eng, report.Thresholds{})
	assert.False(t, s.SystemHealthy, "no triggers is an issue")
	assert.Equal(t, []string{"no triggers are registered"}, s.Issues)
	assert.Zero(t, s.TotalTriggers)

	on(t, eng, runtime.Trigger[CardChange]{Name: "a", Events: []runtime.Event{runtime.AfterCreate}, Actions: acts(noop)})
	on(t, eng, runtime.Trigger[CardChange]{Name: "b", Events: []runtime.Event{runtime.AfterCreate}, Actions: acts(noop), Options: runtime.Options{Disabled: true}})
	s = report.StatusOf(eng, report.Thresholds{})
	assert.True(t, s.SystemHealthy)
	assert.True(t, s.EngineEnabled)
	assert.Equal(t, 2, s.TotalTriggers)
	assert.Equal(t, 1, s.EnabledTriggers)
	assert.False(t, s.Debug)
	require.NotNil(t, s.Queue, "the default pool reports its figures")
	assert.Equal(t, 3, s.Queue.Workers)
	assert.NotNil(t, s.Issues)
	assert.Empty(t, s.Issues)

	eng.SetDebug(true)
	eng.SetEngineEnabled(false)
	s = report.StatusOf(eng, report.Thresholds{})
	assert.True(t, s.Debug)
	assert.False(t, s.EngineEnabled)
	assert.False(t, s.SystemHealthy)
	assert.Equal(t, []string{"the engine is disabled: no trigger runs"}, s.Issues)

	b, err := json.Marshal(s)
	require.NoError(t, err)
	m := opsJSONObject(t, b)
	for _, k := range []string{"system_healthy", "engine_enabled", "total_triggers", "enabled_triggers", "debug", "queue", "issues"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, float64(2), m["total_triggers"])
	assert.Equal(t, false, m["engine_enabled"])
	q, ok := m["queue"].(map[string]any)
	require.True(t, ok, "queue is an object: %s", b)
	for _, k := range []string{"workers", "capacity", "queued", "running", "completed", "failed"} {
		assert.Contains(t, q, k)
	}
}

func TestStatusQueueWithoutFigures(t *testing.T) {
	eng := newEngine(t, runtime.Config{Queue: opsPlainQueue{}})
	s := report.StatusOf(eng, report.Thresholds{})
	assert.Nil(t, s.Queue)
	b, err := json.Marshal(s)
	require.NoError(t, err)
	m := opsJSONObject(t, b)
	assert.NotContains(t, m, "queue")
	assert.Equal(t, []any{"no triggers are registered"}, m["issues"])

	b, err = json.Marshal(report.Status{})
	require.NoError(t, err)
	assert.Equal(t, []any{}, opsJSONObject(t, b)["issues"], "nil issues encode as []")
}

func TestMetrics(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	m := report.MetricsOf(eng)
	assert.Empty(t, m.Triggers)
	assert.Zero(t, m.Overall)

	opsFailing(t, eng)
	require.NoError(t, runtime.On(eng, ShopModel, runtime.Trigger[ShopChange]{
		Name: "a_shop", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[ShopChange]{func(context.Context, *ShopChange) error { return nil }},
	}))
	opsUpdates(t, eng, 3, 1)

	m = report.MetricsOf(eng)
	require.Len(t, m.Triggers, 3)
	assert.Equal(t, []string{"a_shop", "flaky", "steady"}, []string{m.Triggers[0].Name, m.Triggers[1].Name, m.Triggers[2].Name})
	assert.Equal(t, "Shop", m.Triggers[0].Model)
	assert.Equal(t, "Card", m.Triggers[1].Model)
	flaky := m.Triggers[1].Stats
	assert.Equal(t, int64(4), flaky.Executions)
	assert.Equal(t, int64(1), flaky.Failures)
	assert.InDelta(t, 75, flaky.SuccessRate, 1e-9)
	assert.Equal(t, int64(8), m.Overall.Executions)
	assert.Equal(t, int64(7), m.Overall.Successes)
	assert.InDelta(t, 87.5, m.Overall.SuccessRate, 1e-9)

	b, err := json.Marshal(m)
	require.NoError(t, err)
	doc := opsJSONObject(t, b)
	overall, ok := doc["overall"].(map[string]any)
	require.True(t, ok, "%s", b)
	statKeys := []string{"executions", "successes", "failures", "skipped", "success_rate", "mean_ms", "p50_ms", "p95_ms", "max_ms"}
	for _, k := range statKeys {
		assert.Contains(t, overall, k)
	}
	assert.Equal(t, float64(8), overall["executions"])
	trs, ok := doc["triggers"].([]any)
	require.True(t, ok, "%s", b)
	require.Len(t, trs, 3)
	tr := trs[1].(map[string]any)
	assert.Equal(t, "flaky", tr["name"])
	assert.Equal(t, "Card", tr["model"])
	assert.Equal(t, float64(1), tr["failures"])
	for _, k := range statKeys {
		assert.Contains(t, tr, k)
	}

	b, err = json.Marshal(report.Metrics{})
	require.NoError(t, err)
	assert.Equal(t, []any{}, opsJSONObject(t, b)["triggers"])
}

func TestHealth(t *testing.T) {
	codes := func(h report.Health) []string {
		out := []string{}
		for _, is := range h.Issues {
			out = append(out, is.Code+":"+is.Trigger)
		}
		return out
	}
	now := time.Now()
	timeout := func(trigger string, ago time.Duration) runtime.ExecutionRecord {
		return runtime.ExecutionRecord{Trigger: trigger, Model: "Card", Outcome: runtime.OutcomeTimeout, Start: now.Add(-ago), Attempt: 1}
	}
	tests := []struct {
		name     string
		cfg      runtime.Config
		setup    func(t *testing.T, eng *runtime.Engine)
		th       report.Thresholds
		want     []string
		wantText string
	}{
		{name: "no triggers", want: []string{"no_triggers:"}},
		{
			name:  "healthy",
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng); opsUpdates(t, eng, 20, 0) },
			want:  []string{},
		},
		{
			name:  "engine disabled",
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng); eng.SetEngineEnabled(false) },
			want:  []string{"engine_disabled:"},
		},
		{
			name:     "success rate below 95 percent",
			setup:    func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng); opsUpdates(t, eng, 18, 2) },
			want:     []string{"high_failure_rate:flaky"},
			wantText: "trigger flaky succeeded in 90.0% of 20 runs (2 failed; at least 95% expected)",
		},
		{
			name:  "success rate of exactly 95 percent is tolerated",
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng); opsUpdates(t, eng, 19, 1) },
			want:  []string{},
		},
		{
			name:  "too few runs to judge",
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng); opsUpdates(t, eng, 0, 9) },
			want:  []string{},
		},
		{
			name:  "custom thresholds",
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng); opsUpdates(t, eng, 3, 1) },
			th:    report.Thresholds{MinExecutions: 4, MinSuccessRate: 80},
			want:  []string{"high_failure_rate:flaky"},
		},
		{
			name:  "the success rate check switched off",
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng); opsUpdates(t, eng, 0, 10) },
			th:    report.Thresholds{MinSuccessRate: -1},
			want:  []string{},
		},
		{
			name:  "mean run time above the limit",
			setup: func(t *testing.T, eng *runtime.Engine) { opsSlow(t, eng, 2*time.Millisecond) },
			th:    report.Thresholds{MaxMeanDuration: time.Millisecond},
			want:  []string{"slow_trigger:slow"},
		},
		{
			name:  "mean run time within the limit",
			setup: func(t *testing.T, eng *runtime.Engine) { opsSlow(t, eng, time.Millisecond) },
			want:  []string{},
		},
		{
			name:  "the mean run time check switched off",
			setup: func(t *testing.T, eng *runtime.Engine) { opsSlow(t, eng, 2*time.Millisecond) },
			th:    report.Thresholds{MaxMeanDuration: -1, MinSuccessRate: -1},
			want:  []string{},
		},
		{
			name:     "queue saturated",
			cfg:      runtime.Config{Queue: &opsQueue{stats: runtime.QueueStats{Workers: 1, Capacity: 10, Queued: 9}}},
			setup:    func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng) },
			want:     []string{"queue_saturated:"},
			wantText: "the async queue is saturated: 9 of 10 slots in use",
		},
		{
			name:  "queue below saturation",
			cfg:   runtime.Config{Queue: &opsQueue{stats: runtime.QueueStats{Workers: 1, Capacity: 10, Queued: 8}}},
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng) },
			want:  []string{},
		},
		{
			name:  "queue saturation threshold",
			cfg:   runtime.Config{Queue: &opsQueue{stats: runtime.QueueStats{Workers: 1, Capacity: 10, Queued: 5}}},
			setup: func(t *testing.T, eng *runtime.Engine) { opsFailing(t, eng) },
			th:    report.Thresholds{QueueSaturation: 50},
			want:  []string{"queue_saturated:"},
		},
		{
			name: "recent timeouts",
			setup: func(t *testing.T, eng *runtime.Engine) {
				opsFailing(t, eng)
				a := eng.Config().Audit
				a.Record(timeout("steady", time.Minute))
				a.Record(timeout("flaky", 2*time.Minute))
				a.Record(timeout("steady", time.Second))
				a.Record(runtime.ExecutionRecord{Trigger: "other", Outcome: runtime.OutcomeFailure, Start: now})
			},
			want:     []string{"recent_timeouts:flaky", "recent_timeouts:steady"},
			wantText: "trigger flaky timed out 1 time in the last 15m0s",
		},
		{
			name: "old timeouts are outside the window",
			setup: func(t *testing.T, eng *runtime.Engine) {
				opsFailing(t, eng)
				eng.Config().Audit.Record(timeout("steady", time.Hour))
			},
			want: []string{},
		},
		{
			name: "timeouts within the tolerance",
			setup: func(t *testing.T, eng *runtime.Engine) {
				opsFailing(t, eng)
				eng.Config().Audit.Record(timeout("steady", time.Second))
				eng.Config().Audit.Record(timeout("steady", 90*time.Minute))
				eng.Config().Audit.Record(timeout("flaky", time.Second))
				eng.Config().Audit.Record(timeout("flaky", 3*time.Hour))
			},
			th:   report.Thresholds{MaxTimeouts: 1, TimeoutWindow: 2 * time.Hour},
			want: []string{"recent_timeouts:steady"},
		},
		{
			name: "a sink that cannot be read skips the timeout check",
			cfg:  runtime.Config{Audit: opsPlainSink{}},
			setup: func(t *testing.T, eng *runtime.Engine) {
				opsFailing(t, eng)
				eng.Config().Audit.Record(timeout("steady", time.Second))
			},
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, tt.cfg)
			if tt.setup != nil {
				tt.setup(t, eng)
			}
			h := report.HealthOf(eng, tt.th)
			assert.Equal(t, tt.want, codes(h))
			assert.Equal(t, len(tt.want) == 0, h.Healthy)
			assert.NotNil(t, h.Issues)
			if tt.wantText != "" {
				var msgs []string
				for _, is := range h.Issues {
					msgs = append(msgs, is.Message)
				}
				assert.Contains(t, msgs, tt.wantText)
			}
			if tt.th == (report.Thresholds{}) {
				assert.Equal(t, h, report.HealthOf(eng, report.Thresholds{}.WithDefaults()), "a zero threshold takes its default")
			}
		})
	}
}

func TestHealthJSON(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	b, err := json.Marshal(report.HealthOf(eng, report.Thresholds{}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"healthy":false,"issues":[{"code":"no_triggers","message":"no triggers are registered"}]}`, string(b))
}

func TestHealthCountsRealTimeouts(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "slow", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Timeout: time.Millisecond},
		Actions: acts(func(ctx context.Context, _ *CardChange) error { <-ctx.Done(); return ctx.Err() }),
	})
	opsUpdates(t, eng, 1, 0)
	h := report.HealthOf(eng, report.Thresholds{})
	require.Len(t, h.Issues, 1)
	assert.Equal(t, report.IssueTimeouts, h.Issues[0].Code)
	assert.Equal(t, "slow", h.Issues[0].Trigger)
}

func TestExportImportConfigRoundTrip(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	opsFailing(t, eng)
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "review", Events: []runtime.Event{CardFraudReview, runtime.AfterCreate},
		Options: runtime.Options{Priority: runtime.PriorityHigh, Disabled: true}, Actions: acts(noop),
	})
	eng.SetDebug(true)

	data, err := report.Export(eng)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"engine_enabled": true,
		"debug": true,
		"triggers": [
			{"name": "flaky", "enabled": true, "model": "Card", "events": ["after_update"], "priority": 50},
			{"name": "review", "enabled": false, "model": "Card", "events": ["fraud_review", "after_create"], "priority": 75},
			{"name": "steady", "enabled": true, "model": "Card", "events": ["after_update"], "priority": 50}
		]
	}`, string(data))

	require.NoError(t, eng.SetEnabled("flaky", false))
	require.NoError(t, eng.SetEnabled("review", true))
	eng.SetEngineEnabled(false)
	eng.SetDebug(false)
	changed, err := report.Export(eng)
	require.NoError(t, err)
	assert.NotEqual(t, string(data), string(changed))

	require.NoError(t, report.Import(eng, data))
	again, err := report.Export(eng)
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again))
	info, _ := eng.Trigger("review")
	assert.False(t, info.Enabled)
	assert.True(t, eng.EngineEnabled())
	assert.True(t, eng.Debug())

	// Only what a document lists changes.
	require.NoError(t, report.Import(eng, []byte(`{"triggers":[{"name":"steady","enabled":false}]}`)))
	s := report.SettingsOf(eng)
	assert.True(t, s.EngineEnabled)
	assert.True(t, s.Debug)
	assert.Equal(t, []bool{true, false, false}, []bool{s.Triggers[0].Enabled, s.Triggers[1].Enabled, s.Triggers[2].Enabled})
	require.NoError(t, report.Import(eng, []byte(`{"debug":false}`)))
	assert.False(t, eng.Debug())
	require.NoError(t, report.Import(eng, []byte(`{"triggers":[{"name":"flaky"}]}`)), "an entry without enabled changes nothing")
	info, _ = eng.Trigger("flaky")
	assert.True(t, info.Enabled)
}

func TestImportConfigRejects(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
		notFound  bool
	}{
		{
			name:     "unknown names",
			doc:      `{"engine_enabled":false,"triggers":[{"name":"zeta","enabled":true},{"name":"steady","enabled":false},{"name":"alpha","enabled":true}]}`,
			want:     []string{`unknown triggers "alpha", "zeta"`, "nothing changed"},
			notFound: true,
		},
		{name: "unknown key", doc: `{"engine_enabled":false,"colour":"red"}`, want: []string{`unknown field "colour"`}},
		{name: "unknown trigger key", doc: `{"triggers":[{"name":"steady","enabled":false,"on":true}]}`, want: []string{`unknown field "on"`}},
		{name: "wrong type", doc: `{"triggers":[{"name":"steady","enabled":"no"}]}`, want: []string{"cannot unmarshal string", "enabled"}},
		{name: "not an object", doc: `[1,2]`, want: []string{"cannot unmarshal array"}},
		{name: "trailing data", doc: `{"debug":true} {"debug":false}`, want: []string{"data after the JSON document"}},
		{name: "trailing garbage", doc: `{"debug":true}]`, want: []string{"data after the JSON document"}},
		{name: "empty", doc: ``, want: []string{"empty document"}},
		{name: "syntax", doc: `{"debug":`, want: []string{"import config"}},
		{name: "no name", doc: `{"triggers":[{"enabled":false}]}`, want: []string{"triggers[0]: no name"}},
		{name: "listed twice", doc: `{"triggers":[{"name":"steady","enabled":false},{"name":"steady","enabled":true}]}`, want: []string{`triggers[1]: "steady" is listed twice`}},
		{name: "wrongly cased key", doc: `{"Engine_Enabled":false}`, want: []string{`key "Engine_Enabled": keys are case-sensitive, use "engine_enabled"`}},
		{name: "wrongly cased trigger key", doc: `{"triggers":[{"name":"steady","Enabled":false}]}`, want: []string{`triggers[0]: key "Enabled": keys are case-sensitive, use "enabled"`}},
		{name: "wrongly cased triggers key", doc: `{"TRIGGERS":[{"name":"steady","enabled":false}]}`, want: []string{`key "TRIGGERS"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			opsFailing(t, eng)
			before := report.SettingsOf(eng)
			err := report.Import(eng, []byte(tt.doc))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, tt.notFound, errors.Is(err, runtime.ErrNotFound))
			assert.Equal(t, before, report.SettingsOf(eng), "nothing changed")
		})
	}
}

func TestTriggerEvent(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "review", Events: []runtime.Event{runtime.AfterUpdate, CardFraudReview}, Actions: acts(noop),
	})
	tests := []struct {
		trigger, event string
		want           runtime.Event
		ok             bool
	}{
		{"review", "after_update", runtime.AfterUpdate, true},
		{"review", "fraud_review", CardFraudReview, true},
		{"review", "after_create", 0, false},
		{"review", "custom_64", 0, false},
		{"review", "", 0, false},
		{"nope", "after_update", 0, false},
	}
	for _, tt := range tests {
		ev, ok := eng.TriggerEvent(tt.trigger, tt.event)
		assert.Equal(t, tt.ok, ok, "%s %s", tt.trigger, tt.event)
		assert.Equal(t, tt.want, ev, "%s %s", tt.trigger, tt.event)
	}
}

func TestThresholdsDefaults(t *testing.T) {
	th := report.Thresholds{}.WithDefaults()
	assert.Equal(t, 95.0, th.MinSuccessRate, "the original framework's checklist: success rate at least 95%")
	assert.Equal(t, time.Second, th.MaxMeanDuration, "the original framework's checklist: mean run time at most 1s")
	assert.Equal(t, report.Thresholds{MinExecutions: 10, MinSuccessRate: 95, MaxMeanDuration: time.Second,
		QueueSaturation: 90, TimeoutWindow: 15 * time.Minute, TimeoutScan: 1000}, th)
}

func TestThresholdsFromEnv(t *testing.T) {
	def := report.Thresholds{}.WithDefaults()
	with := func(edit func(th *report.Thresholds)) report.Thresholds {
		th := def
		edit(&th)
		return th
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    report.Thresholds
		wantErr []string // variable names the error must name
	}{
		{name: "defaults", want: def},
		{name: "empty values are defaults", env: map[string]string{report.EnvMinExecutions: ""}, want: def},
		{
			name: "all set",
			env:  map[string]string{report.EnvMinExecutions: "3", report.EnvMinSuccessRate: "99.5", report.EnvMaxMeanTime: "250ms"},
			want: with(func(th *report.Thresholds) {
				th.MinExecutions, th.MinSuccessRate, th.MaxMeanDuration = 3, 99.5, 250*time.Millisecond
			}),
		},
		{
			name: "seconds as the original framework writes them",
			env:  map[string]string{report.EnvMaxMeanTime: "2"},
			want: with(func(th *report.Thresholds) { th.MaxMeanDuration = 2 * time.Second }),
		},
		{name: "success rate above 100", env: map[string]string{report.EnvMinSuccessRate: "120"}, want: def, wantErr: []string{report.EnvMinSuccessRate}},
		{name: "bad executions", env: map[string]string{report.EnvMinExecutions: "0"}, want: def, wantErr: []string{report.EnvMinExecutions}},
		{name: "bad mean time", env: map[string]string{report.EnvMaxMeanTime: "-1s"}, want: def, wantErr: []string{report.EnvMaxMeanTime}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{report.EnvMinExecutions, report.EnvMinSuccessRate, report.EnvMaxMeanTime} {
				t.Setenv(k, tt.env[k])
			}
			th, err := report.ThresholdsFromEnv()
			assert.Equal(t, tt.want, th)
			if len(tt.wantErr) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, name := range tt.wantErr {
				assert.Contains(t, err.Error(), name)
			}
		})
	}
	assert.Equal(t, "TRIGGER_HEALTH_MIN_SUCCESS_RATE", report.EnvMinSuccessRate)
}
