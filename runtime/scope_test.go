package runtime_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// onCommit registers an on_commit Card trigger on after_save that records
// "name:<status>" and fails with err.
func onCommit(t *testing.T, eng *runtime.Engine, rec *recorder, name string, err error) {
	t.Helper()
	on(t, eng, runtime.Trigger[CardChange]{
		Name: name, Events: []runtime.Event{runtime.AfterSave}, Options: runtime.Options{OnCommit: true},
		Actions: acts(func(_ context.Context, c *CardChange) error {
			rec.add(name + ":" + c.New.Status)
			return err
		}),
	})
}

func TestOnCommitWithoutScopeRunsBeforeReturn(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var rec recorder
	onCommit(t, eng, &rec, "commit", nil)
	on(t, eng, runtime.Trigger[CardChange]{Name: "after", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Priority: runtime.PriorityLow}, Actions: acts(rec.action("after"))})
	on(t, eng, runtime.Trigger[CardChange]{Name: "before", Events: []runtime.Event{runtime.BeforeUpdate}, Actions: acts(rec.action("before"))})
	c := &Card{ID: "c1", Status: "A"}
	require.NoError(t, runOp(context.Background(), eng, "update", cards, c))
	assert.Equal(t, []string{"before", "after", "commit:A"}, rec.get(), "on_commit work runs after the after triggers")

	// Its errors are the operation's.
	onCommit(t, eng, &rec, "commit_fails", errBoom)
	err := runOp(context.Background(), eng, "update", cards, c)
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, []string{"commit_fails"}, triggerNames(err))
}

func TestScopeCommit(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var rec recorder
	onCommit(t, eng, &rec, "c_a", nil)
	onCommit(t, eng, &rec, "c_b", errBoom)
	onCommit(t, eng, &rec, "c_c", errOther)
	on(t, eng, runtime.Trigger[CardChange]{Name: "sync", Events: []runtime.Event{runtime.AfterSave}, Actions: acts(rec.action("sync"))})

	ctx, scope := runtime.BeginScope(context.Background())
	assert.Same(t, scope, runtime.ScopeFrom(ctx))
	assert.Nil(t, runtime.ScopeFrom(context.Background()))
	assert.Nil(t, scope.Tx())
	c1 := &Card{ID: "c1", Status: "one"}
	require.NoError(t, runOp(ctx, eng, "create", cards, c1), "on_commit errors are the Commit's, not the operation's")
	c2 := &Card{ID: "c2", Status: "two"}
	require.NoError(t, runOp(ctx, eng, "update", cards, c2))
	assert.Equal(t, []string{"sync", "sync"}, rec.get(), "nothing runs before Commit")

	// Mutating the instances after the operation does not change the queued work.
	c1.Status, c2.Status = "changed", "changed"

	err := scope.Commit(context.Background())
	assert.Equal(t, []string{"sync", "sync", "c_a:one", "c_b:one", "c_c:one", "c_a:two", "c_b:two", "c_c:two"}, rec.get(),
		"Commit runs the work in order before it returns")
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, err, errOther)
	assert.Equal(t, []string{"c_b", "c_c", "c_b", "c_c"}, triggerNames(err))

	assert.ErrorIs(t, scope.Commit(context.Background()), runtime.ErrScopeDone)
	scope.Rollback() // after Commit: does nothing
	assert.Len(t, rec.get(), 8)

	// An operation run with the context of a finished scope runs its work at once.
	require.Error(t, runOp(ctx, eng, "update", cards, &Card{ID: "c3", Status: "late"}))
	assert.Contains(t, rec.get(), "c_a:late")
}

func TestScopeRollback(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var rec recorder
	onCommit(t, eng, &rec, "commit", nil)
	ctx, scope := runtime.BeginScope(context.Background())
	require.NoError(t, runOp(ctx, eng, "update", cards, &Card{ID: "c1"}))
	scope.Rollback()
	assert.ErrorIs(t, scope.Commit(context.Background()), runtime.ErrScopeDone)
	assert.Nil(t, rec.get(), "rolled-back work never runs")
	scope.Rollback() // twice is fine
}

