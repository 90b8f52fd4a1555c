package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// bulkEvents are the events of one bulk operation kind.
type bulkEvents struct {
	op                                   string
	bulkBefore, before, after, bulkAfter runtime.Event
}

var bulkOps = []bulkEvents{
	{"create", runtime.BeforeBulkCreate, runtime.BeforeCreate, runtime.AfterCreate, runtime.AfterBulkCreate},
	{"update", runtime.BeforeBulkUpdate, runtime.BeforeUpdate, runtime.AfterUpdate, runtime.AfterBulkUpdate},
	{"delete", runtime.BeforeBulkDelete, runtime.BeforeDelete, runtime.AfterDelete, runtime.AfterBulkDelete},
}

// runBulk runs the bulk operation op on ms with persist.
func runBulk(ctx context.Context, eng *runtime.Engine, op string, ms []*Card, persist func(context.Context, []*Card) error) error {
	switch op {
	case "create":
		return CreateCards(ctx, eng, ms, persist)
	case "update":
		old := make([]Card, len(ms))
		for i, m := range ms {
			old[i] = SnapshotCard(m)
		}
		return UpdateCards(ctx, eng, old, ms, persist)
	case "delete":
		return DeleteCards(ctx, eng, ms, persist)
	}
	panic("unknown op " + op)
}

func cardsN(n int, edit func(i int, c *Card)) []*Card {
	ms := make([]*Card, n)
	for i := range ms {
		ms[i] = &Card{ID: fmt.Sprint("c", i+1)}
		if edit != nil {
			edit(i, ms[i])
		}
	}
	return ms
}

// batchAction returns a bulk action that records "name(ids)@event".
func batchAction(rec *recorder, name string) runtime.BatchAction[CardBatch] {
	return func(_ context.Context, b *CardBatch) error {
		ids := make([]string, len(b.Items))
		for i := range b.Items {
			ids[i] = b.Items[i].Instance().ID
		}
		rec.add(name + "(" + strings.Join(ids, ",") + ")@" + b.Event.String())
		return nil
	}
}

// itemAction returns a per-item action that records "name:id@event".
func itemAction(rec *recorder, name string) runtime.Action[CardChange] {
	return func(_ context.Context, c *CardChange) error {
		rec.add(name + ":" + c.Instance().ID + "@" + c.Event.String())
		return nil
	}
}

func TestBulkOrder(t *testing.T) {
	for _, be := range bulkOps {
		t.Run(be.op, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			var rec recorder
			onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "bulk_before", Events: []runtime.Event{be.bulkBefore}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "bb")}})
			onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "bulk_after", Events: []runtime.Event{be.bulkAfter}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "ba")}})
			on(t, eng, runtime.Trigger[CardChange]{Name: "item_before", Events: []runtime.Event{be.before}, Actions: acts(itemAction(&rec, "ib"))})
			on(t, eng, runtime.Trigger[CardChange]{Name: "item_after", Events: []runtime.Event{be.after}, Actions: acts(itemAction(&rec, "ia"))})
			ms := cardsN(2, nil)
			var persisted []*Card
			require.NoError(t, runBulk(context.Background(), eng, be.op, ms, func(_ context.Context, got []*Card) error {
				rec.add("persist")
				persisted = got
				return nil
			}))
			assert.Equal(t, []string{
				"bb(c1,c2)@" + be.bulkBefore.String(),
				"ib:c1@" + be.before.String(), "ib:c2@" + be.before.String(),
				"persist",
				"ia:c1@" + be.after.String(), "ia:c2@" + be.after.String(),
				"ba(c1,c2)@" + be.bulkAfter.String(),
			}, rec.get())
			require.Len(t, persisted, 2)
			assert.Same(t, ms[0], persisted[0], "one persist with the caller's items")
			assert.Same(t, ms[1], persisted[1])
			for _, r := range eng.Logs(runtime.LogFilter{}) {
				switch r.Trigger {
				case "bulk_before", "bulk_after":
					assert.Equal(t, "c1,c2", r.Key)
				default:
					assert.Contains(t, []string{"c1", "c2"}, r.Key)
				}
			}
		})
	}
}

