package runtime

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Change is the shape every generated change type shares: the event being
// handled and the instance before and after the operation. Generated code
// converts between Change[M] and its own MChange type, which has the same
// fields plus typed accessors.
//
// Old and New are never nil while triggers run: on create Old points to a
// zero value, on delete New does, so `old.F` on create and `new.F` on delete
// read as zero values.
type Change[M any] struct {
	Event    Event
	Old, New *M
}

// Batch is the shape every generated batch type shares: a bulk event and the
// per-item changes.
type Batch[C any] struct {
	Event Event
	Items []C
}

// ModelSpec is what generated code tells the runtime about a model type M
// with change type C and batch type B.
type ModelSpec[M, C, B any] struct {
	// Name is the model's type name, as triggers and records show it.
	Name string
	// Events are the declared custom events, numbered from FirstCustomEvent.
	Events []string
	// Key returns the instance's key (its ID) for records and loaders.
	Key func(*M) string
	// Snapshot returns a deep copy of the instance.
	Snapshot func(*M) M
	// Change views a C as the Change it is.
	Change func(*C) *Change[M]
	// Batch views a Batch of C as the B it is.
	Batch func(*Batch[C]) *B
}

// Model is the typed descriptor of one model type. Generated code creates one
// per model (MModel); registration, programmatic triggers and loaders take it.
// One Model serves any number of engines.
type Model[M, C, B any] struct {
	spec ModelSpec[M, C, B]
	// last caches the model's state in the engine used last, so that the
	// usual single-engine program skips the engine's map lookup.
	last atomic.Pointer[modelState[M, C, B]]
}

// NewModel returns the descriptor for spec. Generated code calls it; a
// hand-written spec must set every function field.
func NewModel[M, C, B any](spec ModelSpec[M, C, B]) *Model[M, C, B] {
	return &Model[M, C, B]{spec: spec}
}

// Name returns the model's name.
func (m *Model[M, C, B]) Name() string { return m.spec.Name }

// Key returns the key of the instance.
func (m *Model[M, C, B]) Key(v *M) string { return m.spec.Key(v) }

// Snapshot returns a deep copy of the instance.
func (m *Model[M, C, B]) Snapshot(v *M) M { return m.spec.Snapshot(v) }

// CustomEvents returns the model's declared custom event names in order.
func (m *Model[M, C, B]) CustomEvents() []string {
	return append([]string(nil), m.spec.Events...)
}

// Event returns the event with the given name: a built-in one or one of the
// model's custom events.
func (m *Model[M, C, B]) Event(name string) (Event, bool) {
	if e, ok := ParseEvent(name); ok {
		return e, true
	}
	for i, n := range m.spec.Events {
		if n == name {
			return FirstCustomEvent + Event(i), true
		}
	}
	return 0, false
}

// EventName returns the name of e for this model: its declared name for a
// custom event.
func (m *Model[M, C, B]) EventName(e Event) string {
	if e.IsCustom() {
		if i := int(e - FirstCustomEvent); i < len(m.spec.Events) {
			return m.spec.Events[i]
		}
	}
	return e.String()
}

func (m *Model[M, C, B]) validEvent(e Event) bool {
	return e.IsBuiltin() || (e.IsCustom() && int(e-FirstCustomEvent) < len(m.spec.Events))
}

// Loader loads the instance of a model with the given key; it returns an
// error wrapping ErrNotFound when there is none.
type Loader[M any] func(ctx context.Context, key string) (*M, error)

// SetLoader registers the loader Engine.Execute uses for the model's
// instances. Generated code exposes it as SetMLoader.
func SetLoader[M, C, B any](eng *Engine, model *Model[M, C, B], load Loader[M]) {
	st := stateFor(eng, model)
	st.loadMu.Lock()
	st.loader = load
	st.cache = nil
	st.loadMu.Unlock()
}

// String returns "model <Name>".
func (m *Model[M, C, B]) String() string { return fmt.Sprintf("model %s", m.spec.Name) }
