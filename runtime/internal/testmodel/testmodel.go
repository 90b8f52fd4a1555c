// Package testmodel is a model written by hand the way triggergen generates
// one, for the tests of the runtime's subpackages that need a model and
// nothing of their own: Item, with a JSON codec for durable jobs.
package testmodel

import (
	"encoding/json"

	"github.com/triggergen/triggergen/runtime"
)

// Item is the model.
type Item struct {
	ID    string
	Price int
}

// ItemChange is Item's change type, shaped like runtime.Change[Item].
type ItemChange struct {
	Event    runtime.Event
	Old, New *Item
}

// ItemBatch is Item's batch type, shaped like runtime.Batch[ItemChange].
type ItemBatch struct {
	Event runtime.Event
	Items []ItemChange
}

// ItemModel describes Item to the engine, with encoding/json as its codec.
var ItemModel = runtime.NewModel(runtime.ModelSpec[Item, ItemChange, ItemBatch]{
	Name:     "Item",
	Key:      func(i *Item) string { return i.ID },
	Snapshot: func(i *Item) Item { return *i },
	Change:   func(c *ItemChange) *runtime.Change[Item] { return (*runtime.Change[Item])(c) },
	Batch:    func(b *runtime.Batch[ItemChange]) *ItemBatch { return (*ItemBatch)(b) },
	Encode: func(dst []byte, i *Item) ([]byte, error) {
		b, err := json.Marshal(i)
		return append(dst, b...), err
	},
	Decode: func(data []byte, i *Item) error { return json.Unmarshal(data, i) },
})
