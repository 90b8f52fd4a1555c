package runtime

import "strconv"

// Event names a point in a model's lifecycle at which triggers run.
//
// The built-in events are numbered from 1; custom events declared with
// `//trigger:model events=...` are numbered per model from FirstCustomEvent.
// The zero Event is "no event".
type Event uint8

// The built-in events.
const (
	BeforeCreate Event = iota + 1
	AfterCreate
	BeforeUpdate
	AfterUpdate
	BeforeSave
	AfterSave
	BeforeDelete
	AfterDelete
	BeforeBulkCreate
	AfterBulkCreate
	BeforeBulkUpdate
	AfterBulkUpdate
	BeforeBulkDelete
	AfterBulkDelete
)

// Manual is the event of a run an operator asks for: Engine.Execute with
// Manual runs a trigger's actions on an instance whatever events it is
// registered for, and its change, records and CurrentRun name the event
// "custom", as the original framework's API calls a manual run. It is not a
// lifecycle event: no operation fires it and no trigger registers for it.
const Manual Event = 63

// FirstCustomEvent is the number of a model's first declared custom event;
// the next ones follow in declaration order.
const FirstCustomEvent Event = 64

var eventNames = [...]string{
	BeforeCreate:     "before_create",
	AfterCreate:      "after_create",
	BeforeUpdate:     "before_update",
	AfterUpdate:      "after_update",
	BeforeSave:       "before_save",
	AfterSave:        "after_save",
	BeforeDelete:     "before_delete",
	AfterDelete:      "after_delete",
	BeforeBulkCreate: "before_bulk_create",
	AfterBulkCreate:  "after_bulk_create",
	BeforeBulkUpdate: "before_bulk_update",
	AfterBulkUpdate:  "after_bulk_update",
	BeforeBulkDelete: "before_bulk_delete",
	AfterBulkDelete:  "after_bulk_delete",
}

// String returns the snake_case name of a built-in event ("after_update"),
// "custom_<n>" for a custom event (the engine names those by their declared
// names), "custom" for Manual and "none" for the zero Event.
func (e Event) String() string {
	switch {
	case e == 0:
		return "none"
	case e == Manual:
		return "custom"
	case int(e) < len(eventNames) && eventNames[e] != "":
		return eventNames[e]
	default:
		return "custom_" + strconv.Itoa(int(e))
	}
}

// ParseEvent returns the built-in event with the given snake_case name.
func ParseEvent(name string) (Event, bool) {
	for e := BeforeCreate; e <= AfterBulkDelete; e++ {
		if eventNames[e] == name {
			return e, true
		}
	}
	return 0, false
}

// isBuiltin reports whether e is one of the built-in events.
func (e Event) isBuiltin() bool { return e >= BeforeCreate && e <= AfterBulkDelete }

// isCustom reports whether e is a custom event number.
func (e Event) isCustom() bool { return e >= FirstCustomEvent }

// IsBulk reports whether e is one of the bulk events.
func (e Event) IsBulk() bool { return e >= BeforeBulkCreate && e <= AfterBulkDelete }

// IsBefore reports whether e runs before the write (before_*).
func (e Event) IsBefore() bool {
	switch e {
	case BeforeCreate, BeforeUpdate, BeforeSave, BeforeDelete,
		BeforeBulkCreate, BeforeBulkUpdate, BeforeBulkDelete:
		return true
	}
	return false
}

// IsDelete reports whether e belongs to a delete operation.
func (e Event) IsDelete() bool {
	return e == BeforeDelete || e == AfterDelete || e == BeforeBulkDelete || e == AfterBulkDelete
}
