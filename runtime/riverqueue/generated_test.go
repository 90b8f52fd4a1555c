package riverqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

// TestGeneratedCodecThroughRiver runs an async trigger of a generated model
// (example/models.Transfer: strings, an int, a named string, a pointer, a
// slice, a map of times and a time) through a River job: the worker sees
// the change exactly as the operation made it.
func TestGeneratedCodecThroughRiver(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		got := make(chan models.TransferChange, 1)
		f := newFixture(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, models.TransferModel, runtime.Trigger[models.TransferChange]{
				Name: "transfer_shipped", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
				Conditions: []runtime.Condition[models.TransferChange]{{Description: "Stage changed", Test: func(_ context.Context, c *models.TransferChange) bool {
					return c.StageChanged()
				}}},
				Actions: []runtime.Action[models.TransferChange]{func(_ context.Context, c *models.TransferChange) error {
					got <- *c
					return nil
				}},
			}))
		})
		at := time.Date(2026, 11, 30, 9, 30, 15, 123456789, time.FixedZone("CET", 3600))
		old := models.Transfer{
			ID: "t1", Reference: "ref \"7\"\n", FromShopID: "a", ToShopID: "b", Quantity: 3,
			Stage: models.TransferApproved, History: []string{}, StageTimes: map[string]time.Time{"APPROVED": at},
			UpdatedAt: at,
		}
		cur := models.SnapshotTransfer(&old)
		courier := "Dana ✓"
		cur.Stage, cur.Courier = models.TransferShipped, &courier
		cur.History = append(cur.History, "APPROVED->SHIPPED")
		cur.StageTimes["SHIPPED"] = at.Add(time.Hour)
		cur.UpdatedAt = at.Add(time.Hour)
		require.NoError(t, models.UpdateTransfer(context.Background(), f.eng, &old, &cur,
			func(context.Context, *models.Transfer) error { return nil }))
		select {
		case c := <-got:
			assert.Equal(t, runtime.AfterUpdate, c.Event)
			for _, pair := range [][2]*models.Transfer{{&old, c.Old}, {&cur, c.New}} {
				d := models.DiffTransfer(pair[0], pair[1])
				assert.False(t, d.Changed(), "fields changed in the round trip: %v", d.ChangedFields())
			}
			assert.NotNil(t, c.Old.History, "an empty slice stays empty, not nil")
			assert.Nil(t, c.Old.Courier)
			assert.Equal(t, "Dana ✓", *c.New.Courier)
		case <-time.After(20 * time.Second):
			t.Fatal("the job did not run")
		}
	})
}
