package runtime

import (
	"context"
	"errors"
	"fmt"
)

// Create runs model's create triggers around persist: before_create and
// before_save triggers, persist, after_create and after_save triggers, then
// async and on_commit work. Generated CreateM functions call it. A nil
// persist is allowed (the triggers run around nothing).
func Create[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], m *M, persist func(context.Context, *M) error) error {
	return single(ctx, eng, model, opCreate, nil, m, persist)
}

// Update runs model's update triggers around persist; old is the snapshot
// of m taken before the changes (see the generated SnapshotM). Before
// triggers may modify m, and persist saves it afterwards.
func Update[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], old, m *M, persist func(context.Context, *M) error) error {
	return single(ctx, eng, model, opUpdate, old, m, persist)
}

// Delete runs model's delete triggers around persist.
func Delete[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], m *M, persist func(context.Context, *M) error) error {
	return single(ctx, eng, model, opDelete, m, nil, persist)
}

// CreateMany runs a bulk create: before_bulk_create triggers, each item's
// create triggers, one persist of all items, each item's after triggers,
// after_bulk_create triggers, then async and on_commit work.
func CreateMany[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], ms []*M, persist func(context.Context, []*M) error) error {
	return bulk(ctx, eng, model, opCreate, nil, ms, persist)
}

// UpdateMany runs a bulk update like CreateMany; old[i] is the snapshot of
// ms[i], and the two slices must have the same length.
func UpdateMany[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], old []M, ms []*M, persist func(context.Context, []*M) error) error {
	if len(old) != len(ms) {
		return fmt.Errorf("triggergen: update of %d %s items with %d snapshots", len(ms), model.Name(), len(old))
	}
	return bulk(ctx, eng, model, opUpdate, old, ms, persist)
}

// DeleteMany runs a bulk delete like CreateMany.
func DeleteMany[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], ms []*M, persist func(context.Context, []*M) error) error {
	return bulk(ctx, eng, model, opDelete, nil, ms, persist)
}

// Fire runs the triggers of exactly one event for code that persists on its
// own or raises a custom event: no save merging and no persist. A nil old
// or new reads as a zero value. For a before event the first error aborts
// and is returned; otherwise every trigger runs and the errors come back
// joined.
func Fire[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], ev Event, old, new *M) error {
	if !model.validEvent(ev) {
		return fmt.Errorf("triggergen: %s is not an event of %s", ev, model.Name())
	}
	st, up, depth, err := begin(ctx, eng, model)
	if err != nil || st == nil || !eng.enabled.Load() {
		return err
	}
	fp := st.plans.Load().fire[ev]
	skip, _ := ctx.Value(skipKey).(*skipSet)
	if fp == nil || (skip != nil && skip.all) {
		return nil
	}
	f := st.newScratch(ctx, up, depth, ev, old, new)
	defer func() { f.release() }()
	for _, e := range fp.before {
		if f, err = st.try(ctx, f, e, skip); err != nil {
			return err
		}
	}
	var errs []error
	for _, e := range fp.after {
		if f, err = st.try(ctx, f, e, skip); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, st.deferAll(ctx, f, fp.deferred, skip)...)
	return errors.Join(errs...)
}

// begin finds the model's state and checks the depth limit. A nil state
// means no trigger was ever registered for the model.
func begin[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B]) (*modelState[M, C, B], *opFrame, int, error) {
	if eng == nil {
		return nil, nil, 0, nil
	}
	up := frameFrom(ctx)
	depth := 1
	if up != nil {
		depth = up.depth + 1
	}
	if depth > eng.maxDepth {
		return nil, nil, 0, fmt.Errorf("%w: %s operation at depth %d (limit %d)", ErrMaxDepth, model.Name(), depth, eng.maxDepth)
	}
	return lookup(eng, model), up, depth, nil
}

