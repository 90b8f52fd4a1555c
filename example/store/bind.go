package store

import (
	"context"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
)

// Bind returns ctx carrying a triggers.Store, as both the Store and the
// async Store, for triggers run outside InTx: the ones Engine.Execute runs
// for an operator, and async triggers in a durable queue's worker. Each of
// its writes runs in a transaction of its own (a shop it saves, together
// with the shop's own triggers). Wrap the management API's requests with
// it, and set it as the durable queue's riverqueue.Config.JobContext.
func (s *Store) Bind(ctx context.Context, eng *runtime.Engine) context.Context {
	a := autoStore{s: s, eng: eng}
	return triggers.WithAsyncStore(triggers.WithStore(ctx, a), a)
}

// autoStore is a triggers.Store that runs each write in its own transaction.
type autoStore struct {
	s   *Store
	eng *runtime.Engine
}

var _ triggers.Store = autoStore{}

func (a autoStore) do(ctx context.Context, fn func(ctx context.Context, t *Tx) error) error {
	return a.s.InTx(ctx, a.eng, fn)
}

func (a autoStore) Notify(ctx context.Context, recipient, message string) error {
	return a.do(ctx, func(ctx context.Context, t *Tx) error { return t.Notify(ctx, recipient, message) })
}

func (a autoStore) RecordQuality(ctx context.Context, shopID string, old, new int) error {
	return a.do(ctx, func(ctx context.Context, t *Tx) error { return t.RecordQuality(ctx, shopID, old, new) })
}

func (a autoStore) FraudAlert(ctx context.Context, card models.SimCard) error {
	return a.do(ctx, func(ctx context.Context, t *Tx) error { return t.FraudAlert(ctx, card) })
}

func (a autoStore) RecordAssignment(ctx context.Context, cardID string, from, to *string) error {
	return a.do(ctx, func(ctx context.Context, t *Tx) error { return t.RecordAssignment(ctx, cardID, from, to) })
}

func (a autoStore) Shop(ctx context.Context, id string) (*models.Shop, error) {
	return a.s.Shop(ctx, id)
}

func (a autoStore) SaveShop(ctx context.Context, old, shop *models.Shop) error {
	return a.do(ctx, func(ctx context.Context, t *Tx) error { return t.SaveShop(ctx, old, shop) })
}

func (a autoStore) RecordPerformance(ctx context.Context, shopID string, sales int, revenue float64) error {
	return a.do(ctx, func(ctx context.Context, t *Tx) error { return t.RecordPerformance(ctx, shopID, sales, revenue) })
}
