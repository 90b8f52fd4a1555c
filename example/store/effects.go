package store

import (
	"context"
	"fmt"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

// This file holds the Tx's side of triggers.Store: the work the triggers do,
// written in the transaction of the operation that ran them.

// Notify records a notification for a recipient (triggers.Store).
func (t *Tx) Notify(ctx context.Context, recipient, message string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO notifications (recipient, message, created_at) VALUES (?, ?, ?)`,
		recipient, message, formatTime(t.now()))
	if err != nil {
		return fmt.Errorf("notify %s: %w", recipient, err)
	}
	return nil
}

// RecordQuality folds a SIM card's quality change from old to new into its
// shop's quality statistics (triggers.Store).
func (t *Tx) RecordQuality(ctx context.Context, shopID string, old, new int) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO quality_stats
		(shop_id, updates, total_delta, quality_sum, last_quality, updated_at) VALUES (?, 1, ?, ?, ?, ?)
		ON CONFLICT (shop_id) DO UPDATE SET updates = updates + 1,
			total_delta = total_delta + excluded.total_delta, quality_sum = quality_sum + excluded.quality_sum,
			last_quality = excluded.last_quality, updated_at = excluded.updated_at`,
		shopID, new-old, new, new, formatTime(t.now()))
	if err != nil {
		return fmt.Errorf("record quality of shop %s: %w", shopID, err)
	}
	return nil
}

// FraudAlert records an alert for the fraud team in fraud_alerts and, when
// the Store has a Notifier, delivers it once the transaction commits
// (triggers.Store). A rolled-back transaction leaves no alert and delivers
// none.
func (t *Tx) FraudAlert(ctx context.Context, card models.SimCard) error {
	a := FraudAlert{
		SimCardID: card.ID, SerialNumber: card.SerialNumber, ShopID: card.ShopID,
		CardStatus: card.Status, RaisedAt: t.now(),
	}
	res, err := t.tx.ExecContext(ctx, `INSERT INTO fraud_alerts
		(sim_card_id, serial_number, shop_id, card_status, raised_at) VALUES (?, ?, ?, ?, ?)`,
		a.SimCardID, a.SerialNumber, emptyNull(a.ShopID), string(a.CardStatus), formatTime(a.RaisedAt))
	if err != nil {
		return fmt.Errorf("record fraud alert for SIM card %s: %w", card.ID, err)
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("record fraud alert for SIM card %s: %w", card.ID, err)
	}
	if n := t.s.Notifier; n != nil {
		// Deliver after the commit; the scope drops this on rollback.
		return runtime.ScopeFrom(ctx).AfterCommit(ctx, func(ctx context.Context) error {
			t.s.deliver(ctx, n, a, t.now)
			return nil
		})
	}
	return nil
}

// RecordAssignment logs a SIM card's move from one assignee to another
// (either may be nil) and updates the per-assignee counters
// (triggers.Store).
func (t *Tx) RecordAssignment(ctx context.Context, cardID string, from, to *string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO assignments (sim_card_id, from_assignee, to_assignee, at)
		VALUES (?, ?, ?, ?)`, cardID, nullString(from), nullString(to), formatTime(t.now()))
	if err != nil {
		return fmt.Errorf("record assignment of SIM card %s: %w", cardID, err)
	}
	if to != nil {
		if err := t.count(ctx, *to, 1, 0); err != nil {
			return err
		}
	}
	if from != nil {
		return t.count(ctx, *from, 0, 1)
	}
	return nil
}

func (t *Tx) count(ctx context.Context, assignee string, assigned, released int) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO assignment_counters (assignee, assigned, released) VALUES (?, ?, ?)
		ON CONFLICT (assignee) DO UPDATE SET assigned = assigned + excluded.assigned,
			released = released + excluded.released`, assignee, assigned, released)
	if err != nil {
		return fmt.Errorf("count assignments of %s: %w", assignee, err)
	}
	return nil
}

// RecordPerformance stores a shop's sales performance aggregate
// (triggers.Store).
func (t *Tx) RecordPerformance(ctx context.Context, shopID string, sales int, revenue float64) error {
	avg := 0.0
	if sales > 0 {
		avg = revenue / float64(sales)
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO shop_performance (shop_id, sales_count, revenue, average_sale, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (shop_id) DO UPDATE SET sales_count = excluded.sales_count, revenue = excluded.revenue,
			average_sale = excluded.average_sale, updated_at = excluded.updated_at`,
		shopID, sales, revenue, avg, formatTime(t.now()))
	if err != nil {
		return fmt.Errorf("record performance of shop %s: %w", shopID, err)
	}
	return nil
}
