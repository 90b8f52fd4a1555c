package manage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/report"
)

// Limits of the logs/ endpoint's limit parameter.
const (
	defaultLogLimit = 100
	maxLogLimit     = 1000
	recentLogs      = 10 // records in details/
)

// millis returns d in milliseconds, truncated to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// triggerDoc is a trigger in list/ and details/.
type triggerDoc struct {
	Name           string         `json:"name"`
	Model          string         `json:"model"`
	Events         []string       `json:"events"`
	Enabled        bool           `json:"enabled"`
	Priority       int            `json:"priority"`
	Description    string         `json:"description"`
	Conditions     []string       `json:"conditions"`
	Async          bool           `json:"async"`
	OnCommit       bool           `json:"on_commit"`
	ExecutionStats report.Figures `json:"execution_stats"`
}

func triggerOf(t runtime.TriggerInfo) triggerDoc {
	d := triggerDoc{
		Name: t.Name, Model: t.Model, Events: t.Events, Enabled: t.Enabled, Priority: t.Priority,
		Description: t.Description, Conditions: t.Conditions, Async: t.Async, OnCommit: t.OnCommit,
		ExecutionStats: report.FiguresOf(t.Stats),
	}
	if d.Events == nil {
		d.Events = []string{}
	}
	if d.Conditions == nil {
		d.Conditions = []string{}
	}
	return d
}

// detailsDoc is the answer of details/.
type detailsDoc struct {
	triggerDoc
	Retries    int         `json:"retries"`
	TimeoutMS  float64     `json:"timeout_ms"`
	Queue      string      `json:"queue"`
	Bulk       bool        `json:"bulk"`
	Source     string      `json:"source"`
	RecentLogs []recordDoc `json:"recent_logs"`
}

// recordDoc is an audit record in logs/ and details/.
type recordDoc struct {
	Trigger    string    `json:"trigger"`
	Model      string    `json:"model"`
	InstanceID string    `json:"instance_id"`
	Event      string    `json:"event"`
	ActorID    string    `json:"actor_id"`
	RequestID  string    `json:"request_id"`
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error"`
	Attempt    int       `json:"attempt"`
}

func recordsOf(rs []runtime.ExecutionRecord) []recordDoc {
	out := make([]recordDoc, len(rs))
	for i, r := range rs {
		out[i] = recordDoc{
			Trigger: r.Trigger, Model: r.Model, InstanceID: r.Key, Event: r.Event,
			ActorID: r.ActorID, RequestID: r.RequestID, Start: r.Start, DurationMS: millis(r.Duration),
			Outcome: r.Outcome, Error: r.Error, Attempt: r.Attempt,
		}
	}
	return out
}

func triggerNotFound(name string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "trigger_not_found",
		Message: fmt.Sprintf("no trigger named %q", safe(name)),
		Details: map[string]any{"trigger": safe(name)},
		Hint:    "list the triggers with GET " + Prefix + "list/"}
}

// boolParam parses an optional boolean query parameter.
func boolParam(r *http.Request, name string) (bool, *apiError) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("invalid_parameter", fmt.Sprintf("%s=%q is not a boolean", name, safe(v)),
			"use true or false", map[string]any{"parameter": name})
	}
	return b, nil
}

func (h *handler) status(w http.ResponseWriter, _ *http.Request, _ string) {
	reply(w, http.StatusOK, report.StatusOf(h.eng, h.opts.Health))
}

func (h *handler) health(w http.ResponseWriter, _ *http.Request, _ string) {
	reply(w, http.StatusOK, report.HealthOf(h.eng, h.opts.Health))
}

func (h *handler) metrics(w http.ResponseWriter, _ *http.Request, _ string) {
	reply(w, http.StatusOK, report.MetricsOf(h.eng))
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, _ string) {
	only, aerr := boolParam(r, "enabled_only")
	if aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	q := r.URL.Query()
	if ev := q.Get("event"); ev != "" && !h.knownEvent(ev) {
		h.fail(w, r, badRequest("unknown_event", fmt.Sprintf("event=%q is neither a built-in event nor an event of a registered trigger", safe(ev)),
			"use a snake_case event name such as after_update, or a model's custom event", map[string]any{"parameter": "event"}))
		return
	}
	ts := h.eng.List(runtime.ListFilter{Model: q.Get("model"), Event: q.Get("event"), EnabledOnly: only})
	docs := make([]triggerDoc, len(ts))
	for i, t := range ts {
		docs[i] = triggerOf(t)
	}
	reply(w, http.StatusOK, struct {
		Triggers []triggerDoc `json:"triggers"`
		Count    int          `json:"count"`
	}{docs, len(docs)})
}

