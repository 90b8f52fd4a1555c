package runtime_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// TestDeferredBeforeTriggersAreRefused checks that a before trigger cannot
// be async or on_commit: deferred work runs after the write, where it can
// no longer edit the change or stop the write (the generator refuses the
// same combination).
func TestDeferredBeforeTriggersAreRefused(t *testing.T) {
	eng := runtime.New(runtime.Config{})
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	act := []runtime.Action[CardChange]{func(context.Context, *CardChange) error { return nil }}
	for _, tc := range []struct {
		name            string
		async, onCommit bool
	}{{"async", true, false}, {"on_commit", false, true}} {
		err := runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
			Name: "deferred_" + tc.name, Events: []runtime.Event{runtime.AfterUpdate, runtime.BeforeSave},
			Options: runtime.Options{Async: tc.async, OnCommit: tc.onCommit}, Actions: act,
		})
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), "before_save runs before the write")
	}
	require.NoError(t, runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
		Name: "deferred_after", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true, OnCommit: true}, Actions: act,
	}))
}
