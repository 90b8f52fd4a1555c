package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

// statusWatcher registers an after_update trigger that records the status
// changes it sees.
func statusWatcher(t *testing.T) (*runtime.Engine, *[]string) {
	t.Helper()
	eng := runtime.New(runtime.Config{})
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	var seen []string
	require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[models.SimCardChange]{
		Name:   "status_watch",
		Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[models.SimCardChange]{{Description: "Status changed",
			Test: func(_ context.Context, c *models.SimCardChange) bool { return c.StatusChanged() }}},
		Actions: []runtime.Action[models.SimCardChange]{func(_ context.Context, c *models.SimCardChange) error {
			seen = append(seen, string(c.StatusWas())+"->"+string(c.New.Status))
			return nil
		}},
	}))
	return eng, &seen
}

func TestEditTakesTheSnapshot(t *testing.T) {
	eng, seen := statusWatcher(t)
	card := &models.SimCard{ID: "c1", Status: models.SimInactive}
	var saved models.SimCard
	persist := func(_ context.Context, c *models.SimCard) error { saved = *c; return nil }

	require.NoError(t, models.EditSimCard(context.Background(), eng, card, func(c *models.SimCard) error {
		c.Status = models.SimActive
		return nil
	}, persist))
	assert.Equal(t, []string{"INACTIVE->ACTIVE"}, *seen)
	assert.Equal(t, models.SimActive, saved.Status)

	// An edit that fails runs nothing and saves nothing.
	saved = models.SimCard{}
	boom := errors.New("invalid")
	err := models.EditSimCard(context.Background(), eng, card, func(c *models.SimCard) error {
		c.Status = models.SimBlocked
		return boom
	}, persist)
	require.ErrorIs(t, err, boom)
	assert.Len(t, *seen, 1)
	assert.Empty(t, saved.ID)
}

func TestUpdateWithTheSamePointerIsAnError(t *testing.T) {
	eng, seen := statusWatcher(t)
	card := &models.SimCard{ID: "c1", Status: models.SimInactive}
	card.Status = models.SimActive
	called := false
	err := models.UpdateSimCard(context.Background(), eng, card, card, func(context.Context, *models.SimCard) error {
		called = true
		return nil
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "same pointer")
	assert.Contains(t, err.Error(), "EditSimCard")
	assert.False(t, called, "persist must not run")
	assert.Empty(t, *seen)

	// The bulk form checks every item.
	olds := []models.SimCard{{ID: "a"}, {ID: "b"}}
	err = models.UpdateSimCards(context.Background(), eng, olds, []*models.SimCard{&olds[0], &olds[1]}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "same pointer")
}

func TestModelDiffAndFields(t *testing.T) {
	old := models.SimCard{ID: "c1", Tags: []string{"a"}}
	cur := models.SnapshotSimCard(&old)
	cur.Quality = 7
	cur.Tags[0] = "b"
	cur.Notes = "untracked"
	c := models.DiffSimCard(&old, &cur)
	set := c.ChangedSet()
	fields := runtime.Spec(models.SimCardModel).Fields
	var names []string
	for i, f := range fields {
		if set.Has(uint16(i)) {
			names = append(names, f)
		}
	}
	assert.Equal(t, []string{"Quality", "Tags"}, names)
	assert.Equal(t, []models.SimCardField{models.SimCardFieldQuality, models.SimCardFieldTags}, c.ChangedFields())
	assert.Equal(t, "ID", fields[models.SimCardFieldID])
	same := models.DiffSimCard(&old, &old)
	assert.True(t, same.ChangedSet().Empty())
	assert.False(t, same.Changed())
}