// knownEvent reports whether ev names a built-in event or an event some
// registered trigger runs on.
func (h *handler) knownEvent(ev string) bool {
	if _, ok := runtime.ParseEvent(ev); ok {
		return true
	}
	return len(h.eng.List(runtime.ListFilter{Event: ev})) > 0
}

func (h *handler) details(w http.ResponseWriter, r *http.Request, name string) {
	t, ok := h.eng.Trigger(name)
	if !ok {
		h.fail(w, r, triggerNotFound(name))
		return
	}
	reply(w, http.StatusOK, detailsDoc{
		triggerDoc: triggerOf(t),
		Retries:    t.Retries, TimeoutMS: millis(t.Timeout), Queue: t.Queue, Bulk: t.Bulk, Source: t.Source,
		RecentLogs: recordsOf(h.eng.Logs(runtime.LogFilter{Trigger: name, Limit: recentLogs})),
	})
}

// switchBody reads the optional body of toggle/ and engine/toggle/,
// {"enabled": true|false}: it returns the state asked for, or nil to flip.
func (h *handler) switchBody(w http.ResponseWriter, r *http.Request) (*bool, *apiError) {
	var on, set bool
	if aerr := h.decodeObject(w, r, false, field{"enabled", &on, &set}); aerr != nil {
		return nil, aerr
	}
	if !set {
		return nil, nil
	}
	return &on, nil
}

func (h *handler) toggle(w http.ResponseWriter, r *http.Request, name string) {
	want, aerr := h.switchBody(w, r)
	if aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	h.toggleMu.Lock()
	t, ok := h.eng.Trigger(name)
	on := !t.Enabled
	if want != nil {
		on = *want
	}
	var err error
	if ok {
		err = h.eng.SetEnabled(name, on)
	}
	h.toggleMu.Unlock()
	if !ok || err != nil {
		h.fail(w, r, triggerNotFound(name))
		return
	}
	reply(w, http.StatusOK, struct {
		Name    string `json:"name"`
		Enabled bool   `json:"enabled"`
	}{name, on})
}

func (h *handler) engineToggle(w http.ResponseWriter, r *http.Request, _ string) {
	want, aerr := h.switchBody(w, r)
	if aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	h.toggleMu.Lock()
	on := !h.eng.EngineEnabled()
	if want != nil {
		on = *want
	}
	h.eng.SetEngineEnabled(on)
	h.toggleMu.Unlock()
	reply(w, http.StatusOK, struct {
		EngineEnabled bool `json:"engine_enabled"`
	}{on})
}

// manualEvent is the event name that asks execute/ for a manual run, as the
// original framework's API names it.
const manualEvent = "custom"

