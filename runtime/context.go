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
	actorKey ctxKey = iota + 1
	requestIDKey
	skipKey
	frameKey
	scopeKey
)

// WithActor returns a context that carries the actor. Operations run with
// it, and the async and durable work they queue, see the same actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the actor carried by ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey).(Actor)
	return a, ok
}

// ActorHasRole reports whether the actor carried by ctx has the role. It is
// what the `role` condition compiles to.
func ActorHasRole(ctx context.Context, role string) bool {
	a, ok := ctx.Value(actorKey).(Actor)
	return ok && a.HasRole(role)
}

// WithRequestID returns a context that carries a request ID for audit
// records. RequestMiddleware sets it for HTTP requests.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request ID carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

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
	if prev, ok := ctx.Value(skipKey).(*skipSet); ok {
		if prev.all {
			return ctx
		}
		s.names = append(s.names, prev.names...)
	}
	s.names = append(s.names, names...)
	return context.WithValue(ctx, skipKey, s)
}

func (s *skipSet) skips(name string) bool {
	return s != nil && (s.all || slices.Contains(s.names, name))
}
