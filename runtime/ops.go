package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Status is a summary of an engine's state for operators, as Engine.Status
// reports it. Its JSON form uses the snake_case keys of the management API.
type Status struct {
	// SystemHealthy reports whether Health found no issue.
	SystemHealthy bool `json:"system_healthy"`
	// EngineEnabled reports whether the engine runs triggers at all.
	EngineEnabled bool `json:"engine_enabled"`
	// TotalTriggers counts the registered triggers; EnabledTriggers those
	// switched on (whether or not the engine is enabled).
	TotalTriggers   int `json:"total_triggers"`
	EnabledTriggers int `json:"enabled_triggers"`
	// Debug reports whether condition results are logged.
	Debug bool `json:"debug"`
	// Queue holds the async queue's figures when the queue reports them
	// (it implements QueueStatser), nil otherwise.
	Queue *QueueStats `json:"queue,omitempty"`
	// Issues are the messages of the issues Health found, never nil.
	Issues []string `json:"issues"`
	// Started is when the engine was created; Uptime how long ago that was.
	Started time.Time     `json:"started"`
	Uptime  time.Duration `json:"-"`
}

// MarshalJSON encodes the status with snake_case keys, the queue's too.
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status
	doc := struct {
		plain
		Queue         *queueDoc `json:"queue,omitempty"`
		UptimeSeconds float64   `json:"uptime_seconds"`
	}{plain: plain(s), Queue: queueDocOf(s.Queue), UptimeSeconds: s.Uptime.Seconds()}
	if doc.Issues == nil {
		doc.Issues = []string{}
	}
	return json.Marshal(doc)
}

