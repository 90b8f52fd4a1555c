package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// observed registers on eng a trigger "ok" that always succeeds and one
// "bad" that fails when the card's quality is negative.
func observed(t *testing.T, eng *runtime.Engine) {
	on(t, eng, runtime.Trigger[CardChange]{Name: "ok", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
	on(t, eng, runtime.Trigger[CardChange]{Name: "bad", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{cond("quality < 0", func(c *CardChange) bool { return c.New.Quality < 0 })},
		Actions:    acts(func(context.Context, *CardChange) error { return errors.New("negative") })})
}

// update runs n updates of a card with quality q.
func update(t *testing.T, eng *runtime.Engine, n, q int) {
	t.Helper()
	for range n {
		c := &Card{ID: "c1", Quality: q}
		old := SnapshotCard(c)
		err := UpdateCard(context.Background(), eng, &old, c, nil)
		if q < 0 {
			require.Error(t, err)
		} else {
			require.NoError(t, err)
		}
	}
}

func stats(t *testing.T, eng *runtime.Engine, name string) runtime.Stats {
	t.Helper()
	info, ok := eng.Trigger(name)
	require.True(t, ok)
	return info.Stats
}

func TestObservation(t *testing.T) {
	t.Run("full: every run timed and audited", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		observed(t, eng)
		before := time.Now()
		update(t, eng, 10, 1)
		after := time.Now()
		s := stats(t, eng, "ok")
		assert.Equal(t, int64(10), s.Executions)
		assert.Equal(t, int64(10), s.Successes)
		assert.Positive(t, s.Mean)
		assert.Positive(t, s.Max)
		recs := eng.Logs(runtime.LogFilter{Trigger: "ok"})
		require.Len(t, recs, 10)
		for _, r := range recs {
			assert.Positive(t, r.Duration)
			assert.False(t, r.Start.Before(before.Add(-time.Millisecond)), "start %v before %v", r.Start, before)
			assert.False(t, r.Start.After(after.Add(time.Millisecond)), "start %v after %v", r.Start, after)
		}
		assert.Equal(t, int64(10), stats(t, eng, "bad").Skipped)
	})
	t.Run("sampled: one run in N timed and audited, failures always audited", func(t *testing.T) {
		var logs bytes.Buffer
		eng := newEngine(t, runtime.Config{Observation: runtime.ObserveSampled, SampleEvery: 4,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		observed(t, eng)
		update(t, eng, 10, 1)
		s := stats(t, eng, "ok")
		assert.Equal(t, int64(10), s.Executions)
		assert.Equal(t, int64(10), s.Successes)
		assert.Positive(t, s.Mean, "the samples are timed")
		assert.Len(t, eng.Logs(runtime.LogFilter{Trigger: "ok"}), 3, "runs 1, 5 and 9")

		update(t, eng, 6, -1)
		s = stats(t, eng, "bad")
		assert.Equal(t, int64(6), s.Executions)
		assert.Equal(t, int64(6), s.Failures)
		recs := eng.Logs(runtime.LogFilter{Trigger: "bad"})
		require.Len(t, recs, 6, "every failure")
		untimed := 0
		for _, r := range recs {
			assert.Equal(t, runtime.OutcomeFailure, r.Outcome)
			assert.Equal(t, "negative", r.Error)
			assert.False(t, r.Start.IsZero())
			if r.Duration == 0 {
				untimed++
			}
		}
		assert.Equal(t, 4, untimed, "the failures outside the samples (runs 2, 3, 4 and 6) have no duration")
		assert.Equal(t, 6, bytes.Count(logs.Bytes(), []byte("trigger failed")), "every failure is logged")
	})
	t.Run("counts: no clock for a success, failures audited and logged", func(t *testing.T) {
		var logs bytes.Buffer
		eng := newEngine(t, runtime.Config{Observation: runtime.ObserveCounts, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		observed(t, eng)
		update(t, eng, 10, 1)
		s := stats(t, eng, "ok")
		assert.Equal(t, int64(10), s.Executions)
		assert.Equal(t, int64(10), s.Successes)
		assert.Equal(t, float64(100), s.SuccessRate)
		assert.Zero(t, s.Mean)
		assert.Zero(t, s.P95)
		assert.Empty(t, eng.Logs(runtime.LogFilter{Trigger: "ok"}), "successes leave no record")

		before := time.Now()
		update(t, eng, 2, -1)
		s = stats(t, eng, "bad")
		assert.Equal(t, int64(2), s.Failures)
		assert.Equal(t, int64(10), s.Skipped)
		recs := eng.Logs(runtime.LogFilter{Trigger: "bad"})
		require.Len(t, recs, 2)
		for _, r := range recs {
			assert.Equal(t, runtime.OutcomeFailure, r.Outcome)
			assert.Zero(t, r.Duration)
			assert.False(t, r.Start.Before(before))
			assert.Equal(t, "c1", r.Key)
			assert.Equal(t, 1, r.Attempt)
		}
		assert.Equal(t, 2, bytes.Count(logs.Bytes(), []byte("trigger failed")))
	})
	t.Run("counts: retries, each failed attempt audited, one run counted", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{Observation: runtime.ObserveCounts})
		calls := 0
		on(t, eng, runtime.Trigger[CardChange]{Name: "flaky", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Retries: 3, Backoff: time.Millisecond},
			Actions: acts(func(context.Context, *CardChange) error {
				if calls++; calls < 3 {
					return errors.New("not yet")
				}
				return nil
			})})
		update(t, eng, 1, 1)
		s := stats(t, eng, "flaky")
		assert.Equal(t, int64(1), s.Executions)
		assert.Equal(t, int64(1), s.Successes)
		recs := eng.Logs(runtime.LogFilter{Trigger: "flaky"})
		require.Len(t, recs, 2)
		assert.Equal(t, []int{2, 1}, []int{recs[0].Attempt, recs[1].Attempt})
	})
}

func TestObservationNames(t *testing.T) {
	for _, o := range []runtime.Observation{runtime.ObserveFull, runtime.ObserveSampled, runtime.ObserveCounts} {
		got, ok := runtime.ParseObservation(o.String())
		assert.True(t, ok)
		assert.Equal(t, o, got)
	}
	_, ok := runtime.ParseObservation("some")
	assert.False(t, ok)

	t.Setenv("TRIGGER_OBSERVATION", "counts")
	t.Setenv("TRIGGER_SAMPLE_EVERY", "8")
	cfg, err := runtime.ConfigFromEnv()
	require.NoError(t, err)
	assert.Equal(t, runtime.ObserveCounts, cfg.Observation)
	assert.Equal(t, 8, cfg.SampleEvery)

	t.Setenv("TRIGGER_OBSERVATION", "most")
	_, err = runtime.ConfigFromEnv()
	assert.ErrorContains(t, err, "TRIGGER_OBSERVATION")

	assert.Equal(t, 64, runtime.New(runtime.Config{}).Config().SampleEvery)
}

// countingCtx counts the lookups that reach it.
type countingCtx struct {
	context.Context
	n int
}

func (c *countingCtx) Value(k any) any {
	c.n++
	return c.Context.Value(k)
}

// TestOneLookupPerOperation checks that an operation looks its context up
// once, however many values the context carries and however many
// triggers run, in every observation: the actor and request ID of the
// records, the skip set and the run it is nested in come from one lookup.
func TestOneLookupPerOperation(t *testing.T) {
	for _, o := range []runtime.Observation{runtime.ObserveFull, runtime.ObserveSampled, runtime.ObserveCounts} {
		t.Run(o.String(), func(t *testing.T) {
			eng := newEngine(t, runtime.Config{Observation: o})
			observed(t, eng)
			on(t, eng, runtime.Trigger[CardChange]{Name: "ok2", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
			ctx := runtime.WithActor(context.Background(), runtime.Actor{ID: "ann", Roles: []string{"admin"}})
			ctx = runtime.WithRequestID(ctx, "req-1")
			type key int
			for i := range 6 {
				ctx = context.WithValue(ctx, key(i), i)
			}
			cc := &countingCtx{Context: ctx}
			c := &Card{ID: "c1", Quality: 1}
			old := SnapshotCard(c)
			require.NoError(t, UpdateCard(cc, eng, &old, c, nil))
			assert.Equal(t, 1, cc.n, "lookups of one operation with two triggers running")
			assert.Equal(t, int64(1), stats(t, eng, "ok2").Executions)
			if o == runtime.ObserveFull {
				recs := eng.Logs(runtime.LogFilter{Trigger: "ok"})
				require.Len(t, recs, 1)
				assert.Equal(t, "ann", recs[0].ActorID)
				assert.Equal(t, "req-1", recs[0].RequestID)
			}
		})
	}
}

// TestSkippedAcrossToggles checks that the skips counted per list survive
// the rebuilds of the plans that registering and toggling triggers cause,
// and that Skipped stays exact.
func TestSkippedAcrossToggles(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	observed(t, eng)
	update(t, eng, 3, 1)
	on(t, eng, runtime.Trigger[CardChange]{Name: "later", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
	update(t, eng, 2, 1)
	require.NoError(t, eng.SetEnabled("bad", false))
	update(t, eng, 4, 1)
	require.NoError(t, eng.SetEnabled("bad", true))
	update(t, eng, 1, 1)
	assert.Equal(t, int64(6), stats(t, eng, "bad").Skipped, "3 + 2 + 1; none while switched off")
	assert.Equal(t, int64(0), stats(t, eng, "ok").Skipped)
	assert.Equal(t, int64(10), stats(t, eng, "ok").Executions)
	assert.Equal(t, int64(7), stats(t, eng, "later").Executions)
}

// TestSkippedExactUnderConcurrency checks Skipped, and that each operation
// sees its own change (the engine reuses scratch frames), with concurrent
// operations, an operation nested in a trigger of the same model, failed
// persists (the after list never reached) and failed before triggers.
func TestSkippedExactUnderConcurrency(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	mine := func(c *CardChange) bool { return c.New.Quality == c.Old.Quality+1 && c.New.ID == c.Old.ID }
	on(t, eng, runtime.Trigger[CardChange]{Name: "check", Events: []runtime.Event{runtime.BeforeUpdate},
		Conditions: []runtime.Condition[CardChange]{cond("not its own change", func(c *CardChange) bool { return !mine(c) })},
		Actions:    acts(func(context.Context, *CardChange) error { return errors.New("saw another change") })})
	on(t, eng, runtime.Trigger[CardChange]{Name: "never", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{cond("quality < -1000", func(c *CardChange) bool { return c.New.Quality < -1000 })},
		Actions:    acts(noop)})
	on(t, eng, runtime.Trigger[CardChange]{Name: "nest", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{cond("quality == 5", func(c *CardChange) bool { return c.New.Quality == 5 })},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			n := &Card{ID: c.New.ID + "-n", Quality: 1}
			old := Card{ID: n.ID}
			return UpdateCard(ctx, eng, &old, n, nil)
		})})
	const workers, each = 4, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c := &Card{ID: fmt.Sprint("c", w, "-", i), Quality: i%7 + 1}
				old := SnapshotCard(c)
				old.Quality--
				assert.NoError(t, UpdateCard(context.Background(), eng, &old, c, nil))
			}
		})
	}
	wg.Wait()
	ops := int64(workers * each)
	var nested int64 // the operations with quality 5 run one nested operation each
	for i := range each {
		if i%7+1 == 5 {
			nested += workers
		}
	}
	assert.Equal(t, ops+nested, stats(t, eng, "check").Skipped)
	assert.Equal(t, ops+nested, stats(t, eng, "never").Skipped)
	assert.Equal(t, ops, stats(t, eng, "nest").Skipped, "every operation but those with quality 5, and every nested one")
	assert.Equal(t, nested, stats(t, eng, "nest").Executions)

	// A failed persist: the after list is not reached, so not skipped.
	fail := func(context.Context, *Card) error { return errors.New("down") }
	c := &Card{ID: "p", Quality: 2}
	old := Card{ID: "p", Quality: 1}
	require.Error(t, UpdateCard(context.Background(), eng, &old, c, fail))
	assert.Equal(t, ops+nested+1, stats(t, eng, "check").Skipped)
	assert.Equal(t, ops+nested, stats(t, eng, "never").Skipped)
	// A failed before trigger: neither is the after list.
	old.Quality = 7
	require.Error(t, UpdateCard(context.Background(), eng, &old, c, nil))
	assert.Equal(t, ops+nested+1, stats(t, eng, "check").Skipped)
	assert.Equal(t, int64(1), stats(t, eng, "check").Failures)
	assert.Equal(t, ops+nested, stats(t, eng, "never").Skipped)
	old.Quality = 1
	require.NoError(t, UpdateCard(context.Background(), eng, &old, c, nil))
	assert.Equal(t, ops+nested+2, stats(t, eng, "check").Skipped)
	assert.Equal(t, ops+nested+1, stats(t, eng, "never").Skipped)
}