func TestBulkSaveTriggersAndOldNew(t *testing.T) {
	for _, be := range bulkOps {
		t.Run(be.op, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			var rec recorder
			ms := cardsN(2, func(_ int, c *Card) { c.Status = "S" })
			var batchItems []CardChange
			onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
				Name: "bulk", Events: []runtime.Event{be.bulkAfter},
				Actions: []runtime.BatchAction[CardBatch]{func(_ context.Context, b *CardBatch) error {
					batchItems = append(batchItems, b.Items...)
					return nil
				}},
			})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "save", Events: []runtime.Event{runtime.BeforeSave, runtime.AfterSave},
				Actions: acts(itemAction(&rec, "save")),
			})
			require.NoError(t, runBulk(context.Background(), eng, be.op, ms, nil))
			require.Len(t, batchItems, 2)
			for i, it := range batchItems {
				require.NotNil(t, it.Old)
				require.NotNil(t, it.New)
				assert.Same(t, ms[i], it.Instance())
				switch be.op {
				case "create":
					assert.Equal(t, Card{}, *it.Old, "on create Old is a zero value")
					assert.Same(t, ms[i], it.New)
				case "delete":
					assert.Equal(t, Card{}, *it.New, "on delete New is a zero value")
					assert.Same(t, ms[i], it.Old)
				case "update":
					assert.Equal(t, *ms[i], *it.Old)
					assert.NotSame(t, ms[i], it.Old)
				}
			}
			if be.op == "delete" {
				assert.Nil(t, rec.get(), "save triggers do not run on delete")
			} else {
				assert.Equal(t, []string{
					"save:c1@" + be.before.String(), "save:c2@" + be.before.String(),
					"save:c1@" + be.after.String(), "save:c2@" + be.after.String(),
				}, rec.get())
			}
		})
	}
}

func TestBulkTriggerGetsMatchingItems(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var rec recorder
	fraud := cond("Fraud", func(c *CardChange) bool { return c.New.Fraud })
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "fraud_batch", Events: []runtime.Event{runtime.BeforeBulkUpdate, runtime.AfterBulkUpdate},
		Conditions: []runtime.Condition[CardChange]{fraud},
		Actions:    []runtime.BatchAction[CardBatch]{batchAction(&rec, "fb")},
	})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "fraud_item", Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{fraud},
		Actions:    acts(itemAction(&rec, "fi")),
	})

	ms := cardsN(4, func(i int, c *Card) { c.Fraud = i%2 == 0 }) // c1, c3
	require.NoError(t, runBulk(context.Background(), eng, "update", ms, nil))
	assert.Equal(t, []string{
		"fb(c1,c3)@before_bulk_update",
		"fi:c1@after_update", "fi:c3@after_update",
		"fb(c1,c3)@after_bulk_update",
	}, rec.get())
	info, _ := eng.Trigger("fraud_item")
	assert.Equal(t, int64(2), info.Stats.Skipped, "per-item skips")
	info, _ = eng.Trigger("fraud_batch")
	assert.Equal(t, int64(2), info.Stats.Executions)
	assert.Zero(t, info.Stats.Skipped)

	rec.mu.Lock()
	rec.list = nil
	rec.mu.Unlock()
	require.NoError(t, runBulk(context.Background(), eng, "update", cardsN(3, nil), nil))
	assert.Nil(t, rec.get(), "a bulk trigger does not run when no item matches")
	info, _ = eng.Trigger("fraud_batch")
	assert.Equal(t, int64(2), info.Stats.Executions)
	assert.Equal(t, int64(2), info.Stats.Skipped, "one skip per bulk event")
	assert.Len(t, eng.Logs(runtime.LogFilter{Trigger: "fraud_batch"}), 2)
}

func TestBulkRecordKeyIsTheBatchItems(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
				Name: "fraud_batch", Events: []runtime.Event{runtime.AfterBulkUpdate}, Options: runtime.Options{Async: async},
				Conditions: []runtime.Condition[CardChange]{cond("Fraud", func(c *CardChange) bool { return c.New.Fraud })},
				Actions:    []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { return nil }},
			})
			ms := cardsN(4, func(i int, c *Card) { c.Fraud = i%2 == 0 })
			require.NoError(t, runBulk(context.Background(), eng, "update", ms, nil))
			require.NoError(t, eng.Close(context.Background()))
			logs := eng.Logs(runtime.LogFilter{Trigger: "fraud_batch"})
			require.Len(t, logs, 1)
			assert.Equal(t, "c1,c3", logs[0].Key,
				"BUG (sync only): a bulk trigger's record key lists every item of the operation, not the batch's items")
		})
	}
}

