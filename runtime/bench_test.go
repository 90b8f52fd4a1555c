package runtime_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// benchSink keeps results alive so the compiler cannot drop the work.
var benchSink int

// persistNoop is a persist function that does no work of its own, so the
// benchmarks measure the engine.
func persistNoop(context.Context, *Card) error { benchSink++; return nil }

// benchCondition is the i-th of the ten conditions the benchmarks register;
// conditions 0 and 1 hold for a card with Status "ACTIVE" and Quality 5 when
// match is true, the others never do.
func benchCondition(i int, match bool) func(c *CardChange) bool {
	switch {
	case match && i == 0:
		return func(c *CardChange) bool { return c.New.Status == "ACTIVE" }
	case match && i == 1:
		return func(c *CardChange) bool { return c.New.Quality > 3 }
	case i%3 == 0:
		return func(c *CardChange) bool { return c.StatusChanged() }
	case i%3 == 1:
		return func(c *CardChange) bool { return c.New.Fraud }
	default:
		return func(c *CardChange) bool { return c.New.Quality > 1000 }
	}
}

// benchEngine registers ten Card triggers on update and save events; the
// first matches of them hold for the benchmark card.
func benchEngine(tb testing.TB, matches int) (*runtime.Engine, *int) {
	eng := newEngine(tb, runtime.Config{})
	runs := new(int)
	events := [][]runtime.Event{
		{runtime.BeforeUpdate}, {runtime.AfterUpdate}, {runtime.BeforeSave}, {runtime.AfterSave},
		{runtime.BeforeUpdate, runtime.BeforeSave}, {runtime.AfterUpdate, runtime.AfterSave},
	}
	for i := range 10 {
		test := benchCondition(i, i < matches)
		require.NoError(tb, runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
			Name:       fmt.Sprintf("bench_%d", i),
			Events:     events[i%len(events)],
			Options:    runtime.Options{Priority: (i%4 + 1) * 25},
			Conditions: []runtime.Condition[CardChange]{cond(fmt.Sprint("cond ", i), test)},
			Actions:    acts(func(context.Context, *CardChange) error { *runs++; return nil }),
		}))
	}
	return eng, runs
}

func benchCard() (*Card, Card) {
	c := &Card{ID: "c1", Status: "ACTIVE", Quality: 5}
	return c, SnapshotCard(c)
}

func BenchmarkUpdateNoMatch(b *testing.B) {
	eng, runs := benchEngine(b, 0)
	c, old := benchCard()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := UpdateCard(ctx, eng, &old, c, persistNoop); err != nil {
			b.Fatal(err)
		}
	}
	if *runs != 0 {
		b.Fatalf("%d trigger runs, want 0", *runs)
	}
}

// BenchmarkUpdateNoMatchParallel is BenchmarkUpdateNoMatch with
// operations on one model running at the same time, which share its plans'
// counts and the pool of scratch frames.
func BenchmarkUpdateNoMatchParallel(b *testing.B) {
	eng, runs := benchEngine(b, 0)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c, old := benchCard()
		persist := func(context.Context, *Card) error { return nil } // benchSink is not for goroutines
		for pb.Next() {
			if err := UpdateCard(ctx, eng, &old, c, persist); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if *runs != 0 {
		b.Fatalf("%d trigger runs, want 0", *runs)
	}
}

func BenchmarkUpdateTwoMatch(b *testing.B) {
	eng, runs := benchEngine(b, 2)
	c, old := benchCard()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := UpdateCard(ctx, eng, &old, c, persistNoop); err != nil {
			b.Fatal(err)
		}
	}
	if *runs == 0 {
		b.Fatal("no trigger ran")
	}
}

// BenchmarkHandWritten does the work of BenchmarkUpdateTwoMatch with plain
// if statements: the ten tests of benchCondition, the two cheap actions and
// the persist.
func BenchmarkHandWritten(b *testing.B) {
	c, old := benchCard()
	ctx := context.Background()
	runs := 0
	b.ReportAllocs()
	for b.Loop() {
		statusChanged := c.Status != old.Status // StatusChanged, computed once
		// Before: conditions 0, 2, 4, 6 and 8.
		if c.Status == "ACTIVE" {
			runs++
		}
		if c.Quality > 1000 {
			runs++
		}
		if c.Fraud {
			runs++
		}
		if statusChanged {
			runs++
		}
		if c.Quality > 1000 {
			runs++
		}
		if err := persistNoop(ctx, c); err != nil {
			b.Fatal(err)
		}
		// After: conditions 1, 3, 5, 7 and 9.
		if c.Quality > 3 {
			runs++
		}
		if statusChanged {
			runs++
		}
		if c.Quality > 1000 {
			runs++
		}
		if c.Fraud {
			runs++
		}
		if statusChanged {
			runs++
		}
	}
	benchSink += runs
}

