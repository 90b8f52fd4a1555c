package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

var (
	errBoom  = errors.New("boom")
	errOther = errors.New("other")
)

// runOp runs one single-instance operation of kind op on c.
func runOp(ctx context.Context, eng *runtime.Engine, op string, cards *store[Card], c *Card) error {
	switch op {
	case "create":
		return CreateCard(ctx, eng, c, cards.Save)
	case "update":
		old := SnapshotCard(c)
		return UpdateCard(ctx, eng, &old, c, cards.Save)
	case "delete":
		return DeleteCard(ctx, eng, c, cards.Remove)
	}
	panic("unknown op " + op)
}

func TestBeforeTriggerErrorAborts(t *testing.T) {
	for _, op := range []string{"create", "update", "delete"} {
		t.Run(op, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			cards := newCardStore()
			var rec recorder
			ev := map[string]runtime.Event{"create": runtime.BeforeCreate, "update": runtime.BeforeUpdate, "delete": runtime.BeforeDelete}[op]
			after := map[string]runtime.Event{"create": runtime.AfterCreate, "update": runtime.AfterUpdate, "delete": runtime.AfterDelete}[op]
			on(t, eng, runtime.Trigger[CardChange]{Name: "first", Events: []runtime.Event{ev}, Options: runtime.Options{Priority: runtime.PriorityHigh}, Actions: acts(rec.action("first"))})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "failing", Events: []runtime.Event{ev},
				Actions: acts(func(context.Context, *CardChange) error { rec.add("failing"); return errBoom }),
			})
			on(t, eng, runtime.Trigger[CardChange]{Name: "later", Events: []runtime.Event{ev}, Options: runtime.Options{Priority: runtime.PriorityLow}, Actions: acts(rec.action("later"))})
			on(t, eng, runtime.Trigger[CardChange]{Name: "after", Events: []runtime.Event{after}, Actions: acts(rec.action("after"))})
			on(t, eng, runtime.Trigger[CardChange]{Name: "commit", Events: []runtime.Event{after}, Options: runtime.Options{OnCommit: true}, Actions: acts(rec.action("commit"))})

			err := runOp(context.Background(), eng, op, cards, &Card{ID: "c1"})
			require.Error(t, err)
			var te *runtime.TriggerError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "failing", te.Trigger)
			assert.ErrorIs(t, err, errBoom)
			assert.Same(t, errBoom, te.Unwrap())
			assert.Equal(t, "trigger failing: boom", te.Error())
			assert.Equal(t, []string{"first", "failing"}, rec.get(), "later before triggers, after triggers and on_commit work do not run")
			saves, deletes := cards.Counts()
			assert.Zero(t, saves+deletes, "persist is not called")
		})
	}
}

func TestPersistErrorIsReturnedAndStopsAfterTriggers(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	cards.failNow = errOther
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{Name: "before", Events: []runtime.Event{runtime.BeforeSave}, Actions: acts(rec.action("before"))})
	on(t, eng, runtime.Trigger[CardChange]{Name: "after", Events: []runtime.Event{runtime.AfterSave}, Actions: acts(rec.action("after"))})
	err := CreateCard(context.Background(), eng, &Card{ID: "c1"}, cards.Save)
	assert.ErrorIs(t, err, errOther)
	assert.Empty(t, triggerErrors(err), "a persist error is not a trigger's")
	assert.Equal(t, []string{"before"}, rec.get())
}

func TestBeforeEditsAreSeenAndPersisted(t *testing.T) {
	for _, op := range []string{"create", "update"} {
		t.Run(op, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			cards := newCardStore()
			var rec recorder
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "raise", Events: []runtime.Event{runtime.BeforeSave}, Options: runtime.Options{Priority: runtime.PriorityHigh},
				Actions: acts(func(_ context.Context, c *CardChange) error {
					c.New.Quality = 99
					c.New.Tags = append(c.New.Tags, "raised")
					return nil
				}),
			})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "sees_edit", Events: []runtime.Event{runtime.BeforeSave},
				Conditions: []runtime.Condition[CardChange]{cond("Quality == 99", func(c *CardChange) bool { return c.New.Quality == 99 })},
				Actions:    acts(rec.action("sees_edit")),
			})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "before_edit_only", Events: []runtime.Event{runtime.BeforeSave}, Options: runtime.Options{Priority: runtime.PriorityCritical},
				Conditions: []runtime.Condition[CardChange]{cond("Quality == 99", func(c *CardChange) bool { return c.New.Quality == 99 })},
				Actions:    acts(rec.action("before_edit_only")),
			})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "after_final", Events: []runtime.Event{runtime.AfterSave},
				Conditions: []runtime.Condition[CardChange]{cond("Quality changed", func(c *CardChange) bool { return c.QualityChanged() })},
				Actions: acts(func(_ context.Context, c *CardChange) error {
					rec.add(fmt.Sprintf("after_final %d %v", c.New.Quality, c.New.Tags))
					return nil
				}),
			})
			c := &Card{ID: "c1", Quality: 1}
			require.NoError(t, runOp(context.Background(), eng, op, cards, c))
			assert.Equal(t, []string{"sees_edit", "after_final 99 [raised]"}, rec.get(),
				"a critical trigger is tested before the edit, a later one after it")
			stored, ok := cards.Get("c1")
			require.True(t, ok)
			assert.Equal(t, 99, stored.Quality)
			assert.Equal(t, []string{"raised"}, stored.Tags)
			assert.Equal(t, 99, c.Quality, "the caller's instance carries the edit")
		})
	}
}

func TestMergedPlanPerOperation(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var rec recorder
	ev := func(events ...runtime.Event) []runtime.Event { return events }
	type def struct {
		name   string
		prio   int
		events []runtime.Event
	}
	// Registered out of order on purpose.
	defs := []def{
		{"beta", 0, ev(runtime.BeforeSave)},
		{"low", runtime.PriorityLow, ev(runtime.BeforeSave)},
		{"zeta", runtime.PriorityCritical, ev(runtime.BeforeUpdate)},
		{"alpha", runtime.PriorityNormal, ev(runtime.BeforeUpdate)},
		{"both", runtime.PriorityHigh, ev(runtime.BeforeUpdate, runtime.BeforeSave)},
		{"sixty", 60, ev(runtime.BeforeUpdate)},
		{"negative", -5, ev(runtime.BeforeSave)},
		{"after_save_t", 0, ev(runtime.AfterSave)},
		{"after_upd", runtime.PriorityHigh, ev(runtime.AfterUpdate)},
		{"after_both", 0, ev(runtime.AfterUpdate, runtime.AfterSave)},
		{"create_only", 0, ev(runtime.BeforeCreate)},
		{"delete_before", 0, ev(runtime.BeforeDelete)},
		{"delete_after", 0, ev(runtime.AfterDelete, runtime.AfterSave)},
		{"everything", runtime.PriorityLow, ev(runtime.BeforeCreate, runtime.BeforeUpdate, runtime.BeforeSave, runtime.BeforeDelete)},
	}
	for _, d := range defs {
		name := d.name
		on(t, eng, runtime.Trigger[CardChange]{
			Name: name, Events: d.events, Options: runtime.Options{Priority: d.prio},
			Actions: acts(func(_ context.Context, c *CardChange) error {
				rec.add(name + "@" + c.Event.String())
				return nil
			}),
		})
	}
	persist := func(ctx context.Context, c *Card) error { rec.add("persist"); return nil }
	tests := []struct {
		op   string
		run  func(c *Card) error
		want []string
	}{
		{
			op: "update",
			run: func(c *Card) error {
				old := SnapshotCard(c)
				return UpdateCard(context.Background(), eng, &old, c, persist)
			},
			want: []string{
				"zeta@before_update", "both@before_update", "sixty@before_update",
				"alpha@before_update", "beta@before_update",
				"everything@before_update", "low@before_update", "negative@before_update",
				"persist",
				"after_upd@after_update", "after_both@after_update", "after_save_t@after_update",
				"delete_after@after_update",
			},
		},
		{
			op:  "create",
			run: func(c *Card) error { return CreateCard(context.Background(), eng, c, persist) },
			want: []string{
				"both@before_create", "beta@before_create", "create_only@before_create",
				"everything@before_create", "low@before_create", "negative@before_create",
				"persist",
				"after_both@after_create", "after_save_t@after_create", "delete_after@after_create",
			},
		},
		{
			op:   "delete",
			run:  func(c *Card) error { return DeleteCard(context.Background(), eng, c, persist) },
			want: []string{"delete_before@before_delete", "everything@before_delete", "persist", "delete_after@after_delete"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			rec.mu.Lock()
			rec.list = nil
			rec.mu.Unlock()
			require.NoError(t, tt.run(&Card{ID: "c1"}))
			assert.Equal(t, tt.want, rec.get())
		})
	}
}

func TestUpdateFiresWhenNothingChanged(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var seen []bool
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "any_update", Events: []runtime.Event{runtime.BeforeUpdate, runtime.AfterUpdate},
		Actions: acts(func(_ context.Context, c *CardChange) error {
			seen = append(seen, c.Changed())
			return nil
		}),
	})
	c := &Card{ID: "c1", Status: "ACTIVE", Tags: []string{"a"}}
	old := SnapshotCard(c)
	require.NoError(t, UpdateCard(context.Background(), eng, &old, c, cards.Save))
	assert.Equal(t, []bool{false, false}, seen)
	saves, _ := cards.Counts()
	assert.Equal(t, 1, saves)
}

