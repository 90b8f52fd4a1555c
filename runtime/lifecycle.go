package runtime

import (
	"context"
	"fmt"
)

// Op names a lifecycle operation for Do and DoMany: OpCreate, OpUpdate,
// OpDelete, or FireOp(ev), the triggers of one event alone.
type Op uint16

// The operations of Do and DoMany; FireOp makes the others.
const (
	OpCreate Op = 256 + iota
	OpUpdate
	OpDelete
)

// FireOp returns the operation that runs the triggers of ev alone: no save
// merging and no persist, for code that persists on its own or raises a
// custom event.
func FireOp(ev Event) Op { return Op(ev) }

// Do runs one operation on one instance of model; the generated CreateM,
// UpdateM, DeleteM, EditM and FireM call it.
//
//   - OpCreate: before_create and before_save triggers, persist(m),
//     after_create and after_save triggers, then async and on_commit work.
//   - OpUpdate: the same with the update events; old is the snapshot of m
//     taken before the changes (the generated SnapshotM), and before
//     triggers may modify m before persist saves it. old == m is an error.
//   - OpDelete: the delete events around persist(m); old is ignored.
//   - FireOp(ev): the triggers of ev alone, with old and m as the change's
//     Old and New (nil reads as a zero value) and no persist. For a before
//     event the first error aborts and is returned; otherwise every trigger
//     runs and the errors come back joined.
//
// A nil persist is allowed: the triggers run around nothing.
func Do[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], op Op, old, m *M, persist func(context.Context, *M) error) error {
	p := castFunc[func(context.Context, ptr) error](persist)
	switch op {
	case OpCreate:
		return single(ctx, eng, model.core, opCreate, nil, ptr(m), true, m == nil, p)
	case OpUpdate:
		if old == m && m != nil {
			return sameInstance(model.core.name, 1)
		}
		return single(ctx, eng, model.core, opUpdate, ptr(old), ptr(m), old == nil, m == nil, p)
	case OpDelete:
		return single(ctx, eng, model.core, opDelete, ptr(m), nil, m == nil, true, p)
	}
	return fireOp(ctx, eng, model.core, op, ptr(old), ptr(m))
}

// DoMany runs one bulk operation on ms with a single persist; the generated
// CreateMs, UpdateMs and DeleteMs call it. The order is before_bulk_*
// triggers, each item's before triggers, persist, each item's after
// triggers, after_bulk_* triggers, then async and on_commit work. For
// OpUpdate, old[i] is the snapshot of ms[i] and the slices have the same
// length; OpCreate and OpDelete ignore old.
func DoMany[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], op Op, old []M, ms []*M, persist func(context.Context, []*M) error) error {
	p := castFunc[func(context.Context, []ptr) error](persist)
	if op != OpUpdate {
		return bulkOp(ctx, eng, model.core, op, ptrs(ms), p)
	}
	if len(old) != len(ms) {
		return snapshotCount(model.core.name, len(ms), len(old))
	}
	// Point at the snapshots; small batches keep the pointers on the stack.
	var buf [16]ptr
	olds := buf[:0]
	if len(old) > len(buf) {
		olds = make([]ptr, 0, len(old))
	}
	for i := range old {
		if &old[i] == ms[i] {
			return sameInstance(model.core.name, len(ms))
		}
		olds = append(olds, ptr(&old[i]))
	}
	return bulk(ctx, eng, model.core, opUpdate, olds, ptrs(ms), p)
}

// fireOp runs Do's operations other than create, update and delete.
func fireOp(ctx context.Context, eng *Engine, model *core[ptr, ptr, ptr], op Op, old, m ptr) error {
	if op > 255 {
		return fmt.Errorf("triggergen: %s: unknown operation %d", model.name, op)
	}
	return fire(ctx, eng, model, Event(op), old, m)
}

// bulkOp runs DoMany's operations other than update.
func bulkOp(ctx context.Context, eng *Engine, model *core[ptr, ptr, ptr], op Op, ms []ptr, persist func(context.Context, []ptr) error) error {
	switch op {
	case OpCreate:
		return bulk(ctx, eng, model, opCreate, nil, ms, persist)
	case OpDelete:
		return bulk(ctx, eng, model, opDelete, nil, ms, persist)
	}
	return fmt.Errorf("triggergen: %s: operation %d is not a bulk operation", model.name, op)
}

// snapshotCount is the error of a bulk update with as many snapshots as items.
func snapshotCount(model string, items, snapshots int) error {
	return fmt.Errorf("triggergen: update of %d %s items with %d snapshots", items, model, snapshots)
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
