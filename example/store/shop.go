package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

const shopColumns = `id, name, status, stock, sales_count, revenue, rating, attributes, updated_at`

// Shop loads a shop; an unknown id wraps runtime.ErrNotFound.
func (s *Store) Shop(ctx context.Context, id string) (*models.Shop, error) {
	return loadShop(ctx, s.db, id)
}

// Shops returns every shop, by ID.
func (s *Store) Shops(ctx context.Context) ([]models.Shop, error) {
	return list(ctx, s.db, "shops", `SELECT `+shopColumns+` FROM shops ORDER BY id`, nil,
		func(sc scanner) (models.Shop, error) {
			sh, err := scanShop(sc)
			if err != nil {
				return models.Shop{}, err
			}
			return *sh, nil
		})
}

// Shop loads a shop in the transaction (triggers.Store).
func (t *Tx) Shop(ctx context.Context, id string) (*models.Shop, error) {
	return loadShop(ctx, t.tx, id)
}

// CreateShop saves a new shop in its own transaction.
func (s *Store) CreateShop(ctx context.Context, eng *runtime.Engine, shop *models.Shop) error {
	return s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error { return t.CreateShop(ctx, shop) })
}

// UpdateShop saves shop in its own transaction; old is
// models.SnapshotShop(shop) taken before the edits.
func (s *Store) UpdateShop(ctx context.Context, eng *runtime.Engine, old, shop *models.Shop) error {
	return s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error { return t.UpdateShop(ctx, old, shop) })
}

// EditShop loads a shop, applies edit and saves it, in its own transaction,
// and returns the shop as saved.
func (s *Store) EditShop(ctx context.Context, eng *runtime.Engine, id string, edit func(*models.Shop)) (*models.Shop, error) {
	var shop *models.Shop
	err := s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error {
		var err error
		shop, err = t.EditShop(ctx, id, edit)
		return err
	})
	return shop, err
}

// CreateShop saves a new shop through models.CreateShop. A zero UpdatedAt is
// set to the engine's clock.
func (t *Tx) CreateShop(ctx context.Context, shop *models.Shop) error {
	if shop.UpdatedAt.IsZero() {
		shop.UpdatedAt = t.now()
	}
	if err := models.CreateShop(t.bind(ctx), t.eng, shop, t.insertShop); err != nil {
		return fmt.Errorf("create shop %q: %w", shop.ID, err)
	}
	return nil
}

// UpdateShop saves shop through models.UpdateShop, with UpdatedAt set to the
// engine's clock; old is models.SnapshotShop(shop) taken before the edits.
func (t *Tx) UpdateShop(ctx context.Context, old, shop *models.Shop) error {
	shop.UpdatedAt = t.now()
	if err := models.UpdateShop(t.bind(ctx), t.eng, old, shop, t.updateShop); err != nil {
		return fmt.Errorf("update shop %q: %w", shop.ID, err)
	}
	return nil
}

// SaveShop is UpdateShop, for the triggers (triggers.Store): the shop's own
// triggers run, nested in the operation that saves it.
func (t *Tx) SaveShop(ctx context.Context, old, shop *models.Shop) error {
	return t.UpdateShop(ctx, old, shop)
}

// EditShop loads a shop, applies edit and saves it through
// models.UpdateShop, and returns the shop as saved.
func (t *Tx) EditShop(ctx context.Context, id string, edit func(*models.Shop)) (*models.Shop, error) {
	shop, err := t.Shop(ctx, id)
	if err != nil {
		return nil, err
	}
	old := models.SnapshotShop(shop)
	edit(shop)
	if err := t.UpdateShop(ctx, &old, shop); err != nil {
		return nil, err
	}
	return shop, nil
}

func (t *Tx) insertShop(ctx context.Context, sh *models.Shop) error {
	if sh.ID == "" {
		return errors.New("shop has no ID")
	}
	attrs, err := encodeJSON(sh.Attributes)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO shops (`+shopColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sh.ID, sh.Name, string(sh.Status), sh.Stock, sh.SalesCount, sh.Revenue, sh.Rating, attrs, formatTime(sh.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert shop: %w", err)
	}
	return nil
}

func (t *Tx) updateShop(ctx context.Context, sh *models.Shop) error {
	attrs, err := encodeJSON(sh.Attributes)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE shops SET name = ?, status = ?, stock = ?, sales_count = ?,
		revenue = ?, rating = ?, attributes = ?, updated_at = ? WHERE id = ?`,
		sh.Name, string(sh.Status), sh.Stock, sh.SalesCount, sh.Revenue, sh.Rating, attrs, formatTime(sh.UpdatedAt), sh.ID)
	if err != nil {
		return fmt.Errorf("update shop: %w", err)
	}
	return checkOne(res, "shop", sh.ID)
}

func loadShop(ctx context.Context, q querier, id string) (*models.Shop, error) {
	sh, err := scanShop(q.QueryRowContext(ctx, `SELECT `+shopColumns+` FROM shops WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("shop", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load shop %q: %w", id, err)
	}
	return sh, nil
}

func scanShop(sc scanner) (*models.Shop, error) {
	var (
		sh                   models.Shop
		status, attrs, stamp string
	)
	err := sc.Scan(&sh.ID, &sh.Name, &status, &sh.Stock, &sh.SalesCount, &sh.Revenue, &sh.Rating, &attrs, &stamp)
	if err != nil {
		return nil, err
	}
	sh.Status = models.ShopStatus(status)
	if sh.UpdatedAt, err = parseTime(stamp); err != nil {
		return nil, err
	}
	if err := decodeJSON(attrs, &sh.Attributes); err != nil {
		return nil, err
	}
	return &sh, nil
}
