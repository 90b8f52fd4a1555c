package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

const transferColumns = `id, reference, from_shop_id, to_shop_id, quantity, stage, courier, history, stage_times, updated_at`

// Transfer loads a transfer; an unknown id wraps runtime.ErrNotFound.
func (s *Store) Transfer(ctx context.Context, id string) (*models.Transfer, error) {
	return loadTransfer(ctx, s.db, id)
}

// Transfer loads a transfer in the transaction.
func (t *Tx) Transfer(ctx context.Context, id string) (*models.Transfer, error) {
	return loadTransfer(ctx, t.tx, id)
}

// CreateTransfer saves a new transfer in its own transaction.
func (s *Store) CreateTransfer(ctx context.Context, eng *runtime.Engine, tr *models.Transfer) error {
	return s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error { return t.CreateTransfer(ctx, tr) })
}

// AdvanceTransfer moves a transfer to stage in its own transaction: see
// Tx.AdvanceTransfer.
func (s *Store) AdvanceTransfer(ctx context.Context, eng *runtime.Engine, id string, stage models.TransferStage) (*models.Transfer, error) {
	var tr *models.Transfer
	err := s.InTx(ctx, eng, func(ctx context.Context, t *Tx) error {
		var err error
		tr, err = t.AdvanceTransfer(ctx, id, stage)
		return err
	})
	return tr, err
}

// CreateTransfer saves a new transfer through models.CreateTransfer; an
// empty Stage is set to TransferRequested.
func (t *Tx) CreateTransfer(ctx context.Context, tr *models.Transfer) error {
	if tr.Stage == "" {
		tr.Stage = models.TransferRequested
	}
	if err := models.CreateTransfer(t.bind(ctx), t.eng, tr, t.insertTransfer); err != nil {
		return fmt.Errorf("create transfer %q: %w", tr.ID, err)
	}
	return nil
}

// AdvanceTransfer loads a transfer, sets its stage and saves it through
// models.UpdateTransfer: the transfer workflow trigger moves the stock
// between the shops in the same transaction. It returns the transfer as
// saved.
func (t *Tx) AdvanceTransfer(ctx context.Context, id string, stage models.TransferStage) (*models.Transfer, error) {
	tr, err := t.Transfer(ctx, id)
	if err != nil {
		return nil, err
	}
	old := models.SnapshotTransfer(tr)
	tr.Stage = stage
	if err := models.UpdateTransfer(t.bind(ctx), t.eng, &old, tr, t.updateTransfer); err != nil {
		return nil, fmt.Errorf("advance transfer %q to %s: %w", id, stage, err)
	}
	return tr, nil
}

func (t *Tx) insertTransfer(ctx context.Context, tr *models.Transfer) error {
	if tr.ID == "" {
		return errors.New("transfer has no ID")
	}
	history, times, err := encodeTransferJSON(tr)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO transfers (`+transferColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tr.ID, tr.Reference, tr.FromShopID, tr.ToShopID, tr.Quantity, string(tr.Stage), nullString(tr.Courier), history, times, formatTime(tr.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert transfer: %w", err)
	}
	return nil
}

func (t *Tx) updateTransfer(ctx context.Context, tr *models.Transfer) error {
	history, times, err := encodeTransferJSON(tr)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE transfers SET reference = ?, from_shop_id = ?, to_shop_id = ?, quantity = ?,
		stage = ?, courier = ?, history = ?, stage_times = ?, updated_at = ? WHERE id = ?`,
		tr.Reference, tr.FromShopID, tr.ToShopID, tr.Quantity, string(tr.Stage), nullString(tr.Courier), history, times, formatTime(tr.UpdatedAt), tr.ID)
	if err != nil {
		return fmt.Errorf("update transfer: %w", err)
	}
	return checkOne(res, "transfer", tr.ID)
}

func loadTransfer(ctx context.Context, q querier, id string) (*models.Transfer, error) {
	var (
		tr                               models.Transfer
		stage, history, times, updatedAt string
		courier                          sql.NullString
	)
	err := q.QueryRowContext(ctx, `SELECT `+transferColumns+` FROM transfers WHERE id = ?`, id).
		Scan(&tr.ID, &tr.Reference, &tr.FromShopID, &tr.ToShopID, &tr.Quantity, &stage, &courier, &history, &times, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("transfer", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load transfer %q: %w", id, err)
	}
	tr.Stage = models.TransferStage(stage)
	if courier.Valid {
		tr.Courier = &courier.String
	}
	if err := decodeJSON(history, &tr.History); err != nil {
		return nil, fmt.Errorf("load transfer %q: %w", id, err)
	}
	if err := decodeJSON(times, &tr.StageTimes); err != nil {
		return nil, fmt.Errorf("load transfer %q: %w", id, err)
	}
	if tr.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return nil, fmt.Errorf("load transfer %q: %w", id, err)
	}
	return &tr, nil
}

// encodeTransferJSON encodes a transfer's history and stage times.
func encodeTransferJSON(tr *models.Transfer) (history, times string, err error) {
	if history, err = encodeJSON(tr.History); err != nil {
		return "", "", err
	}
	if times, err = encodeJSON(tr.StageTimes); err != nil {
		return "", "", err
	}
	return history, times, nil
}