func TestBulkRecordKeyLimit(t *testing.T) {
	keys := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprint("c", i+1)
		}
		return strings.Join(ids, ",")
	}
	tests := []struct {
		n    int
		want string
	}{
		{1, "c1"},
		{20, keys(20)},
		{21, keys(20) + ",..."},
		{25, keys(20) + ",..."},
	}
	for _, tt := range tests {
		for _, async := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d async=%v", tt.n, async), func(t *testing.T) {
				eng := newEngine(t, runtime.Config{})
				onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
					Name: "all", Events: []runtime.Event{runtime.AfterBulkCreate}, Options: runtime.Options{Async: async},
					Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { return nil }},
				})
				require.NoError(t, runBulk(context.Background(), eng, "create", cardsN(tt.n, nil), nil))
				require.NoError(t, eng.Close(context.Background()))
				logs := eng.Logs(runtime.LogFilter{Trigger: "all"})
				require.Len(t, logs, 1)
				assert.Equal(t, tt.want, logs[0].Key)
				assert.Equal(t, "after_bulk_create", logs[0].Event)
			})
		}
	}
}

func TestBulkBeforeErrorsAbort(t *testing.T) {
	tests := []struct {
		name string
		fail string // "bulk" or "item"
		want []string
	}{
		{"bulk before", "bulk", []string{"bb"}},
		{"item before", "item", []string{"bb", "ib:c1", "ib:c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, runtime.Config{})
			var rec recorder
			onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
				Name: "bb", Events: []runtime.Event{runtime.BeforeBulkUpdate},
				Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error {
					rec.add("bb")
					if tt.fail == "bulk" {
						return errBoom
					}
					return nil
				}},
			})
			on(t, eng, runtime.Trigger[CardChange]{
				Name: "ib", Events: []runtime.Event{runtime.BeforeUpdate},
				Actions: acts(func(_ context.Context, c *CardChange) error {
					rec.add("ib:" + c.New.ID)
					if tt.fail == "item" && c.New.ID == "c2" {
						return errBoom
					}
					return nil
				}),
			})
			on(t, eng, runtime.Trigger[CardChange]{Name: "ia", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(rec.action("ia"))})
			onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "ba", Events: []runtime.Event{runtime.AfterBulkUpdate}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "ba")}})
			onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "bc", Options: runtime.Options{OnCommit: true}, Events: []runtime.Event{runtime.AfterBulkUpdate}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "bc")}})
			cards := newCardStore()
			err := runBulk(context.Background(), eng, "update", cardsN(3, nil), cards.SaveAll)
			assert.ErrorIs(t, err, errBoom)
			want := "bb"
			if tt.fail == "item" {
				want = "ib"
			}
			assert.Equal(t, []string{want}, triggerNames(err))
			assert.Equal(t, tt.want, rec.get())
			saves, _ := cards.Counts()
			assert.Zero(t, saves, "persist is not called")
		})
	}
}

func TestBulkAfterErrorsJoined(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var rec recorder
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "ia", Events: []runtime.Event{runtime.AfterCreate},
		Actions: acts(func(_ context.Context, c *CardChange) error {
			rec.add("ia:" + c.New.ID)
			if c.New.ID == "c1" {
				return errBoom
			}
			return nil
		}),
	})
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "ba", Events: []runtime.Event{runtime.AfterBulkCreate},
		Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { rec.add("ba"); return errOther }},
	})
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "bc", Events: []runtime.Event{runtime.AfterBulkCreate}, Options: runtime.Options{OnCommit: true},
		Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { rec.add("bc"); return errBoom }},
	})
	cards := newCardStore()
	err := runBulk(context.Background(), eng, "create", cardsN(2, nil), cards.SaveAll)
	assert.Equal(t, []string{"ia:c1", "ia:c2", "ba", "bc"}, rec.get(), "every after trigger runs")
	assert.Equal(t, []string{"ia", "ba", "bc"}, triggerNames(err))
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, err, errOther)
	_, ok := cards.Get("c2")
	assert.True(t, ok)
}

