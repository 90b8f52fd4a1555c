package runtime

import (
	"context"
	"slices"
)

// Actor is who performs an operation: triggers see it through the context,
// `role` conditions test its roles, and audit records carry its ID.
type Actor struct {
	ID    string
	Roles []string
}

// HasRole reports whether the actor has the named role.
func (a Actor) HasRole(role string) bool { return slices.Contains(a.Roles, role) }

type ctxKey uint8

const (
	valsKey ctxKey = iota + 1
	scopeKey
)

// ctxVals are every value the engine reads from a context, kept under one
// key so that an operation finds them all with one lookup however many
// other values the context carries: WithActor, WithRequestID and
// WithoutTriggers each add a copy with their own value changed. The
// context a trigger receives, an *opFrame, answers the same key with
// itself, and holds its parent context's values.
type ctxVals struct {
	actor     Actor
	hasActor  bool
	requestID string
	skip      *skipSet
	frame     *opFrame // the operation whose trigger the context was passed to
}

// noVals are the values of a context that carries none; never modified.
var noVals ctxVals

// valsCtx is a context carrying ctxVals.
type valsCtx struct {
	context.Context
	v ctxVals
}

// Value returns the values for valsKey and defers to the parent otherwise.
func (c *valsCtx) Value(k any) any {
	if k == any(valsKey) {
		return &c.v
	}
	return c.Context.Value(k)
}

// lookupVals returns the engine's values in ctx (never nil; read only) and
// the frame of the operation whose trigger ctx was passed to, with one
// lookup.
func lookupVals(ctx context.Context) (*ctxVals, *opFrame) {
	switch x := ctx.Value(valsKey).(type) {
	case *opFrame:
		return x.pvals, x
	case *ctxVals:
		return x, x.frame
	}
	return &noVals, nil
}

// valsFrom returns the engine's values in ctx (never nil; read only); their
// frame field is not ctx's frame, see lookupVals.
func valsFrom(ctx context.Context) *ctxVals {
	v, _ := lookupVals(ctx)
	return v
}

// withVals returns a context carrying ctx's values changed by set.
func withVals(ctx context.Context, set func(*ctxVals)) context.Context {
	v, f := lookupVals(ctx)
	c := &valsCtx{Context: ctx, v: *v}
	c.v.frame = f
	set(&c.v)
	return c
}

// WithActor returns a context that carries the actor. Operations run with
// it, and the async and durable work they queue, see the same actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return withVals(ctx, func(v *ctxVals) { v.actor, v.hasActor = a, true })
}

// ActorFrom returns the actor carried by ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	v := valsFrom(ctx)
	return v.actor, v.hasActor
}

// ActorHasRole reports whether the actor carried by ctx has the role. It is
// what the `role` condition compiles to.
func ActorHasRole(ctx context.Context, role string) bool {
	v := valsFrom(ctx)
	return v.hasActor && v.actor.HasRole(role)
}

// WithRequestID returns a context that carries a request ID for audit
// records. triggerhttp.RequestMiddleware sets it for HTTP requests.
func WithRequestID(ctx context.Context, id string) context.Context {
	return withVals(ctx, func(v *ctxVals) { v.requestID = id })
}

// RequestIDFrom returns the request ID carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string { return valsFrom(ctx).requestID }

type skipSet struct {
	all   bool
	names []string
}

// WithoutTriggers returns a context under which the named triggers do not
// run; with no names, no trigger runs. It applies to every operation run
// with the context, including the operations that triggers run in turn.
// Skipping this way is an explicit request: it is not counted in
// Stats.Skipped and leaves no audit record.
func WithoutTriggers(ctx context.Context, names ...string) context.Context {
	s := &skipSet{all: len(names) == 0}
	if prev := valsFrom(ctx).skip; prev != nil {
		if prev.all {
			return ctx
		}
		s.names = append(s.names, prev.names...)
	}
	s.names = append(s.names, names...)
	return withVals(ctx, func(v *ctxVals) { v.skip = s })
}

func (s *skipSet) skips(name string) bool {
	return s != nil && (s.all || slices.Contains(s.names, name))
}