func TestScopeBeforeErrorQueuesNothing(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var rec recorder
	onCommit(t, eng, &rec, "commit", nil)
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "veto", Events: []runtime.Event{runtime.BeforeSave},
		Conditions: []runtime.Condition[CardChange]{cond("Status == bad", func(c *CardChange) bool { return c.New.Status == "bad" })},
		Actions:    acts(func(context.Context, *CardChange) error { return errBoom }),
	})
	ctx, scope := runtime.BeginScope(context.Background())
	require.Error(t, runOp(ctx, eng, "update", cards, &Card{ID: "c1", Status: "bad"}))
	require.NoError(t, runOp(ctx, eng, "update", cards, &Card{ID: "c2", Status: "good"}))
	require.NoError(t, scope.Commit(context.Background()))
	assert.Equal(t, []string{"commit:good"}, rec.get())
}

func TestNestedScope(t *testing.T) {
	tests := []struct {
		name        string
		inner       func(s *runtime.Scope) error
		afterInner  []string
		afterOuter  []string
		outerCommit bool
	}{
		{
			name:        "inner commit hands work to outer",
			inner:       func(s *runtime.Scope) error { return s.Commit(context.Background()) },
			afterInner:  nil,
			afterOuter:  []string{"commit:outer", "commit:inner"},
			outerCommit: true,
		},
		{
			name:        "inner rollback drops only inner work",
			inner:       func(s *runtime.Scope) error { s.Rollback(); return nil },
			afterOuter:  []string{"commit:outer"},
			outerCommit: true,
		},
		{
			name:  "outer rollback drops what inner handed over",
			inner: func(s *runtime.Scope) error { return s.Commit(context.Background()) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			cards := newCardStore()
			var rec recorder
			onCommit(t, eng, &rec, "commit", nil)
			octx, outer := runtime.BeginScope(context.Background())
			require.NoError(t, runOp(octx, eng, "update", cards, &Card{ID: "c1", Status: "outer"}))
			ictx, inner := runtime.BeginScope(octx)
			assert.Same(t, inner, runtime.ScopeFrom(ictx))
			require.NoError(t, runOp(ictx, eng, "update", cards, &Card{ID: "c2", Status: "inner"}))
			require.NoError(t, tt.inner(inner))
			assert.Equal(t, tt.afterInner, rec.get())
			if tt.outerCommit {
				require.NoError(t, outer.Commit(context.Background()))
			} else {
				outer.Rollback()
			}
			assert.Equal(t, tt.afterOuter, rec.get())
		})
	}
}

func TestScopeThroughNestedOperations(t *testing.T) {
	// A trigger's own operations inherit the scope from its context.
	eng := newEngine(t, runtime.Config{})
	cards, shops := newCardStore(), newShopStore()
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "to_shop", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			return CreateShop(ctx, eng, &Shop{ID: "s-" + c.New.ID}, shops.Save)
		}),
	})
	require.NoError(t, runtime.On(eng, ShopModel, runtime.Trigger[ShopChange]{
		Name: "shop_commit", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{OnCommit: true},
		Actions: []runtime.Action[ShopChange]{func(ctx context.Context, c *ShopChange) error {
			a, _ := runtime.ActorFrom(ctx)
			rec.add(c.New.ID + " by " + a.ID)
			return nil
		}},
	}))
	ctx, scope := runtime.BeginScope(runtime.WithActor(context.Background(), runtime.Actor{ID: "ann"}))
	require.NoError(t, runOp(ctx, eng, "update", cards, &Card{ID: "c1"}))
	assert.Nil(t, rec.get())
	require.NoError(t, scope.Commit(context.Background()))
	assert.Equal(t, []string{"s-c1 by ann"}, rec.get(), "committed work keeps the actor of its operation")
	logs := eng.Logs(runtime.LogFilter{Trigger: "shop_commit"})
	require.Len(t, logs, 1)
	assert.Equal(t, "ann", logs[0].ActorID)
	assert.Equal(t, "s-c1", logs[0].Key)
}