func TestCreateOldIsZeroAndDeleteNewIsZero(t *testing.T) {
	type seen struct {
		ev       runtime.Event
		old, new *Card
		oldV     Card
		newV     Card
		inst     *Card
	}
	tests := []struct {
		op    string
		check func(t *testing.T, c *Card, got []seen)
	}{
		{"create", func(t *testing.T, c *Card, got []seen) {
			require.Len(t, got, 2)
			for _, s := range got {
				require.NotNil(t, s.old, "%s: Old is never nil", s.ev)
				assert.Equal(t, Card{}, s.oldV)
				assert.Same(t, c, s.new)
				assert.Same(t, c, s.inst)
			}
			assert.Equal(t, []runtime.Event{runtime.BeforeCreate, runtime.AfterCreate}, []runtime.Event{got[0].ev, got[1].ev})
		}},
		{"delete", func(t *testing.T, c *Card, got []seen) {
			require.Len(t, got, 2)
			for _, s := range got {
				require.NotNil(t, s.new, "%s: New is never nil", s.ev)
				assert.Equal(t, Card{}, s.newV)
				assert.Same(t, c, s.old)
				assert.Same(t, c, s.inst, "Instance() is Old on delete")
			}
			assert.Equal(t, []runtime.Event{runtime.BeforeDelete, runtime.AfterDelete}, []runtime.Event{got[0].ev, got[1].ev})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			cards := newCardStore()
			cards.Put(Card{ID: "c1"})
			var got []seen
			on(t, eng, runtime.Trigger[CardChange]{
				Name:   "watch",
				Events: []runtime.Event{runtime.BeforeCreate, runtime.AfterCreate, runtime.BeforeDelete, runtime.AfterDelete},
				Conditions: []runtime.Condition[CardChange]{cond("old.Status == \"\" and new.Status == \"\"", func(c *CardChange) bool {
					return c.Old.Status == "" || c.New.Status == "" // dereferences both: must not panic
				})},
				Actions: acts(func(_ context.Context, c *CardChange) error {
					got = append(got, seen{c.Event, c.Old, c.New, *c.Old, *c.New, c.Instance()})
					return nil
				}),
			})
			c := &Card{ID: "c1", Status: "ACTIVE", Quality: 5}
			if tt.op == "create" {
				require.NoError(t, CreateCard(context.Background(), eng, c, cards.Save))
			} else {
				// persist is covered by TestDeletePersistGetsTheInstance.
				require.NoError(t, DeleteCard(context.Background(), eng, c, nil))
			}
			tt.check(t, c, got)
			logs := eng.Logs(runtime.LogFilter{Trigger: "watch"})
			require.Len(t, logs, 2)
			for _, r := range logs {
				assert.Equal(t, "c1", r.Key)
			}
		})
	}
}

func TestDeletePersistGetsTheInstance(t *testing.T) {
	for _, withTrigger := range []bool{false, true} {
		t.Run(fmt.Sprintf("trigger=%v", withTrigger), func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			if withTrigger {
				on(t, eng, runtime.Trigger[CardChange]{Name: "del", Events: []runtime.Event{runtime.AfterDelete}, Actions: acts(noop)})
			}
			c := &Card{ID: "c1"}
			var got *Card
			err := DeleteCard(context.Background(), eng, c, func(_ context.Context, m *Card) error {
				got = m
				return nil
			})
			require.NoError(t, err)
			assert.Same(t, c, got, "BUG: runtime.Do(OpDelete) hands persist nil instead of the instance")
		})
	}
}

func TestAfterErrorsAreCollected(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "a_fails", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Priority: runtime.PriorityHigh},
		Actions: acts(func(context.Context, *CardChange) error { rec.add("a_fails"); return errBoom }),
	})
	on(t, eng, runtime.Trigger[CardChange]{Name: "b_ok", Events: []runtime.Event{runtime.AfterSave}, Actions: acts(rec.action("b_ok"))})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "c_fails", Events: []runtime.Event{runtime.AfterSave}, Options: runtime.Options{Priority: runtime.PriorityLow},
		Actions: acts(func(context.Context, *CardChange) error { rec.add("c_fails"); return errOther }),
	})
	err := runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"})
	require.Error(t, err)
	assert.Equal(t, []string{"a_fails", "b_ok", "c_fails"}, rec.get(), "every after trigger runs")
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, err, errOther)
	assert.Equal(t, []string{"a_fails", "c_fails"}, triggerNames(err))
	var te *runtime.TriggerError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "a_fails", te.Trigger)
	saves, _ := cards.Counts()
	assert.Equal(t, 1, saves, "after errors do not undo the persist")
}

func TestActionChainStopsAtFirstError(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "chain", Events: []runtime.Event{runtime.AfterCreate},
		Actions: acts(rec.action("one"), func(context.Context, *CardChange) error { rec.add("two"); return errBoom }, rec.action("three")),
	})
	err := CreateCard(context.Background(), eng, &Card{ID: "c1"}, nil)
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, []string{"one", "two"}, rec.get())
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		retries      int
		action       func(attempt int, ctx context.Context) error
		timeout      time.Duration
		wantErr      error
		wantAttempts []int    // newest first
		wantOutcomes []string // newest first
		wantSuccess  int64
	}{
		{
			name: "succeeds on third attempt", retries: 2,
			action: func(n int, _ context.Context) error {
				if n < 3 {
					return errBoom
				}
				return nil
			},
			wantAttempts: []int{3, 2, 1},
			wantOutcomes: []string{runtime.OutcomeSuccess, runtime.OutcomeFailure, runtime.OutcomeFailure},
			wantSuccess:  1,
		},
		{
			name: "gives up after retries", retries: 2,
			action:       func(int, context.Context) error { return errBoom },
			wantErr:      errBoom,
			wantAttempts: []int{3, 2, 1},
			wantOutcomes: []string{runtime.OutcomeFailure, runtime.OutcomeFailure, runtime.OutcomeFailure},
		},
		{
			name: "no retries", retries: 0,
			action:       func(int, context.Context) error { return errBoom },
			wantErr:      errBoom,
			wantAttempts: []int{1},
			wantOutcomes: []string{runtime.OutcomeFailure},
		},
		{
			name: "permanent is not retried", retries: 3,
			action:       func(int, context.Context) error { return runtime.Permanent(errBoom) },
			wantErr:      errBoom,
			wantAttempts: []int{1},
			wantOutcomes: []string{runtime.OutcomeFailure},
		},
		{
			name: "wrapped permanent is not retried", retries: 3,
			action:       func(int, context.Context) error { return fmt.Errorf("ctx: %w", runtime.Permanent(errBoom)) },
			wantErr:      errBoom,
			wantAttempts: []int{1},
			wantOutcomes: []string{runtime.OutcomeFailure},
		},
		{
			name: "panic is not retried", retries: 3,
			action:       func(int, context.Context) error { panic("kaboom") },
			wantAttempts: []int{1},
			wantOutcomes: []string{runtime.OutcomePanic},
		},
		{
			name: "timeout per attempt is retried", retries: 1, timeout: 10 * time.Millisecond,
			action: func(_ int, ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			wantErr:      context.DeadlineExceeded,
			wantAttempts: []int{2, 1},
			wantOutcomes: []string{runtime.OutcomeTimeout, runtime.OutcomeTimeout},
		},
		{
			name: "timeout then success", retries: 1, timeout: 10 * time.Millisecond,
			action: func(n int, ctx context.Context) error {
				if n == 1 {
					<-ctx.Done()
					return fmt.Errorf("slow: %w", ctx.Err())
				}
				return nil
			},
			wantAttempts: []int{2, 1},
			wantOutcomes: []string{runtime.OutcomeSuccess, runtime.OutcomeTimeout},
			wantSuccess:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			n := 0
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "flaky", Events: []runtime.Event{runtime.AfterCreate},
				Options: runtime.Options{Retries: tt.retries, Backoff: time.Millisecond, Timeout: tt.timeout},
				Actions: acts(func(ctx context.Context, _ *CardChange) error {
					n++
					return tt.action(n, ctx)
				}),
			})
			err := CreateCard(context.Background(), eng, &Card{ID: "c1"}, nil)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			if tt.wantSuccess == 1 {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, []string{"flaky"}, triggerNames(err))
			}
			logs := eng.Logs(runtime.LogFilter{Trigger: "flaky"})
			var attempts []int
			var outcomes []string
			for _, r := range logs {
				attempts = append(attempts, r.Attempt)
				outcomes = append(outcomes, r.Outcome)
			}
			assert.Equal(t, tt.wantAttempts, attempts)
			assert.Equal(t, tt.wantOutcomes, outcomes)
			assert.Equal(t, len(tt.wantAttempts), n)
			info, ok := eng.Trigger("flaky")
			require.True(t, ok)
			assert.Equal(t, int64(1), info.Stats.Executions, "a run with retries is one execution")
			assert.Equal(t, tt.wantSuccess, info.Stats.Successes)
			assert.Equal(t, 1-tt.wantSuccess, info.Stats.Failures)
		})
	}
}

func TestPanicIsRecovered(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "panicky", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Priority: runtime.PriorityHigh},
		Actions: acts(func(context.Context, *CardChange) error { panic("kaboom") }),
	})
	on(t, eng, runtime.Trigger[CardChange]{Name: "next", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(rec.action("next"))})
	var err error
	require.NotPanics(t, func() { err = runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}) })
	assert.Equal(t, []string{"panicky"}, triggerNames(err))
	assert.ErrorContains(t, err, "kaboom")
	assert.Equal(t, []string{"next"}, rec.get(), "the other after triggers still run")
	logs := eng.Logs(runtime.LogFilter{Trigger: "panicky"})
	require.Len(t, logs, 1)
	assert.Equal(t, runtime.OutcomePanic, logs[0].Outcome)
	assert.Contains(t, logs[0].Error, "kaboom")

	// In a before trigger the panic aborts the operation.
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "panicky_before", Events: []runtime.Event{runtime.BeforeCreate},
		Actions: acts(func(context.Context, *CardChange) error { panic(errBoom) }),
	})
	require.NotPanics(t, func() { err = CreateCard(context.Background(), eng, &Card{ID: "c2"}, cards.Save) })
	assert.Equal(t, []string{"panicky_before"}, triggerNames(err))
	_, ok := cards.Get("c2")
	assert.False(t, ok)
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		name   string
		action runtime.Action[CardChange]
	}{
		{"returns ctx.Err", func(ctx context.Context, _ *CardChange) error {
			<-ctx.Done()
			return ctx.Err()
		}},
		{"returns its own error after the deadline", func(ctx context.Context, _ *CardChange) error {
			<-ctx.Done()
			return errBoom
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "slow", Events: []runtime.Event{runtime.BeforeCreate}, Options: runtime.Options{Timeout: 5 * time.Millisecond},
				Actions: acts(tt.action),
			})
			err := CreateCard(context.Background(), eng, &Card{ID: "c1"}, nil)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, []string{"slow"}, triggerNames(err))
			logs := eng.Logs(runtime.LogFilter{Trigger: "slow"})
			require.Len(t, logs, 1)
			assert.Equal(t, runtime.OutcomeTimeout, logs[0].Outcome)
			info, _ := eng.Trigger("slow")
			assert.Equal(t, int64(1), info.Stats.Failures)
		})
	}
}

