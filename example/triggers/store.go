// Package triggers holds the nine SSM triggers of the triggergen example.
// Each is an annotated function; `go generate` turns the annotations into
// Register, which the application calls once at start-up.
//
// The triggers reach the application through a Store carried by the
// context (WithStore), so that they run inside the caller's transaction.
// The one async trigger, sim_card_fraud_alert, runs after that transaction
// has committed, perhaps in another process: it takes the Store bound with
// WithAsyncStore, whose writes run in transactions of their own.
package triggers

//go:generate go run github.com/triggergen/triggergen/cmd/triggergen -doc ../CATALOG.md .

import (
	"context"
	"errors"

	"github.com/triggergen/triggergen/example/models"
)

// Store is what the triggers need from the application.
type Store interface {
	// Notify records a notification for a recipient.
	Notify(ctx context.Context, recipient, message string) error
	// RecordQuality folds a SIM card's quality change into its shop's
	// quality statistics.
	RecordQuality(ctx context.Context, shopID string, old, new int) error
	// FraudAlert raises an alert for the fraud team.
	FraudAlert(ctx context.Context, card models.SimCard) error
	// RecordAssignment logs a SIM card's assignment and updates the
	// per-assignee counters.
	RecordAssignment(ctx context.Context, cardID string, from, to *string) error
	// Shop loads a shop.
	Shop(ctx context.Context, id string) (*models.Shop, error)
	// SaveShop persists a shop (through models.UpdateShop).
	SaveShop(ctx context.Context, old, shop *models.Shop) error
	// RecordPerformance stores a shop's sales performance aggregate.
	RecordPerformance(ctx context.Context, shopID string, sales int, revenue float64) error
}

type storeKey struct{}

// WithStore returns a context whose operations' triggers use s.
func WithStore(ctx context.Context, s Store) context.Context {
	return context.WithValue(ctx, storeKey{}, s)
}

// ErrNoStore is returned by a trigger run with a context that has no Store.
var ErrNoStore = errors.New("triggers: no Store in the context (use triggers.WithStore)")

func storeFrom(ctx context.Context) (Store, error) {
	s, ok := ctx.Value(storeKey{}).(Store)
	if !ok {
		return nil, ErrNoStore
	}
	return s, nil
}

type asyncStoreKey struct{}

// WithAsyncStore returns a context whose async triggers use s. They run
// after the operation's transaction has ended, so s must not be bound to
// it: each of its writes runs in a transaction of its own. With a durable
// queue the worker's context carries none of the operation's values: bind s
// there too (riverqueue.Config.JobContext).
func WithAsyncStore(ctx context.Context, s Store) context.Context {
	return context.WithValue(ctx, asyncStoreKey{}, s)
}

// ErrNoAsyncStore is returned by an async trigger run with a context that
// has no async Store.
var ErrNoAsyncStore = errors.New("triggers: no async Store in the context (use triggers.WithAsyncStore)")

func asyncStoreFrom(ctx context.Context) (Store, error) {
	s, ok := ctx.Value(asyncStoreKey{}).(Store)
	if !ok {
		return nil, ErrNoAsyncStore
	}
	return s, nil
}
