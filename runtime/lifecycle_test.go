package runtime_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// within runs f and fails the test unless it returns within d.
func within[T any](t *testing.T, d time.Duration, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
		var zero T
		return zero
	}
}

func TestCloseFromInsideATrigger(t *testing.T) {
	tests := []struct {
		name  string
		async bool
	}{
		{"sync", false},
		{"async", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The run's own deadline is long, so that a Close waiting for the
			// run it is called from is caught by the 2s limit below.
			eng := newEngine(t, runtime.Config{MaxWorkers: 2, DefaultTimeout: 20 * time.Second})
			closed := make(chan error, 1)
			var took atomic.Int64
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "shutdown", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: tt.async},
				Actions: acts(func(ctx context.Context, _ *CardChange) error {
					start := time.Now()
					err := eng.Close(ctx)
					took.Store(int64(time.Since(start)))
					closed <- err
					return nil
				}),
			})
			err := within(t, 5*time.Second, "the operation", func() error {
				return runOp(context.Background(), eng, "update", newCardStore(), &Card{ID: "c1"})
			})
			require.NoError(t, err)
			select {
			case err := <-closed:
				require.NoError(t, err)
			case <-time.After(5 * time.Second):
				t.Fatal("the trigger did not run")
			}
			assert.Less(t, time.Duration(took.Load()), 2*time.Second, "Close from inside the run returns at once")
			assert.True(t, runtime.Closed(eng))
			require.NoError(t, within(t, 5*time.Second, "Close from outside", func() error { return eng.Close(context.Background()) }),
				"a Close from outside waits for the drain")
			assert.Equal(t, int64(1), func() int64 { i, _ := eng.Trigger("shutdown"); return i.Stats.Successes }())
			err = runOp(context.Background(), eng, "update", newCardStore(), &Card{ID: "c2"})
			assert.ErrorIs(t, err, runtime.ErrClosed)
		})
	}
}

func TestCloseDrainLetsTriggersOperate(t *testing.T) {
	eng := newEngine(t, runtime.Config{MaxWorkers: 1})
	cards := newCardStore()
	release := make(chan struct{})
	nested := make(chan error, 1)
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "follow_up", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			<-release
			// The engine is closed by now: an operation the trigger runs is
			// part of the drain and still runs.
			nested <- UpdateShop(ctx, eng, &Shop{ID: "s1"}, &Shop{ID: "s1", Sales: 1}, nil)
			return nil
		}),
	})
	require.NoError(t, CreateCard(context.Background(), eng, &Card{ID: "c1"}, cards.Save))
	closed := make(chan error, 1)
	go func() { closed <- eng.Close(context.Background()) }()
	require.Eventually(t, func() bool { return runtime.Closed(eng) }, 5*time.Second, time.Millisecond)
	close(release)
	require.NoError(t, <-closed)
	require.NoError(t, <-nested)
}

func TestFullAsyncQueueFailsAfterPersist(t *testing.T) {
	// One worker, room for one job: a blocked job and a waiting one fill it.
	eng := newEngine(t, runtime.Config{Queue: runtime.NewPool(1, 1)})
	block := make(chan struct{})
	defer close(block)
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "slow", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
		Actions: acts(func(context.Context, *CardChange) error { <-block; return nil }),
	})
	cards := newCardStore()
	require.NoError(t, CreateCard(context.Background(), eng, &Card{ID: "running"}, cards.Save))
	require.Eventually(t, func() bool { return eng.Config().Queue.(runtime.QueueStatser).QueueStats().Running == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, CreateCard(context.Background(), eng, &Card{ID: "waiting"}, cards.Save))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := CreateCard(ctx, eng, &Card{ID: "late"}, cards.Save)
	require.ErrorIs(t, err, runtime.ErrQueueFull)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, []string{"slow"}, triggerNames(err), "the error names the trigger that could not be queued")
	_, stored := cards.Get("late")
	assert.True(t, stored, "as the README says: the write happened, only the async trigger was not queued")
}

