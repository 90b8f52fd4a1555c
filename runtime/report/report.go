// Package report holds the operator reports on a trigger engine: its status,
// its statistics, its health checks, and the export and import of its
// switchable configuration. The management API (runtime/manage) serves them;
// any other operator tool can call them. They read the engine through its
// public API only, so the engine itself needs no JSON and no health policy.
//
// JSON keys are snake_case, as in the management API: a Status encodes as
// {"system_healthy", "engine_enabled", "total_triggers", ...}.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triggergen/triggergen/runtime"
)

// Status is a summary of an engine's state for operators. Its JSON form uses
// the snake_case keys of the management API.
type Status struct {
	// SystemHealthy reports whether the health checks found no issue.
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
	// (it implements runtime.QueueStatser), nil otherwise.
	Queue *runtime.QueueStats `json:"queue,omitempty"`
	// Issues are the messages of the issues the health checks found, never
	// nil.
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

// queueDoc is the JSON form of runtime.QueueStats.
type queueDoc struct {
	Workers   int   `json:"workers"`
	Capacity  int   `json:"capacity"`
	Queued    int   `json:"queued"`
	Running   int   `json:"running"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	Accepted  int64 `json:"accepted"`
}

func queueDocOf(q *runtime.QueueStats) *queueDoc {
	if q == nil {
		return nil
	}
	return &queueDoc{q.Workers, q.Capacity, q.Queued, q.Running, q.Completed, q.Failed, q.Accepted}
}

// StatusOf returns the engine's current state. It runs the health checks
// with th (see HealthOf) to fill SystemHealthy and Issues.
func StatusOf(eng *runtime.Engine, th Thresholds) Status {
	h := HealthOf(eng, th)
	ts := eng.List(runtime.ListFilter{})
	s := Status{
		SystemHealthy: h.Healthy,
		EngineEnabled: eng.EngineEnabled(),
		TotalTriggers: len(ts),
		Debug:         eng.Debug(),
		Issues:        make([]string, 0, len(h.Issues)),
		Started:       eng.Started(),
		Uptime:        time.Since(eng.Started()),
	}
	for _, t := range ts {
		if t.Enabled {
			s.EnabledTriggers++
		}
	}
	if qs, ok := eng.Config().Queue.(runtime.QueueStatser); ok {
		q := qs.QueueStats()
		s.Queue = &q
	}
	for _, is := range h.Issues {
		s.Issues = append(s.Issues, is.Message)
	}
	return s
}

// Metrics holds the run figures of every trigger and of all of them
// together.
//
// In JSON every key is snake_case: a figure set has executions, successes,
// failures, skipped, success_rate (percent) and the durations mean_ms,
// p50_ms, p95_ms and max_ms in milliseconds (see Figures).
type Metrics struct {
	// Overall merges the figures of every trigger (see MergeStats).
	Overall runtime.Stats
	// Triggers holds each trigger's figures, sorted by name.
	Triggers []TriggerMetrics
}

// TriggerMetrics is one trigger's figures in Metrics. In JSON the figures
// sit next to the name and model: {"name", "model", "executions", ...}.
type TriggerMetrics struct {
	// Name and Model name the trigger and its model.
	Name  string
	Model string
	// Stats are the trigger's figures.
	Stats runtime.Stats
}

// Figures is the JSON form of runtime.Stats: counts, the success rate in
// percent and durations in milliseconds, truncated to the microsecond.
type Figures struct {
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

// FiguresOf returns the JSON form of s.
func FiguresOf(s runtime.Stats) Figures {
	return Figures{
		Executions: s.Executions, Successes: s.Successes, Failures: s.Failures, Skipped: s.Skipped,
		SuccessRate: s.SuccessRate,
		MeanMS:      millis(s.Mean), P50MS: millis(s.P50), P95MS: millis(s.P95), MaxMS: millis(s.Max),
	}
}

// millis returns d in milliseconds, truncated to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// MarshalJSON encodes the metrics with snake_case keys and durations in
// milliseconds.
func (m Metrics) MarshalJSON() ([]byte, error) {
	doc := struct {
		Overall  Figures          `json:"overall"`
		Triggers []TriggerMetrics `json:"triggers"`
	}{Overall: FiguresOf(m.Overall), Triggers: m.Triggers}
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
		Figures
	}{t.Name, t.Model, FiguresOf(t.Stats)})
}

// MetricsOf returns every trigger's figures, sorted by name, and their
// merge.
func MetricsOf(eng *runtime.Engine) Metrics {
	ts := eng.List(runtime.ListFilter{})
	m := Metrics{Triggers: make([]TriggerMetrics, 0, len(ts))}
	all := make([]runtime.Stats, 0, len(ts))
	for _, t := range ts {
		all = append(all, t.Stats)
		m.Triggers = append(m.Triggers, TriggerMetrics{Name: t.Name, Model: t.Model, Stats: t.Stats})
	}
	m.Overall = MergeStats(all...)
	return m
}

// Health issue codes, as Issue.Code reports them.
const (
	IssueNoTriggers      = "no_triggers"
	IssueEngineDisabled  = "engine_disabled"
	IssueHighFailureRate = "high_failure_rate" // success rate below Thresholds.MinSuccessRate
	IssueSlowTrigger     = "slow_trigger"      // mean run time above Thresholds.MaxMeanDuration
	IssueQueueSaturated  = "queue_saturated"
	IssueTimeouts        = "recent_timeouts"
)

// Health is the result of the health checks.
type Health struct {
	// Healthy reports that no issue was found.
	Healthy bool `json:"healthy"`
	// Issues lists what was found, never nil; trigger issues are sorted by
	// trigger name.
	Issues []Issue `json:"issues"`
}

// Issue is one finding of a health check.
type Issue struct {
	// Code is one of the Issue constants.
	Code string `json:"code"`
	// Message says what is wrong, for people.
	Message string `json:"message"`
	// Trigger names the trigger concerned, if any.
	Trigger string `json:"trigger,omitempty"`
}

// Thresholds tune the health checks. A zero field takes its default; the
// defaults follow the original framework's monitoring checklist (success
// rate at least 95%, mean run time at most 1s). A negative MinSuccessRate
// or MaxMeanDuration switches that check off.
type Thresholds struct {
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
	// to queues that implement runtime.QueueStatser.
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

// WithDefaults returns th with its zero fields set to their defaults.
func (th Thresholds) WithDefaults() Thresholds {
	if th.MinExecutions <= 0 {
		th.MinExecutions = 10
	}
	if th.MinSuccessRate == 0 {
		th.MinSuccessRate = 95
	}
	if th.MaxMeanDuration == 0 {
		th.MaxMeanDuration = time.Second
	}
	if th.QueueSaturation <= 0 {
		th.QueueSaturation = 90
	}
	if th.TimeoutWindow <= 0 {
		th.TimeoutWindow = 15 * time.Minute
	}
	if th.MaxTimeouts < 0 {
		th.MaxTimeouts = 0
	}
	if th.TimeoutScan <= 0 {
		th.TimeoutScan = 1000
	}
	return th
}

// Environment variables read by ThresholdsFromEnv.
const (
	EnvMinExecutions  = "TRIGGER_HEALTH_MIN_EXECUTIONS"
	EnvMinSuccessRate = "TRIGGER_HEALTH_MIN_SUCCESS_RATE"
	EnvMaxMeanTime    = "TRIGGER_HEALTH_MAX_MEAN_TIME"
)

// ThresholdsFromEnv returns the thresholds read from
// TRIGGER_HEALTH_MIN_EXECUTIONS (an int, default 10),
// TRIGGER_HEALTH_MIN_SUCCESS_RATE (percent, default 95) and
// TRIGGER_HEALTH_MAX_MEAN_TIME (default 1s: a whole number of seconds, as
// the original framework's settings write it, or a Go duration), with the
// defaults of the others. Unset or empty variables take their defaults; a
// malformed one is an error naming it, and the defaults are returned with
// it.
func ThresholdsFromEnv() (Thresholds, error) {
	th := Thresholds{}.WithDefaults()
	var errs []error
	if v, ok := os.LookupEnv(EnvMinExecutions); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive integer", EnvMinExecutions, v))
		} else {
			th.MinExecutions = n
		}
	}
	if v, ok := os.LookupEnv(EnvMinSuccessRate); ok && v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 100 {
			errs = append(errs, fmt.Errorf("%s=%q: want a percentage from 0 to 100", EnvMinSuccessRate, v))
		} else {
			th.MinSuccessRate = f
		}
	}
	if v, ok := os.LookupEnv(EnvMaxMeanTime); ok && v != "" {
		d, err := parseSeconds(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want seconds (30) or a duration (30s, 500ms)", EnvMaxMeanTime, v))
		} else {
			th.MaxMeanDuration = d
		}
	}
	return th, errors.Join(errs...)
}

// parseSeconds reads a time setting: a whole number of seconds ("30") or a
// Go duration ("30s"); negative values are errors.
func parseSeconds(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(1<<63-1)/int64(time.Second) {
			return 0, errors.New("out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, errors.New("negative")
	}
	return d, nil
}

// HealthOf runs the health checks with the given thresholds (a zero field
// takes its default). The engine is unhealthy when no trigger is
// registered, when it is disabled, when a trigger with at least
// MinExecutions runs succeeded in less than MinSuccessRate percent of them,
// when a trigger's mean run time is above MaxMeanDuration, when the async
// queue is filled to QueueSaturation percent, or when a trigger's attempts
// timed out more than MaxTimeouts times within TimeoutWindow.
//
// Timeouts are read from the audit sink's records (Engine.Logs with outcome
// "timeout"), so that check is skipped for a sink that is not a
// runtime.LogReader. Records are stamped with the wall clock, so the window
// is measured on time.Now, not on Config.Clock.
func HealthOf(eng *runtime.Engine, th Thresholds) Health {
	th = th.WithDefaults()
	ts := eng.List(runtime.ListFilter{})
	h := Health{Issues: []Issue{}}
	add := func(code, trigger, format string, args ...any) {
		h.Issues = append(h.Issues, Issue{Code: code, Trigger: trigger, Message: fmt.Sprintf(format, args...)})
	}
	if len(ts) == 0 {
		add(IssueNoTriggers, "", "no triggers are registered")
	}
	if !eng.EngineEnabled() {
		add(IssueEngineDisabled, "", "the engine is disabled: no trigger runs")
	}
	if qs, ok := eng.Config().Queue.(runtime.QueueStatser); ok {
		q := qs.QueueStats()
		if q.Capacity > 0 && float64(q.Queued)*100 >= th.QueueSaturation*float64(q.Capacity) {
			add(IssueQueueSaturated, "", "the async queue is saturated: %d of %d slots in use", q.Queued, q.Capacity)
		}
	}
	for _, t := range ts {
		s := t.Stats
		if s.Executions == 0 {
			continue
		}
		if th.MinSuccessRate > 0 && s.Executions >= th.MinExecutions && s.SuccessRate < th.MinSuccessRate {
			add(IssueHighFailureRate, t.Name, "trigger %s succeeded in %.1f%% of %d runs (%d failed; at least %g%% expected)",
				t.Name, s.SuccessRate, s.Executions, s.Failures, th.MinSuccessRate)
		}
		if th.MaxMeanDuration > 0 && s.Mean > th.MaxMeanDuration {
			add(IssueSlowTrigger, t.Name, "trigger %s takes %s on average over %d runs (at most %s expected)",
				t.Name, s.Mean.Round(time.Microsecond), s.Executions, th.MaxMeanDuration)
		}
	}
	if _, ok := eng.Config().Audit.(runtime.LogReader); ok {
		since := time.Now().Add(-th.TimeoutWindow)
		counts := map[string]int{}
		for _, r := range eng.Logs(runtime.LogFilter{Outcome: runtime.OutcomeTimeout, Limit: th.TimeoutScan}) {
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

// Settings is the switchable configuration of an engine, the document
// Export writes and Import reads.
type Settings struct {
	// EngineEnabled and Debug are the engine's switches.
	EngineEnabled bool `json:"engine_enabled"`
	Debug         bool `json:"debug"`
	// Triggers holds each trigger's settings, sorted by name.
	Triggers []TriggerSettings `json:"triggers"`
}

// TriggerSettings is one trigger's entry in Settings. Only Name and Enabled
// are applied on import; Model, Events and Priority are exported for
// information and ignored on import.
type TriggerSettings struct {
	Name     string   `json:"name"`
	Enabled  bool     `json:"enabled"`
	Model    string   `json:"model,omitempty"`
	Events   []string `json:"events,omitempty"`
	Priority int      `json:"priority,omitempty"`
}

// SettingsOf returns the engine's current switchable configuration.
func SettingsOf(eng *runtime.Engine) Settings {
	ts := eng.List(runtime.ListFilter{})
	s := Settings{
		EngineEnabled: eng.EngineEnabled(),
		Debug:         eng.Debug(),
		Triggers:      make([]TriggerSettings, 0, len(ts)),
	}
	for _, t := range ts {
		s.Triggers = append(s.Triggers, TriggerSettings{
			Name: t.Name, Enabled: t.Enabled, Model: t.Model, Events: t.Events, Priority: t.Priority,
		})
	}
	return s
}

// Export returns the engine's switchable configuration as indented JSON: a
// Settings document.
func Export(eng *runtime.Engine) ([]byte, error) {
	return json.MarshalIndent(SettingsOf(eng), "", "  ")
}

// importDoc is what Import decodes: Settings with optional switches.
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

// Import applies a document in the form Export writes: each listed
// trigger's enabled flag, and engine_enabled and debug when present.
// Triggers the document does not list, and keys it leaves out, are left as
// they are; model, events and priority are ignored.
//
// The document is decoded strictly: unknown keys, keys in another case than
// Export writes them, wrong types, trailing data, an entry without a name or
// a trigger listed twice are errors. Every name is checked before anything
// changes; unknown names are reported together in one error wrapping
// runtime.ErrNotFound. On any error nothing changes.
func Import(eng *runtime.Engine, data []byte) error {
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
	for i, t := range doc.Triggers {
		switch {
		case t.Name == "":
			errs = append(errs, fmt.Errorf("triggers[%d]: no name", i))
		case seen[t.Name]:
			errs = append(errs, fmt.Errorf("triggers[%d]: %q is listed twice", i, t.Name))
		default:
			seen[t.Name] = true
			if _, ok := eng.Trigger(t.Name); !ok {
				unknown = append(unknown, t.Name)
			}
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		errs = append(errs, fmt.Errorf("unknown triggers %s: %w", strings.Join(quoteAll(unknown), ", "), runtime.ErrNotFound))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("import config (nothing changed): %w", err)
	}
	for _, t := range doc.Triggers {
		if t.Enabled == nil {
			continue
		}
		if err := eng.SetEnabled(t.Name, *t.Enabled); err != nil {
			return fmt.Errorf("import config: %w", err)
		}
	}
	if doc.EngineEnabled != nil {
		eng.SetEngineEnabled(*doc.EngineEnabled)
	}
	if doc.Debug != nil {
		eng.SetDebug(*doc.Debug)
	}
	return nil
}

// checkKeyCase reports a key of an import document that encoding/json
// matched without regard to case: keys must be written as Export writes
// them. The document has already decoded into importDoc.
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
