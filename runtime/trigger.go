package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Priorities of the `priority` directive; higher runs first.
const (
	PriorityCritical = 100
	PriorityHigh     = 75
	PriorityNormal   = 50
	PriorityLow      = 25
)

// Condition is a named test of a change. All of a trigger's conditions must
// hold for it to run. A condition must not keep c after it returns.
type Condition[C any] struct {
	// Description is shown in listings, the API and records; for generated
	// triggers it is the condition's source text.
	Description string
	Test        func(ctx context.Context, c *C) bool
}

// Action is one step of a trigger; a trigger runs its actions in order and
// stops at the first error.
type Action[C any] func(ctx context.Context, c *C) error

// BatchAction is one step of a bulk trigger.
type BatchAction[B any] func(ctx context.Context, b *B) error

// Options are how a trigger runs: its place among the triggers of an
// operation, whether it runs now or later, its retries, timeout and initial
// state. Trigger and BatchTrigger embed them at registration, TriggerInfo
// reports them, and the generator reads them from the directives.
type Options struct {
	// Priority orders triggers of one operation, higher first, ties by name.
	// Zero means PriorityNormal.
	Priority int
	// Async runs the trigger on the engine's queue after the operation.
	Async bool
	// Queue names the queue for async runs ("" is the default queue).
	Queue string
	// OnCommit defers the run until the surrounding Scope commits.
	OnCommit bool
	// Retries is how many times a failed run is retried.
	Retries int
	// Backoff is the first retry delay (default 100ms), doubled each retry.
	Backoff time.Duration
	// Timeout bounds each attempt; zero means none for synchronous runs.
	Timeout time.Duration
	// Disabled registers the trigger switched off.
	Disabled bool
	// Source is where the trigger is declared (file:line), for listings.
	Source string
}

// Trigger is a per-instance trigger of a model with change type C. Generated
// Register functions build these from annotations; applications may register
// their own with On.
type Trigger[C any] struct {
	// Name is unique in the engine; snake_case by convention.
	Name string
	// Description says what the trigger does.
	Description string
	// Events the trigger runs on: built-in per-item events or the model's
	// custom events.
	Events []Event
	// Conditions must all hold for the trigger to run.
	Conditions []Condition[C]
	// Actions run in order; the chain stops at the first error.
	Actions []Action[C]
	// Options are how it runs.
	Options
}

// BatchTrigger is a bulk trigger: it runs once per bulk operation with the
// items whose conditions hold, and not at all when none do.
type BatchTrigger[C, B any] struct {
	// Name is unique in the engine; snake_case by convention.
	Name string
	// Description says what the trigger does.
	Description string
	// Events must be bulk events.
	Events []Event
	// Conditions are tested per item.
	Conditions []Condition[C]
	// Actions run in order with the matching items; the chain stops at the
	// first error.
	Actions []BatchAction[B]
	// Options are how it runs.
	Options
}

// TriggerError is a trigger's failure as an operation returns it.
type TriggerError struct {
	Trigger string
	Err     error
}

// Error returns "trigger <name>: <error>".
func (e *TriggerError) Error() string { return "trigger " + e.Trigger + ": " + e.Err.Error() }

// Unwrap returns the trigger's own error.
func (e *TriggerError) Unwrap() error { return e.Err }

var (
	// ErrMaxDepth is returned by an operation nested deeper than
	// Config.MaxDepth through triggers that save other models.
	ErrMaxDepth = errors.New("triggergen: maximum trigger depth exceeded")
	// ErrNotFound is wrapped by loaders for unknown keys and returned for
	// unknown triggers.
	ErrNotFound = errors.New("triggergen: not found")
	// ErrClosed is returned by operations and Execute after Close, before
	// they persist or load anything, and by async work queued after Close.
	ErrClosed = errors.New("triggergen: engine is closed")
	// ErrNilEngine is returned by lifecycle functions, registration and
	// Execute given a nil *Engine, before anything runs: an operation without
	// an engine would persist with every before trigger (every validation)
	// skipped.
	ErrNilEngine = errors.New("triggergen: nil *Engine (create one with runtime.New)")
)

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix: a trigger returning it
// is not retried. errors.Is and errors.As see through the mark.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// All holds when every condition holds. Its description joins theirs with "and".
func All[C any](conds ...Condition[C]) Condition[C] {
	return Condition[C]{
		Description: joinDescriptions(conds, " and "),
		Test: func(ctx context.Context, c *C) bool {
			for _, cd := range conds {
				if !cd.Test(ctx, c) {
					return false
				}
			}
			return true
		},
	}
}

// Any holds when at least one condition holds.
func Any[C any](conds ...Condition[C]) Condition[C] {
	return Condition[C]{
		Description: joinDescriptions(conds, " or "),
		Test: func(ctx context.Context, c *C) bool {
			for _, cd := range conds {
				if cd.Test(ctx, c) {
					return true
				}
			}
			return false
		},
	}
}

// Not holds when cond does not.
func Not[C any](cond Condition[C]) Condition[C] {
	return Condition[C]{
		Description: "not (" + cond.Description + ")",
		Test:        func(ctx context.Context, c *C) bool { return !cond.Test(ctx, c) },
	}
}

// HasRole holds when the actor in the context has the role.
func HasRole[C any](role string) Condition[C] {
	return Condition[C]{
		Description: "role " + role,
		Test:        func(ctx context.Context, _ *C) bool { return ActorHasRole(ctx, role) },
	}
}

// TimeBetween holds when the engine's clock reads a time of day in
// [start, end), given as durations after midnight; the window may wrap
// midnight (22*time.Hour to 6*time.Hour).
func TimeBetween[C any](eng *Engine, start, end time.Duration) Condition[C] {
	return Condition[C]{
		Description: "time " + clockString(start) + "-" + clockString(end),
		Test:        func(context.Context, *C) bool { return ClockWindow(eng.clock(), start, end) },
	}
}

// Weekdays holds when the engine's clock reads a weekday in from..to
// inclusive (time.Friday to time.Monday wraps the week).
func Weekdays[C any](eng *Engine, from, to time.Weekday) Condition[C] {
	d := "weekday " + dayString(from)
	if to != from {
		d += "-" + dayString(to)
	}
	return Condition[C]{
		Description: d,
		Test:        func(context.Context, *C) bool { return WeekdayIn(eng.clock(), from, to) },
	}
}

func joinDescriptions[C any](conds []Condition[C], sep string) string {
	parts := make([]string, len(conds))
	for i, c := range conds {
		parts[i] = c.Description
		if len(conds) > 1 && strings.ContainsAny(c.Description, " ") {
			parts[i] = "(" + c.Description + ")"
		}
	}
	return strings.Join(parts, sep)
}

func clockString(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func dayString(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }
