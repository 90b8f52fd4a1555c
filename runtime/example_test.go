package runtime_test

import (
	"context"
	"fmt"

	"github.com/triggergen/triggergen/runtime"
)

// A trigger registered with On runs around UpdateCard, the lifecycle
// function triggergen generates for the model Card.
func ExampleNew() {
	ctx := context.Background()
	eng := runtime.New(runtime.Config{})
	defer eng.Close(ctx)

	err := runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
		Name:   "card_blocked_alert",
		Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[CardChange]{{
			Description: `Status changed to "BLOCKED"`,
			Test: func(_ context.Context, c *CardChange) bool {
				return c.StatusChanged() && c.New.Status == "BLOCKED"
			},
		}},
		Actions: []runtime.Action[CardChange]{func(_ context.Context, c *CardChange) error {
			fmt.Printf("%s: %s -> %s on %s\n", c.New.ID, c.StatusWas(), c.New.Status, c.Event)
			return nil
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	save := func(_ context.Context, c *Card) error {
		fmt.Println("saved", c.ID, c.Status)
		return nil
	}
	card := &Card{ID: "c1", Status: "ACTIVE"}
	old := SnapshotCard(card)
	card.Status = "BLOCKED"
	if err := UpdateCard(ctx, eng, &old, card, save); err != nil {
		fmt.Println(err)
	}

	// Nothing matches the second time: the status did not change.
	old = SnapshotCard(card)
	if err := UpdateCard(ctx, eng, &old, card, save); err != nil {
		fmt.Println(err)
	}

	info, _ := eng.Trigger("card_blocked_alert")
	fmt.Printf("executions=%d skipped=%d\n", info.Stats.Executions, info.Stats.Skipped)
	// Output:
	// saved c1 BLOCKED
	// c1: ACTIVE -> BLOCKED on after_update
	// saved c1 BLOCKED
	// executions=1 skipped=1
}

// on_commit triggers wait for the scope of the operation: Commit runs them,
// Rollback drops them.
func ExampleBeginScope() {
	eng := runtime.New(runtime.Config{})
	defer eng.Close(context.Background())

	err := runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
		Name:    "welcome_owner",
		Events:  []runtime.Event{runtime.AfterCreate},
		Options: runtime.Options{OnCommit: true},
		Actions: []runtime.Action[CardChange]{func(_ context.Context, c *CardChange) error {
			fmt.Println("welcome", c.New.ID)
			return nil
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	insert := func(_ context.Context, c *Card) error {
		fmt.Println("insert", c.ID)
		return nil
	}

	// A transaction that commits.
	ctx, scope := runtime.BeginScope(context.Background())
	if err := CreateCard(ctx, eng, &Card{ID: "c1"}, insert); err != nil {
		fmt.Println(err)
	}
	fmt.Println("commit")
	if err := scope.Commit(ctx); err != nil {
		fmt.Println(err)
	}

	// A transaction that rolls back.
	ctx, scope = runtime.BeginScope(context.Background())
	if err := CreateCard(ctx, eng, &Card{ID: "c2"}, insert); err != nil {
		fmt.Println(err)
	}
	fmt.Println("rollback")
	scope.Rollback()
	// Output:
	// insert c1
	// commit
	// welcome c1
	// insert c2
	// rollback
}

// A bulk trigger runs once per bulk operation with the items whose
// conditions hold.
func ExampleOnBatch() {
	ctx := context.Background()
	eng := runtime.New(runtime.Config{})
	defer eng.Close(ctx)
	err := runtime.OnBatch(eng, CardModel, runtime.BatchTrigger[CardChange, CardBatch]{
		Name:   "blocked_report",
		Events: []runtime.Event{runtime.AfterBulkUpdate},
		Conditions: []runtime.Condition[CardChange]{{
			Description: "Status changed",
			Test:        func(_ context.Context, c *CardChange) bool { return c.StatusChanged() },
		}},
		Actions: []runtime.BatchAction[CardBatch]{func(_ context.Context, b *CardBatch) error {
			for _, c := range b.Items {
				fmt.Printf("%s %s: %s -> %s\n", b.Event, c.New.ID, c.StatusWas(), c.New.Status)
			}
			return nil
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cards := []*Card{{ID: "a", Status: "ACTIVE"}, {ID: "b", Status: "ACTIVE"}}
	old := []Card{SnapshotCard(cards[0]), SnapshotCard(cards[1])}
	cards[1].Status = "BLOCKED"
	if err := UpdateCards(ctx, eng, old, cards, nil); err != nil {
		fmt.Println(err)
	}
	// Output:
	// after_bulk_update b: ACTIVE -> BLOCKED
}