func TestExecuteCache(t *testing.T) {
	clk := &testClock{}
	clk.Set(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	eng := newEngine(t, runtime.Config{CacheTimeout: time.Minute, Clock: clk.Now})
	shared := &Card{ID: "c1", Status: "ACTIVE", Tags: []string{"a"}}
	var loads atomic.Int32
	SetCardLoader(eng, func(_ context.Context, key string) (*Card, error) {
		loads.Add(1)
		return shared, nil // the application's own instance, not a copy
	})
	type seen struct {
		oldStatus, newStatus string
		changed              bool
	}
	var runs []seen
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "edit", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: acts(func(_ context.Context, c *CardChange) error {
			s := seen{oldStatus: c.Old.Status, newStatus: c.New.Status}
			c.New.Status = "EDITED"
			c.New.Tags[0] = "edited"
			c.New.Tags = append(c.New.Tags, "more")
			s.changed = c.StatusChanged() && c.TagsChanged()
			runs = append(runs, s)
			return nil
		}),
	})
	ctx := context.Background()
	for range 3 {
		require.NoError(t, eng.Execute(ctx, "edit", "c1", 0))
	}
	assert.Equal(t, int32(1), loads.Load(), "the instance is loaded once and then reused")
	want := seen{"ACTIVE", "ACTIVE", true}
	assert.Equal(t, []seen{want, want, want}, runs, "every run starts from the loaded instance, and sees its own edits as changes")
	assert.Equal(t, &Card{ID: "c1", Status: "ACTIVE", Tags: []string{"a"}}, shared, "the loader's instance is never edited")

	clk.Advance(2 * time.Minute)
	require.NoError(t, eng.Execute(ctx, "edit", "c1", 0))
	assert.Equal(t, int32(2), loads.Load(), "an expired instance is loaded again")

	eng.ClearCaches()
	require.NoError(t, eng.Execute(ctx, "edit", "c1", 0))
	assert.Equal(t, int32(3), loads.Load(), "ClearCaches drops the cached instances")
}

func TestExecuteCacheIsBounded(t *testing.T) {
	clk := &testClock{}
	clk.Set(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	eng := newEngine(t, runtime.Config{CacheTimeout: time.Minute, CacheSize: 3, Clock: clk.Now})
	cards := newCardStore()
	for _, id := range []string{"c1", "c2", "c3", "c4", "c5"} {
		cards.Put(Card{ID: id})
	}
	var loads sync.Map
	SetCardLoader(eng, func(ctx context.Context, key string) (*Card, error) {
		n, _ := loads.LoadOrStore(key, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		return cards.Load(ctx, key)
	})
	on(t, eng, runtime.Trigger[CardChange]{Name: "exec", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
	loadsOf := func(key string) int32 {
		n, _ := loads.Load(key)
		if n == nil {
			return 0
		}
		return n.(*atomic.Int32).Load()
	}
	ctx := context.Background()
	for _, id := range []string{"c1", "c2", "c3", "c4", "c5"} {
		require.NoError(t, eng.Execute(ctx, "exec", id, 0))
		clk.Advance(time.Second)
	}
	assert.Equal(t, 3, runtime.CachedInstances(eng), "the cache never holds more than CacheSize instances")
	require.NoError(t, eng.Execute(ctx, "exec", "c5", 0))
	assert.Equal(t, int32(1), loadsOf("c5"), "the newest instances are kept")
	require.NoError(t, eng.Execute(ctx, "exec", "c1", 0))
	assert.Equal(t, int32(2), loadsOf("c1"), "the oldest one made room")

	clk.Advance(2 * time.Minute)
	cards.Put(Card{ID: "c6"})
	require.NoError(t, eng.Execute(ctx, "exec", "c6", 0))
	assert.Equal(t, 1, runtime.CachedInstances(eng), "expired instances are evicted, not kept until the cache is full")
}

func TestExecuteManualRun(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	cards.Put(Card{ID: "c1"})
	SetCardLoader(eng, cards.Load)
	var got runtime.Event
	var run runtime.RunInfo
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "exec", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			got = c.Event
			run, _ = runtime.CurrentRun(ctx)
			return nil
		}),
	})
	require.NoError(t, eng.Execute(context.Background(), "exec", "c1", runtime.Manual))
	assert.Equal(t, runtime.Manual, got, "the trigger sees a manual run")
	assert.Equal(t, "custom", run.Event)
	assert.Equal(t, "custom", runtime.Manual.String())
	logs := eng.Logs(runtime.LogFilter{Trigger: "exec"})
	require.Len(t, logs, 1)
	assert.Equal(t, "custom", logs[0].Event, "recorded as a manual run")
	assert.Error(t, FireCard(context.Background(), eng, runtime.Manual, nil, &Card{ID: "c1"}), "no operation fires Manual")
}