func TestSyncTriggerWithoutTimeoutRunsUnderCallerContext(t *testing.T) {
	eng := newEngine(t, runtime.Config{DefaultTimeout: time.Hour})
	type key struct{}
	var hasDeadline bool
	var val any
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "ctx", Events: []runtime.Event{runtime.AfterCreate},
		Actions: acts(func(ctx context.Context, _ *CardChange) error {
			_, hasDeadline = ctx.Deadline()
			val = ctx.Value(key{})
			return nil
		}),
	})
	require.NoError(t, CreateCard(context.WithValue(context.Background(), key{}, "v"), eng, &Card{ID: "c1"}, nil))
	assert.False(t, hasDeadline, "DefaultTimeout does not bound synchronous triggers")
	assert.Equal(t, "v", val)

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	require.NoError(t, CreateCard(ctx, eng, &Card{ID: "c2"}, nil))
	assert.True(t, hasDeadline, "the caller's deadline applies")
}

// chain registers card_to_shop (a Card update saves Shop "s-<card id>") and
// shop_to_card (a Shop update saves the Card next(shop id)).
func chain(t *testing.T, eng *runtime.Engine, cards *store[Card], shops *store[Shop], next func(shopID string) string, retries int) *atomic.Int32 {
	var shopBefore atomic.Int32
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "card_to_shop", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Retries: retries, Backoff: time.Millisecond},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			s := Shop{ID: "s-" + c.New.ID}
			old := s
			s.Sales++
			return UpdateShop(ctx, eng, &old, &s, shops.Save)
		}),
	})
	require.NoError(t, runtime.On(eng, ShopModel, runtime.Trigger[ShopChange]{
		Name: "shop_before", Events: []runtime.Event{runtime.BeforeUpdate},
		Actions: []runtime.Action[ShopChange]{func(context.Context, *ShopChange) error { shopBefore.Add(1); return nil }},
	}))
	require.NoError(t, runtime.On(eng, ShopModel, runtime.Trigger[ShopChange]{
		Name: "shop_to_card", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: []runtime.Action[ShopChange]{func(ctx context.Context, c *ShopChange) error {
			card := Card{ID: next(c.New.ID)}
			old := SnapshotCard(&card)
			card.Quality++
			return UpdateCard(ctx, eng, &old, &card, cards.Save)
		}},
	}))
	return &shopBefore
}

func TestMaxDepth(t *testing.T) {
	tests := []struct {
		maxDepth  int
		wantCards int // Card operations at odd depths 1, 3, ...
		wantShops int // Shop operations at even depths 2, 4, ...
	}{
		{maxDepth: 3, wantCards: 2, wantShops: 1},
		{maxDepth: 4, wantCards: 2, wantShops: 2},
		{maxDepth: 0, wantCards: 4, wantShops: 4}, // default 8
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxDepth), func(t *testing.T) {
			eng := newEngine(t, runtime.Config{MaxDepth: tt.maxDepth})
			if tt.maxDepth == 0 {
				assert.Equal(t, 8, eng.Config().MaxDepth)
			}
			cards, shops := newCardStore(), newShopStore()
			// s-c<n> -> c<n+1>: a new instance at every level, so no self re-entry.
			shopBefore := chain(t, eng, cards, shops, func(id string) string {
				var n int
				_, err := fmt.Sscanf(id, "s-c%d", &n)
				require.NoError(t, err)
				return fmt.Sprintf("c%d", n+1)
			}, 3)
			c := &Card{ID: "c1"}
			err := runOp(context.Background(), eng, "update", cards, c)
			require.Error(t, err)
			assert.ErrorIs(t, err, runtime.ErrMaxDepth)
			assert.Equal(t, []string{"card_to_shop"}, triggerNames(err))
			cardSaves, _ := cards.Counts()
			shopSaves, _ := shops.Counts()
			assert.Equal(t, tt.wantCards, cardSaves)
			assert.Equal(t, tt.wantShops, shopSaves)
			assert.Equal(t, int32(tt.wantShops), shopBefore.Load(), "the operation over the limit fails before its before triggers")
			for _, r := range eng.Logs(runtime.LogFilter{}) {
				if r.Trigger == "shop_before" {
					continue
				}
				assert.Equal(t, 1, r.Attempt, "%s: ErrMaxDepth is not retried", r.Trigger)
				assert.Equal(t, runtime.OutcomeFailure, r.Outcome)
			}
		})
	}
}

func TestMaxDepthDirect(t *testing.T) {
	// An operation run in a context already at MaxDepth fails at once.
	eng := newEngine(t, runtime.Config{MaxDepth: 1})
	cards := newCardStore()
	var inner error
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "nested", Events: []runtime.Event{runtime.BeforeUpdate},
		Actions: acts(func(ctx context.Context, c *CardChange) error {
			if c.New.ID == "c1" {
				inner = CreateCard(ctx, eng, &Card{ID: "c2"}, cards.Save)
			}
			return nil
		}),
	})
	require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}))
	assert.ErrorIs(t, inner, runtime.ErrMaxDepth)
	_, ok := cards.Get("c2")
	assert.False(t, ok)
	_, ok = cards.Get("c1")
	assert.True(t, ok)
}

func TestSelfReentryIsSkipped(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		cards := newCardStore()
		var touches, watches atomic.Int32
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "touch", Events: []runtime.Event{runtime.AfterUpdate},
			Actions: acts(func(ctx context.Context, c *CardChange) error {
				touches.Add(1)
				cur := SnapshotCard(c.New)
				old := SnapshotCard(&cur)
				cur.Quality++
				return UpdateCard(ctx, eng, &old, &cur, cards.Save)
			}),
		})
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "watch", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Priority: runtime.PriorityLow},
			Actions: acts(func(context.Context, *CardChange) error { watches.Add(1); return nil }),
		})
		require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1", Quality: 1}))
		assert.Equal(t, int32(1), touches.Load())
		assert.Equal(t, int32(2), watches.Load(), "other triggers run in the nested operation")
		stored, _ := cards.Get("c1")
		assert.Equal(t, 2, stored.Quality)
		info, _ := eng.Trigger("touch")
		assert.Equal(t, int64(1), info.Stats.Executions)
		assert.Equal(t, int64(1), info.Stats.Skipped)
		assert.Len(t, eng.Logs(runtime.LogFilter{Trigger: "touch"}), 1, "a skip leaves no record")
	})
	t.Run("through another model", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		cards, shops := newCardStore(), newShopStore()
		chain(t, eng, cards, shops, func(string) string { return "c1" }, 0)
		require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}))
		cardSaves, _ := cards.Counts()
		shopSaves, _ := shops.Counts()
		assert.Equal(t, 2, cardSaves)
		assert.Equal(t, 1, shopSaves)
		info, _ := eng.Trigger("card_to_shop")
		assert.Equal(t, int64(1), info.Stats.Executions)
		assert.Equal(t, int64(1), info.Stats.Skipped)
	})
	t.Run("other instance is not a re-entry", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		cards := newCardStore()
		var keys recorder
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "spread", Events: []runtime.Event{runtime.AfterUpdate},
			Actions: acts(func(ctx context.Context, c *CardChange) error {
				keys.add(c.New.ID)
				if c.New.ID != "c1" {
					return nil
				}
				other := Card{ID: "c2"}
				old := other
				return UpdateCard(ctx, eng, &old, &other, cards.Save)
			}),
		})
		require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}))
		assert.Equal(t, []string{"c1", "c2"}, keys.get())
		info, _ := eng.Trigger("spread")
		assert.Equal(t, int64(0), info.Stats.Skipped)
	})
}

func TestWithoutTriggers(t *testing.T) {
	tests := []struct {
		name  string
		ctx   func(context.Context) context.Context
		want  []string
		shops []string
	}{
		{"none skipped", func(ctx context.Context) context.Context { return ctx }, []string{"a", "b", "to_shop"}, []string{"shop_t"}},
		{"all", func(ctx context.Context) context.Context { return runtime.WithoutTriggers(ctx) }, nil, nil},
		{"one", func(ctx context.Context) context.Context { return runtime.WithoutTriggers(ctx, "a") }, []string{"b", "to_shop"}, []string{"shop_t"}},
		{"several", func(ctx context.Context) context.Context { return runtime.WithoutTriggers(ctx, "a", "b") }, []string{"to_shop"}, []string{"shop_t"}},
		{"nested calls add up", func(ctx context.Context) context.Context {
			return runtime.WithoutTriggers(runtime.WithoutTriggers(ctx, "a"), "b")
		}, []string{"to_shop"}, []string{"shop_t"}},
		{"all then names stays all", func(ctx context.Context) context.Context {
			return runtime.WithoutTriggers(runtime.WithoutTriggers(ctx), "a")
		}, nil, nil},
		{"applies to operations run by triggers", func(ctx context.Context) context.Context {
			return runtime.WithoutTriggers(ctx, "shop_t")
		}, []string{"a", "b", "to_shop"}, nil},
		{"unknown name is harmless", func(ctx context.Context) context.Context {
			return runtime.WithoutTriggers(ctx, "nope")
		}, []string{"a", "b", "to_shop"}, []string{"shop_t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			cards, shops := newCardStore(), newShopStore()
			var rec, shopRec recorder
			on(t, eng, runtime.Trigger[CardChange]{Name: "a", Events: []runtime.Event{runtime.BeforeUpdate}, Actions: acts(rec.action("a"))})
			on(t, eng, runtime.Trigger[CardChange]{Name: "b", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(rec.action("b"))})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "to_shop", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Priority: runtime.PriorityLow},
				Actions: acts(func(ctx context.Context, c *CardChange) error {
					rec.add("to_shop")
					return CreateShop(ctx, eng, &Shop{ID: "s1"}, shops.Save)
				}),
			})
			require.NoError(t, runtime.On(eng, ShopModel, runtime.Trigger[ShopChange]{
				Name: "shop_t", Events: []runtime.Event{runtime.AfterCreate},
				Actions: []runtime.Action[ShopChange]{func(context.Context, *ShopChange) error { shopRec.add("shop_t"); return nil }},
			}))
			require.NoError(t, runOp(tt.ctx(context.Background()), eng, "update", cards, &Card{ID: "c1"}))
			assert.Equal(t, tt.want, rec.get())
			assert.Equal(t, tt.shops, shopRec.get())
			saves, _ := cards.Counts()
			assert.Equal(t, 1, saves, "persist runs even when triggers are skipped")
			for _, name := range []string{"a", "b", "to_shop"} {
				info, _ := eng.Trigger(name)
				assert.Zero(t, info.Stats.Skipped, "%s: explicit skips are not counted", name)
			}
			assert.Len(t, eng.Logs(runtime.LogFilter{}), len(tt.want)+len(tt.shops), "explicit skips leave no record")
		})
	}
}