func (h *handler) execute(w http.ResponseWriter, r *http.Request, name string) {
	var model, instanceID, evName string
	var force bool
	if aerr := h.decodeObject(w, r, true,
		field{"model", &model, nil}, field{"instance_id", &instanceID, nil},
		field{"event", &evName, nil}, field{"force", &force, nil}); aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	t, ok := h.eng.Trigger(name)
	if !ok {
		h.fail(w, r, triggerNotFound(name))
		return
	}
	if instanceID == "" {
		h.fail(w, r, badRequest("missing_field", "instance_id is required",
			`send {"instance_id": "<key>"}, with model, event and force optional`, map[string]any{"field": "instance_id"}))
		return
	}
	if model != "" && model != t.Model {
		h.fail(w, r, badRequest("model_mismatch",
			fmt.Sprintf("trigger %q belongs to model %q, not %q", name, t.Model, safe(model)),
			"leave model out or send the trigger's model", map[string]any{"model": t.Model}))
		return
	}
	var ev runtime.Event
	if evName == "" && len(t.Events) > 0 {
		evName = t.Events[0]
	}
	if evName != "" {
		if ev, ok = h.eng.TriggerEvent(name, evName); !ok {
			if evName != manualEvent {
				h.fail(w, r, badRequest("unknown_event",
					fmt.Sprintf("trigger %q does not run on event %q", name, safe(evName)),
					`send one of the trigger's events, "custom" for a manual run, or leave event out for the first`,
					map[string]any{"events": t.Events}))
				return
			}
			ev = runtime.Manual
		}
	}
	if !force {
		switch {
		case !h.eng.EngineEnabled():
			h.fail(w, r, &apiError{Status: http.StatusConflict, Code: "engine_disabled",
				Message: fmt.Sprintf("the engine is switched off, so trigger %q does not run", name),
				Details: map[string]any{"trigger": name},
				Hint:    `send "force": true to run it anyway, or switch the engine on with POST ` + Prefix + "engine/toggle/"})
			return
		case !t.Enabled:
			h.fail(w, r, &apiError{Status: http.StatusConflict, Code: "trigger_disabled",
				Message: fmt.Sprintf("trigger %q is switched off", name),
				Details: map[string]any{"trigger": name},
				Hint:    `send "force": true to run it anyway, or switch it on with POST ` + Prefix + "toggle/" + name + "/"})
			return
		}
	}
	start := time.Now()
	err := h.eng.Execute(r.Context(), name, instanceID, ev)
	took := time.Since(start)
	var te *runtime.TriggerError
	switch {
	case err == nil:
		reply(w, http.StatusOK, struct {
			Trigger    string  `json:"trigger"`
			Model      string  `json:"model"`
			InstanceID string  `json:"instance_id"`
			Event      string  `json:"event"`
			Outcome    string  `json:"outcome"`
			DurationMS float64 `json:"duration_ms"`
		}{name, t.Model, instanceID, evName, runtime.OutcomeSuccess, millis(took)})
	case errors.As(err, &te):
		h.fail(w, r, &apiError{Status: http.StatusUnprocessableEntity, Code: "trigger_failed",
			Message: err.Error(),
			Details: map[string]any{"trigger": name, "instance_id": instanceID, "event": evName,
				"timeout": errors.Is(te.Err, context.DeadlineExceeded)},
			Hint: "the trigger ran and returned an error; see GET " + Prefix + "logs/?trigger=" + name})
	case errors.Is(err, runtime.ErrClosed):
		h.fail(w, r, &apiError{Status: http.StatusServiceUnavailable, Code: "engine_closed",
			Message: err.Error(), Details: map[string]any{"trigger": name},
			Hint: "the engine is shutting down; nothing ran"})
	case errors.Is(err, runtime.ErrNotFound):
		h.fail(w, r, &apiError{Status: http.StatusNotFound, Code: "instance_not_found",
			Message: err.Error(),
			Details: map[string]any{"model": t.Model, "instance_id": instanceID},
			Hint:    "check the instance_id"})
	default:
		h.fail(w, r, &apiError{Status: http.StatusUnprocessableEntity, Code: "execute_failed",
			Message: err.Error(),
			Details: map[string]any{"trigger": name, "instance_id": instanceID},
			Hint:    "the instance could not be loaded or the trigger could not run; is a loader registered for " + t.Model + "?"})
	}
}

var outcomes = []string{runtime.OutcomeSuccess, runtime.OutcomeFailure, runtime.OutcomeTimeout, runtime.OutcomePanic}

func (h *handler) logs(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	f := runtime.LogFilter{Trigger: q.Get("trigger"), Model: q.Get("model"), Outcome: q.Get("outcome"), Limit: defaultLogLimit}
	if f.Outcome != "" && !slices.Contains(outcomes, f.Outcome) {
		h.fail(w, r, badRequest("invalid_parameter", fmt.Sprintf("outcome=%q is not an outcome", safe(f.Outcome)),
			"use one of "+strings.Join(outcomes, ", "), map[string]any{"parameter": "outcome", "allowed": outcomes}))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLogLimit {
			h.fail(w, r, badRequest("invalid_parameter", fmt.Sprintf("limit=%q is not a number from 1 to %d", safe(v), maxLogLimit),
				fmt.Sprintf("use a limit from 1 to %d (default %d)", maxLogLimit, defaultLogLimit),
				map[string]any{"parameter": "limit", "max": maxLogLimit}))
			return
		}
		f.Limit = n
	}
	docs := recordsOf(h.eng.Logs(f))
	reply(w, http.StatusOK, struct {
		Logs  []recordDoc `json:"logs"`
		Count int         `json:"count"`
	}{docs, len(docs)})
}

func (h *handler) cacheClear(w http.ResponseWriter, r *http.Request, _ string) {
	if aerr := h.decodeObject(w, r, false); aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	h.eng.ClearCaches()
	reply(w, http.StatusOK, struct {
		Cleared bool `json:"cleared"`
	}{true})
}

func (h *handler) configExport(w http.ResponseWriter, _ *http.Request, _ string) {
	reply(w, http.StatusOK, report.SettingsOf(h.eng))
}

func (h *handler) configImport(w http.ResponseWriter, r *http.Request, _ string) {
	data, aerr := h.readBody(w, r)
	if aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	if err := report.Import(h.eng, data); err != nil {
		code := "invalid_config"
		if errors.Is(err, runtime.ErrNotFound) {
			code = "unknown_triggers"
		}
		h.fail(w, r, badRequest(code, err.Error(),
			"send a document as GET "+Prefix+"config/export/ returns it; nothing was changed", nil))
		return
	}
	reply(w, http.StatusOK, report.SettingsOf(h.eng))
}