func TestOnCommitRunsWithoutCallerDeadline(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var errAtRun error
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "commit", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{OnCommit: true},
		Actions: acts(func(ctx context.Context, _ *CardChange) error { errAtRun = ctx.Err(); return nil }),
	})
	opCtx, cancel := context.WithCancel(context.Background())
	ctx, scope := runtime.BeginScope(opCtx)
	require.NoError(t, runOp(ctx, eng, "update", cards, &Card{ID: "c1"}))
	cancel() // the request that ran the operation is over
	require.NoError(t, scope.Commit(context.Background()))
	assert.NoError(t, errAtRun, "the operation's context ending does not cancel committed work")
}

func TestAsyncRunsOnDeepCopy(t *testing.T) {
	eng := newEngine(t, runtime.Config{MaxWorkers: 2, DefaultTimeout: time.Hour})
	cards := newCardStore()
	gate := make(chan struct{})
	type seen struct {
		ev          runtime.Event
		old, cur    Card
		actor, req  string
		hasDeadline bool
		err         error
	}
	got := make(chan seen, 1)
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "async", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true, Queue: "q"},
		Conditions: []runtime.Condition[CardChange]{cond("Status changed", func(c *CardChange) bool { return c.StatusChanged() })},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			<-gate
			a, _ := runtime.ActorFrom(ctx)
			_, dl := ctx.Deadline()
			got <- seen{c.Event, *c.Old, *c.New, a.ID, runtime.RequestIDFrom(ctx), dl, ctx.Err()}
			return nil
		}),
	})
	owner := "ann"
	c := &Card{ID: "c1", Status: "OLD", Tags: []string{"t1", "t2"}, Owner: &owner}
	old := SnapshotCard(c)
	c.Status = "NEW"
	c.Tags[1] = "t2b"
	opCtx, cancel := context.WithCancel(runtime.WithRequestID(runtime.WithActor(context.Background(), runtime.Actor{ID: "bob"}), "r-7"))
	require.NoError(t, UpdateCard(opCtx, eng, &old, c, cards.Save))
	cancel()
	// The trigger has not run yet: mutate everything the change points at.
	c.Status = "LATER"
	c.Tags[0] = "mutated"
	owner = "mallory"
	old.Tags[0] = "mutated"
	close(gate)
	var s seen
	select {
	case s = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("async trigger did not run")
	}
	assert.Equal(t, runtime.AfterUpdate, s.ev)
	assert.Equal(t, Card{ID: "c1", Status: "NEW", Tags: []string{"t1", "t2b"}, Owner: strp("ann")}, s.cur)
	assert.Equal(t, Card{ID: "c1", Status: "OLD", Tags: []string{"t1", "t2"}, Owner: strp("ann")}, s.old)
	assert.Equal(t, "bob", s.actor, "async runs carry the actor")
	assert.Equal(t, "r-7", s.req, "async runs carry the request ID")
	assert.True(t, s.hasDeadline, "DefaultTimeout bounds async runs")
	assert.NoError(t, s.err, "the caller's context ending does not cancel async work")

	require.NoError(t, eng.Close(context.Background()))
	logs := eng.Logs(runtime.LogFilter{Trigger: "async"})
	require.Len(t, logs, 1)
	assert.Equal(t, "bob", logs[0].ActorID)
	assert.Equal(t, "r-7", logs[0].RequestID)
	assert.Equal(t, "c1", logs[0].Key)
	assert.Equal(t, runtime.OutcomeSuccess, logs[0].Outcome)
}

func TestAsyncCloseDrainsAndRejects(t *testing.T) {
	eng := newEngine(t, runtime.Config{MaxWorkers: 2})
	cards := newCardStore()
	var done atomic.Int32
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "async", Events: []runtime.Event{runtime.AfterSave}, Options: runtime.Options{Async: true},
		Actions: acts(func(context.Context, *CardChange) error {
			time.Sleep(2 * time.Millisecond)
			done.Add(1)
			return nil
		}),
	})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "async_fails", Events: []runtime.Event{runtime.AfterSave}, Options: runtime.Options{Async: true, Retries: 1, Backoff: time.Millisecond},
		Actions: acts(func(context.Context, *CardChange) error { return errBoom }),
	})
	const n = 8
	for i := range n {
		require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: fmt.Sprint("c", i)}),
			"async failures are not the operation's")
	}
	require.NoError(t, eng.Close(context.Background()))
	assert.Equal(t, int32(n), done.Load(), "Close drains queued async work")
	info, _ := eng.Trigger("async_fails")
	assert.Equal(t, int64(n), info.Stats.Failures)
	assert.Len(t, eng.Logs(runtime.LogFilter{Trigger: "async_fails"}), 2*n)

	err := runOp(context.Background(), eng, "update", cards, &Card{ID: "late"})
	assert.ErrorIs(t, err, runtime.ErrClosed)
	_, ok := cards.Get("late")
	assert.False(t, ok, "after Close an operation is refused before it persists")
	require.NoError(t, eng.Close(context.Background()), "Close is idempotent")
}