func TestBulkBeforeEditsPersisted(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var rec recorder
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "raise", Events: []runtime.Event{runtime.BeforeBulkUpdate},
		Actions: []runtime.BatchAction[CardBatch]{func(_ context.Context, b *CardBatch) error {
			for i := range b.Items {
				b.Items[i].New.Quality = 7
			}
			return nil
		}},
	})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "sees", Events: []runtime.Event{runtime.BeforeSave},
		Conditions: []runtime.Condition[CardChange]{cond("Quality changed", func(c *CardChange) bool { return c.QualityChanged() })},
		Actions: acts(func(_ context.Context, c *CardChange) error {
			rec.add(fmt.Sprintf("%s:%d->%d", c.New.ID, c.QualityWas(), c.New.Quality))
			c.New.Status = "checked"
			return nil
		}),
	})
	cards := newCardStore()
	ms := cardsN(2, nil)
	require.NoError(t, runBulk(context.Background(), eng, "update", ms, cards.SaveAll))
	assert.Equal(t, []string{"c1:0->7", "c2:0->7"}, rec.get())
	for _, m := range ms {
		stored, ok := cards.Get(m.ID)
		require.True(t, ok)
		assert.Equal(t, 7, stored.Quality)
		assert.Equal(t, "checked", stored.Status)
	}
}

func TestBulkEdgeCases(t *testing.T) {
	t.Run("length mismatch", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		on(t, eng, runtime.Trigger[CardChange]{Name: "x", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
		cards := newCardStore()
		err := UpdateCards(context.Background(), eng, []Card{{ID: "c1"}}, cardsN(2, nil), cards.SaveAll)
		assert.Error(t, err)
		saves, _ := cards.Counts()
		assert.Zero(t, saves)
	})
	t.Run("no items", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "b", Events: []runtime.Event{runtime.BeforeBulkCreate}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "b")}})
		cards := newCardStore()
		require.NoError(t, CreateCards(context.Background(), eng, nil, cards.SaveAll))
		assert.Nil(t, rec.get())
	})
	t.Run("skip by name", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "b", Events: []runtime.Event{runtime.AfterBulkCreate}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "b")}})
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "b_async", Options: runtime.Options{Async: true}, Events: []runtime.Event{runtime.AfterBulkCreate}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "b_async")}})
		on(t, eng, runtime.Trigger[CardChange]{Name: "i", Events: []runtime.Event{runtime.AfterCreate}, Actions: acts(itemAction(&rec, "i"))})
		ctx := runtime.WithoutTriggers(context.Background(), "b", "b_async")
		require.NoError(t, CreateCards(ctx, eng, cardsN(1, nil), nil))
		require.NoError(t, eng.Close(context.Background()))
		assert.Equal(t, []string{"i:c1@after_create"}, rec.get())
		info, _ := eng.Trigger("b")
		assert.Zero(t, info.Stats.Skipped)
	})
	t.Run("bulk trigger on both events", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
			Name: "b", Events: []runtime.Event{runtime.BeforeBulkDelete, runtime.AfterBulkDelete},
			Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "b")},
		})
		require.NoError(t, DeleteCards(context.Background(), eng, cardsN(2, nil), nil))
		assert.Equal(t, []string{"b(c1,c2)@before_bulk_delete", "b(c1,c2)@after_bulk_delete"}, rec.get())
	})
	t.Run("bulk triggers do not run for single operations", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
			Name: "b", Events: []runtime.Event{runtime.AfterBulkUpdate}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "b")},
		})
		require.NoError(t, runOp(context.Background(), eng, "update", newCardStore(), &Card{ID: "c1"}))
		assert.Nil(t, rec.get())
		require.NoError(t, FireCard(context.Background(), eng, runtime.AfterBulkUpdate, nil, &Card{ID: "c9"}))
		assert.Equal(t, []string{"b(c9)@after_bulk_update"}, rec.get(), "Fire with a bulk event runs a one-item batch")
	})
	t.Run("persist error", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		var rec recorder
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{Name: "ba", Events: []runtime.Event{runtime.AfterBulkCreate}, Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "ba")}})
		cards := newCardStore()
		cards.failNow = errOther
		assert.ErrorIs(t, CreateCards(context.Background(), eng, cardsN(2, nil), cards.SaveAll), errOther)
		assert.Nil(t, rec.get())
	})
	t.Run("retries", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		n := 0
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
			Name: "flaky", Events: []runtime.Event{runtime.AfterBulkCreate}, Options: runtime.Options{Retries: 2, Backoff: time.Millisecond},
			Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error {
				n++
				if n < 3 {
					return errBoom
				}
				return nil
			}},
		})
		require.NoError(t, CreateCards(context.Background(), eng, cardsN(2, nil), nil))
		var attempts []int
		for _, r := range eng.Logs(runtime.LogFilter{Trigger: "flaky"}) {
			attempts = append(attempts, r.Attempt)
			assert.Equal(t, "c1,c2", r.Key)
		}
		assert.Equal(t, []int{3, 2, 1}, attempts)
		info, _ := eng.Trigger("flaky")
		assert.Equal(t, int64(1), info.Stats.Executions)
	})
	t.Run("panic", func(t *testing.T) {
		eng := newEngine(t, runtime.Config{})
		onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
			Name: "p", Events: []runtime.Event{runtime.BeforeBulkCreate},
			Actions: []runtime.BatchAction[CardBatch]{func(context.Context, *CardBatch) error { panic("bulk kaboom") }},
		})
		var err error
		require.NotPanics(t, func() { err = CreateCards(context.Background(), eng, cardsN(2, nil), nil) })
		assert.Equal(t, []string{"p"}, triggerNames(err))
		logs := eng.Logs(runtime.LogFilter{Trigger: "p"})
		require.Len(t, logs, 1)
		assert.Equal(t, runtime.OutcomePanic, logs[0].Outcome)
	})
}