func TestSetEnabled(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{Name: "a", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(rec.action("a"))})
	on(t, eng, runtime.Trigger[CardChange]{Name: "b", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Disabled: true}, Actions: acts(rec.action("b"))})
	update := func() []string {
		rec.mu.Lock()
		rec.list = nil
		rec.mu.Unlock()
		require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}))
		return rec.get()
	}
	assert.Equal(t, []string{"a"}, update(), "registered disabled")
	info, _ := eng.Trigger("b")
	assert.False(t, info.Enabled)

	require.NoError(t, eng.SetEnabled("b", true))
	assert.Equal(t, []string{"a", "b"}, update())
	require.NoError(t, eng.SetEnabled("b", true), "enabling twice is fine")
	require.NoError(t, eng.SetEnabled("a", false))
	assert.Equal(t, []string{"b"}, update())
	info, _ = eng.Trigger("a")
	assert.False(t, info.Enabled)

	eng.SetEngineEnabled(false)
	assert.False(t, eng.EngineEnabled())
	assert.Nil(t, update(), "engine off: no trigger runs")
	saves, _ := cards.Counts()
	assert.Equal(t, 4, saves, "engine off: operations still persist")
	assert.NoError(t, FireCard(context.Background(), eng, runtime.AfterUpdate, nil, &Card{ID: "c1"}))
	assert.Nil(t, rec.get(), "engine off: Fire runs nothing")

	eng.SetEngineEnabled(true)
	assert.Equal(t, []string{"b"}, update(), "engine back on: each trigger's own state")

	err := eng.SetEnabled("nope", true)
	assert.ErrorIs(t, err, runtime.ErrNotFound)
	assert.ErrorContains(t, err, "nope")
}

func TestConcurrentOperationsAndToggles(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	var runs atomic.Int64
	for i := range 4 {
		on(t, eng, runtime.Trigger[CardChange]{
			Name: fmt.Sprintf("t%d", i), Events: []runtime.Event{runtime.BeforeSave, runtime.AfterSave},
			Conditions: []runtime.Condition[CardChange]{cond("Quality > 0", func(c *CardChange) bool { return c.New.Quality > 0 })},
			Actions:    acts(func(context.Context, *CardChange) error { runs.Add(1); return nil }),
		})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				c := &Card{ID: fmt.Sprintf("g%d-%d", g, i), Quality: i % 2}
				assert.NoError(t, runOp(context.Background(), eng, "update", cards, c))
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			assert.NoError(t, eng.SetEnabled(fmt.Sprintf("t%d", i%4), i%3 != 0))
			eng.ClearCaches()
		}
	})
	wg.Wait()
	assert.Positive(t, runs.Load())
	saves, _ := cards.Counts()
	assert.Equal(t, 200, saves)
}

func TestRegistrationErrors(t *testing.T) {
	ok := runtime.Trigger[CardChange]{Name: "ok", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)}
	with := func(edit func(*runtime.Trigger[CardChange])) runtime.Trigger[CardChange] {
		tr := ok
		tr.Events = append([]runtime.Event(nil), ok.Events...)
		edit(&tr)
		return tr
	}
	tests := []struct {
		name    string
		tr      runtime.Trigger[CardChange]
		wantMsg string
	}{
		{"empty name", with(func(tr *runtime.Trigger[CardChange]) { tr.Name = "" }), "empty name"},
		{"name with space", with(func(tr *runtime.Trigger[CardChange]) { tr.Name = "a b" }), "name"},
		{"name with slash", with(func(tr *runtime.Trigger[CardChange]) { tr.Name = "a/b" }), "name"},
		{"no events", with(func(tr *runtime.Trigger[CardChange]) { tr.Events = nil }), "no events"},
		{"bulk event", with(func(tr *runtime.Trigger[CardChange]) { tr.Events = []runtime.Event{runtime.AfterBulkUpdate} }), "after_bulk_update"},
		{"undeclared custom event", with(func(tr *runtime.Trigger[CardChange]) { tr.Events = []runtime.Event{CardFraudReview + 1} }), "not an event of Card"},
		{"zero event", with(func(tr *runtime.Trigger[CardChange]) { tr.Events = []runtime.Event{0} }), "not an event of Card"},
		{"unnumbered event", with(func(tr *runtime.Trigger[CardChange]) { tr.Events = []runtime.Event{30} }), "not an event of Card"},
		{"no actions", with(func(tr *runtime.Trigger[CardChange]) { tr.Actions = nil }), "no actions"},
		{"nil action", with(func(tr *runtime.Trigger[CardChange]) { tr.Actions = acts(noop, nil) }), "action 2 is nil"},
		{"nil condition test", with(func(tr *runtime.Trigger[CardChange]) {
			tr.Conditions = []runtime.Condition[CardChange]{{Description: "x"}}
		}), "condition 1 has no test"},
		{"negative retries", with(func(tr *runtime.Trigger[CardChange]) { tr.Retries = -1 }), "negative"},
		{"negative timeout", with(func(tr *runtime.Trigger[CardChange]) { tr.Timeout = -time.Second }), "negative"},
		{"negative backoff", with(func(tr *runtime.Trigger[CardChange]) { tr.Backoff = -time.Second }), "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			err := runtime.On(eng, CardModel, tt.tr)
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.wantMsg)
			assert.Empty(t, eng.List(runtime.ListFilter{}), "nothing is registered")
		})
	}

	batchOK := runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "bok", Events: []runtime.Event{runtime.AfterBulkUpdate},
		Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { return nil }},
	}
	batchTests := []struct {
		name    string
		edit    func(*runtime.BatchTrigger[CardChange, CardBatch])
		wantMsg string
	}{
		{"per-item event", func(tr *runtime.BatchTrigger[CardChange, CardBatch]) {
			tr.Events = []runtime.Event{runtime.AfterUpdate}
		}, "not a bulk event"},
		{"custom event", func(tr *runtime.BatchTrigger[CardChange, CardBatch]) { tr.Events = []runtime.Event{CardFraudReview} }, "fraud_review is not a bulk event"},
		{"no actions", func(tr *runtime.BatchTrigger[CardChange, CardBatch]) { tr.Actions = nil }, "no actions"},
		{"nil action", func(tr *runtime.BatchTrigger[CardChange, CardBatch]) {
			tr.Actions = []runtime.BatchAction[CardBatch]{nil}
		}, "action 1 is nil"},
		{"no events", func(tr *runtime.BatchTrigger[CardChange, CardBatch]) { tr.Events = nil }, "no events"},
	}
	for _, tt := range batchTests {
		t.Run("batch "+tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			tr := batchOK
			tt.edit(&tr)
			err := runtime.OnBatch(eng, CardModel, tr)
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.wantMsg)
			assert.Empty(t, eng.List(runtime.ListFilter{}))
		})
	}

	t.Run("duplicate", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		require.NoError(t, runtime.On(eng, CardModel, ok))
		err := runtime.On(eng, CardModel, ok)
		assert.ErrorContains(t, err, "already registered")
		err = runtime.OnBatch(eng, CardModel, runtime.BatchTrigger[CardChange, CardBatch]{
			Name: "ok", Events: batchOK.Events, Actions: batchOK.Actions,
		})
		assert.ErrorContains(t, err, "already registered", "names are unique across kinds")
		err = runtime.On(eng, ShopModel, runtime.Trigger[ShopChange]{
			Name: "ok", Events: []runtime.Event{runtime.AfterUpdate},
			Actions: []runtime.Action[ShopChange]{func(context.Context, *ShopChange) error { return nil }},
		})
		assert.ErrorContains(t, err, "already registered", "names are unique across models")
		assert.Len(t, eng.List(runtime.ListFilter{}), 1)
		info, _ := eng.Trigger("ok")
		assert.Equal(t, "Card", info.Model)
	})

	t.Run("engines are independent", func(t *testing.T) {
		e1, e2 := newEngine(t, runtime.Config{}), newEngine(t, runtime.Config{})
		require.NoError(t, runtime.On(e1, CardModel, ok))
		require.NoError(t, runtime.On(e2, CardModel, ok))
	})
}

func TestTriggerInfo(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "fraud", Description: "alerts", Options: runtime.Options{Source: "x.go:3", Retries: 3, Timeout: time.Second, Async: true, Queue: "alerts"},
		Events: []runtime.Event{runtime.AfterUpdate, CardFraudReview},
		Conditions: []runtime.Condition[CardChange]{
			cond("Fraud changed to true", func(c *CardChange) bool { return c.FraudChanged() && c.New.Fraud }),
		},
		Actions: acts(noop),
	})
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "bulk", Events: []runtime.Event{runtime.AfterBulkCreate}, Options: runtime.Options{Priority: 7, OnCommit: true, Disabled: true},
		Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { return nil }},
	})
	info, ok := eng.Trigger("fraud")
	require.True(t, ok)
	assert.Equal(t, runtime.TriggerInfo{
		Name: "fraud", Model: "Card", Description: "alerts",
		Events: []string{"after_update", "fraud_review"}, Conditions: []string{"Fraud changed to true"}, Enabled: true,
		Options: runtime.Options{
			Priority: runtime.PriorityNormal, Async: true, Retries: 3, Backoff: 100 * time.Millisecond, Timeout: time.Second,
			Queue: "alerts", Source: "x.go:3",
		},
	}, info)
	assert.Equal(t, runtime.PriorityNormal, info.Priority, "the options read as fields of TriggerInfo")
	info, ok = eng.Trigger("bulk")
	require.True(t, ok)
	assert.Equal(t, runtime.TriggerInfo{
		Name: "bulk", Model: "Card", Events: []string{"after_bulk_create"}, Bulk: true,
		Options: runtime.Options{Priority: 7, OnCommit: true, Backoff: 100 * time.Millisecond, Disabled: true},
	}, info)
	_, ok = eng.Trigger("nope")
	assert.False(t, ok)

	names := func(f runtime.ListFilter) []string {
		var out []string
		for _, i := range eng.List(f) {
			out = append(out, i.Name)
		}
		return out
	}
	assert.Equal(t, []string{"bulk", "fraud"}, names(runtime.ListFilter{}))
	assert.Equal(t, []string{"fraud"}, names(runtime.ListFilter{EnabledOnly: true}))
	assert.Equal(t, []string{"fraud"}, names(runtime.ListFilter{Event: "fraud_review"}))
	assert.Nil(t, names(runtime.ListFilter{Model: "Shop"}))
}

