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
	target := m
	if op == opDelete {
		target = old
	}
	if pp == nil || pp.empty() || (skip != nil && skip.all) {
		if persist == nil {
			return nil
		}
		return persist(ctx, target)
	}
	oe := opEvents[op]
	f := st.newScratch(ctx, up, depth, oe.before, old, m)
	defer func() { f.release() }()
	for _, e := range pp.before {
		if f, err = st.try(ctx, f, e, skip); err != nil {
			return err
		}
	}
	if persist != nil {
		if err := persist(ctx, target); err != nil {
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
	if skip != nil && skip.skips(e.name) {
		return f, nil
	}
	ok, err := st.holds(ctx, e, &f.change)
	if err != nil {
		return f, st.conditionFailed(ctx, e, f.instanceKey(), f.view().Event, err)
	}
	if !ok || (f.up != nil && reentry(f.up, e.trig, f.model, f)) {
		e.stats.skip()
		return f, nil
	}
	f = f.promote()
	ev := f.view().Event
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
	if st.bulkQuiet(ctx, up, depth, op, old, ms, item, bp, skip) {
		if persist == nil {
			return nil
		}
		return persist(ctx, ms)
	}
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
		items, err := st.matching(ctx, fs, e)
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(items) > 0:
			errs = append(errs, st.deferBatch(ctx, bf, e, items, bulkEventOf(e, oe.bulkBefore, oe.bulkAfter)))
		default:
			e.stats.skip()
		}
	}
	return errors.Join(errs...)
}

// bulkQuiet reports whether no trigger of a bulk operation would run, so
// that it can persist without allocating; it counts the skips then. It tests
// the conditions on a pooled scratch frame, one item at a time.
func (st *modelState[M, C, B]) bulkQuiet(ctx context.Context, up *opFrame, depth int, op opKind, old []M, ms []*M, item, bp *phasePlan[M, C, B], skip *skipSet) bool {
	oe := opEvents[op]
	lists := [...]struct {
		es []*entry[M, C, B]
		ev Event
	}{{bp.before, oe.before}, {item.before, oe.before}, {item.after, oe.after}, {bp.after, oe.after}, {item.deferred, oe.after}, {bp.deferred, oe.after}}
	f := st.newScratch(ctx, up, depth, oe.before, nil, nil)
	defer f.release()
	for i, m := range ms {
		for _, l := range lists {
			switch op {
			case opCreate:
				f.setup(ctx, up, depth, l.ev, nil, m)
			case opUpdate:
				f.setup(ctx, up, depth, l.ev, &old[i], m)
			case opDelete:
				f.setup(ctx, up, depth, l.ev, m, nil)
			}
			for _, e := range l.es {
				if skip.skips(e.name) {
					continue
				}
				if ok, err := st.holds(ctx, e, &f.change); ok || err != nil {
					return false
				}
			}
		}
	}
	for _, l := range lists {
		for _, e := range l.es {
			if skip.skips(e.name) {
				continue
			}
			if e.bulk {
				e.stats.skip()
				continue
			}
			for range ms {
				e.stats.skip()
			}
		}
	}
	return true
}

func bulkEventOf[M, C, B any](e *entry[M, C, B], before, after Event) Event {
	if e.has(after) {
		return after
	}
	return before
}

// matching returns the changes of the items for which e's conditions hold.
func (st *modelState[M, C, B]) matching(ctx context.Context, fs []frame[M, C, B], e *entry[M, C, B]) ([]C, error) {
	var items []C
	for i := range fs {
		ok, err := st.holds(ctx, e, &fs[i].change)
		if err != nil {
			return nil, st.conditionFailed(ctx, e, fs[i].instanceKey(), fs[i].view().Event, err)
		}
		if ok {
			items = append(items, fs[i].change)
		}
	}
	return items, nil
}

// itemsKeyer names the instances of a batch's items.
type itemsKeyer[M, C, B any] struct {
	st    *modelState[M, C, B]
	items []C
}

func (k itemsKeyer[M, C, B]) instanceKey() string {
	ms := make([]*M, len(k.items))
	for i := range k.items {
		v := k.st.model.spec.Change(&k.items[i])
		ms[i] = v.New
		if v.Event.IsDelete() {
			ms[i] = v.Old
		}
	}
	return batchKey(k.st.model.spec.Key, ms)
}

// tryBatch runs bulk trigger e once with the items whose conditions hold.
func (st *modelState[M, C, B]) tryBatch(ctx context.Context, bf *opFrame, fs []frame[M, C, B], e *entry[M, C, B], ev Event, skip *skipSet) error {
	if skip.skips(e.name) {
		return nil
	}
	items, err := st.matching(ctx, fs, e)
	if err != nil {
		return err
	}
	k := itemsKeyer[M, C, B]{st, items}
	if len(items) == 0 || (bf.up != nil && reentry(bf.up, e.trig, bf.model, k)) {
		e.stats.skip()
		return nil
	}
	bf.inst = k
	b := st.model.spec.Batch(&Batch[C]{Event: ev, Items: items})
	if err := st.run(bf, e, nil, b, ev, k.instanceKey()); err != nil {
		return &TriggerError{Trigger: e.name, Err: err}
	}
	return nil
}
