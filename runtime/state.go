package runtime

import (
	"context"
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
	test    func(context.Context, C) bool // all of tests as one (see holdsAll), set by rebuild
}

// holdsAll returns one test for all of tests: the test itself when there
// is one.
func holdsAll[C any](tests []func(context.Context, C) bool) func(context.Context, C) bool {
	switch len(tests) {
	case 0:
		return func(context.Context, C) bool { return true }
	case 1:
		return tests[0]
	}
	return func(ctx context.Context, c C) bool {
		for _, t := range tests {
			if !t(ctx, c) {
				return false
			}
		}
		return true
	}
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

// phasePlan lists the enabled triggers of one operation in run order, and
// counts the skips of each list (see statsRecorder). The t lists hold each
// trigger's test, so that a scan of the conditions reads one slice.
type phasePlan[M, C, B any] struct {
	before, after, deferred    []*entry[M, C, B]
	nBefore, nAfter, nDeferred *planCounts
	tBefore, tAfter, tDeferred []func(context.Context, C) bool
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
	return st.plans.Load().p.(*plans[M, C, B])
}

// box holds a generic pointer as an any, so that an atomic.Pointer to it
// is not a generic type that Go compiles once per model, and its Load,
// unlike atomic.Value's, is inlined.
type box struct{ p any }

// setPlans puts p in force.
func setPlans[M, C, B any](st *modelState[M, C, B], p *plans[M, C, B]) {
	st.plans.Store(&box{p})
}

// modelState is one model's triggers, plans and loader in one engine.
type modelState[M, C, B any] struct {
	eng     *Engine
	core    *core[M, C, B]
	entries []*entry[M, C, B]   // guarded by eng.mu
	plans   atomic.Pointer[box] // holds a *plans[M, C, B], swapped whole
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
		if e.test == nil {
			e.test = holdsAll(e.tests)
		}
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
	// The skip counts: one per list, and each trigger's places in the
	// lists of single operations and Fire (bulk operations count their
	// skips one by one).
	slots := map[*trig][]skipSlot{}
	count := func(pp *phasePlan[M, C, B]) {
		for _, l := range []struct {
			es []*entry[M, C, B]
			n  **planCounts
			t  *[]func(context.Context, C) bool
		}{{pp.before, &pp.nBefore, &pp.tBefore}, {pp.after, &pp.nAfter, &pp.tAfter}, {pp.deferred, &pp.nDeferred, &pp.tDeferred}} {
			*l.n = newPlanCounts(len(l.es))
			*l.t = make([]func(context.Context, C) bool, len(l.es))
			for i, e := range l.es {
				slots[e.trig] = append(slots[e.trig], skipSlot{*l.n, i})
				(*l.t)[i] = e.test
			}
		}
	}
	for op := range numOps {
		count(&p.ops[op])
	}
	for _, fp := range p.fire {
		count(fp)
	}
	for _, e := range st.entries {
		e.stats.setSlots(slots[e.trig])
	}
	setPlans(st, p)
}

func (st *modelState[M, C, B]) clearCache() {
	st.loadMu.Lock()
	st.cache = nil
	st.loadMu.Unlock()
}
