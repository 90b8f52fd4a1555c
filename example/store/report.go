package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Counts is how many rows each table holds.
type Counts struct {
	Shops, SimCards, Sales, Transfers int
	Notifications, QualityStats       int
	FraudAlerts, FraudAlertsDelivered int
	Assignments, AssignmentCounters   int
	ShopPerformance                   int
}

// Counts returns the number of rows of every table, read in one snapshot.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM shops), (SELECT COUNT(*) FROM sim_cards), (SELECT COUNT(*) FROM sales),
		(SELECT COUNT(*) FROM transfers), (SELECT COUNT(*) FROM notifications),
		(SELECT COUNT(*) FROM quality_stats), (SELECT COUNT(*) FROM fraud_alerts),
		(SELECT COUNT(*) FROM fraud_alerts WHERE delivered_at IS NOT NULL),
		(SELECT COUNT(*) FROM assignments), (SELECT COUNT(*) FROM assignment_counters),
		(SELECT COUNT(*) FROM shop_performance)`).Scan(
		&c.Shops, &c.SimCards, &c.Sales, &c.Transfers, &c.Notifications, &c.QualityStats,
		&c.FraudAlerts, &c.FraudAlertsDelivered, &c.Assignments, &c.AssignmentCounters, &c.ShopPerformance)
	if err != nil {
		return c, fmt.Errorf("count rows: %w", err)
	}
	return c, nil
}

// Notification is a message recorded for a recipient.
type Notification struct {
	ID        int64
	Recipient string
	Message   string
	CreatedAt time.Time
}

// Notifications returns the newest notifications first, at most limit of
// them (all when limit <= 0).
func (s *Store) Notifications(ctx context.Context, limit int) ([]Notification, error) {
	if limit <= 0 {
		limit = -1
	}
	return list(ctx, s.db, "notifications", `SELECT id, recipient, message, created_at FROM notifications
		ORDER BY id DESC LIMIT ?`, []any{limit}, func(sc scanner) (Notification, error) {
		var (
			n     Notification
			stamp string
		)
		if err := sc.Scan(&n.ID, &n.Recipient, &n.Message, &stamp); err != nil {
			return n, err
		}
		var err error
		n.CreatedAt, err = parseTime(stamp)
		return n, err
	})
}

// QualityStat is a shop's SIM card quality statistics.
type QualityStat struct {
	ShopID string
	// Updates counts the quality changes folded in; TotalDelta sums them.
	Updates, TotalDelta int
	// Average is the mean of the new quality scores; Last the latest one.
	Average float64
	Last    int
}

// QualityStats returns every shop's quality statistics, by shop.
func (s *Store) QualityStats(ctx context.Context) ([]QualityStat, error) {
	return list(ctx, s.db, "quality statistics", `SELECT shop_id, updates, total_delta,
		CAST(quality_sum AS REAL) / updates, last_quality FROM quality_stats ORDER BY shop_id`, nil,
		func(sc scanner) (QualityStat, error) {
			var q QualityStat
			return q, sc.Scan(&q.ShopID, &q.Updates, &q.TotalDelta, &q.Average, &q.Last)
		})
}

// AssignmentCounter counts the SIM cards assigned to and released by one
// assignee.
type AssignmentCounter struct {
	Assignee           string
	Assigned, Released int
}

// Assignments returns the assignment log's length and the per-assignee
// counters, by assignee.
func (s *Store) Assignments(ctx context.Context) (int, []AssignmentCounter, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM assignments`).Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("count assignments: %w", err)
	}
	cs, err := list(ctx, s.db, "assignment counters", `SELECT assignee, assigned, released
		FROM assignment_counters ORDER BY assignee`, nil, func(sc scanner) (AssignmentCounter, error) {
		var c AssignmentCounter
		return c, sc.Scan(&c.Assignee, &c.Assigned, &c.Released)
	})
	return n, cs, err
}

// Performance is a shop's sales performance aggregate.
type Performance struct {
	ShopID      string
	Sales       int
	Revenue     float64
	AverageSale float64
}

// Performance returns every shop's sales performance, by shop.
func (s *Store) Performance(ctx context.Context) ([]Performance, error) {
	return list(ctx, s.db, "shop performance", `SELECT shop_id, sales_count, revenue, average_sale
		FROM shop_performance ORDER BY shop_id`, nil, func(sc scanner) (Performance, error) {
		var p Performance
		return p, sc.Scan(&p.ShopID, &p.Sales, &p.Revenue, &p.AverageSale)
	})
}

// list runs a query and scans each row with scan.
func list[T any](ctx context.Context, q querier, what, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

var _ querier = (*sql.DB)(nil)