func single[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], op opKind, old, m *M, persist func(context.Context, *M) error) error {
	st, up, depth, err := begin(ctx, eng, model)
	if err != nil {
		return err
	}
	var pp *phasePlan[M, C, B]
	var skip *skipSet
	if st != nil && eng.enabled.Load() {
		pp = &st.plans.Load().ops[op]
		skip, _ = ctx.Value(skipKey).(*skipSet)
	}
	if pp == nil || pp.empty() || (skip != nil && skip.all) {
		if persist == nil {
			return nil
		}
		return persist(ctx, m)
	}
	oe := opEvents[op]
	newV := m
	if op == opDelete {
		newV = nil
	}
	f := st.newScratch(ctx, up, depth, oe.before, old, newV)
	defer func() { f.release() }()
	for _, e := range pp.before {
		if f, err = st.try(ctx, f, e, skip); err != nil {
			return err
		}
	}
	if persist != nil {
		if err := persist(ctx, m); err != nil {
			return err
		}
	}
	f.view().Event = oe.after
	var errs []error
	for _, e := range pp.after {
		if f, err = st.try(ctx, f, e, skip); err != nil {
			errs = append(errs, err)
		}
	}
	if len(pp.deferred) > 0 {
		errs = append(errs, st.deferAll(ctx, f, pp.deferred, skip)...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// try runs e on the frame's change if it is not skipped and its conditions
// hold. It returns the frame, promoted to the heap when the trigger ran.
func (st *modelState[M, C, B]) try(ctx context.Context, f *frame[M, C, B], e *entry[M, C, B], skip *skipSet) (*frame[M, C, B], error) {
	if skip.skips(e.name) {
		return f, nil
	}
	if !st.holds(ctx, e, &f.change) || (f.up != nil && reentry(f.up, e.trig, f.model, f)) {
		e.stats.skip()
		return f, nil
	}
	f = f.promote()
	ev := f.view().Event
	var err error
	if e.bulk {
		b := st.model.spec.Batch(&Batch[C]{Event: ev, Items: []C{f.change}})
		err = st.run(&f.opFrame, e, nil, b, ev, f.instanceKey())
	} else {
		err = st.run(&f.opFrame, e, &f.change, nil, ev, f.instanceKey())
	}
	if err != nil {
		return f, &TriggerError{Trigger: e.name, Err: err}
	}
	return f, nil
}

// batchFrame is the context bulk triggers run under.
type batchKeyer[M any] struct {
	key   func(*M) string
	items []*M
}

func (b batchKeyer[M]) instanceKey() string { return batchKey(b.key, b.items) }

func bulk[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], op opKind, old []M, ms []*M, persist func(context.Context, []*M) error) error {
	st, up, depth, err := begin(ctx, eng, model)
	if err != nil {
		return err
	}
	var p *plans[M, C, B]
	var skip *skipSet
	if st != nil && eng.enabled.Load() {
		p = st.plans.Load()
		skip, _ = ctx.Value(skipKey).(*skipSet)
	}
	if p == nil || (p.ops[op].empty() && p.bulk[op].empty()) || (skip != nil && skip.all) || len(ms) == 0 {
		if persist == nil {
			return nil
		}
		return persist(ctx, ms)
	}
	item, bp, oe := &p.ops[op], &p.bulk[op], opEvents[op]
	fs := make([]frame[M, C, B], len(ms))
	for i, m := range ms {
		fs[i].st = st
		switch op {
		case opCreate:
			fs[i].setup(ctx, up, depth, oe.before, nil, m)
		case opUpdate:
			fs[i].setup(ctx, up, depth, oe.before, &old[i], m)
		case opDelete:
			fs[i].setup(ctx, up, depth, oe.before, m, nil)
		}
	}
	bf := &opFrame{Context: ctx, eng: eng, up: up, depth: depth, model: model.Name(), inst: batchKeyer[M]{model.spec.Key, ms}}

	for _, e := range bp.before {
		if err := st.tryBatch(ctx, bf, fs, e, oe.bulkBefore, skip); err != nil {
			return err
		}
	}
	for i := range fs {
		for _, e := range item.before {
			if _, err := st.try(ctx, &fs[i], e, skip); err != nil {
				return err
			}
		}
	}
	if persist != nil {
		if err := persist(ctx, ms); err != nil {
			return err
		}
	}
	var errs []error
	for i := range fs {
		fs[i].view().Event = oe.after
		for _, e := range item.after {
			if _, err := st.try(ctx, &fs[i], e, skip); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, e := range bp.after {
		if err := st.tryBatch(ctx, bf, fs, e, oe.bulkAfter, skip); err != nil {
			errs = append(errs, err)
		}
	}
	for i := range fs {
		errs = append(errs, st.deferAll(ctx, &fs[i], item.deferred, skip)...)
	}
	for _, e := range bp.deferred {
		if skip.skips(e.name) {
			continue
		}
		if items := st.matching(ctx, fs, e); len(items) > 0 {
			errs = append(errs, st.deferBatch(ctx, bf, e, items, bulkEventOf(e, oe.bulkBefore, oe.bulkAfter)))
		} else {
			e.stats.skip()
		}
	}
	return errors.Join(errs...)
}

func bulkEventOf[M, C, B any](e *entry[M, C, B], before, after Event) Event {
	if e.has(after) {
		return after
	}
	return before
}

// matching returns the changes of the items for which e's conditions hold.
func (st *modelState[M, C, B]) matching(ctx context.Context, fs []frame[M, C, B], e *entry[M, C, B]) []C {
	var items []C
	for i := range fs {
		if st.holds(ctx, e, &fs[i].change) {
			items = append(items, fs[i].change)
		}
	}
	return items
}

// tryBatch runs bulk trigger e once with the items whose conditions hold.
func (st *modelState[M, C, B]) tryBatch(ctx context.Context, bf *opFrame, fs []frame[M, C, B], e *entry[M, C, B], ev Event, skip *skipSet) error {
	if skip.skips(e.name) {
		return nil
	}
	items := st.matching(ctx, fs, e)
	if len(items) == 0 || (bf.up != nil && reentry(bf.up, e.trig, bf.model, bf.inst)) {
		e.stats.skip()
		return nil
	}
	b := st.model.spec.Batch(&Batch[C]{Event: ev, Items: items})
	if err := st.run(bf, e, nil, b, ev, bf.inst.instanceKey()); err != nil {
		return &TriggerError{Trigger: e.name, Err: err}
	}
	return nil
}
