// Package reflectengine is a trigger engine in the style of the original
// Django framework, ported to Go the way such ports are usually written:
// a string-keyed registry of hooks ("SimCard.after_update"), conditions
// that name fields by string, field lookup by name with reflect
// (reflect.Value.FieldByName) and change detection with reflect.DeepEqual,
// hooks sorted by priority at registration.
//
// It exists only as a point of comparison for the benchmarks.
package reflectengine

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
)

// Kind is what a condition tests.
type Kind int

// The condition kinds of the original framework.
const (
	FieldChanged       Kind = iota // old.Field != new.Field
	FieldChangedFromTo             // old.Field == From and new.Field == To (and changed)
	FieldChangedTo                 // changed and new.Field == To
	FieldEquals                    // new.Field == To
)

// Condition is one test on one field, named by string.
type Condition struct {
	Kind  Kind
	Field string
	From  any
	To    any
}

// Action runs when a hook's conditions hold; old and new are the model
// pointers as passed to the operation.
type Action func(ctx context.Context, old, new any) error

// Hook is one registered trigger.
type Hook struct {
	Name       string
	Model      string // the model's type name, e.g. "SimCard"
	Event      string // e.g. "after_update"
	Priority   int    // higher runs first
	Conditions []Condition
	Action     Action
}

// Engine is the registry.
type Engine struct {
	mu    sync.RWMutex
	hooks map[string][]Hook
}

// New returns an empty engine.
func New() *Engine { return &Engine{hooks: map[string][]Hook{}} }

// Register adds h under "Model.event" and keeps the list sorted by
// priority (higher first, ties by name).
func (e *Engine) Register(h Hook) {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := h.Model + "." + h.Event
	hs := append(e.hooks[key], h)
	sort.SliceStable(hs, func(i, j int) bool {
		if hs[i].Priority != hs[j].Priority {
			return hs[i].Priority > hs[j].Priority
		}
		return hs[i].Name < hs[j].Name
	})
	e.hooks[key] = hs
}

// Update runs the before_update hooks, persist, then the after_update hooks
// of new's model. old is the snapshot taken before the change.
func (e *Engine) Update(ctx context.Context, old, new any, persist func(context.Context) error) error {
	model := reflect.TypeOf(new).Elem().Name()
	if err := e.fire(ctx, model+".before_update", old, new); err != nil {
		return err
	}
	if err := persist(ctx); err != nil {
		return err
	}
	return e.fire(ctx, model+".after_update", old, new)
}

func (e *Engine) fire(ctx context.Context, key string, old, new any) error {
	e.mu.RLock()
	hs := e.hooks[key]
	e.mu.RUnlock()
	var errs []error
	for i := range hs {
		h := &hs[i]
		if !holds(h.Conditions, old, new) {
			continue
		}
		if err := h.Action(ctx, old, new); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func holds(conds []Condition, old, new any) bool {
	for _, c := range conds {
		o := field(old, c.Field)
		n := field(new, c.Field)
		changed := !reflect.DeepEqual(o, n)
		switch c.Kind {
		case FieldChanged:
			if !changed {
				return false
			}
		case FieldChangedFromTo:
			if !changed || !reflect.DeepEqual(o, c.From) || !reflect.DeepEqual(n, c.To) {
				return false
			}
		case FieldChangedTo:
			if !changed || !reflect.DeepEqual(n, c.To) {
				return false
			}
		case FieldEquals:
			if !reflect.DeepEqual(n, c.To) {
				return false
			}
		}
	}
	return true
}

// field reads the named field of the struct x points to.
func field(x any, name string) any {
	return reflect.ValueOf(x).Elem().FieldByName(name).Interface()
}