func TestFire(t *testing.T) {
	t.Run("custom event", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var got []string
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "review", Events: []runtime.Event{CardFraudReview},
			Actions: acts(func(_ context.Context, c *CardChange) error {
				got = append(got, fmt.Sprintf("%d %s->%s", c.Event, c.Old.Status, c.New.Status))
				return nil
			}),
		})
		on(t, eng, runtime.Trigger[CardChange]{Name: "upd", Events: []runtime.Event{runtime.AfterUpdate, runtime.AfterSave}, Actions: acts(func(context.Context, *CardChange) error {
			got = append(got, "upd")
			return nil
		})})
		old, cur := &Card{ID: "c1", Status: "A"}, &Card{ID: "c1", Status: "B"}
		require.NoError(t, FireCard(context.Background(), eng, CardFraudReview, old, cur))
		assert.Equal(t, []string{"64 A->B"}, got)
		logs := eng.Logs(runtime.LogFilter{Trigger: "review"})
		require.Len(t, logs, 1)
		assert.Equal(t, "fraud_review", logs[0].Event, "records name custom events by their declared names")
		assert.Equal(t, "c1", logs[0].Key)
	})
	t.Run("before event: first error aborts", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		on(t, eng, runtime.Trigger[CardChange]{Name: "a", Events: []runtime.Event{runtime.BeforeUpdate}, Options: runtime.Options{Priority: runtime.PriorityHigh}, Actions: acts(rec.action("a"))})
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "b", Events: []runtime.Event{runtime.BeforeUpdate},
			Actions: acts(func(context.Context, *CardChange) error { rec.add("b"); return errBoom }),
		})
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "c", Events: []runtime.Event{runtime.BeforeUpdate}, Options: runtime.Options{Priority: runtime.PriorityLow},
			Actions: acts(func(context.Context, *CardChange) error { rec.add("c"); return errOther }),
		})
		on(t, eng, runtime.Trigger[CardChange]{Name: "save", Events: []runtime.Event{runtime.BeforeSave}, Actions: acts(rec.action("save"))})
		err := FireCard(context.Background(), eng, runtime.BeforeUpdate, &Card{ID: "c1"}, &Card{ID: "c1"})
		var te *runtime.TriggerError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "b", te.Trigger)
		assert.NotErrorIs(t, err, errOther)
		assert.Equal(t, []string{"a", "b"}, rec.get(), "no merging with before_save, nothing after the first error")
	})
	t.Run("after event: errors joined", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var got []runtime.Event
		for _, name := range []string{"x", "y"} {
			on(t, eng, runtime.Trigger[CardChange]{
				Name: name, Events: []runtime.Event{runtime.AfterSave},
				Actions: acts(func(_ context.Context, c *CardChange) error { got = append(got, c.Event); return errBoom }),
			})
		}
		err := FireCard(context.Background(), eng, runtime.AfterSave, nil, &Card{ID: "c1"})
		assert.Equal(t, []string{"x", "y"}, triggerNames(err))
		assert.Equal(t, []runtime.Event{runtime.AfterSave, runtime.AfterSave}, got, "Fire's change carries the fired event")
	})
	t.Run("nil old and new read as zero values", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var old, cur Card
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "z", Events: []runtime.Event{CardFraudReview},
			Actions: acts(func(_ context.Context, c *CardChange) error { old, cur = *c.Old, *c.New; return nil }),
		})
		require.NoError(t, FireCard(context.Background(), eng, CardFraudReview, nil, nil))
		assert.Equal(t, Card{}, old)
		assert.Equal(t, Card{}, cur)
	})
	t.Run("invalid event", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		on(t, eng, runtime.Trigger[CardChange]{Name: "z", Events: []runtime.Event{CardFraudReview}, Actions: acts(noop)})
		assert.Error(t, FireCard(context.Background(), eng, CardFraudReview+1, nil, nil))
		assert.Error(t, FireCard(context.Background(), eng, 0, nil, nil))
		assert.Error(t, runtime.Do(context.Background(), eng, ShopModel, runtime.FireOp(CardFraudReview), nil, nil, nil), "Shop declares no custom event")
	})
	t.Run("no trigger for the event", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		assert.NoError(t, FireCard(context.Background(), eng, CardFraudReview, nil, nil))
	})
	t.Run("skip and on_commit", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		on(t, eng, runtime.Trigger[CardChange]{Name: "r1", Events: []runtime.Event{CardFraudReview}, Actions: acts(rec.action("r1"))})
		on(t, eng, runtime.Trigger[CardChange]{Name: "r2", Events: []runtime.Event{CardFraudReview}, Options: runtime.Options{OnCommit: true}, Actions: acts(rec.action("r2"))})
		require.NoError(t, FireCard(runtime.WithoutTriggers(context.Background(), "r1"), eng, CardFraudReview, nil, &Card{ID: "c"}))
		assert.Equal(t, []string{"r2"}, rec.get())
		require.NoError(t, FireCard(runtime.WithoutTriggers(context.Background()), eng, CardFraudReview, nil, &Card{ID: "c"}))
		assert.Equal(t, []string{"r2"}, rec.get())
	})
}

func TestDuplicateEventIsRejected(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	err := runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
		Name: "dup", Events: []runtime.Event{runtime.AfterUpdate, runtime.AfterUpdate},
		Actions: acts(func(context.Context, *CardChange) error { return nil }),
	})
	require.ErrorContains(t, err, "event after_update is listed twice")
	_, ok := eng.Trigger("dup")
	assert.False(t, ok, "nothing is registered")
}

func TestExecute(t *testing.T) {
	setup := func(t *testing.T, cfg runtime.Config) (*runtime.Engine, *store[Card], *atomic.Int32, *[]CardChange) {
		eng := newEngine(t, cfg)
		cards := newCardStore()
		cards.Put(Card{ID: "c1", Status: "ACTIVE", Quality: 3})
		var loads atomic.Int32
		SetCardLoader(eng, func(ctx context.Context, key string) (*Card, error) {
			loads.Add(1)
			return cards.Load(ctx, key)
		})
		var got []CardChange
		on(t, eng, runtime.Trigger[CardChange]{
			Name: "exec", Events: []runtime.Event{runtime.AfterUpdate, CardFraudReview},
			Conditions: []runtime.Condition[CardChange]{cond("never", func(*CardChange) bool { return false })},
			Actions: acts(func(ctx context.Context, c *CardChange) error {
				got = append(got, *c)
				if c.New.Status == "FAIL" {
					return errBoom
				}
				return nil
			}),
		})
		return eng, cards, &loads, &got
	}

	t.Run("runs on the loaded instance without conditions", func(t *testing.T) {
		eng, _, loads, got := setup(t, runtime.Config{})
		ctx := runtime.WithRequestID(runtime.WithActor(context.Background(), runtime.Actor{ID: "op"}), "req-9")
		require.NoError(t, eng.Execute(ctx, "exec", "c1", 0))
		require.Len(t, *got, 1)
		c := (*got)[0]
		assert.NotSame(t, c.Old, c.New, "Old and New are two copies of the loaded instance")
		assert.Equal(t, Card{ID: "c1", Status: "ACTIVE", Quality: 3}, *c.Old)
		assert.Equal(t, Card{ID: "c1", Status: "ACTIVE", Quality: 3}, *c.New)
		assert.Equal(t, runtime.AfterUpdate, c.Event, "event 0 means the trigger's first event")
		assert.Equal(t, int32(1), loads.Load())

		require.NoError(t, eng.Execute(ctx, "exec", "c1", CardFraudReview))
		assert.Equal(t, CardFraudReview, (*got)[1].Event)
		logs := eng.Logs(runtime.LogFilter{Trigger: "exec"})
		require.Len(t, logs, 2)
		assert.Equal(t, "fraud_review", logs[0].Event)
		assert.Equal(t, "after_update", logs[1].Event)
		assert.Equal(t, "c1", logs[0].Key)
		assert.Equal(t, "op", logs[0].ActorID)
		assert.Equal(t, "req-9", logs[0].RequestID)
		info, _ := eng.Trigger("exec")
		assert.Equal(t, int64(2), info.Stats.Executions)
		assert.Zero(t, info.Stats.Skipped)
	})
	t.Run("errors", func(t *testing.T) {
		eng, cards, _, _ := setup(t, runtime.Config{})
		assert.ErrorIs(t, eng.Execute(context.Background(), "exec", "nope", 0), runtime.ErrNotFound)
		assert.ErrorIs(t, eng.Execute(context.Background(), "nope", "c1", 0), runtime.ErrNotFound)
		assert.Error(t, eng.Execute(context.Background(), "exec", "c1", runtime.BeforeDelete), "event the trigger does not handle")
		cards.Put(Card{ID: "bad", Status: "FAIL"})
		err := eng.Execute(context.Background(), "exec", "bad", 0)
		assert.Equal(t, []string{"exec"}, triggerNames(err))
		assert.ErrorIs(t, err, errBoom)
	})
	t.Run("loader returning nil is not found", func(t *testing.T) {
		eng, _, _, _ := setup(t, runtime.Config{})
		SetCardLoader(eng, func(context.Context, string) (*Card, error) { return nil, nil })
		assert.ErrorIs(t, eng.Execute(context.Background(), "exec", "c1", 0), runtime.ErrNotFound)
	})
	t.Run("no loader", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		on(t, eng, runtime.Trigger[CardChange]{Name: "exec", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
		err := eng.Execute(context.Background(), "exec", "c1", 0)
		require.Error(t, err)
		assert.ErrorContains(t, err, "loader")
	})
	t.Run("bounded by DefaultTimeout", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{DefaultTimeout: time.Hour})
		cards := newCardStore()
		cards.Put(Card{ID: "c1"})
		SetCardLoader(eng, cards.Load)
		var deadline time.Time
		on(t, eng, runtime.Trigger[CardChange]{Name: "exec", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(func(ctx context.Context, _ *CardChange) error {
			deadline, _ = ctx.Deadline()
			return nil
		})})
		require.NoError(t, eng.Execute(context.Background(), "exec", "c1", 0))
		assert.WithinDuration(t, time.Now().Add(time.Hour), deadline, time.Minute)
	})
	t.Run("bulk trigger", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		cards := newCardStore()
		cards.Put(Card{ID: "c1"})
		SetCardLoader(eng, cards.Load)
		var got CardBatch
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
			Name: "b", Events: []runtime.Event{runtime.AfterBulkUpdate},
			Actions: []runtime.BatchAction[CardBatch]{func(_ context.Context, b *CardBatch) error { got = *b; return nil }},
		})
		require.NoError(t, eng.Execute(context.Background(), "b", "c1", 0))
		assert.Equal(t, runtime.AfterBulkUpdate, got.Event)
		require.Len(t, got.Items, 1)
		assert.Equal(t, "c1", got.Items[0].New.ID)
	})
	t.Run("cache", func(t *testing.T) {
		tests := []struct {
			name      string
			ttl       time.Duration
			wantLoads int32
		}{
			{"off", 0, 3},
			{"on", time.Hour, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				eng, _, loads, _ := setup(t, runtime.Config{CacheTimeout: tt.ttl})
				for range 3 {
					require.NoError(t, eng.Execute(context.Background(), "exec", "c1", 0))
				}
				assert.Equal(t, tt.wantLoads, loads.Load())
				eng.ClearCaches()
				require.NoError(t, eng.Execute(context.Background(), "exec", "c1", 0))
				assert.Equal(t, tt.wantLoads+1, loads.Load(), "ClearCaches drops the cache")
				assert.ErrorIs(t, eng.Execute(context.Background(), "exec", "missing", 0), runtime.ErrNotFound, "failures are not cached")
			})
		}
	})
	t.Run("cache expires", func(t *testing.T) {
		eng, _, loads, _ := setup(t, runtime.Config{CacheTimeout: time.Millisecond})
		require.NoError(t, eng.Execute(context.Background(), "exec", "c1", 0))
		time.Sleep(3 * time.Millisecond)
		require.NoError(t, eng.Execute(context.Background(), "exec", "c1", 0))
		assert.Equal(t, int32(2), loads.Load())
	})
}

