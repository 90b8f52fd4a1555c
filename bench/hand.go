package bench

import (
	"context"
	"slices"

	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/scenario"
)

// HandWritten is the floor: the ten triggers as plain if-statements that
// compare the snapshot taken before the change with the new value, around
// the save.
func HandWritten(ctx context.Context, old, c *models.SimCard, n *scenario.Counters, persist func(context.Context, *models.SimCard) error) error {
	if err := persist(ctx, c); err != nil {
		return err
	}
	if old.Status != c.Status && old.Status == models.SimInactive && c.Status == models.SimActive {
		n.Activated++
	}
	if old.Status != c.Status {
		n.StatusChanged++
	}
	if old.FraudFlag != c.FraudFlag && c.FraudFlag {
		n.Other++
	}
	if old.Quality != c.Quality {
		n.Other++
	}
	if (old.AssignedTo == nil) != (c.AssignedTo == nil) || old.AssignedTo != nil && *old.AssignedTo != *c.AssignedTo {
		n.Other++
	}
	if old.Registered != c.Registered {
		n.Other++
	}
	if !slices.Equal(old.Tags, c.Tags) {
		n.Other++
	}
	if c.Status == models.SimBlocked {
		n.Other++
	}
	if old.ShopID != c.ShopID {
		n.Other++
	}
	if !old.ActivatedAt.Equal(c.ActivatedAt) {
		n.Other++
	}
	return nil
}