func TestCurrentRunAttempt(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var mu sync.Mutex
	var attempts []int
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "flaky", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Retries: 3, Backoff: time.Millisecond},
		Actions: acts(func(ctx context.Context, _ *CardChange) error {
			ri, _ := runtime.CurrentRun(ctx)
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, ri.Attempt)
			if len(attempts) < 3 {
				return errBoom
			}
			return nil
		}),
	})
	require.NoError(t, runOp(context.Background(), eng, "update", newCardStore(), &Card{ID: "c1"}))
	assert.Equal(t, []int{1, 2, 3}, attempts)
}

func TestRetryDelay(t *testing.T) {
	// spread returns the smallest and largest of many delays.
	spread := func(backoff time.Duration, n int) (lo, hi time.Duration) {
		lo = time.Duration(1<<63 - 1)
		for range 2000 {
			d := runtime.RetryDelay(backoff, n)
			lo, hi = min(lo, d), max(hi, d)
		}
		return lo, hi
	}
	tests := []struct {
		name             string
		backoff          time.Duration
		n                int
		atLeast, atMost  time.Duration // every delay is within
		spreadBelow, top time.Duration // some delay is below spreadBelow, some above top
	}{
		{"first retry: the backoff ±20%", time.Second, 1, 800 * time.Millisecond, 1200 * time.Millisecond, 950 * time.Millisecond, 1050 * time.Millisecond},
		{"doubling", time.Second, 3, 3200 * time.Millisecond, 4800 * time.Millisecond, 3800 * time.Millisecond, 4200 * time.Millisecond},
		{"default backoff 100ms", 0, 1, 80 * time.Millisecond, 120 * time.Millisecond, 95 * time.Millisecond, 105 * time.Millisecond},
		{"capped at 30s", time.Second, 10, 24 * time.Second, 30 * time.Second, 29 * time.Second, 0},
		{"a backoff above the cap", time.Hour, 1, 24 * time.Second, 30 * time.Second, 29 * time.Second, 0},
		{"many retries do not overflow", time.Second, 200, 24 * time.Second, 30 * time.Second, 29 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := spread(tt.backoff, tt.n)
			assert.GreaterOrEqual(t, lo, tt.atLeast)
			assert.LessOrEqual(t, hi, tt.atMost)
			assert.Less(t, lo, tt.spreadBelow, "jitter spreads the delays")
			if tt.top > 0 {
				assert.Greater(t, hi, tt.top, "jitter spreads the delays")
			}
		})
	}
	assert.Equal(t, 30*time.Second, runtime.MaxBackoff)
}

func TestScopeTxWithoutScope(t *testing.T) {
	assert.Nil(t, runtime.ScopeFrom(context.Background()).Tx(), "no scope: no transaction, and no panic")
}

func TestVetoedUpdateKeepsBeforeEdits(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	on(t, eng, runtime.Trigger[CardChange]{Name: "normalise", Events: []runtime.Event{runtime.BeforeUpdate}, Options: runtime.Options{Priority: runtime.PriorityHigh},
		Actions: acts(func(_ context.Context, c *CardChange) error { c.New.Status = "NORMALISED"; return nil })})
	on(t, eng, runtime.Trigger[CardChange]{Name: "veto", Events: []runtime.Event{runtime.BeforeUpdate},
		Actions: acts(func(context.Context, *CardChange) error { return errors.New("not allowed") })})
	cards := newCardStore()
	c := &Card{ID: "c1", Status: "new"}
	old := SnapshotCard(c)
	err := UpdateCard(context.Background(), eng, &old, c, cards.Save)
	require.ErrorContains(t, err, "not allowed")
	assert.Equal(t, "NORMALISED", c.Status, "as the README says: the caller's struct keeps the before triggers' edits")
	_, stored := cards.Get("c1")
	assert.False(t, stored)
}