func TestUpdateNoMatchAllocatesNothing(t *testing.T) {
	eng, runs := benchEngine(t, 0)
	c, old := benchCard()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		if err := UpdateCard(ctx, eng, &old, c, persistNoop); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "an operation whose triggers do not match allocates nothing")
	assert.Zero(t, *runs)

	// Likewise with no trigger registered at all, and for Fire.
	bare := newEngine(t, runtime.Config{})
	allocs = testing.AllocsPerRun(200, func() {
		_ = UpdateCard(ctx, bare, &old, c, persistNoop)
		_ = FireCard(ctx, eng, runtime.AfterUpdate, &old, c)
	})
	assert.Zero(t, allocs)
}

func TestUpdateTwoMatchAllocatesAtMostOnce(t *testing.T) {
	eng, runs := benchEngine(t, 2)
	c, old := benchCard()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		if err := UpdateCard(ctx, eng, &old, c, persistNoop); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 1.0, "an operation whose triggers run allocates at most once")
	assert.Equal(t, 2*201, *runs, "two triggers ran per operation")
	for _, name := range []string{"bench_0", "bench_1"} {
		info, _ := eng.Trigger(name)
		assert.Equal(t, int64(201), info.Stats.Executions, name)
	}
}

func TestBulkNoMatchAllocatesNothing(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	never := cond("never", func(*CardChange) bool { return false })
	on(t, eng, runtime.Trigger[CardChange]{Name: "item", Events: []runtime.Event{runtime.AfterUpdate}, Conditions: []runtime.Condition[CardChange]{never}, Actions: acts(noop)})
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "batch", Events: []runtime.Event{runtime.AfterBulkUpdate}, Conditions: []runtime.Condition[CardChange]{never},
		Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { return nil }},
	})
	c, old := benchCard()
	ms, olds := []*Card{c, c}, []Card{old, old}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if err := UpdateCards(ctx, eng, olds, ms, nil); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "BUG: a bulk operation whose triggers do not match allocates (SPEC 4: nothing when no trigger runs)")
}

func TestAllocsPerOperationKind(t *testing.T) {
	ctx := context.Background()
	for _, match := range []bool{false, true} {
		eng := newEngine(t, runtime.Config{})
		holds := cond("holds", func(*CardChange) bool { return match })
		for i, evs := range [][]runtime.Event{
			{runtime.BeforeCreate, runtime.AfterCreate}, {runtime.BeforeDelete, runtime.AfterDelete},
			{CardFraudReview}, {runtime.BeforeSave, runtime.AfterSave},
		} {
			on(t, eng, runtime.Trigger[CardChange]{Name: fmt.Sprint("t", i), Events: evs, Conditions: []runtime.Condition[CardChange]{holds}, Actions: acts(noop)})
		}
		c, old := benchCard()
		actorCtx := runtime.WithRequestID(runtime.WithActor(ctx, runtime.Actor{ID: "u", Roles: []string{"r"}}), "req")
		want := 0.0
		if match {
			want = 1
		}
		for name, op := range map[string]func(){
			"create":       func() { _ = CreateCard(ctx, eng, c, persistNoop) },
			"delete":       func() { _ = DeleteCard(ctx, eng, c, func(context.Context, *Card) error { return nil }) },
			"fire":         func() { _ = FireCard(ctx, eng, CardFraudReview, &old, c) },
			"update actor": func() { _ = UpdateCard(actorCtx, eng, &old, c, persistNoop) },
		} {
			assert.LessOrEqual(t, testing.AllocsPerRun(100, op), want, "%s match=%v", name, match)
		}
		skipCtx := runtime.WithoutTriggers(ctx, "t3")
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = UpdateCard(skipCtx, eng, &old, c, persistNoop) }),
			"match=%v: t3 (the only update trigger) is skipped", match)
	}
}
