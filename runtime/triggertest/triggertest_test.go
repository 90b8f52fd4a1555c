package triggertest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/triggertest"
)

// A minimal model, written the way triggergen generates one.
type Lamp struct {
	ID string
	On bool
}

type LampChange struct {
	Event    runtime.Event
	Old, New *Lamp
}

type LampBatch struct {
	Event runtime.Event
	Items []LampChange
}

var LampModel = runtime.NewModel(runtime.ModelSpec[Lamp, LampChange, LampBatch]{
	Name:     "Lamp",
	Key:      func(m *Lamp) string { return m.ID },
	Snapshot: func(m *Lamp) Lamp { return *m },
	Change:   func(c *LampChange) *runtime.Change[Lamp] { return (*runtime.Change[Lamp])(c) },
	Batch:    func(b *runtime.Batch[LampChange]) *LampBatch { return (*LampBatch)(b) },
})

func TestHelpers(t *testing.T) {
	clock := triggertest.NewClock(time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC))
	eng := triggertest.New(t, runtime.Config{Clock: clock.Now})
	fails := 1
	require.NoError(t, runtime.On(eng, LampModel, runtime.Trigger[LampChange]{
		Name:   "night_light",
		Events: []runtime.Event{runtime.AfterUpdate},
		Conditions: []runtime.Condition[LampChange]{
			runtime.TimeBetween[LampChange](eng, 22*time.Hour, 6*time.Hour),
		},
		Options: runtime.Options{Retries: 1, Backoff: time.Millisecond},
		Actions: []runtime.Action[LampChange]{func(context.Context, *LampChange) error {
			if fails > 0 {
				fails--
				return errors.New("flaky")
			}
			return nil
		}},
	}))
	ctx := context.Background()
	lamp := &Lamp{ID: "l1"}
	require.NoError(t, runtime.Do(ctx, eng, LampModel, runtime.OpUpdate, &Lamp{ID: "l1"}, lamp, nil))
	triggertest.AssertRan(t, eng, "night_light", 1)

	clock.Advance(8 * time.Hour) // 07:00: outside the window
	require.NoError(t, runtime.Do(ctx, eng, LampModel, runtime.OpUpdate, &Lamp{ID: "l1"}, lamp, nil))
	triggertest.AssertRan(t, eng, "night_light", 1)

	rec := triggertest.Records(eng)
	require.NotNil(t, rec)
	assert.Len(t, rec.Records(), 2, "one record per attempt")
	assert.Equal(t, []string{"l1"}, rec.Keys("night_light"), "one key per run")
	logs := eng.Logs(runtime.LogFilter{Outcome: runtime.OutcomeFailure})
	require.Len(t, logs, 1)
	assert.Equal(t, "flaky", logs[0].Error)
	rec.Reset()
	assert.Empty(t, rec.Records())
}

func TestAssertions(t *testing.T) {
	eng := triggertest.New(t, runtime.Config{})
	require.NoError(t, runtime.On(eng, LampModel, runtime.Trigger[LampChange]{
		Name: "noop", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[LampChange]{func(context.Context, *LampChange) error { return nil }},
	}))
	triggertest.AssertNotRan(t, eng, "noop")

	probe := &fakeTB{}
	triggertest.AssertRan(probe, eng, "noop", 3)
	assert.Equal(t, []string{"trigger noop ran 0 times, want 3"}, probe.errors, "a wrong count fails the test")
}

func TestWaitAsync(t *testing.T) {
	eng := triggertest.New(t, runtime.Config{})
	require.NoError(t, runtime.On(eng, LampModel, runtime.Trigger[LampChange]{
		Name: "later", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
		Actions: []runtime.Action[LampChange]{func(context.Context, *LampChange) error {
			time.Sleep(20 * time.Millisecond)
			return nil
		}},
	}))
	for range 2 {
		require.NoError(t, runtime.Do(context.Background(), eng, LampModel, runtime.OpCreate, nil, &Lamp{}, nil))
	}
	triggertest.WaitAsync(t, eng, 2)
	triggertest.AssertRan(t, eng, "later", 2)

	probe := &fakeTB{}
	other := runtime.New(runtime.Config{Queue: silentQueue{}})
	triggertest.WaitAsync(probe, other, 1)
	assert.Equal(t, []string{"the engine's queue triggertest_test.silentQueue does not report QueueStats"}, probe.errors)
}

// silentQueue is a queue that reports no figures.
type silentQueue struct{}

func (silentQueue) Enqueue(ctx context.Context, j runtime.Job) error { return j.Run(ctx) }
func (silentQueue) Close(context.Context) error                      { return nil }

// fakeTB records the failures the helpers report.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