func TestLogs(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards, shops := newCardStore(), newShopStore()
	on(t, eng, runtime.Trigger[CardChange]{Name: "ok", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Priority: runtime.PriorityHigh}, Actions: acts(noop)})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "bad", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: acts(func(context.Context, *CardChange) error { return errBoom }),
	})
	require.NoError(t, runtime.On(eng, ShopModel, runtime.Trigger[ShopChange]{
		Name: "shop", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[ShopChange]{func(context.Context, *ShopChange) error { return nil }},
	}))
	for i := range 3 {
		_ = runOp(context.Background(), eng, "update", cards, &Card{ID: fmt.Sprint("c", i)})
		require.NoError(t, CreateShop(context.Background(), eng, &Shop{ID: fmt.Sprint("s", i)}, shops.Save))
	}
	all := eng.Logs(runtime.LogFilter{})
	require.Len(t, all, 9)
	var got []string
	for i, r := range all {
		got = append(got, r.Trigger+"/"+r.Key)
		if i > 0 {
			assert.False(t, r.Start.After(all[i-1].Start), "newest first")
		}
	}
	assert.Equal(t, []string{"shop/s2", "bad/c2", "ok/c2", "shop/s1", "bad/c1", "ok/c1", "shop/s0", "bad/c0", "ok/c0"}, got)

	tests := []struct {
		name string
		f    runtime.LogFilter
		want []string
	}{
		{"trigger", runtime.LogFilter{Trigger: "ok"}, []string{"ok/c2", "ok/c1", "ok/c0"}},
		{"model", runtime.LogFilter{Model: "Shop"}, []string{"shop/s2", "shop/s1", "shop/s0"}},
		{"outcome", runtime.LogFilter{Outcome: runtime.OutcomeFailure}, []string{"bad/c2", "bad/c1", "bad/c0"}},
		{"limit", runtime.LogFilter{Limit: 2}, []string{"shop/s2", "bad/c2"}},
		{"model and limit", runtime.LogFilter{Model: "Card", Limit: 3}, []string{"bad/c2", "ok/c2", "bad/c1"}},
		{"no match", runtime.LogFilter{Trigger: "none"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range eng.Logs(tt.f) {
				got = append(got, r.Trigger+"/"+r.Key)
			}
			assert.Equal(t, tt.want, got)
		})
	}
	bad := eng.Logs(runtime.LogFilter{Trigger: "bad", Limit: 1})[0]
	assert.Equal(t, "Card", bad.Model)
	assert.Equal(t, "after_update", bad.Event)
	assert.Equal(t, "boom", bad.Error)
	assert.Equal(t, 1, bad.Attempt)
	assert.False(t, bad.Start.IsZero())
	assert.GreaterOrEqual(t, bad.Duration, time.Duration(0))
	ok := eng.Logs(runtime.LogFilter{Trigger: "ok", Limit: 1})[0]
	assert.Empty(t, ok.Error)
	assert.Equal(t, runtime.OutcomeSuccess, ok.Outcome)
}

func TestLogsWithoutReader(t *testing.T) {
	eng := newEngine(t, runtime.Config{Audit: runtime.NewSlogAudit(slog.New(slog.DiscardHandler), nil)})
	assert.Nil(t, eng.Logs(runtime.LogFilter{}))
}

func TestStats(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "s", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{cond("Quality > 0", func(c *CardChange) bool { return c.New.Quality > 0 })},
		Actions: acts(func(_ context.Context, c *CardChange) error {
			if c.New.Quality == 3 {
				return errBoom
			}
			return nil
		}),
	})
	for _, q := range []int{1, 0, 2, 3, 0} {
		_ = runOp(context.Background(), eng, "update", cards, &Card{ID: "c", Quality: q})
	}
	info, _ := eng.Trigger("s")
	st := info.Stats
	assert.Equal(t, int64(3), st.Executions)
	assert.Equal(t, int64(2), st.Successes)
	assert.Equal(t, int64(1), st.Failures)
	assert.Equal(t, int64(2), st.Skipped)
	assert.InDelta(t, 200.0/3, st.SuccessRate, 1e-9)
	assert.GreaterOrEqual(t, st.Max, st.P95)
	assert.GreaterOrEqual(t, st.P95, st.P50)
	assert.GreaterOrEqual(t, st.Max, st.Mean)
	assert.Len(t, eng.Logs(runtime.LogFilter{Trigger: "s"}), 3, "skips leave no record")
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestClockConditions(t *testing.T) {
	clk := &testClock{}
	eng := newEngine(t, runtime.Config{Clock: clk.Now})
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "night", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{runtime.TimeBetween[CardChange](eng, 22*time.Hour, 6*time.Hour)},
		Actions:    acts(rec.action("night")),
	})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "office", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{runtime.TimeBetween[CardChange](eng, 9*time.Hour, 17*time.Hour+30*time.Minute)},
		Actions:    acts(rec.action("office")),
	})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "weekend", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{runtime.Weekdays[CardChange](eng, time.Friday, time.Monday)},
		Actions:    acts(rec.action("weekend")),
	})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "wednesday", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{runtime.Weekdays[CardChange](eng, time.Wednesday, time.Wednesday)},
		Actions:    acts(rec.action("wednesday")),
	})
	info, _ := eng.Trigger("night")
	assert.Equal(t, []string{"time 22:00-06:00"}, info.Conditions)
	info, _ = eng.Trigger("office")
	assert.Equal(t, []string{"time 09:00-17:30"}, info.Conditions)
	info, _ = eng.Trigger("weekend")
	assert.Equal(t, []string{"weekday fri-mon"}, info.Conditions)
	info, _ = eng.Trigger("wednesday")
	assert.Equal(t, []string{"weekday wed"}, info.Conditions)

	plus5 := time.FixedZone("PLUS5", 5*3600)
	// 2025-01-01 is a Wednesday.
	tests := []struct {
		at   time.Time
		want []string
	}{
		{time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), []string{"office", "wednesday"}},
		{time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), []string{"office", "wednesday"}},                    // start inclusive
		{time.Date(2025, 1, 1, 17, 30, 0, 0, time.UTC), []string{"wednesday"}},                            // end exclusive
		{time.Date(2025, 1, 1, 17, 29, 59, 0, time.UTC), []string{"office", "wednesday"}},                 // just before the end
		{time.Date(2025, 1, 1, 22, 0, 0, 0, time.UTC), []string{"night", "wednesday"}},                    // wrapping window, start
		{time.Date(2025, 1, 1, 23, 59, 0, 0, time.UTC), []string{"night", "wednesday"}},                   // before midnight
		{time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), []string{"night"}},                                  // midnight, Thursday
		{time.Date(2025, 1, 2, 5, 59, 59, 0, time.UTC), []string{"night"}},                                // after midnight
		{time.Date(2025, 1, 2, 6, 0, 0, 0, time.UTC), nil},                                                // end exclusive
		{time.Date(2025, 1, 3, 12, 0, 0, 0, time.UTC), []string{"office", "weekend"}},                     // Friday
		{time.Date(2025, 1, 5, 3, 0, 0, 0, time.UTC), []string{"night", "weekend"}},                       // Sunday
		{time.Date(2025, 1, 6, 12, 0, 0, 0, time.UTC), []string{"office", "weekend"}},                     // Monday
		{time.Date(2025, 1, 7, 12, 0, 0, 0, time.UTC), []string{"office"}},                                // Tuesday
		{time.Date(2025, 1, 1, 23, 30, 0, 0, plus5), []string{"night", "wednesday"}},                      // the clock's own location
		{time.Date(2025, 1, 1, 23, 30, 0, 0, plus5).UTC(), []string{"wednesday"}},                         // same instant in UTC: 18:30
		{time.Date(2025, 1, 2, 1, 0, 0, 0, plus5), []string{"night"}},                                     // Thursday in PLUS5, Wednesday in UTC
		{time.Date(2025, 1, 4, 23, 0, 0, 0, time.FixedZone("M", -10*3600)), []string{"night", "weekend"}}, // Saturday there
	}
	for _, tt := range tests {
		t.Run(tt.at.Format(time.RFC3339), func(t *testing.T) {
			clk.Set(tt.at)
			rec.mu.Lock()
			rec.list = nil
			rec.mu.Unlock()
			require.NoError(t, runOp(context.Background(), eng, "update", newCardStore(), &Card{ID: "c1"}))
			assert.Equal(t, tt.want, rec.get())
		})
	}
	assert.Equal(t, clk.Now(), eng.Config().Clock())
}

func TestHasRoleAndActorInRecords(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "admin_only", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{runtime.HasRole[CardChange]("admin")},
		Actions: acts(func(ctx context.Context, _ *CardChange) error {
			a, _ := runtime.ActorFrom(ctx)
			rec.add(a.ID + "@" + runtime.RequestIDFrom(ctx))
			return nil
		}),
	})
	info, _ := eng.Trigger("admin_only")
	assert.Equal(t, []string{"role admin"}, info.Conditions)
	tests := []struct {
		name string
		ctx  context.Context
		want []string
	}{
		{"no actor", context.Background(), nil},
		{"actor without role", runtime.WithActor(context.Background(), runtime.Actor{ID: "u1", Roles: []string{"user"}}), nil},
		{"actor with role", runtime.WithRequestID(runtime.WithActor(context.Background(), runtime.Actor{ID: "u2", Roles: []string{"user", "admin"}}), "req-1"), []string{"u2@req-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.list = nil
			rec.mu.Unlock()
			require.NoError(t, runOp(tt.ctx, eng, "update", newCardStore(), &Card{ID: "c1"}))
			assert.Equal(t, tt.want, rec.get())
		})
	}
	logs := eng.Logs(runtime.LogFilter{Trigger: "admin_only"})
	require.Len(t, logs, 1)
	assert.Equal(t, "u2", logs[0].ActorID)
	assert.Equal(t, "req-1", logs[0].RequestID)
	info, _ = eng.Trigger("admin_only")
	assert.Equal(t, int64(2), info.Stats.Skipped)
}

func TestConditionHelpers(t *testing.T) {
	active := cond("Status == ACTIVE", func(c *CardChange) bool { return c.New.Status == "ACTIVE" })
	fraud := cond("Fraud", func(c *CardChange) bool { return c.New.Fraud })
	high := cond("Quality > 5", func(c *CardChange) bool { return c.New.Quality > 5 })
	tests := []struct {
		name     string
		c        runtime.Condition[CardChange]
		desc     string
		card     Card
		wantRuns bool
	}{
		{"all holds", runtime.All(active, fraud), "(Status == ACTIVE) and Fraud", Card{Status: "ACTIVE", Fraud: true}, true},
		{"all fails", runtime.All(active, fraud), "(Status == ACTIVE) and Fraud", Card{Status: "ACTIVE"}, false},
		{"any holds", runtime.Any(fraud, high), "Fraud or (Quality > 5)", Card{Quality: 9}, true},
		{"any fails", runtime.Any(fraud, high), "Fraud or (Quality > 5)", Card{}, false},
		{"not", runtime.Not(fraud), "not (Fraud)", Card{}, true},
		{"nested", runtime.Not(runtime.Any(fraud, runtime.All(active, high))), "not (Fraud or ((Status == ACTIVE) and (Quality > 5)))", Card{Status: "ACTIVE", Quality: 1}, true},
		{"single all", runtime.All(active), "Status == ACTIVE", Card{Status: "ACTIVE"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			ran := false
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "h", Events: []runtime.Event{runtime.AfterCreate}, Conditions: []runtime.Condition[CardChange]{tt.c},
				Actions: acts(func(context.Context, *CardChange) error { ran = true; return nil }),
			})
			info, _ := eng.Trigger("h")
			assert.Equal(t, []string{tt.desc}, info.Conditions)
			card := tt.card
			require.NoError(t, CreateCard(context.Background(), eng, &card, nil))
			assert.Equal(t, tt.wantRuns, ran)
		})
	}
}

func TestDebugLogsConditions(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug})
	eng := newEngine(t, runtime.Config{Logger: slog.New(h)})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "dbg", Events: []runtime.Event{runtime.AfterCreate},
		Conditions: []runtime.Condition[CardChange]{cond("Fraud is set", func(c *CardChange) bool { return c.New.Fraud })},
		Actions:    acts(noop),
	})
	require.NoError(t, CreateCard(context.Background(), eng, &Card{ID: "c1"}, nil))
	mu.Lock()
	assert.NotContains(t, buf.String(), "Fraud is set", "debug off")
	mu.Unlock()
	eng.SetDebug(true)
	assert.True(t, eng.Debug())
	require.NoError(t, CreateCard(context.Background(), eng, &Card{ID: "c1"}, nil))
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	assert.Contains(t, out, "Fraud is set")
	assert.Contains(t, out, "dbg")
	assert.Contains(t, out, "result=false")

	eng2 := newEngine(t, runtime.Config{Debug: true})
	assert.True(t, eng2.Debug(), "Config.Debug switches it on")
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestConfigFromEnv(t *testing.T) {
	def := runtime.Config{MaxWorkers: 10, DefaultTimeout: 30 * time.Second, CacheSize: 1000}
	with := func(edit func(c *runtime.Config)) runtime.Config {
		c := def
		edit(&c)
		return c
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    runtime.Config
		wantErr []string // variable names the error must name
	}{
		{name: "defaults", want: def},
		{name: "empty values are defaults", env: map[string]string{"TRIGGER_DEBUG": "", "TRIGGER_MAX_WORKERS": ""}, want: def},
		{
			name: "all set",
			env: map[string]string{
				"TRIGGER_DEBUG": "true", "TRIGGER_MAX_WORKERS": "4",
				"TRIGGER_DEFAULT_TIMEOUT": "5s", "TRIGGER_CACHE_TIMEOUT": "1m30s", "TRIGGER_CACHE_SIZE": "50",
			},
			want: with(func(c *runtime.Config) {
				c.Debug, c.MaxWorkers, c.DefaultTimeout, c.CacheTimeout, c.CacheSize = true, 4, 5*time.Second, 90*time.Second, 50
			}),
		},
		{
			name: "seconds as the original framework writes them",
			env:  map[string]string{"TRIGGER_DEFAULT_TIMEOUT": "30", "TRIGGER_CACHE_TIMEOUT": "300"},
			want: with(func(c *runtime.Config) {
				c.DefaultTimeout, c.CacheTimeout = 30*time.Second, 300*time.Second
			}),
		},
		{name: "zero seconds", env: map[string]string{"TRIGGER_CACHE_TIMEOUT": "0"}, want: def},
		{name: "debug 1", env: map[string]string{"TRIGGER_DEBUG": "1"}, want: with(func(c *runtime.Config) { c.Debug = true })},
		{name: "bad debug", env: map[string]string{"TRIGGER_DEBUG": "yes please"}, want: def, wantErr: []string{"TRIGGER_DEBUG"}},
		{name: "bad workers", env: map[string]string{"TRIGGER_MAX_WORKERS": "many"}, want: def, wantErr: []string{"TRIGGER_MAX_WORKERS"}},
		{name: "zero workers", env: map[string]string{"TRIGGER_MAX_WORKERS": "0"}, want: def, wantErr: []string{"TRIGGER_MAX_WORKERS"}},
		{name: "negative workers", env: map[string]string{"TRIGGER_MAX_WORKERS": "-3"}, want: def, wantErr: []string{"TRIGGER_MAX_WORKERS"}},
		{name: "negative seconds", env: map[string]string{"TRIGGER_DEFAULT_TIMEOUT": "-30"}, want: def, wantErr: []string{"TRIGGER_DEFAULT_TIMEOUT"}},
		{name: "fractional seconds", env: map[string]string{"TRIGGER_DEFAULT_TIMEOUT": "1.5"}, want: def, wantErr: []string{"TRIGGER_DEFAULT_TIMEOUT"}},
		{name: "negative cache", env: map[string]string{"TRIGGER_CACHE_TIMEOUT": "-1s"}, want: def, wantErr: []string{"TRIGGER_CACHE_TIMEOUT"}},
		{name: "bad cache size", env: map[string]string{"TRIGGER_CACHE_SIZE": "0"}, want: def, wantErr: []string{"TRIGGER_CACHE_SIZE"}},
		{
			name: "several bad",
			env:  map[string]string{"TRIGGER_MAX_WORKERS": "x", "TRIGGER_CACHE_TIMEOUT": "soon"},
			want: def, wantErr: []string{"TRIGGER_MAX_WORKERS", "TRIGGER_CACHE_TIMEOUT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"TRIGGER_DEBUG", "TRIGGER_MAX_WORKERS", "TRIGGER_DEFAULT_TIMEOUT", "TRIGGER_CACHE_TIMEOUT",
				"TRIGGER_CACHE_SIZE"} {
				t.Setenv(k, tt.env[k])
			}
			cfg, err := runtime.ConfigFromEnv()
			assert.Equal(t, tt.want, cfg)
			if len(tt.wantErr) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, name := range tt.wantErr {
				assert.Contains(t, err.Error(), name)
			}
		})
	}
	assert.Equal(t, "TRIGGER_DEBUG", "TRIGGER_DEBUG")
	assert.Equal(t, "TRIGGER_MAX_WORKERS", "TRIGGER_MAX_WORKERS")
	assert.Equal(t, "TRIGGER_DEFAULT_TIMEOUT", "TRIGGER_DEFAULT_TIMEOUT")
	assert.Equal(t, "TRIGGER_CACHE_TIMEOUT", "TRIGGER_CACHE_TIMEOUT")
}

func TestNewDefaults(t *testing.T) {
	eng := runtime.New(runtime.Config{})
	defer eng.Close(context.Background())
	cfg := eng.Config()
	assert.Equal(t, 10, cfg.MaxWorkers)
	assert.Equal(t, 30*time.Second, cfg.DefaultTimeout)
	assert.Equal(t, 8, cfg.MaxDepth)
	assert.Zero(t, cfg.CacheTimeout)
	assert.Equal(t, 1000, cfg.CacheSize)
	assert.NotNil(t, cfg.Clock)
	assert.NotNil(t, eng.Config().Logger)
	assert.NotNil(t, eng.Config().Queue)
	_, ok := eng.Config().Audit.(runtime.LogReader)
	assert.True(t, ok, "the default audit keeps records in memory")
	assert.WithinDuration(t, time.Now(), eng.Config().Clock(), time.Minute)
	assert.True(t, eng.EngineEnabled())
	require.NoError(t, eng.Close(context.Background()))
	require.NoError(t, eng.Close(context.Background()), "Close is idempotent")
}

