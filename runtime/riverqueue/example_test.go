package riverqueue_test

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/riverqueue"
)

// With PostgreSQL through pgx, InPgxTx runs the operations in one
// transaction: persist writes in it, and the jobs of async triggers are
// inserted in it, so that they exist if and only if the order does.
func ExampleInPgxTx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://localhost/app")
	if err != nil {
		return
	}
	defer pool.Close()
	q, err := riverqueue.OpenPostgres(ctx, pool, riverqueue.Config{})
	if err != nil {
		return
	}
	eng := runtime.New(runtime.Config{Queue: q})
	defer eng.Close(ctx)

	order := &Order{ID: "o1", Status: "paid"}
	err = riverqueue.InPgxTx(ctx, pool, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		return CreateOrder(ctx, eng, order, func(ctx context.Context, o *Order) error {
			_, err := tx.Exec(ctx, `INSERT INTO orders (id, status) VALUES ($1, $2)`, o.ID, o.Status)
			return err
		})
	})
	_ = err
}
