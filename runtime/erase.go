package runtime

import (
	"context"
	"unsafe"
)

// ptr is how the engine holds a model value, a change and a batch.
//
// The engine's code is generic over the model, change and batch types, but
// it is instantiated once, with ptr for all three: the typed functions at
// its edge (NewModel, Do, DoMany, On, OnBatch, SetLoader) convert. Were it
// instantiated per model, each model would cost the compiler the engine's
// dictionaries, type descriptors and method wrappers again: about a third
// of the build of a package of generated models.
//
// The conversions of function values rely on Go's calling convention
// passing every pointer type alike: a func(context.Context, *C) bool called
// as a func(context.Context, unsafe.Pointer) bool receives the same words
// in the same registers. Only functions whose parameters and results
// differ in pointer types (*T for ptr, []*T for []ptr) are converted.
type ptr = unsafe.Pointer

// castFunc returns f as a function of type To, which must differ from
// From only in pointer types (see ptr).
func castFunc[To, From any](f From) To { return *(*To)(unsafe.Pointer(&f)) }

// ptrs returns ms as a []ptr: the same slice, typed as the engine holds it.
func ptrs[M any](ms []*M) []ptr { return *(*[]ptr)(unsafe.Pointer(&ms)) }

// changeView is the layout every change type shares with Change[M]: the
// engine reads a change's event and sides through it.
type changeView struct {
	Event    Event
	Old, New ptr
}

// viewer returns core.view for a model whose ModelSpec.Change is change.
func viewer(change func(ptr) *changeView) func(ptr) (*Event, *ptr, *ptr) {
	return func(c ptr) (*Event, *ptr, *ptr) {
		ch := change(c)
		return &ch.Event, &ch.Old, &ch.New
	}
}

func isNilPtr(p ptr) bool   { return p == nil }
func samePtr(a, b ptr) bool { return a == b }

// eraseActions returns actions as the engine holds them.
func eraseActions[C any, A ~func(context.Context, *C) error](actions []A) []func(context.Context, ptr) error {
	out := make([]func(context.Context, ptr) error, len(actions))
	for i, a := range actions {
		out[i] = castFunc[func(context.Context, ptr) error](a)
	}
	return out
}
