package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

const saleColumns = `id, COALESCE(shop_id, ''), COALESCE(sim_card_id, ''), amount, sold_at`

// Sale loads a sale; an unknown id wraps runtime.ErrNotFound.
func (s *Store) Sale(ctx context.Context, id string) (*models.Sale, error) {
	return loadSale(ctx, s.db, id)
}

// RecordSale records a sale in its own transaction: see Tx.RecordSale.
func (s *Store) RecordSale(ctx context.Context, eng *runtime.Engine, sale *models.Sale) error {
	return s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error { return t.RecordSale(ctx, sale) })
}

// RecordSale saves a new sale through models.CreateSale (its triggers take
// the card out of the shop's stock), then marks the SIM card sold through
// models.UpdateSimCard. A zero SoldAt is set to the engine's clock.
func (t *Tx) RecordSale(ctx context.Context, sale *models.Sale) error {
	if sale.SoldAt.IsZero() {
		sale.SoldAt = t.now()
	}
	if err := models.CreateSale(t.bind(ctx), t.eng, sale, t.insertSale); err != nil {
		return fmt.Errorf("record sale %q: %w", sale.ID, err)
	}
	if sale.SimCardID == "" {
		return nil
	}
	card, err := t.SimCard(ctx, sale.SimCardID)
	if err != nil {
		return fmt.Errorf("record sale %q: %w", sale.ID, err)
	}
	if card.Status == models.SimSold {
		return nil
	}
	old := models.SnapshotSimCard(card)
	card.Status = models.SimSold
	if err := t.UpdateSimCard(ctx, &old, card); err != nil {
		return fmt.Errorf("record sale %q: %w", sale.ID, err)
	}
	return nil
}

func (t *Tx) insertSale(ctx context.Context, s *models.Sale) error {
	if s.ID == "" {
		return errors.New("sale has no ID")
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO sales (id, shop_id, sim_card_id, amount, sold_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, emptyNull(s.ShopID), emptyNull(s.SimCardID), s.Amount, formatTime(s.SoldAt))
	if err != nil {
		return fmt.Errorf("insert sale: %w", err)
	}
	return nil
}

func loadSale(ctx context.Context, q querier, id string) (*models.Sale, error) {
	var (
		s     models.Sale
		stamp string
	)
	err := q.QueryRowContext(ctx, `SELECT `+saleColumns+` FROM sales WHERE id = ?`, id).
		Scan(&s.ID, &s.ShopID, &s.SimCardID, &s.Amount, &stamp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("sale", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load sale %q: %w", id, err)
	}
	if s.SoldAt, err = parseTime(stamp); err != nil {
		return nil, fmt.Errorf("load sale %q: %w", id, err)
	}
	return &s, nil
}
