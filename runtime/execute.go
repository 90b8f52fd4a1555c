package runtime

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Execute runs the named trigger's actions on the instance its model's
// loader returns for key, without testing its conditions: it is an
// operator's explicit request. The trigger gets two copies of the instance
// as Old and New, so that its edits show in the change (XChanged) and never
// reach the loader's instance or the cache (see Config.CacheTimeout). ev 0
// means the trigger's first event, and Manual runs it as a manual run
// (event "custom") whatever its events. The run is bounded by
// Config.DefaultTimeout, audited and counted like any other. An unknown
// trigger or key wraps ErrNotFound; after Close, or with a context that has
// ended, nothing is loaded or run.
func (e *Engine) Execute(ctx context.Context, name, key string, ev Event) error {
	if e == nil {
		return ErrNilEngine
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("triggergen: execute %s not started: %w", name, err)
	}
	if frameFrom(ctx) == nil && e.closed.Load() {
		return fmt.Errorf("%w: execute %s not started", ErrClosed, name)
	}
	t, ok := e.findTrigger(name)
	if !ok {
		return fmt.Errorf("trigger %q: %w", name, ErrNotFound)
	}
	return t.exec(ctx, key, ev)
}

func executeKey[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], key string, ev Event) error {
	if ev == 0 {
		ev = e.events[0]
	}
	if ev != Manual && !slices.Contains(e.events, ev) {
		return fmt.Errorf("trigger %q does not handle event %s", e.name, coreEventName(st.core, ev))
	}
	up := frameFrom(ctx)
	depth := 1
	if up != nil {
		depth = up.depth + 1
	}
	if depth > st.eng.maxDepth {
		return fmt.Errorf("%w: execute %s at depth %d", ErrMaxDepth, e.name, depth)
	}
	cur, err := load(st, ctx, key)
	if err != nil {
		return err
	}
	old := st.core.snapshot(cur)
	ctx, cancel := context.WithTimeout(ctx, st.eng.cfg.DefaultTimeout)
	defer cancel()
	f := st.core.newFrame()
	f.st = st
	setupFrame(f, ctx, up, depth, ev, old, cur)
	var zb B
	if e.bulk {
		err = run(st, &f.op, e, f.change, st.core.batch(ev, []C{f.change}), ev, key, false)
	} else {
		err = run(st, &f.op, e, f.change, zb, ev, key, false)
	}
	if err != nil {
		return &TriggerError{Trigger: e.name, Err: err}
	}
	return nil
}

// load returns a copy of the instance for key that the caller may change:
// a copy of the cached one when it is younger than Config.CacheTimeout,
// otherwise a copy of the one the loader returns (which is cached, as a copy
// of its own, when caching is on).
func load[M, C, B any](st *modelState[M, C, B], ctx context.Context, key string) (M, error) {
	eng := st.eng
	ttl := eng.cfg.CacheTimeout
	st.loadMu.Lock()
	load := st.loader
	if ttl > 0 {
		if c, ok := st.cache[key]; ok {
			if eng.clock().Sub(c.at) < ttl {
				v := c.v
				st.loadMu.Unlock()
				return st.core.snapshot(v), nil
			}
			delete(st.cache, key)
		}
	}
	st.loadMu.Unlock()
	var none M
	name := st.core.name
	if load == nil {
		return none, fmt.Errorf("no loader registered for %s (call Set%sLoader)", name, name)
	}
	m, err := load(ctx, key)
	if err != nil {
		return none, fmt.Errorf("load %s %q: %w", name, key, err)
	}
	if st.core.isNil(m) {
		return none, fmt.Errorf("load %s %q: %w", name, key, ErrNotFound)
	}
	if ttl > 0 {
		kept := st.core.snapshot(m)
		st.loadMu.Lock()
		cachePut(st, key, kept, eng.clock())
		st.loadMu.Unlock()
	}
	return st.core.snapshot(m), nil
}

// cachePut keeps v for key; st.loadMu is held. Expired instances are dropped
// once per CacheTimeout, and whenever the cache is full; a cache still full
// then drops its oldest instance, so that it never holds more than
// Config.CacheSize instances.
func cachePut[M, C, B any](st *modelState[M, C, B], key string, v M, now time.Time) {
	ttl, size := st.eng.cfg.CacheTimeout, st.eng.cfg.CacheSize
	if st.cache == nil {
		st.cache = map[string]cached[M]{}
	}
	_, replace := st.cache[key]
	full := !replace && len(st.cache) >= size
	if full || now.Sub(st.swept) >= ttl {
		st.swept = now
		for k, c := range st.cache {
			if now.Sub(c.at) >= ttl {
				delete(st.cache, k)
			}
		}
	}
	for !replace && len(st.cache) >= size {
		oldest, first := "", true
		var at time.Time
		for k, c := range st.cache {
			if first || c.at.Before(at) {
				oldest, at, first = k, c.at, false
			}
		}
		delete(st.cache, oldest)
	}
	st.cache[key] = cached[M]{v, now}
}