func TestAsyncOnCommit(t *testing.T) {
	eng := newEngine(t, runtime.Config{MaxWorkers: 1})
	cards := newCardStore()
	ran := make(chan string, 4)
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "async_commit", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true, OnCommit: true},
		Actions: acts(func(_ context.Context, c *CardChange) error { ran <- c.New.Status; return nil }),
	})
	ctx, scope := runtime.BeginScope(context.Background())
	c := &Card{ID: "c1", Status: "queued"}
	require.NoError(t, runOp(ctx, eng, "update", cards, c))
	c.Status = "mutated"
	ctx2, scope2 := runtime.BeginScope(context.Background())
	require.NoError(t, runOp(ctx2, eng, "update", cards, &Card{ID: "c2", Status: "dropped"}))
	scope2.Rollback()
	select {
	case s := <-ran:
		t.Fatalf("ran %q before Commit", s)
	default:
	}
	require.NoError(t, scope.Commit(context.Background()))
	require.NoError(t, eng.Close(context.Background()))
	close(ran)
	var got []string
	for s := range ran {
		got = append(got, s)
	}
	assert.Equal(t, []string{"queued"}, got)
}

func TestAsyncSelfUpdateDoesNotLoop(t *testing.T) {
	// An async trigger that saves its own instance is a self re-entry in
	// the operation it runs.
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var runs atomic.Int32
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "bump", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			runs.Add(1)
			cur := SnapshotCard(c.New)
			old := SnapshotCard(&cur)
			cur.Quality++
			return UpdateCard(ctx, eng, &old, &cur, cards.Save)
		}),
	})
	require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}))
	require.NoError(t, eng.Close(context.Background()))
	assert.Equal(t, int32(1), runs.Load())
	stored, _ := cards.Get("c1")
	assert.Equal(t, 1, stored.Quality)
	info, _ := eng.Trigger("bump")
	assert.Equal(t, int64(1), info.Stats.Skipped)
}

func TestRolledBackScopeDropsLaterWork(t *testing.T) {
	t.Run("operation after rollback", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		onCommit(t, eng, &rec, "commit", nil)
		ctx, scope := runtime.BeginScope(context.Background())
		scope.Rollback()
		require.NoError(t, runOp(ctx, eng, "update", newCardStore(), &Card{ID: "c1", Status: "x"}))
		assert.Nil(t, rec.get(), "BUG: on_commit work of an operation in a rolled-back scope runs at once")
	})
	t.Run("inner commit after outer rollback", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		onCommit(t, eng, &rec, "commit", nil)
		octx, outer := runtime.BeginScope(context.Background())
		ictx, inner := runtime.BeginScope(octx)
		require.NoError(t, runOp(ictx, eng, "update", newCardStore(), &Card{ID: "c1", Status: "x"}))
		outer.Rollback()
		require.NoError(t, inner.Commit(context.Background()))
		assert.Nil(t, rec.get(), "BUG: work handed to a rolled-back outer scope runs at once")
	})
}

// fakeQueue keeps the jobs it is given; the test runs them.
type fakeQueue struct {
	mu     sync.Mutex
	jobs   []runtime.Job
	err    error
	closed bool
}

func (q *fakeQueue) Enqueue(_ context.Context, j runtime.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.jobs = append(q.jobs, j)
	return nil
}

func (q *fakeQueue) Close(context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	return nil
}

