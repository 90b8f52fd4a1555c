package runtime

import (
	"context"
	"strings"
	"sync/atomic"
	"time"
)

// opFrame is the context triggers of one operation run under. It records
// the nesting depth, the trigger running now and the instance, so that
// nested operations can enforce MaxDepth and skip self re-entry.
type opFrame struct {
	context.Context
	eng *Engine
	up  *opFrame
	// pvals are the parent context's values: the actor and request ID of
	// the records, and what nested operations see besides the frame.
	pvals *ctxVals
	depth int
	model string
	key   string // the instance's key, when inst is the frame itself
	inst  keyer
	// running, event and attempt describe the run in progress.
	running atomic.Pointer[trig]
	event   atomic.Uint32 // the event of the running trigger
	attempt atomic.Uint32 // the running trigger's attempt, from 1
}

type keyer interface{ instanceKey() string }

// instanceKey returns the key the frame was made with.
func (f *opFrame) instanceKey() string { return f.key }

// Value returns the frame itself for valsKey (see lookupVals) and defers
// to the parent context otherwise.
func (f *opFrame) Value(k any) any {
	if k == any(valsKey) {
		return f
	}
	return f.Context.Value(k)
}

// setVals sets the frame's parent values to ctx's.
func (f *opFrame) setVals(ctx context.Context) { f.pvals = valsFrom(ctx) }

// newOpFrame returns the frame of a single-instance operation run with ctx
// (whose values are v) at depth under up, on the instance with key: the
// context its triggers receive. A trigger may keep it, so it is allocated
// for each operation whose triggers run: the one allocation of such an
// operation.
func newOpFrame(eng *Engine, ctx context.Context, v *ctxVals, up *opFrame, depth int, model, key string) *opFrame {
	f := &opFrame{Context: ctx, eng: eng, up: up, pvals: v, depth: depth, model: model, key: key}
	f.inst = f
	return f
}

// engineFrom returns the engine running the trigger that ctx was passed to.
func engineFrom(ctx context.Context) (*Engine, bool) {
	if f := frameFrom(ctx); f != nil && f.eng != nil {
		return f.eng, true
	}
	return nil, false
}

// Now returns the current time on the clock of the engine running the
// trigger that ctx was passed to (Config.Clock), or time.Now outside one.
func Now(ctx context.Context) time.Time {
	if e, ok := engineFrom(ctx); ok {
		return e.clock()
	}
	return time.Now()
}

func frameFrom(ctx context.Context) *opFrame {
	_, f := lookupVals(ctx)
	return f
}

// reentry reports whether t is already running for the same instance further
// up the chain of operations.
func reentry(up *opFrame, t *trig, model string, inst keyer) bool {
	key, known := "", false
	for f := up; f != nil; f = f.up {
		if f.running.Load() != t || f.model != model || f.inst == nil {
			continue
		}
		if !known {
			key, known = inst.instanceKey(), true
		}
		if f.inst.instanceKey() == key {
			return true
		}
	}
	return false
}

// frame is a change with a zero value for the side of it that has no
// instance, and a context for the triggers that run on it: a pooled
// scratch frame holds the change of a single-instance operation (whose
// triggers get a context of their own, see newOpFrame), a frame on the
// heap that of an async run, Execute or a bulk item. The change and the
// zero value live in the same allocation as the frame (see core.newFrame).
type frame[M, C, B any] struct {
	op     opFrame // the frame's context; a field, not embedded, so that frame has no methods to instantiate per model
	st     *modelState[M, C, B]
	change C
	zero   M
	pooled bool
	// usesZero is whether the change points at the zero value.
	usesZero bool
	// pev, pold and pnew point at the change's Event, Old and New (its
	// core.view, taken once).
	pev        *Event
	pold, pnew *M
}

// event returns a pointer to the change's Event.
func frameEvent[M, C, B any](f *frame[M, C, B]) *Event { return f.pev }

func frameInstance[M, C, B any](f *frame[M, C, B]) M {
	if f.pev.IsDelete() {
		return *f.pold
	}
	return *f.pnew
}

