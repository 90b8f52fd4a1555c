package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// entry is a registered trigger with its typed parts.
type entry[M, C, B any] struct {
	*trig
	tests   []func(context.Context, C) bool // trig.conds holds their descriptions
	actions []func(context.Context, C) error
	batch   []func(context.Context, B) error
}

// opKind is a single-instance operation.
type opKind uint8

const (
	opCreate opKind = iota
	opUpdate
	opDelete
	numOps
)

// opEvents are the events of each operation: the operation's own before and
// after events, the bulk ones, and the events merged into its plans.
var opEvents = [numOps]struct {
	before, after, bulkBefore, bulkAfter Event
	mergedBefore, mergedAfter            []Event
}{
	opCreate: {BeforeCreate, AfterCreate, BeforeBulkCreate, AfterBulkCreate, []Event{BeforeCreate, BeforeSave}, []Event{AfterCreate, AfterSave}},
	opUpdate: {BeforeUpdate, AfterUpdate, BeforeBulkUpdate, AfterBulkUpdate, []Event{BeforeUpdate, BeforeSave}, []Event{AfterUpdate, AfterSave}},
	opDelete: {BeforeDelete, AfterDelete, BeforeBulkDelete, AfterBulkDelete, []Event{BeforeDelete}, []Event{AfterDelete}},
}

// phasePlan lists the enabled triggers of one operation in run order.
type phasePlan[M, C, B any] struct {
	before, after, deferred []*entry[M, C, B]
}

func planEmpty[M, C, B any](p *phasePlan[M, C, B]) bool {
	return len(p.before) == 0 && len(p.after) == 0 && len(p.deferred) == 0
}

// plans is an immutable snapshot of a model's dispatch plans; it is rebuilt
// and swapped whenever a trigger is registered or toggled.
type plans[M, C, B any] struct {
	ops  [numOps]phasePlan[M, C, B] // per-item triggers, merged per operation
	bulk [numOps]phasePlan[M, C, B] // bulk triggers
	fire map[Event]*phasePlan[M, C, B]
}

// currentPlans returns the model's plans now in force.
func currentPlans[M, C, B any](st *modelState[M, C, B]) *plans[M, C, B] {
	return st.plans.Load().(*plans[M, C, B])
}

// modelState is one model's triggers, plans and loader in one engine.
type modelState[M, C, B any] struct {
	eng     *Engine
	core    *core[M, C, B]
	entries []*entry[M, C, B] // guarded by eng.mu
	plans   atomic.Value      // *plans[M, C, B], swapped whole
	scratch sync.Pool

	loadMu sync.Mutex
	loader func(ctx context.Context, key string) (M, error)
	cache  map[string]cached[M] // copies of loaded instances, at most Config.CacheSize
	swept  time.Time            // when expired instances were last dropped
}

type cached[M any] struct {
	v  M
	at time.Time
}

// rebuild recomputes the plans from the registered triggers; eng.mu is held.
func (st *modelState[M, C, B]) rebuild() {
	es := slices.Clone(st.entries)
	slices.SortFunc(es, func(a, b *entry[M, C, B]) int { return priorityOrder(a.trig, b.trig) })
	p := &plans[M, C, B]{fire: map[Event]*phasePlan[M, C, B]{}}
	for _, e := range es {
		if !e.enabled.Load() {
			continue
		}
		for op := range numOps {
			oe := opEvents[op]
			pp := &p.ops[op]
			if e.bulk {
				pp = &p.bulk[op]
			}
			before := hasEvent(e.trig, oe.mergedBefore...) || hasEvent(e.trig, oe.bulkBefore)
			after := hasEvent(e.trig, oe.mergedAfter...) || hasEvent(e.trig, oe.bulkAfter)
			switch {
			case isDeferred(e.trig) && (before || after):
				pp.deferred = append(pp.deferred, e)
			case e.bulk:
				if hasEvent(e.trig, oe.bulkBefore) {
					pp.before = append(pp.before, e)
				}
				if hasEvent(e.trig, oe.bulkAfter) {
					pp.after = append(pp.after, e)
				}
			default:
				if before {
					pp.before = append(pp.before, e)
				}
				if after {
					pp.after = append(pp.after, e)
				}
			}
		}
		for _, ev := range e.events {
			fp := p.fire[ev]
			if fp == nil {
				fp = &phasePlan[M, C, B]{}
				p.fire[ev] = fp
			}
			switch {
			case isDeferred(e.trig):
				fp.deferred = append(fp.deferred, e)
			case ev.IsBefore():
				fp.before = append(fp.before, e)
			default:
				fp.after = append(fp.after, e)
			}
		}
	}
	st.plans.Store(p)
}

func (st *modelState[M, C, B]) clearCache() {
	st.loadMu.Lock()
	st.cache = nil
	st.loadMu.Unlock()
}

// holds reports whether all of e's conditions hold for c. A panicking
// condition is the trigger's failure: holds recovers it and returns it as err.
func holds[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], c C) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("condition panicked: %v", r)
		}
	}()
	if !st.eng.debug.Load() {
		for _, test := range e.tests {
			if !test(ctx, c) {
				return false, nil
			}
		}
		return true, nil
	}
	for i, test := range e.tests {
		ok := test(ctx, c)
		st.eng.log.LogAttrs(ctx, slog.LevelDebug, "trigger condition",
			slog.String("trigger", e.name), slog.String("condition", e.conds[i]), slog.Bool("result", ok))
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// conditionFailed records a run whose condition panicked and returns the
// trigger's error.
func conditionFailed[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], key string, ev Event, err error) error {
	record(st, ctx, e.trig, key, ev, time.Now(), 0, OutcomePanic, err, 1)
	e.stats.record(OutcomePanic, 0)
	return &TriggerError{Trigger: e.name, Err: err}
}
