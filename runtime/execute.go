package runtime

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Execute runs the named trigger's actions on the instance its model's
// loader returns for key, with Old and New both that instance, without
// testing its conditions: it is an operator's explicit request. ev 0 means
// the trigger's first event. The run is bounded by Config.DefaultTimeout,
// audited and counted like any other. An unknown trigger or key wraps
// ErrNotFound.
func (e *Engine) Execute(ctx context.Context, name, key string, ev Event) error {
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
	if !slices.Contains(e.events, ev) {
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
	m, err := load(st, ctx, key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, st.eng.cfg.DefaultTimeout)
	defer cancel()
	f := st.core.newFrame()
	f.st = st
	setupFrame(f, ctx, up, depth, ev, m, m)
	var zb B
	if e.bulk {
		err = run(st, &f.op, e, f.change, st.core.batch(ev, []C{f.change}), ev, key)
	} else {
		err = run(st, &f.op, e, f.change, zb, ev, key)
	}
	if err != nil {
		return &TriggerError{Trigger: e.name, Err: err}
	}
	return nil
}

// load returns the instance for key through the loader, reusing a cached one
// younger than Config.CacheTimeout.
func load[M, C, B any](st *modelState[M, C, B], ctx context.Context, key string) (M, error) {
	ttl := st.eng.cfg.CacheTimeout
	st.loadMu.Lock()
	load := st.loader
	if c, ok := st.cache[key]; ok && ttl > 0 && time.Since(c.at) < ttl {
		st.loadMu.Unlock()
		return c.v, nil
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
		st.loadMu.Lock()
		if st.cache == nil {
			st.cache = map[string]cached[M]{}
		}
		st.cache[key] = cached[M]{m, time.Now()}
		st.loadMu.Unlock()
	}
	return m, nil
}
