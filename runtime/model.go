package runtime

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/triggergen/triggergen/runtime/field"
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
	// Encode appends the JSON form of the instance's tracked fields to dst,
	// and Decode sets them from such JSON (generated EncodeM and DecodeM).
	// Durable queues store changes with them; both are nil when the model
	// has a field with no JSON form, and NoCodec then says which.
	Encode func(dst []byte, m *M) ([]byte, error)
	Decode func(data []byte, m *M) error
	// NoCodec explains why Encode and Decode are nil ("" when they are set).
	NoCodec string
	// Fields are the Go names of the tracked fields in declaration order;
	// the generated MField constants index it.
	Fields []string
	// ChangedSet reports which tracked fields differ between a change's Old
	// and New (the generated MChange.ChangedSet).
	ChangedSet func(*C) field.Set
}

// Model is the typed descriptor of one model type. Generated code creates one
// per model (MModel); registration, programmatic triggers and loaders take it.
// One Model serves any number of engines.
type Model[M, C, B any] struct {
	spec ModelSpec[M, C, B]
	core *core[ptr, ptr, ptr]
}

// core is what the engine needs of a model, in terms of pointers only: the
// engine's generic code is instantiated once, with ptr (see erase.go), so
// that a program's build time does not grow with the engine's size times
// its number of models.
type core[M, C, B any] struct {
	name   string
	events []string
	key    func(M) string
	// snapshot returns a deep copy in new memory.
	snapshot func(M) M
	// view returns pointers to a change's Event, Old and New.
	view func(C) (*Event, *M, *M)
	// newFrame allocates, in one piece, a frame with its change and zero value.
	newFrame func() *frame[M, C, B]
	// newFrameNoZero allocates a frame with its change only, for changes
	// whose Old and New are both the caller's.
	newFrameNoZero func() *frame[M, C, B]
	// newChange allocates an empty change.
	newChange func() C
	// copyChange copies src's fields into dst.
	copyChange func(dst, src C)
	// clear empties a change and a zero value for reuse.
	clear func(C, M)
	// isNil and same compare pointers: with type parameters constrained by
	// any, Go compiles the engine once for all pointer types, which it does
	// not for comparable ones.
	isNil func(M) bool
	same  func(a, b M) bool
	// batch returns a batch of copies of the items.
	batch func(ev Event, items []C) B
	// encode and decode are the model's codec (nil without one, and
	// noCodec says why): durable queues store changes with them.
	encode  func(dst []byte, m M) ([]byte, error) // appends to dst
	decode  func([]byte) (M, error)
	noCodec string
	// last caches the model's state in the engine used last, so that the
	// usual single-engine program skips the engine's map lookup.
	// A box, not an atomic.Pointer[T], whose methods Go would compile once
	// per model.
	last atomic.Pointer[box] // holds a *modelState[M, C, B]
}

// NewModel returns the descriptor for spec. Generated code calls it; a
// hand-written spec must set every function field.
func NewModel[M, C, B any](spec ModelSpec[M, C, B]) *Model[M, C, B] {
	m := &Model[M, C, B]{spec: spec}
	// Only what needs M's, C's or B's layout is a closure here (Go compiles
	// it once per model); the rest converts function values (erase.go).
	m.core = &core[ptr, ptr, ptr]{
		name:   spec.Name,
		events: spec.Events,
		key:    castFunc[func(ptr) string](spec.Key),
		snapshot: func(v ptr) ptr {
			s := spec.Snapshot((*M)(v))
			return ptr(&s)
		},
		view: viewer(castFunc[func(ptr) *changeView](spec.Change)),
		newFrame: func() *frame[ptr, ptr, ptr] {
			s := new(struct {
				_ [0]func() // not comparable: Go compiles no equality for it
				f frame[ptr, ptr, ptr]
				c C
				z M
			})
			s.f.change, s.f.zero = ptr(&s.c), ptr(&s.z)
			return &s.f
		},
		newFrameNoZero: func() *frame[ptr, ptr, ptr] {
			s := new(struct {
				_ [0]func()
				f frame[ptr, ptr, ptr]
				c C
			})
			s.f.change = ptr(&s.c)
			return &s.f
		},
		newChange:  func() ptr { return ptr(new(C)) },
		isNil:      isNilPtr,
		same:       samePtr,
		copyChange: func(dst, src ptr) { *(*C)(dst) = *(*C)(src) },
		clear: func(c, z ptr) {
			var zc C
			var zm M
			*(*C)(c), *(*M)(z) = zc, zm
		},
		batch: func(ev Event, items []ptr) ptr {
			cs := make([]C, len(items))
			for i, it := range items {
				cs[i] = *(*C)(it)
			}
			return ptr(spec.Batch(&Batch[C]{Event: ev, Items: cs}))
		},
		noCodec: spec.NoCodec,
	}
	if spec.Encode != nil && spec.Decode != nil {
		m.core.encode = castFunc[func([]byte, ptr) ([]byte, error)](spec.Encode)
		m.core.decode = func(data []byte) (ptr, error) {
			v := new(M)
			return ptr(v), spec.Decode(data, v)
		}
	} else if m.core.noCodec == "" {
		m.core.noCodec = "its ModelSpec has no Encode and Decode"
	}
	return m
}

// Spec returns what the generated code told the runtime about the model:
// its name, custom events and tracked fields, and its typed functions (Key,
// Snapshot, ChangedSet, the codec). A Model has no methods, so that a
// program's models cost the compiler nothing beyond their generated code;
// code that is generic over models, such as an ORM plugin, reads them here.
func Spec[M, C, B any](m *Model[M, C, B]) ModelSpec[M, C, B] {
	s := m.spec
	s.Events, s.Fields = slices.Clone(s.Events), slices.Clone(s.Fields)
	return s
}

// EventName returns the name of e for model: the snake_case name of a
// built-in event, the declared name of a custom one.
func EventName[M, C, B any](model *Model[M, C, B], e Event) string {
	return coreEventName(model.core, e)
}

func coreEvent[M, C, B any](c *core[M, C, B], name string) (Event, bool) {
	if e, ok := ParseEvent(name); ok {
		return e, true
	}
	for i, n := range c.events {
		if n == name {
			return FirstCustomEvent + Event(i), true
		}
	}
	return 0, false
}

func coreEventName[M, C, B any](c *core[M, C, B], e Event) string {
	if e.isCustom() {
		if i := int(e - FirstCustomEvent); i < len(c.events) {
			return c.events[i]
		}
	}
	return e.String()
}

func coreValidEvent[M, C, B any](c *core[M, C, B], e Event) bool {
	return e.isBuiltin() || (e.isCustom() && int(e-FirstCustomEvent) < len(c.events))
}

// SetLoader registers the loader Engine.Execute uses for the model's
// instances. Generated code exposes it as SetMLoader. load returns an error
// wrapping ErrNotFound when there is no instance with the key.
func SetLoader[M, C, B any](eng *Engine, model *Model[M, C, B], load func(ctx context.Context, key string) (*M, error)) {
	setLoader(eng, model.core, castFunc[func(context.Context, string) (ptr, error)](load))
}

func setLoader(eng *Engine, model *core[ptr, ptr, ptr], load func(ctx context.Context, key string) (ptr, error)) {
	st := stateFor(eng, model)
	st.loadMu.Lock()
	st.loader = load
	st.cache = nil
	st.loadMu.Unlock()
}