func TestAsyncUsesConfiguredQueue(t *testing.T) {
	q := &fakeQueue{}
	eng := newEngine(t, runtime.Config{Queue: q, DefaultTimeout: time.Hour})
	assert.Same(t, q, eng.Config().Queue)
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "notify", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true, Queue: "alerts"},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			a, _ := runtime.ActorFrom(ctx)
			_, dl := ctx.Deadline()
			rec.add(fmt.Sprintf("%s %s by %s deadline=%v", c.New.ID, c.New.Status, a.ID, dl))
			return nil
		}),
	})
	ctx := runtime.WithRequestID(runtime.WithActor(context.Background(), runtime.Actor{ID: "ann", Roles: []string{"ops"}}), "req-3")
	c := &Card{ID: "c1", Status: "queued"}
	require.NoError(t, runOp(ctx, eng, "update", newCardStore(), c))
	c.Status = "mutated"
	require.Len(t, q.jobs, 1)
	j := q.jobs[0]
	assert.Equal(t, "notify", j.Trigger)
	assert.Equal(t, "Card", j.Model)
	assert.Equal(t, "c1", j.Key)
	assert.Equal(t, "alerts", j.Queue)
	assert.Equal(t, runtime.AfterUpdate, j.Event)
	assert.Equal(t, runtime.Actor{ID: "ann", Roles: []string{"ops"}}, j.Actor)
	assert.Equal(t, "req-3", j.RequestID)
	assert.Nil(t, rec.get(), "nothing runs until the queue runs the job")

	require.NoError(t, j.Run(context.Background()))
	assert.Equal(t, []string{"c1 queued by ann deadline=true"}, rec.get())
	logs := eng.Logs(runtime.LogFilter{Trigger: "notify"})
	require.Len(t, logs, 1)
	assert.Equal(t, "req-3", logs[0].RequestID)

	q.err = errOther
	err := runOp(ctx, eng, "update", newCardStore(), c)
	assert.ErrorIs(t, err, errOther, "an Enqueue error is the operation's")
	assert.Equal(t, []string{"notify"}, triggerNames(err))

	require.NoError(t, eng.Close(context.Background()))
	assert.True(t, q.closed, "Close closes the queue")
}

func TestAsyncQueueFullWaitsForCallerContext(t *testing.T) {
	pool := runtime.NewPool(1, 1)
	eng := newEngine(t, runtime.Config{Queue: pool})
	gate := make(chan struct{})
	started := make(chan struct{}, 8)
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "slow", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
		Actions: acts(func(context.Context, *CardChange) error { started <- struct{}{}; <-gate; return nil }),
	})
	cards := newCardStore()
	require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}))
	<-started                                                                              // the worker is busy
	require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c2"})) // fills the buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := runOp(ctx, eng, "update", cards, &Card{ID: "c3"})
	assert.ErrorIs(t, err, runtime.ErrQueueFull)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, []string{"slow"}, triggerNames(err))
	_, ok := cards.Get("c3")
	assert.True(t, ok, "the operation itself persisted")
	close(gate)
	require.NoError(t, eng.Close(context.Background()))
	info, _ := eng.Trigger("slow")
	assert.Equal(t, int64(2), info.Stats.Executions, "nothing accepted is dropped")
}

func TestAfterCommit(t *testing.T) {
	ctx := context.Background()
	var ran []string
	note := func(s string) func(context.Context) error {
		return func(context.Context) error { ran = append(ran, s); return nil }
	}
	_, s := runtime.BeginScope(ctx)
	require.NoError(t, s.AfterCommit(ctx, note("a")))
	require.NoError(t, s.AfterCommit(ctx, note("b")))
	assert.Empty(t, ran)
	require.NoError(t, s.Commit(ctx))
	assert.Equal(t, []string{"a", "b"}, ran)
	require.NoError(t, s.AfterCommit(ctx, note("late")))
	assert.Equal(t, []string{"a", "b", "late"}, ran, "a committed scope runs new work at once")

	ran = nil
	_, r := runtime.BeginScope(ctx)
	require.NoError(t, r.AfterCommit(ctx, note("x")))
	r.Rollback()
	require.NoError(t, r.AfterCommit(ctx, note("y")))
	assert.Empty(t, ran, "rolled-back work never runs")
}