func TestBulkAsyncDeepCopy(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	gate := make(chan struct{})
	var mu sync.Mutex
	var got []string
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "async", Events: []runtime.Event{runtime.AfterBulkUpdate}, Options: runtime.Options{Async: true},
		Conditions: []runtime.Condition[CardChange]{cond("Status changed", func(c *CardChange) bool { return c.StatusChanged() })},
		Actions: []runtime.BatchAction[CardBatch]{func(_ context.Context, b *CardBatch) error {
			<-gate
			mu.Lock()
			defer mu.Unlock()
			got = append(got, b.Event.String())
			for _, it := range b.Items {
				got = append(got, fmt.Sprintf("%s %s->%s %v %s", it.New.ID, it.Old.Status, it.New.Status, it.New.Tags, it.Event))
			}
			return nil
		}},
	})
	ms := cardsN(3, func(_ int, c *Card) { c.Status = "A"; c.Tags = []string{"t"} })
	old := make([]Card, len(ms))
	for i, m := range ms {
		old[i] = SnapshotCard(m)
	}
	ms[0].Status, ms[2].Status = "B", "C"
	require.NoError(t, UpdateCards(context.Background(), eng, old, ms, nil))
	for _, m := range ms {
		m.Status = "Z"
		m.Tags[0] = "mutated"
	}
	close(gate)
	require.NoError(t, eng.Close(context.Background()))
	assert.Equal(t, []string{"after_bulk_update", "c1 A->B [t] after_update", "c3 A->C [t] after_update"}, got)
}

func TestBulkOnCommitInScope(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	var rec recorder
	onBatch(t, eng, runtime.BatchTrigger[CardChange, CardBatch]{
		Name: "bc", Events: []runtime.Event{runtime.AfterBulkCreate}, Options: runtime.Options{OnCommit: true},
		Actions: []runtime.BatchAction[CardBatch]{batchAction(&rec, "bc")},
	})
	on(t, eng, runtime.Trigger[CardChange]{Name: "ic", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{OnCommit: true}, Actions: acts(itemAction(&rec, "ic"))})
	ctx, scope := runtime.BeginScope(context.Background())
	require.NoError(t, CreateCards(ctx, eng, cardsN(2, nil), nil))
	assert.Nil(t, rec.get())
	require.NoError(t, scope.Commit(context.Background()))
	assert.Equal(t, []string{"ic:c1@after_create", "ic:c2@after_create", "bc(c1,c2)@after_bulk_create"}, rec.get())
}