func (f *frame[M, C, B]) instanceKey() string { return f.st.core.key(frameInstance(f)) }

// newScratch returns a pooled frame whose change points at old and new, for
// condition tests; it must not reach user code other than conditions. It
// comes from a sync.Pool, whose fast path takes no lock and no atomic
// read-modify-write (a spare slot taken with Swap and given back with
// CompareAndSwap cost as much).
func newScratch[M, C, B any](st *modelState[M, C, B], ev Event, old, new M) *frame[M, C, B] {
	return newScratchNils(st, ev, old, new, isNil(old), isNil(new))
}

// newScratchNils is newScratch for a caller that knows which of old and
// new are nil (a comparison of pointers of a type parameter constrained by
// any is a runtime call).
func newScratchNils[M, C, B any](st *modelState[M, C, B], ev Event, old, new M, oldNil, newNil bool) *frame[M, C, B] {
	f, _ := st.scratch.Get().(*frame[M, C, B])
	if f == nil {
		f = newFrame(st)
		f.pooled = true
	}
	// setChangeNils, written out: a pooled frame has its view.
	if oldNil {
		old = f.zero
	}
	if newNil {
		new = f.zero
	}
	*f.pev, *f.pold, *f.pnew = ev, old, new
	f.usesZero = oldNil || newNil
	return f
}

// newFrame allocates a frame of st's model.
func newFrame[M, C, B any](st *modelState[M, C, B]) *frame[M, C, B] {
	f := st.core.newFrame()
	f.st = st
	f.pev, f.pold, f.pnew = st.core.view(f.change)
	return f
}

// isNil reports whether m is nil: M is a pointer type, and the engine's
// type parameters are constrained by any, so that Go compiles it once for
// every model.
func isNil[M any](m M) bool {
	var none M
	return any(m) == any(none)
}

// setChange points the frame's change at old and new; a nil one reads as
// the frame's zero value.
func setChange[M, C, B any](f *frame[M, C, B], ev Event, old, new M) {
	setChangeNils(f, ev, old, new, isNil(old), isNil(new))
}

// setChangeNils is setChange with isNil(old) and isNil(new) known.
func setChangeNils[M, C, B any](f *frame[M, C, B], ev Event, old, new M, oldNil, newNil bool) {
	if f.pev == nil {
		f.pev, f.pold, f.pnew = f.st.core.view(f.change)
	}
	if oldNil {
		old = f.zero
	}
	if newNil {
		new = f.zero
	}
	*f.pev, *f.pold, *f.pnew = ev, old, new
	f.usesZero = oldNil || newNil
}

// setupFrame makes f the frame of an operation run with ctx at depth under
// up, with its change pointing at old and new.
func setupFrame[M, C, B any](f *frame[M, C, B], ctx context.Context, up *opFrame, depth int, ev Event, old, new M) {
	setupFrameVals(f, ctx, valsFrom(ctx), up, depth, ev, old, new)
}

// setupFrameVals is setupFrame for a ctx whose values v were read already.
func setupFrameVals[M, C, B any](f *frame[M, C, B], ctx context.Context, v *ctxVals, up *opFrame, depth int, ev Event, old, new M) {
	f.op.Context, f.op.eng, f.op.up, f.op.depth, f.op.model = ctx, f.st.eng, up, depth, f.st.core.name
	f.op.inst = f
	f.op.pvals = v
	setChange(f, ev, old, new)
}

// releaseFrame gives a scratch frame back to the pool. Its change no longer points at the
// caller's instances, and a zero value the change used is cleared.
func releaseFrame[M, C, B any](f *frame[M, C, B]) {
	if !f.pooled {
		return
	}
	if f.usesZero {
		f.st.core.clear(f.change, f.zero)
	} else {
		var none M
		*f.pold, *f.pnew = none, none
	}
	f.st.scratch.Put(f)
}

// batchKey joins the keys of a batch's items: at most 20, then ",...".
func batchKey[M any](key func(M) string, items []M) string {
	var b strings.Builder
	for i, m := range items {
		if i == 20 {
			b.WriteString(",...")
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(key(m))
	}
	return b.String()
}