// queueDoc is the JSON form of QueueStats.
type queueDoc struct {
	Workers   int   `json:"workers"`
	Capacity  int   `json:"capacity"`
	Queued    int   `json:"queued"`
	Running   int   `json:"running"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	Accepted  int64 `json:"accepted"`
}

func queueDocOf(q *QueueStats) *queueDoc {
	if q == nil {
		return nil
	}
	return &queueDoc{q.Workers, q.Capacity, q.Queued, q.Running, q.Completed, q.Failed, q.Accepted}
}

// Status returns the engine's current state. It runs the default health
// checks (see Health) to fill SystemHealthy and Issues.
func (e *Engine) Status() Status {
	h := e.Health()
	ts := e.snapshotTriggers()
	s := Status{
		SystemHealthy: h.Healthy,
		EngineEnabled: e.enabled.Load(),
		TotalTriggers: len(ts),
		Debug:         e.debug.Load(),
		Issues:        make([]string, 0, len(h.Issues)),
		Started:       e.started,
		Uptime:        time.Since(e.started),
	}
	for _, t := range ts {
		if t.enabled.Load() {
			s.EnabledTriggers++
		}
	}
	if qs, ok := e.queue.(QueueStatser); ok {
		q := qs.QueueStats()
		s.Queue = &q
	}
	for _, is := range h.Issues {
		s.Issues = append(s.Issues, is.Message)
	}
	return s
}

// Metrics holds the run figures of every trigger and of all of them
// together, as Engine.Metrics reports them.
//
// In JSON every key is snake_case: a figure set has executions, successes,
// failures, skipped, success_rate (percent) and the durations mean_ms,
// p50_ms, p95_ms and max_ms in milliseconds.
type Metrics struct {
	// Overall merges the figures of every trigger (see MergeStats).
	Overall Stats `json:"overall"`
	// Triggers holds each trigger's figures, sorted by name.
	Triggers []TriggerMetrics `json:"triggers"`
}

// TriggerMetrics is one trigger's figures in Metrics. In JSON the figures
// sit next to the name and model: {"name", "model", "executions", ...}.
type TriggerMetrics struct {
	// Name and Model name the trigger and its model.
	Name  string `json:"name"`
	Model string `json:"model"`
	// Stats are the trigger's figures.
	Stats Stats `json:"-"`
}

// statsDoc is the JSON form of Stats: counts, the success rate in percent
// and durations in milliseconds.
type statsDoc struct {
	Executions  int64   `json:"executions"`
	Successes   int64   `json:"successes"`
	Failures    int64   `json:"failures"`
	Skipped     int64   `json:"skipped"`
	SuccessRate float64 `json:"success_rate"`
	MeanMS      float64 `json:"mean_ms"`
	P50MS       float64 `json:"p50_ms"`
	P95MS       float64 `json:"p95_ms"`
	MaxMS       float64 `json:"max_ms"`
}

func statsDocOf(s Stats) statsDoc {
	return statsDoc{
		Executions: s.Executions, Successes: s.Successes, Failures: s.Failures, Skipped: s.Skipped,
		SuccessRate: s.SuccessRate,
		MeanMS:      millis(s.Mean), P50MS: millis(s.P50), P95MS: millis(s.P95), MaxMS: millis(s.Max),
	}
}

// millis returns d in milliseconds, truncated to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// MarshalJSON encodes the figures with snake_case keys: the counts, the
// success rate in percent and the durations in milliseconds (mean_ms,
// p50_ms, p95_ms, max_ms).
func (s Stats) MarshalJSON() ([]byte, error) { return json.Marshal(statsDocOf(s)) }

// MarshalJSON encodes the metrics with snake_case keys and durations in
// milliseconds.
func (m Metrics) MarshalJSON() ([]byte, error) {
	doc := struct {
		Overall  Stats            `json:"overall"`
		Triggers []TriggerMetrics `json:"triggers"`
	}{Overall: m.Overall, Triggers: m.Triggers}
	if doc.Triggers == nil {
		doc.Triggers = []TriggerMetrics{}
	}
	return json.Marshal(doc)
}

// MarshalJSON encodes the trigger's name and model next to its figures, in
// one flat object.
func (t TriggerMetrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name  string `json:"name"`
		Model string `json:"model"`
		statsDoc
	}{t.Name, t.Model, statsDocOf(t.Stats)})
}

// Metrics returns every trigger's figures, sorted by name, and their merge.
func (e *Engine) Metrics() Metrics {
	ts := e.snapshotTriggers()
	m := Metrics{Triggers: make([]TriggerMetrics, 0, len(ts))}
	all := make([]Stats, 0, len(ts))
	for _, t := range ts {
		s := t.stats.snapshot()
		all = append(all, s)
		m.Triggers = append(m.Triggers, TriggerMetrics{Name: t.name, Model: t.model, Stats: s})
	}
	m.Overall = MergeStats(all...)
	return m
}

// snapshotTriggers returns the registered triggers sorted by name.
func (e *Engine) snapshotTriggers() []*trig {
	e.mu.Lock()
	ts := make([]*trig, 0, len(e.triggers))
	for _, t := range e.triggers {
		ts = append(ts, t)
	}
	e.mu.Unlock()
	slices.SortFunc(ts, func(a, b *trig) int { return strings.Compare(a.name, b.name) })
	return ts
}

// Health issue codes, as HealthIssue.Code reports them.
const (
	IssueNoTriggers      = "no_triggers"
	IssueEngineDisabled  = "engine_disabled"
	IssueHighFailureRate = "high_failure_rate" // success rate below HealthThresholds.MinSuccessRate
	IssueSlowTrigger     = "slow_trigger"      // mean run time above HealthThresholds.MaxMeanDuration
	IssueQueueSaturated  = "queue_saturated"
	IssueTimeouts        = "recent_timeouts"
)

// Health is the result of the engine's health checks.
type Health struct {
	// Healthy reports that no issue was found.
	Healthy bool `json:"healthy"`
	// Issues lists what was found, never nil; trigger issues are sorted by
	// trigger name.
	Issues []HealthIssue `json:"issues"`
}

// HealthIssue is one finding of a health check.
type HealthIssue struct {
	// Code is one of the Issue constants.
	Code string `json:"code"`
	// Message says what is wrong, for people.
	Message string `json:"message"`
	// Trigger names the trigger concerned, if any.
	Trigger string `json:"trigger,omitempty"`
}

// HealthThresholds tunes the health checks (Config.Health, Engine.HealthWith).
// A zero field takes its default; the defaults follow the original
// framework's monitoring checklist (success rate at least 95%, mean run time
// at most 1s). A negative MinSuccessRate or MaxMeanDuration switches that
// check off.
type HealthThresholds struct {
	// MinExecutions is how many runs a trigger needs before its success
	// rate is judged (default 10).
	MinExecutions int64
	// MinSuccessRate is the success rate in percent below which a trigger
	// with at least MinExecutions runs is an issue (default 95).
	MinSuccessRate float64
	// MaxMeanDuration is the mean run time above which a trigger is an issue
	// (default 1s).
	MaxMeanDuration time.Duration
	// QueueSaturation is the fill level of the async queue, in percent of
	// its capacity, from which it is an issue (default 90). It applies only
	// to queues that implement QueueStatser.
	QueueSaturation float64
	// TimeoutWindow is how far back timed-out runs count (default 15m).
	TimeoutWindow time.Duration
	// MaxTimeouts is how many timed-out attempts of one trigger within
	// TimeoutWindow are tolerated (default 0: any timeout is an issue).
	MaxTimeouts int
	// TimeoutScan is how many of the newest timeout records are read from
	// the audit sink (default 1000).
	TimeoutScan int
}

func (h HealthThresholds) withDefaults() HealthThresholds {
	if h.MinExecutions <= 0 {
		h.MinExecutions = 10
	}
	if h.MinSuccessRate == 0 {
		h.MinSuccessRate = 95
	}
	if h.MaxMeanDuration == 0 {
		h.MaxMeanDuration = time.Second
	}
	if h.QueueSaturation <= 0 {
		h.QueueSaturation = 90
	}
	if h.TimeoutWindow <= 0 {
		h.TimeoutWindow = 15 * time.Minute
	}
	if h.MaxTimeouts < 0 {
		h.MaxTimeouts = 0
	}
	if h.TimeoutScan <= 0 {
		h.TimeoutScan = 1000
	}
	return h
}

// Health runs the health checks with the engine's thresholds
// (Config.Health); see HealthWith.
func (e *Engine) Health() Health { return e.HealthWith(e.cfg.Health) }

// HealthWith runs the health checks with the given thresholds. The engine
// is unhealthy when no trigger is registered, when it is disabled, when a
// trigger with at least MinExecutions runs succeeded in less than
// MinSuccessRate percent of them, when a trigger's mean run time is above
// MaxMeanDuration, when the async queue is filled to QueueSaturation
// percent, or when a trigger's attempts timed out more than MaxTimeouts
// times within TimeoutWindow.
//
// Timeouts are read from the audit sink's records (Engine.Logs with outcome
// "timeout"), so that check is skipped for a sink that is not a LogReader.
// Records are stamped with the wall clock, so the window is measured on
// time.Now, not on Config.Clock.
func (e *Engine) HealthWith(th HealthThresholds) Health {
	th = th.withDefaults()
	ts := e.snapshotTriggers()
	h := Health{Issues: []HealthIssue{}}
	add := func(code, trigger, format string, args ...any) {
		h.Issues = append(h.Issues, HealthIssue{Code: code, Trigger: trigger, Message: fmt.Sprintf(format, args...)})
	}
	if len(ts) == 0 {
		add(IssueNoTriggers, "", "no triggers are registered")
	}
	if !e.enabled.Load() {
		add(IssueEngineDisabled, "", "the engine is disabled: no trigger runs")
	}
	if qs, ok := e.queue.(QueueStatser); ok {
		q := qs.QueueStats()
		if q.Capacity > 0 && float64(q.Queued)*100 >= th.QueueSaturation*float64(q.Capacity) {
			add(IssueQueueSaturated, "", "the async queue is saturated: %d of %d slots in use", q.Queued, q.Capacity)
		}
	}
	for _, t := range ts {
		s := t.stats.snapshot()
		if s.Executions == 0 {
			continue
		}
		if th.MinSuccessRate > 0 && s.Executions >= th.MinExecutions && s.SuccessRate < th.MinSuccessRate {
			add(IssueHighFailureRate, t.name, "trigger %s succeeded in %.1f%% of %d runs (%d failed; at least %g%% expected)",
				t.name, s.SuccessRate, s.Executions, s.Failures, th.MinSuccessRate)
		}
		if th.MaxMeanDuration > 0 && s.Mean > th.MaxMeanDuration {
			add(IssueSlowTrigger, t.name, "trigger %s takes %s on average over %d runs (at most %s expected)",
				t.name, s.Mean.Round(time.Microsecond), s.Executions, th.MaxMeanDuration)
		}
	}
	if _, ok := e.audit.(LogReader); ok {
		since := time.Now().Add(-th.TimeoutWindow)
		counts := map[string]int{}
		for _, r := range e.Logs(LogFilter{Outcome: OutcomeTimeout, Limit: th.TimeoutScan}) {
			if !r.Start.Before(since) {
				counts[r.Trigger]++
			}
		}
		names := make([]string, 0, len(counts))
		for n, c := range counts {
			if c > th.MaxTimeouts {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			times := "times"
			if counts[n] == 1 {
				times = "time"
			}
			add(IssueTimeouts, n, "trigger %s timed out %d %s in the last %s", n, counts[n], times, th.TimeoutWindow)
		}
	}
	h.Healthy = len(h.Issues) == 0
	return h
}

// EngineSettings is the switchable configuration of an engine, the
// document ExportConfig writes and ImportConfig reads.
type EngineSettings struct {
	// EngineEnabled and Debug are the engine's switches.
	EngineEnabled bool `json:"engine_enabled"`
	Debug         bool `json:"debug"`
	// Triggers holds each trigger's settings, sorted by name.
	Triggers []TriggerSettings `json:"triggers"`
}

// TriggerSettings is one trigger's entry in EngineSettings. Only Name and
// Enabled are applied on import; Model, Events and Priority are exported
// for information and ignored on import.
type TriggerSettings struct {
	Name     string   `json:"name"`
	Enabled  bool     `json:"enabled"`
	Model    string   `json:"model,omitempty"`
	Events   []string `json:"events,omitempty"`
	Priority int      `json:"priority,omitempty"`
}

// Settings returns the engine's current switchable configuration.
func (e *Engine) Settings() EngineSettings {
	ts := e.snapshotTriggers()
	s := EngineSettings{
		EngineEnabled: e.enabled.Load(),
		Debug:         e.debug.Load(),
		Triggers:      make([]TriggerSettings, 0, len(ts)),
	}
	for _, t := range ts {
		s.Triggers = append(s.Triggers, TriggerSettings{
			Name: t.name, Enabled: t.enabled.Load(), Model: t.model,
			Events: slices.Clone(t.eventNames), Priority: t.priority,
		})
	}
	return s
}

// ExportConfig returns the engine's switchable configuration as indented
// JSON: an EngineSettings document.
func (e *Engine) ExportConfig() ([]byte, error) {
	return json.MarshalIndent(e.Settings(), "", "  ")
}

// importDoc is what ImportConfig decodes: EngineSettings with optional
// switches.
type importDoc struct {
	EngineEnabled *bool             `json:"engine_enabled"`
	Debug         *bool             `json:"debug"`
	Triggers      []importedTrigger `json:"triggers"`
}

type importedTrigger struct {
	Name     string   `json:"name"`
	Enabled  *bool    `json:"enabled"`
	Model    string   `json:"model"`
	Events   []string `json:"events"`
	Priority int      `json:"priority"`
}

// ImportConfig applies a document in the form ExportConfig writes: each
// listed trigger's enabled flag, and engine_enabled and debug when present.
// Triggers the document does not list, and keys it leaves out, are left as
// they are; model, events and priority are ignored.
//
// The document is decoded strictly: unknown keys, keys in another case than
// ExportConfig writes them, wrong types, trailing data, an entry without a
// name or a trigger listed twice are errors. Every
// name is checked before anything changes; unknown names are reported
// together in one error wrapping ErrNotFound. On any error nothing changes.
func (e *Engine) ImportConfig(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc importDoc
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("import config: empty document")
		}
		return fmt.Errorf("import config: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("import config: data after the JSON document")
	}
	if err := checkKeyCase(data); err != nil {
		return fmt.Errorf("import config: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	var unknown []string
	e.mu.Lock()
	for i, t := range doc.Triggers {
		switch {
		case t.Name == "":
			errs = append(errs, fmt.Errorf("triggers[%d]: no name", i))
		case seen[t.Name]:
			errs = append(errs, fmt.Errorf("triggers[%d]: %q is listed twice", i, t.Name))
		default:
			seen[t.Name] = true
			if _, ok := e.triggers[t.Name]; !ok {
				unknown = append(unknown, t.Name)
			}
		}
	}
	e.mu.Unlock()
	if len(unknown) > 0 {
		slices.Sort(unknown)
		errs = append(errs, fmt.Errorf("unknown triggers %s: %w", strings.Join(quoteAll(unknown), ", "), ErrNotFound))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("import config (nothing changed): %w", err)
	}
	for _, t := range doc.Triggers {
		if t.Enabled == nil {
			continue
		}
		if err := e.SetEnabled(t.Name, *t.Enabled); err != nil {
			return fmt.Errorf("import config: %w", err)
		}
	}
	if doc.EngineEnabled != nil {
		e.SetEngineEnabled(*doc.EngineEnabled)
	}
	if doc.Debug != nil {
		e.SetDebug(*doc.Debug)
	}
	return nil
}

// checkKeyCase reports a key of an import document that encoding/json
// matched without regard to case: keys must be written as ExportConfig
// writes them. The document has already decoded into importDoc.
func checkKeyCase(data []byte) error {
	var doc struct {
		Top      map[string]json.RawMessage
		Triggers []map[string]json.RawMessage `json:"triggers"`
	}
	if err := json.Unmarshal(data, &doc.Top); err != nil {
		return err
	}
	check := func(where string, m map[string]json.RawMessage, keys ...string) error {
		for k := range m {
			if !slices.Contains(keys, k) {
				for _, want := range keys {
					if strings.EqualFold(k, want) {
						return fmt.Errorf("%skey %q: keys are case-sensitive, use %q", where, k, want)
					}
				}
			}
		}
		return nil
	}
	if err := check("", doc.Top, "engine_enabled", "debug", "triggers"); err != nil {
		return err
	}
	for k, raw := range doc.Top {
		if strings.EqualFold(k, "triggers") && string(raw) != "null" {
			if err := json.Unmarshal(raw, &doc.Triggers); err != nil {
				return err
			}
		}
	}
	for i, t := range doc.Triggers {
		if err := check(fmt.Sprintf("triggers[%d]: ", i), t, "name", "enabled", "model", "events", "priority"); err != nil {
			return err
		}
	}
	return nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// TriggerEvent returns the event the named trigger handles under the given
// name: a built-in event's snake_case name or a custom event's declared
// name. It reports false when the trigger is unknown or does not handle an
// event of that name.
func (e *Engine) TriggerEvent(trigger, event string) (Event, bool) {
	t, ok := e.findTrigger(trigger)
	if !ok {
		return 0, false
	}
	if i := slices.Index(t.eventNames, event); i >= 0 && i < len(t.events) {
		return t.events[i], true
	}
	return 0, false
}
