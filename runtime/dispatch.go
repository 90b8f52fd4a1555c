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
	return single(ctx, eng, model.core, opCreate, nil, m, persist)
}

// Update runs model's update triggers around persist; old is the snapshot
// of m taken before the changes (see the generated SnapshotM). Before
// triggers may modify m, and persist saves it afterwards.
func Update[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], old, m *M, persist func(context.Context, *M) error) error {
	if old == m && m != nil {
		return sameInstance(model.Name(), 1)
	}
	return single(ctx, eng, model.core, opUpdate, old, m, persist)
}

// Delete runs model's delete triggers around persist.
func Delete[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], m *M, persist func(context.Context, *M) error) error {
	return single(ctx, eng, model.core, opDelete, m, nil, persist)
}

// CreateMany runs a bulk create: before_bulk_create triggers, each item's
// create triggers, one persist of all items, each item's after triggers,
// after_bulk_create triggers, then async and on_commit work.
func CreateMany[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], ms []*M, persist func(context.Context, []*M) error) error {
	return bulk(ctx, eng, model.core, opCreate, nil, ms, persist)
}

// UpdateMany runs a bulk update like CreateMany; old[i] is the snapshot of
// ms[i], and the two slices must have the same length.
func UpdateMany[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], old []M, ms []*M, persist func(context.Context, []*M) error) error {
	if len(old) != len(ms) {
		return fmt.Errorf("triggergen: update of %d %s items with %d snapshots", len(ms), model.Name(), len(old))
	}
	// Point at the snapshots; small batches keep the pointers on the stack.
	var buf [16]*M
	olds := buf[:0]
	if len(old) > len(buf) {
		olds = make([]*M, 0, len(old))
	}
	for i := range old {
		if &old[i] == ms[i] {
			return sameInstance(model.Name(), len(ms))
		}
		olds = append(olds, &old[i])
	}
	return bulk(ctx, eng, model.core, opUpdate, olds, ms, persist)
}

// sameInstance is the error of an update whose snapshot is the instance
// itself: every field would compare equal to itself, so no `changed`
// condition could ever hold.
func sameInstance(model string, n int) error {
	what := "old and m are"
	if n > 1 {
		what = "an item of old and of ms is"
	}
	return fmt.Errorf("triggergen: update of %s: %s the same pointer, so no field can change; take the snapshot with Snapshot%s before editing, or use Edit%s", model, what, model, model)
}

// DeleteMany runs a bulk delete like CreateMany.
func DeleteMany[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], ms []*M, persist func(context.Context, []*M) error) error {
	return bulk(ctx, eng, model.core, opDelete, nil, ms, persist)
}

// Fire runs the triggers of exactly one event for code that persists on its
// own or raises a custom event: no save merging and no persist. A nil old
// or new reads as a zero value. For a before event the first error aborts
// and is returned; otherwise every trigger runs and the errors come back
// joined.
func Fire[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], ev Event, old, new *M) error {
	return fire(ctx, eng, model.core, ev, old, new)
}

func fire[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B], ev Event, old, new M) error {
	if !coreValidEvent(model, ev) {
		return fmt.Errorf("triggergen: %s is not an event of %s", ev, model.name)
	}
	st, up, depth, err := begin(ctx, eng, model)
	if err != nil || st == nil || !eng.enabled.Load() {
		return err
	}
	fp := currentPlans(st).fire[ev]
	skip, _ := ctx.Value(skipKey).(*skipSet)
	if fp == nil || (skip != nil && skip.all) {
		return nil
	}
	f := newScratch(st, ctx, up, depth, ev, old, new)
	defer func() { releaseFrame(f) }()
	for _, e := range fp.before {
		if f, err = try(st, ctx, f, e, skip); err != nil {
			return err
		}
	}
	var errs []error
	for _, e := range fp.after {
		if f, err = try(st, ctx, f, e, skip); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, deferAll(st, ctx, f, fp.deferred, skip)...)
	return errors.Join(errs...)
}

// begin finds the model's state and checks, before anything runs, that the
// operation may start: an engine, a live context, an engine not closed (an
// operation a trigger runs while Close drains the queue is let through) and
// the depth limit. A nil state means no trigger was ever registered for the
// model.
func begin[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B]) (*modelState[M, C, B], *opFrame, int, error) {
	if eng == nil {
		return nil, nil, 0, fmt.Errorf("%w: %s operation not started", ErrNilEngine, model.name)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("triggergen: %s operation not started: %w", model.name, err)
	}
	up := frameFrom(ctx)
	if up == nil && eng.closed.Load() {
		return nil, nil, 0, fmt.Errorf("%w: %s operation not started", ErrClosed, model.name)
	}
	depth := 1
	if up != nil {
		depth = up.depth + 1
	}
	if depth > eng.maxDepth {
		return nil, nil, 0, fmt.Errorf("%w: %s operation at depth %d (limit %d)", ErrMaxDepth, model.name, depth, eng.maxDepth)
	}
	return lookup(eng, model), up, depth, nil
}

func single[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B], op opKind, old, m M, persist func(context.Context, M) error) error {
	st, up, depth, err := begin(ctx, eng, model)
	if err != nil {
		return err
	}
	var pp *phasePlan[M, C, B]
	var skip *skipSet
	if st != nil && eng.enabled.Load() {
		pp = &currentPlans(st).ops[op]
		skip, _ = ctx.Value(skipKey).(*skipSet)
	}
	target := m
	if op == opDelete {
		target = old
	}
	if pp == nil || planEmpty(pp) || (skip != nil && skip.all) {
		if persist == nil {
			return nil
		}
		return persist(ctx, target)
	}
	oe := opEvents[op]
	f := newScratch(st, ctx, up, depth, oe.before, old, m)
	defer func() { releaseFrame(f) }()
	for _, e := range pp.before {
		if f, err = try(st, ctx, f, e, skip); err != nil {
			return err
		}
	}
	if persist != nil {
		if err := persist(ctx, target); err != nil {
			return err
		}
	}
	*frameEvent(f) = oe.after
	var errs []error
	for _, e := range pp.after {
		if f, err = try(st, ctx, f, e, skip); err != nil {
			errs = append(errs, err)
		}
	}
	if len(pp.deferred) > 0 {
		errs = append(errs, deferAll(st, ctx, f, pp.deferred, skip)...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// try runs e on the frame's change if it is not skipped and its conditions
// hold. It returns the frame, promoted to the heap when the trigger ran.
func try[M, C, B any](st *modelState[M, C, B], ctx context.Context, f *frame[M, C, B], e *entry[M, C, B], skip *skipSet) (*frame[M, C, B], error) {
	if skip != nil && skip.skips(e.name) {
		return f, nil
	}
	ok, err := holds(st, ctx, e, f.change)
	if err != nil {
		return f, conditionFailed(st, ctx, e, f.instanceKey(), *frameEvent(f), err)
	}
	if !ok || (f.op.up != nil && reentry(f.op.up, e.trig, f.op.model, f)) {
		e.stats.skip()
		return f, nil
	}
	f = promoteFrame(f)
	ev := *frameEvent(f)
	var zb B
	if e.bulk {
		err = run(st, &f.op, e, f.change, st.core.batch(ev, []C{f.change}), ev, f.instanceKey())
	} else {
		err = run(st, &f.op, e, f.change, zb, ev, f.instanceKey())
	}
	if err != nil {
		return f, &TriggerError{Trigger: e.name, Err: err}
	}
	return f, nil
}

// batchKeyer names the instances of a bulk operation.
type batchKeyer[M any] struct {
	key   func(M) string
	items []M
}

func (b batchKeyer[M]) instanceKey() string { return batchKey(b.key, b.items) }

func bulk[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B], op opKind, old []M, ms []M, persist func(context.Context, []M) error) error {
	st, up, depth, err := begin(ctx, eng, model)
	if err != nil {
		return err
	}
	var p *plans[M, C, B]
	var skip *skipSet
	if st != nil && eng.enabled.Load() {
		p = currentPlans(st)
		skip, _ = ctx.Value(skipKey).(*skipSet)
	}
	if p == nil || (planEmpty(&p.ops[op]) && planEmpty(&p.bulk[op])) || (skip != nil && skip.all) || len(ms) == 0 {
		if persist == nil {
			return nil
		}
		return persist(ctx, ms)
	}
	item, bp, oe := &p.ops[op], &p.bulk[op], opEvents[op]
	if bulkQuiet(st, ctx, up, depth, op, old, ms, item, bp, skip) {
		if persist == nil {
			return nil
		}
		return persist(ctx, ms)
	}
	var none M
	fs := make([]*frame[M, C, B], len(ms))
	for i, m := range ms {
		fs[i] = model.newFrame()
		fs[i].st = st
		switch op {
		case opCreate:
			setupFrame(fs[i], ctx, up, depth, oe.before, none, m)
		case opUpdate:
			setupFrame(fs[i], ctx, up, depth, oe.before, old[i], m)
		case opDelete:
			setupFrame(fs[i], ctx, up, depth, oe.before, m, none)
		}
	}
	bf := &opFrame{Context: ctx, eng: eng, up: up, depth: depth, model: model.name, inst: batchKeyer[M]{model.key, ms}}

	for _, e := range bp.before {
		if err := tryBatch(st, ctx, bf, fs, e, oe.bulkBefore, skip); err != nil {
			return err
		}
	}
	for _, f := range fs {
		for _, e := range item.before {
			if _, err := try(st, ctx, f, e, skip); err != nil {
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
	for _, f := range fs {
		*frameEvent(f) = oe.after
		for _, e := range item.after {
			if _, err := try(st, ctx, f, e, skip); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, e := range bp.after {
		if err := tryBatch(st, ctx, bf, fs, e, oe.bulkAfter, skip); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range fs {
		errs = append(errs, deferAll(st, ctx, f, item.deferred, skip)...)
	}
	for _, e := range bp.deferred {
		if skip.skips(e.name) {
			continue
		}
		items, err := matching(st, ctx, fs, e)
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(items) > 0:
			errs = append(errs, deferBatch(st, ctx, bf, e, items, bulkEventOf(e, oe.bulkBefore, oe.bulkAfter)))
		default:
			e.stats.skip()
		}
	}
	return errors.Join(errs...)
}

// bulkQuiet reports whether no trigger of a bulk operation would run, so
// that it can persist without allocating; it counts the skips then. It tests
// the conditions on a pooled scratch frame, one item at a time.
func bulkQuiet[M, C, B any](st *modelState[M, C, B], ctx context.Context, up *opFrame, depth int, op opKind, old []M, ms []M, item, bp *phasePlan[M, C, B], skip *skipSet) bool {
	oe := opEvents[op]
	lists := [...]struct {
		es []*entry[M, C, B]
		ev Event
	}{{bp.before, oe.before}, {item.before, oe.before}, {item.after, oe.after}, {bp.after, oe.after}, {item.deferred, oe.after}, {bp.deferred, oe.after}}
	var none M
	f := newScratch(st, ctx, up, depth, oe.before, none, none)
	defer releaseFrame(f)
	for i, m := range ms {
		for _, l := range lists {
			switch op {
			case opCreate:
				setupFrame(f, ctx, up, depth, l.ev, none, m)
			case opUpdate:
				setupFrame(f, ctx, up, depth, l.ev, old[i], m)
			case opDelete:
				setupFrame(f, ctx, up, depth, l.ev, m, none)
			}
			for _, e := range l.es {
				if skip.skips(e.name) {
					continue
				}
				if ok, err := holds(st, ctx, e, f.change); ok || err != nil {
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
	if hasEvent(e.trig, after) {
		return after
	}
	return before
}

// matching returns the changes of the items for which e's conditions hold.
func matching[M, C, B any](st *modelState[M, C, B], ctx context.Context, fs []*frame[M, C, B], e *entry[M, C, B]) ([]C, error) {
	var items []C
	for _, f := range fs {
		ok, err := holds(st, ctx, e, f.change)
		if err != nil {
			return nil, conditionFailed(st, ctx, e, f.instanceKey(), *frameEvent(f), err)
		}
		if ok {
			items = append(items, f.change)
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
	ms := make([]M, len(k.items))
	for i, c := range k.items {
		ev, old, cur := k.st.core.view(c)
		ms[i] = *cur
		if ev.IsDelete() {
			ms[i] = *old
		}
	}
	return batchKey(k.st.core.key, ms)
}

// tryBatch runs bulk trigger e once with the items whose conditions hold.
func tryBatch[M, C, B any](st *modelState[M, C, B], ctx context.Context, bf *opFrame, fs []*frame[M, C, B], e *entry[M, C, B], ev Event, skip *skipSet) error {
	if skip.skips(e.name) {
		return nil
	}
	items, err := matching(st, ctx, fs, e)
	if err != nil {
		return err
	}
	k := itemsKeyer[M, C, B]{st, items}
	if len(items) == 0 || (bf.up != nil && reentry(bf.up, e.trig, bf.model, k)) {
		e.stats.skip()
		return nil
	}
	bf.inst = k
	var zc C
	if err := run(st, bf, e, zc, st.core.batch(ev, items), ev, k.instanceKey()); err != nil {
		return &TriggerError{Trigger: e.name, Err: err}
	}
	return nil
}
