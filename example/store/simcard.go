package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

const simCardColumns = `id, serial_number, status, fraud_flag, quality, COALESCE(shop_id, ''),
	assigned_to, registered, activated_at, tags, notes`

// SimCard loads a SIM card; an unknown id wraps runtime.ErrNotFound.
func (s *Store) SimCard(ctx context.Context, id string) (*models.SimCard, error) {
	return loadSimCard(ctx, s.db, id)
}

// SimCard loads a SIM card in the transaction.
func (t *Tx) SimCard(ctx context.Context, id string) (*models.SimCard, error) {
	return loadSimCard(ctx, t.tx, id)
}

// CreateSimCard saves a new SIM card in its own transaction.
func (s *Store) CreateSimCard(ctx context.Context, eng *runtime.Engine, card *models.SimCard) error {
	return s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error { return t.CreateSimCard(ctx, card) })
}

// UpdateSimCard saves card in its own transaction; old is
// models.SnapshotSimCard(card) taken before the edits. The before triggers'
// edits show in card even when the transaction rolls back.
func (s *Store) UpdateSimCard(ctx context.Context, eng *runtime.Engine, old, card *models.SimCard) error {
	return s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error { return t.UpdateSimCard(ctx, old, card) })
}

// EditSimCard loads a SIM card, applies edit and saves it, in its own
// transaction, and returns the card as saved.
func (s *Store) EditSimCard(ctx context.Context, eng *runtime.Engine, id string, edit func(*models.SimCard)) (*models.SimCard, error) {
	var card *models.SimCard
	err := s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error {
		var err error
		card, err = t.EditSimCard(ctx, id, edit)
		return err
	})
	return card, err
}

// CreateSimCard saves a new SIM card through models.CreateSimCard.
func (t *Tx) CreateSimCard(ctx context.Context, card *models.SimCard) error {
	if err := models.CreateSimCard(t.bind(ctx), t.eng, card, t.insertSimCard); err != nil {
		return fmt.Errorf("create SIM card %q: %w", card.ID, err)
	}
	return nil
}

// UpdateSimCard saves card through models.UpdateSimCard; old is
// models.SnapshotSimCard(card) taken before the edits.
func (t *Tx) UpdateSimCard(ctx context.Context, old, card *models.SimCard) error {
	if err := models.UpdateSimCard(t.bind(ctx), t.eng, old, card, t.updateSimCard); err != nil {
		return fmt.Errorf("update SIM card %q: %w", card.ID, err)
	}
	return nil
}

// EditSimCard loads a SIM card, applies edit and saves it through
// models.UpdateSimCard, and returns the card as saved.
func (t *Tx) EditSimCard(ctx context.Context, id string, edit func(*models.SimCard)) (*models.SimCard, error) {
	card, err := t.SimCard(ctx, id)
	if err != nil {
		return nil, err
	}
	old := models.SnapshotSimCard(card)
	edit(card)
	if err := t.UpdateSimCard(ctx, &old, card); err != nil {
		return nil, err
	}
	return card, nil
}

func (t *Tx) insertSimCard(ctx context.Context, c *models.SimCard) error {
	if c.ID == "" {
		return errors.New("SIM card has no ID")
	}
	tags, err := encodeJSON(c.Tags)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO sim_cards (id, serial_number, status, fraud_flag, quality,
		shop_id, assigned_to, registered, activated_at, tags, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.SerialNumber, string(c.Status), c.FraudFlag, c.Quality, emptyNull(c.ShopID),
		nullString(c.AssignedTo), c.Registered, formatTime(c.ActivatedAt), tags, c.Notes)
	if err != nil {
		return fmt.Errorf("insert SIM card: %w", err)
	}
	return nil
}

func (t *Tx) updateSimCard(ctx context.Context, c *models.SimCard) error {
	tags, err := encodeJSON(c.Tags)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE sim_cards SET serial_number = ?, status = ?, fraud_flag = ?,
		quality = ?, shop_id = ?, assigned_to = ?, registered = ?, activated_at = ?, tags = ?, notes = ?
		WHERE id = ?`,
		c.SerialNumber, string(c.Status), c.FraudFlag, c.Quality, emptyNull(c.ShopID), nullString(c.AssignedTo),
		c.Registered, formatTime(c.ActivatedAt), tags, c.Notes, c.ID)
	if err != nil {
		return fmt.Errorf("update SIM card: %w", err)
	}
	return checkOne(res, "SIM card", c.ID)
}

func loadSimCard(ctx context.Context, q querier, id string) (*models.SimCard, error) {
	c, err := scanSimCard(q.QueryRowContext(ctx, `SELECT `+simCardColumns+` FROM sim_cards WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("SIM card", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load SIM card %q: %w", id, err)
	}
	return c, nil
}

func scanSimCard(sc scanner) (*models.SimCard, error) {
	var (
		c               models.SimCard
		status          string
		assigned        sql.NullString
		activated, tags string
	)
	err := sc.Scan(&c.ID, &c.SerialNumber, &status, &c.FraudFlag, &c.Quality, &c.ShopID,
		&assigned, &c.Registered, &activated, &tags, &c.Notes)
	if err != nil {
		return nil, err
	}
	c.Status = models.SimStatus(status)
	c.AssignedTo = stringPtr(assigned)
	if c.ActivatedAt, err = parseTime(activated); err != nil {
		return nil, err
	}
	if err := decodeJSON(tags, &c.Tags); err != nil {
		return nil, err
	}
	return &c, nil
}

// notFound is the error of an unknown id: it wraps runtime.ErrNotFound, as
// Engine.Execute's loaders must.
func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, runtime.ErrNotFound)
}