func TestOperationsWithoutTriggers(t *testing.T) {
	cards := newCardStore()
	eng := newEngine(t, runtime.Config{})
	c := &Card{ID: "c1"}
	require.NoError(t, CreateCard(context.Background(), eng, c, cards.Save))
	require.NoError(t, runOp(context.Background(), eng, "update", cards, c))
	require.NoError(t, CreateCards(context.Background(), eng, []*Card{{ID: "c2"}}, cards.SaveAll))
	require.NoError(t, FireCard(context.Background(), eng, CardFraudReview, nil, c))
	require.NoError(t, CreateCard(context.Background(), eng, c, nil), "nil persist")
	saves, _ := cards.Counts()
	assert.Equal(t, 3, saves)
}

// TestRefusedBeforePersist checks the operations refused before anything
// runs: with a nil engine (which would skip every before trigger, every
// validation), after Close, and with a context that has already ended.
func TestRefusedBeforePersist(t *testing.T) {
	closed := newEngine(t, runtime.Config{})
	require.NoError(t, closed.Close(context.Background()))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	tests := []struct {
		name string
		eng  func(t *testing.T) *runtime.Engine
		ctx  context.Context
		want error
	}{
		{"nil engine", func(*testing.T) *runtime.Engine { return nil }, context.Background(), runtime.ErrNilEngine},
		{"closed engine", func(*testing.T) *runtime.Engine { return closed }, context.Background(), runtime.ErrClosed},
		{"closed engine without triggers", func(*testing.T) *runtime.Engine {
			eng := runtime.New(runtime.Config{})
			require.NoError(t, eng.Close(context.Background()))
			return eng
		}, context.Background(), runtime.ErrClosed},
		{"cancelled context", func(t *testing.T) *runtime.Engine { return newEngine(t, runtime.Config{}) }, cancelled, context.Canceled},
		{"expired context", func(t *testing.T) *runtime.Engine { return newEngine(t, runtime.Config{}) }, expired, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := tt.eng(t)
			var validated atomic.Int32
			if eng != nil && !runtime.Closed(eng) {
				on(t, eng, runtime.Trigger[CardChange]{Name: "validate", Events: []runtime.Event{runtime.BeforeSave, runtime.BeforeDelete},
					Actions: acts(func(context.Context, *CardChange) error { validated.Add(1); return nil })})
			}
			cards := newCardStore()
			c := &Card{ID: "c1"}
			old := SnapshotCard(c)
			for name, err := range map[string]error{
				"create":      CreateCard(tt.ctx, eng, c, cards.Save),
				"update":      UpdateCard(tt.ctx, eng, &old, c, cards.Save),
				"delete":      DeleteCard(tt.ctx, eng, c, cards.Remove),
				"bulk create": CreateCards(tt.ctx, eng, []*Card{{ID: "c2"}}, cards.SaveAll),
				"bulk update": UpdateCards(tt.ctx, eng, []Card{{ID: "c2"}}, []*Card{{ID: "c2"}}, cards.SaveAll),
				"bulk delete": DeleteCards(tt.ctx, eng, []*Card{{ID: "c2"}}, cards.RemoveAll),
				"fire":        FireCard(tt.ctx, eng, CardFraudReview, nil, c),
				"execute":     eng.Execute(tt.ctx, "validate", "c1", 0),
			} {
				assert.ErrorIs(t, err, tt.want, name)
			}
			saves, deletes := cards.Counts()
			assert.Zero(t, saves+deletes, "persist is never called")
			assert.Zero(t, validated.Load(), "no trigger runs")
		})
	}
	err := runtime.On((*runtime.Engine)(nil), CardModel, runtime.Trigger[CardChange]{Name: "x", Events: []runtime.Event{runtime.AfterSave}, Actions: acts(noop)})
	assert.ErrorIs(t, err, runtime.ErrNilEngine, "registering on a nil engine")
	assert.ErrorIs(t, (*runtime.Engine)(nil).Close(context.Background()), runtime.ErrNilEngine)
}

func TestTriggerErrorMessage(t *testing.T) {
	te := &runtime.TriggerError{Trigger: "x", Err: errBoom}
	assert.Equal(t, "trigger x: boom", te.Error())
	assert.True(t, errors.Is(te, errBoom))
	assert.Nil(t, runtime.Permanent(nil))
	p := runtime.Permanent(errBoom)
	assert.True(t, runtime.IsPermanent(p))
	assert.True(t, runtime.IsPermanent(fmt.Errorf("w: %w", p)))
	assert.False(t, runtime.IsPermanent(errBoom))
	assert.ErrorIs(t, p, errBoom)
	assert.True(t, strings.Contains(p.Error(), "boom"))
}

func TestPanickingConditionIsTheTriggersFailure(t *testing.T) {
	// A condition is part of its trigger (`when func F` calls user code), so
	// its panic must be recovered like an action's.
	eng := newEngine(t, runtime.Config{})
	cards := newCardStore()
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "bad_cond", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{cond("func Broken", func(c *CardChange) bool { panic("condition kaboom") })},
		Actions:    acts(noop),
	})
	var err error
	assert.NotPanics(t, func() { err = runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}) },
		"BUG: a panicking condition escapes the engine and crashes the caller")
	assert.Equal(t, []string{"bad_cond"}, triggerNames(err))
}

func TestRetryBackoff(t *testing.T) {
	tests := []struct {
		name    string
		backoff time.Duration
		retries int
		minGaps []time.Duration // lower bounds: the base delay doubled, less 20% jitter
	}{
		{name: "default 100ms", retries: 1, minGaps: []time.Duration{80 * time.Millisecond}},
		{name: "doubling", backoff: 10 * time.Millisecond, retries: 2, minGaps: []time.Duration{8 * time.Millisecond, 16 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "r", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Retries: tt.retries, Backoff: tt.backoff},
				Actions: acts(func(context.Context, *CardChange) error { return errBoom }),
			})
			require.Error(t, CreateCard(context.Background(), eng, &Card{ID: "c1"}, nil))
			logs := eng.Logs(runtime.LogFilter{Trigger: "r"})
			require.Len(t, logs, tt.retries+1)
			for i, least := range tt.minGaps {
				prev, next := logs[len(logs)-1-i], logs[len(logs)-2-i]
				gap := next.Start.Sub(prev.Start.Add(prev.Duration))
				assert.GreaterOrEqual(t, gap, least, "wait before attempt %d", next.Attempt)
			}
		})
	}
}

func TestRetryStopsWhenCallerContextEnds(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "r", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Retries: 5, Backoff: time.Hour},
		Actions: acts(func(context.Context, *CardChange) error { n++; cancel(); return errBoom }),
	})
	assert.ErrorIs(t, CreateCard(ctx, eng, &Card{ID: "c1"}, nil), errBoom)
	assert.Equal(t, 1, n)
}

func TestBulkSelfReentryIsSkipped(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	runs := 0
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "again", Events: []runtime.Event{runtime.AfterBulkUpdate},
		Actions: []runtime.BatchAction[CardBatch]{func(ctx context.Context, b *CardBatch) error {
			runs++
			ms := make([]*Card, len(b.Items))
			old := make([]Card, len(b.Items))
			for i := range b.Items {
				ms[i] = b.Items[i].New
				old[i] = SnapshotCard(ms[i])
			}
			return UpdateCards(ctx, eng, old, ms, nil)
		}},
	})
	require.NoError(t, UpdateCards(context.Background(), eng, []Card{{ID: "c1"}, {ID: "c2"}}, []*Card{{ID: "c1"}, {ID: "c2"}}, nil))
	assert.Equal(t, 1, runs)
	info, _ := eng.Trigger("again")
	assert.Equal(t, int64(1), info.Stats.Skipped)
}

func TestEngineFromAndNowInTriggers(t *testing.T) {
	clk := &testClock{}
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	clk.Set(at)
	eng := newEngine(t, runtime.Config{Clock: clk.Now})
	cards := newCardStore()
	cards.Put(Card{ID: "c1"})
	SetCardLoader(eng, cards.Load)
	var rec recorder
	check := func(where string, ctx context.Context) {
		got, ok := runtime.EngineFrom(ctx)
		rec.add(fmt.Sprintf("%s %v %v", where, ok && got == eng, runtime.Now(ctx).Equal(at)))
	}
	on(t, eng, runtime.Trigger[CardChange]{Name: "sync", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: acts(func(ctx context.Context, _ *CardChange) error { check("sync", ctx); return nil })})
	on(t, eng, runtime.Trigger[CardChange]{Name: "async", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
		Actions: acts(func(ctx context.Context, _ *CardChange) error { check("async", ctx); return nil })})
	on(t, eng, runtime.Trigger[CardChange]{Name: "commit", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{OnCommit: true},
		Actions: acts(func(ctx context.Context, _ *CardChange) error { check("commit", ctx); return nil })})
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "bulk", Events: []runtime.Event{runtime.AfterBulkUpdate},
		Actions: []runtime.BatchAction[CardBatch]{func(ctx context.Context, _ *CardBatch) error { check("bulk", ctx); return nil }}})

	require.NoError(t, runOp(context.Background(), eng, "update", cards, &Card{ID: "c1"}))
	require.NoError(t, UpdateCards(runtime.WithoutTriggers(context.Background(), "sync", "async", "commit"), eng, []Card{{ID: "c2"}}, []*Card{{ID: "c2"}}, nil))
	require.NoError(t, eng.Execute(context.Background(), "sync", "c1", 0))
	require.NoError(t, eng.Close(context.Background()))
	// The async run races the on_commit one: compare as a multiset.
	assert.ElementsMatch(t, []string{"sync true true", "commit true true", "async true true", "bulk true true", "sync true true"}, rec.get())

	_, ok := runtime.EngineFrom(context.Background())
	assert.False(t, ok)
	assert.WithinDuration(t, time.Now(), runtime.Now(context.Background()), time.Minute, "outside a trigger: time.Now")
}
