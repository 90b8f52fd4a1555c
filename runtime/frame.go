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
	eng     *Engine
	up      *opFrame
	depth   int
	model   string
	inst    keyer
	running atomic.Pointer[trig]
	event   atomic.Uint32 // the event of the running trigger
	attempt atomic.Uint32 // the running trigger's attempt, from 1
}

type keyer interface{ instanceKey() string }

// Value returns the frame itself for frameKey and defers to the parent
// context otherwise.
func (f *opFrame) Value(k any) any {
	if k == any(frameKey) {
		return f
	}
	return f.Context.Value(k)
}

// EngineFrom returns the engine running the trigger that ctx was passed to.
func EngineFrom(ctx context.Context) (*Engine, bool) {
	if f := frameFrom(ctx); f != nil && f.eng != nil {
		return f.eng, true
	}
	return nil, false
}

// Now returns the current time on the clock of the engine running the
// trigger that ctx was passed to (Config.Clock), or time.Now outside one.
func Now(ctx context.Context) time.Time {
	if e, ok := EngineFrom(ctx); ok {
		return e.Now()
	}
	return time.Now()
}

func frameFrom(ctx context.Context) *opFrame {
	f, _ := ctx.Value(frameKey).(*opFrame)
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

// frame is one single-instance operation: its context and its change. The
// change and the zero value live in the same allocation as the frame (see
// core.newFrame).
type frame[M, C, B any] struct {
	op     opFrame // the frame's context; a field, not embedded, so that frame has no methods to instantiate per model
	st     *modelState[M, C, B]
	change C
	zero   M
	pooled bool
}

// event returns a pointer to the change's Event.
func frameEvent[M, C, B any](f *frame[M, C, B]) *Event {
	ev, _, _ := f.st.core.view(f.change)
	return ev
}

func frameInstance[M, C, B any](f *frame[M, C, B]) M {
	ev, old, cur := f.st.core.view(f.change)
	if ev.IsDelete() {
		return *old
	}
	return *cur
}

func (f *frame[M, C, B]) instanceKey() string { return f.st.core.key(frameInstance(f)) }

// newScratch returns a pooled frame for condition tests; it must not reach
// user code other than conditions.
func newScratch[M, C, B any](st *modelState[M, C, B], ctx context.Context, up *opFrame, depth int, ev Event, old, new M) *frame[M, C, B] {
	f, _ := st.scratch.Get().(*frame[M, C, B])
	if f == nil {
		f = st.core.newFrame()
		f.st, f.pooled = st, true
	}
	setupFrame(f, ctx, up, depth, ev, old, new)
	return f
}

// setup points the frame's change at old and new; a nil one reads as the
// frame's zero value.
func setupFrame[M, C, B any](f *frame[M, C, B], ctx context.Context, up *opFrame, depth int, ev Event, old, new M) {
	f.op.Context, f.op.eng, f.op.up, f.op.depth, f.op.model = ctx, f.st.eng, up, depth, f.st.core.name
	f.op.inst = f
	pev, pold, pnew := f.st.core.view(f.change)
	*pev, *pold, *pnew = ev, old, new
	if f.st.core.isNil(old) {
		*pold = f.zero
	}
	if f.st.core.isNil(new) {
		*pnew = f.zero
	}
}

// promote moves a scratch frame to the heap before a trigger runs on it, so
// that the trigger may keep its context and change; it is the one
// allocation of an operation whose triggers run.
func promoteFrame[M, C, B any](f *frame[M, C, B]) *frame[M, C, B] {
	if !f.pooled {
		return f
	}
	c := f.st.core
	_, fold, fcur := c.view(f.change)
	usesZero := c.same(*fold, f.zero) || c.same(*fcur, f.zero)
	var n *frame[M, C, B]
	if usesZero {
		n = c.newFrame()
	} else {
		n = c.newFrameNoZero()
	}
	n.st = f.st
	c.copyChange(n.change, f.change)
	n.op.Context, n.op.eng, n.op.up, n.op.depth, n.op.model = f.op.Context, f.op.eng, f.op.up, f.op.depth, f.op.model
	n.op.inst = n
	if usesZero {
		_, old, cur := c.view(n.change)
		if c.same(*old, f.zero) {
			*old = n.zero
		}
		if c.same(*cur, f.zero) {
			*cur = n.zero
		}
	}
	releaseFrame(f)
	return n
}

func releaseFrame[M, C, B any](f *frame[M, C, B]) {
	if !f.pooled {
		return
	}
	f.st.core.clear(f.change, f.zero)
	f.op.Context, f.op.up, f.op.inst = nil, nil, nil
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
