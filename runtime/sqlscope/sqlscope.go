// Package sqlscope binds triggergen's transaction scopes to database/sql
// transactions: InTx runs a function in a transaction and a scope bound to
// it, so that on_commit work runs only after the commit and durable queues
// (runtime/riverqueue) insert async jobs in the same transaction; Tx gives
// a persist function that transaction.
//
// The core (package runtime) knows scopes, not SQL: runtime.BeginTxScope
// binds a scope to any transaction value, and this package is the helper
// for database/sql.
package sqlscope

import (
	"context"
	"database/sql"
	"errors"

	"github.com/triggergen/triggergen/runtime"
)

// InTx runs fn in a database/sql transaction and a scope bound to it
// (runtime.BeginTxScope). When fn returns nil the transaction commits and
// then the scope's on_commit work runs, and InTx returns that work's errors
// joined; otherwise, or when the commit fails, both roll back and the
// error is returned.
//
// Run the operations of the transaction with the ctx fn receives: that is
// what carries the scope.
func InTx(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	sctx, s := runtime.BeginTxScope(ctx, tx)
	if err := fn(sctx, tx); err != nil {
		s.Rollback()
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		s.Rollback()
		return err
	}
	return s.Commit(ctx)
}

// Tx returns the *sql.Tx of the innermost scope ctx carries (InTx's, or one
// given to runtime.BeginTxScope), or nil outside such a scope, so that a
// persist function writes in the operation's transaction when there is
// one:
//
//	if tx := sqlscope.Tx(ctx); tx != nil { _, err = tx.ExecContext(ctx, ...) }
func Tx(ctx context.Context) *sql.Tx {
	tx, _ := runtime.ScopeFrom(ctx).Tx().(*sql.Tx)
	return tx
}

// ignoreDone drops sql.ErrTxDone: the transaction fn was given was already
// finished by fn itself.
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
