package bench

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/scenario"
)

// The floor prototypes: the least an engine of triggergen's design can
// cost on the scenario, written without an engine. Such an engine calls
// conditions and actions it did not write, through function values, and
// hands the actions of an operation a context of their own, which they
// may keep (so it is allocated, once per operation whose triggers run).
// The prototypes do exactly that and nothing else: no plans, no skip
// counts, no statistics beyond what each says, no re-entry checks.

// floorRule is one of the ten rules as function values.
type floorRule struct {
	test   func(ctx context.Context, old, c *models.SimCard) bool
	action func(ctx context.Context, n *scenario.Counters) error
}

// floorRules are the ten rules of HandWritten, in its order.
var floorRules = [NumTriggers]floorRule{
	{func(_ context.Context, old, c *models.SimCard) bool {
		return old.Status != c.Status && old.Status == models.SimInactive && c.Status == models.SimActive
	}, func(_ context.Context, n *scenario.Counters) error { n.Activated++; return nil }},
	{func(_ context.Context, old, c *models.SimCard) bool { return old.Status != c.Status },
		func(_ context.Context, n *scenario.Counters) error { n.StatusChanged++; return nil }},
	{func(_ context.Context, old, c *models.SimCard) bool {
		return old.FraudFlag != c.FraudFlag && c.FraudFlag
	}, other},
	{func(_ context.Context, old, c *models.SimCard) bool { return old.Quality != c.Quality }, other},
	{func(_ context.Context, old, c *models.SimCard) bool {
		return (old.AssignedTo == nil) != (c.AssignedTo == nil) || old.AssignedTo != nil && *old.AssignedTo != *c.AssignedTo
	}, other},
	{func(_ context.Context, old, c *models.SimCard) bool { return old.Registered != c.Registered }, other},
	{func(_ context.Context, old, c *models.SimCard) bool { return !slices.Equal(old.Tags, c.Tags) }, other},
	{func(_ context.Context, _, c *models.SimCard) bool { return c.Status == models.SimBlocked }, other},
	{func(_ context.Context, old, c *models.SimCard) bool { return old.ShopID != c.ShopID }, other},
	{func(_ context.Context, old, c *models.SimCard) bool { return !old.ActivatedAt.Equal(c.ActivatedAt) }, other},
}

func other(_ context.Context, n *scenario.Counters) error { n.Other++; return nil }

// floorCtx is the context an engine hands the actions of one operation:
// the caller's context and what the engine must know of the operation
// (the size of triggergen's, 112 bytes).
type floorCtx struct {
	context.Context
	eng, up, vals *int
	depth         int
	model, key    string
	inst          any
	running       atomic.Pointer[int]
	event, try    atomic.Uint32
}

// FloorFuncs runs the ten rules through function values: the conditions
// called as an engine calls them, and nothing else. With an update that
// matches no rule, it is the floor of triggergen's no-match case.
func FloorFuncs(ctx context.Context, old, c *models.SimCard, n *scenario.Counters, persist func(context.Context, *models.SimCard) error) error {
	if err := persist(ctx, c); err != nil {
		return err
	}
	for i := range floorRules {
		if r := &floorRules[i]; r.test(ctx, old, c) {
			if err := r.action(ctx, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// FloorAlloc is FloorFuncs with the actions given a context of their own,
// allocated when the first rule holds, and an atomic run counter per
// matched action: the floor of triggergen's counts-only observation.
func FloorAlloc(ctx context.Context, old, c *models.SimCard, n *scenario.Counters, runs *RunCounts, persist func(context.Context, *models.SimCard) error) error {
	if err := persist(ctx, c); err != nil {
		return err
	}
	var fc *floorCtx
	for i := range floorRules {
		if r := &floorRules[i]; r.test(ctx, old, c) {
			if fc == nil {
				fc = &floorCtx{Context: ctx, key: c.ID, depth: 1}
			}
			if err := r.action(fc, n); err != nil {
				return err
			}
			runs[i].Add(1)
		}
	}
	return nil
}

// FloorObserved is FloorAlloc with HandWrittenObserved's observation of
// each matched action instead of the counter: the floor of triggergen's
// default (full) observation.
func FloorObserved(ctx context.Context, old, c *models.SimCard, n *scenario.Counters, o *Observation, persist func(context.Context, *models.SimCard) error) error {
	if err := persist(ctx, c); err != nil {
		return err
	}
	op := operation{key: c.ID}
	op.actorID, _ = ctx.Value(actorKey).(string)
	op.requestID, _ = ctx.Value(requestIDKey).(string)
	var fc *floorCtx
	for i := range floorRules {
		if r := &floorRules[i]; r.test(ctx, old, c) {
			if fc == nil {
				fc = &floorCtx{Context: ctx, key: c.ID, depth: 1}
			}
			o.observe(&op, i, func() error { return r.action(fc, n) })
		}
	}
	return nil
}
