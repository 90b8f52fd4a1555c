package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// On registers a per-instance trigger for model's instances in eng. It
// returns an error, and registers nothing, when the trigger is invalid: an
// empty or duplicate name, no events, an event listed twice, a bulk event or
// an event the model does not declare, no action, a nil action or condition
// test, or negative retries or durations.
func On[M, C, B any](eng *Engine, model *Model[M, C, B], t Trigger[C]) error {
	tr := &trig{
		name: t.Name, model: model.core.name, description: t.Description, source: t.Source,
		queue: t.Queue, events: slices.Clone(t.Events), priority: t.Priority,
		async: t.Async, onCommit: t.OnCommit, retries: t.Retries, backoff: t.Backoff, timeout: t.Timeout,
		disabled: t.Disabled,
	}
	e := &entry[ptr, ptr, ptr]{trig: tr, tests: tests(tr, t.Conditions), actions: eraseActions[C](t.Actions)}
	errs := checkActions(len(t.Actions), func(i int) bool { return t.Actions[i] == nil })
	return register(eng, model.core, e, errs)
}

// OnBatch registers a bulk trigger for model in eng; see On for the checks.
// Its events must all be bulk events.
func OnBatch[M, C, B any](eng *Engine, model *Model[M, C, B], t BatchTrigger[C, B]) error {
	tr := &trig{
		name: t.Name, model: model.core.name, description: t.Description, source: t.Source,
		queue: t.Queue, events: slices.Clone(t.Events), priority: t.Priority, bulk: true,
		async: t.Async, onCommit: t.OnCommit, retries: t.Retries, backoff: t.Backoff, timeout: t.Timeout,
		disabled: t.Disabled,
	}
	e := &entry[ptr, ptr, ptr]{trig: tr, tests: tests(tr, t.Conditions), batch: eraseActions[B](t.Actions)}
	errs := checkActions(len(t.Actions), func(i int) bool { return t.Actions[i] == nil })
	return register(eng, model.core, e, errs)
}

// tests returns the conditions' tests as the engine holds them, and keeps
// their descriptions in tr.
func tests[C any](tr *trig, conds []Condition[C]) []func(context.Context, ptr) bool {
	ts := make([]func(context.Context, ptr) bool, len(conds))
	for i, c := range conds {
		ts[i] = castFunc[func(context.Context, ptr) bool](c.Test)
		tr.conds = append(tr.conds, c.Description)
	}
	return ts
}

// checkActions reports a trigger without actions and its nil actions.
func checkActions(n int, isNil func(i int) bool) []error {
	if n == 0 {
		return []error{errors.New("no actions")}
	}
	var errs []error
	for i := range n {
		if isNil(i) {
			errs = append(errs, fmt.Errorf("action %d is nil", i+1))
		}
	}
	return errs
}

func checkTrigger[M, C, B any](model *core[M, C, B], tr *trig, tests []func(context.Context, C) bool, bulk bool) []error {
	var errs []error
	if tr.name == "" {
		errs = append(errs, errors.New("empty name"))
	} else if strings.ContainsAny(tr.name, " \t\n/") {
		errs = append(errs, errors.New("name must not contain spaces or slashes"))
	}
	if len(tr.events) == 0 {
		errs = append(errs, errors.New("no events"))
	}
	for i, ev := range tr.events {
		switch {
		case slices.Contains(tr.events[:i], ev):
			errs = append(errs, fmt.Errorf("event %s is listed twice", coreEventName(model, ev)))
			continue
		case !coreValidEvent(model, ev):
			errs = append(errs, fmt.Errorf("event %s is not an event of %s", ev, model.name))
		case ev.IsBulk() && !bulk:
			errs = append(errs, fmt.Errorf("bulk event %s needs a batch trigger (OnBatch)", ev))
		case !ev.IsBulk() && bulk:
			errs = append(errs, fmt.Errorf("event %s is not a bulk event", coreEventName(model, ev)))
		case ev.IsBefore() && (tr.async || tr.onCommit):
			errs = append(errs, fmt.Errorf("event %s runs before the write, where async or on_commit work cannot edit the change or stop the write", ev))
		}
		tr.eventNames = append(tr.eventNames, coreEventName(model, ev))
	}
	for i, test := range tests {
		if test == nil {
			errs = append(errs, fmt.Errorf("condition %d has no test", i+1))
		}
	}
	if tr.retries < 0 || tr.backoff < 0 || tr.timeout < 0 {
		errs = append(errs, errors.New("retries, backoff and timeout must not be negative"))
	}
	if tr.priority == 0 {
		tr.priority = PriorityNormal
	}
	if tr.backoff == 0 {
		tr.backoff = 100 * time.Millisecond
	}
	return errs
}

func register[M, C, B any](eng *Engine, model *core[M, C, B], e *entry[M, C, B], errs []error) error {
	if eng == nil {
		return fmt.Errorf("trigger %q: %w", e.name, ErrNilEngine)
	}
	errs = append(errs, checkTrigger(model, e.trig, e.tests, e.bulk)...)
	if _, durable := eng.queue.(DurableQueue); durable && e.async && model.encode == nil {
		errs = append(errs, fmt.Errorf("is async, and the engine's durable queue stores changes with the model's codec, which %s lacks: %s", model.name, model.noCodec))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("trigger %q: %w", e.name, err)
	}
	st := stateFor(eng, model)
	e.handle = model
	e.enabled.Store(!e.disabled)
	e.exec = func(ctx context.Context, key string, ev Event) error { return executeKey(st, ctx, e, key, ev) }
	e.durable = func(ctx context.Context, job Job, attempt int, last bool) error {
		return runDurable(st, ctx, e, job, attempt, last)
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if _, dup := eng.triggers[e.name]; dup {
		return fmt.Errorf("trigger %q: already registered", e.name)
	}
	eng.triggers[e.name] = e.trig
	st.entries = append(st.entries, e)
	st.rebuild()
	return nil
}
