package riverqueue_test

// This file stands in for what triggergen generates for two models: Order,
// with a codec, and Note, without one. The codec here uses encoding/json for
// brevity; generated codecs are typed and use no reflection.

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/triggergen/triggergen/runtime"
)

// Order is an order.
type Order struct {
	ID     string
	Status string
	Amount int
	Tags   []string
}

type OrderChange struct {
	Event    runtime.Event
	Old, New *Order
}

type OrderBatch struct {
	Event runtime.Event
	Items []OrderChange
}

var OrderModel = runtime.NewModel(runtime.ModelSpec[Order, OrderChange, OrderBatch]{
	Name: "Order",
	Key:  func(m *Order) string { return m.ID },
	Snapshot: func(m *Order) Order {
		s := *m
		s.Tags = slices.Clone(m.Tags)
		return s
	},
	Change: func(c *OrderChange) *runtime.Change[Order] { return (*runtime.Change[Order])(c) },
	Batch:  func(b *runtime.Batch[OrderChange]) *OrderBatch { return (*OrderBatch)(b) },
	Encode: func(dst []byte, m *Order) ([]byte, error) {
		b, err := json.Marshal(m)
		return append(dst, b...), err
	},
	Decode: func(data []byte, m *Order) error { return json.Unmarshal(data, m) },
})

func CreateOrder(ctx context.Context, eng *runtime.Engine, m *Order, persist func(context.Context, *Order) error) error {
	return runtime.Do(ctx, eng, OrderModel, runtime.OpCreate, nil, m, persist)
}

func UpdateOrder(ctx context.Context, eng *runtime.Engine, old, m *Order, persist func(context.Context, *Order) error) error {
	return runtime.Do(ctx, eng, OrderModel, runtime.OpUpdate, old, m, persist)
}

func UpdateOrders(ctx context.Context, eng *runtime.Engine, old []Order, ms []*Order, persist func(context.Context, []*Order) error) error {
	return runtime.DoMany(ctx, eng, OrderModel, runtime.OpUpdate, old, ms, persist)
}

// Note is a model with a field that has no JSON form.
type Note struct {
	ID   string
	Ping chan int
}

type NoteChange struct {
	Event    runtime.Event
	Old, New *Note
}

type NoteBatch struct {
	Event runtime.Event
	Items []NoteChange
}

var NoteModel = runtime.NewModel(runtime.ModelSpec[Note, NoteChange, NoteBatch]{
	Name:     "Note",
	Key:      func(m *Note) string { return m.ID },
	Snapshot: func(m *Note) Note { return *m },
	Change:   func(c *NoteChange) *runtime.Change[Note] { return (*runtime.Change[Note])(c) },
	Batch:    func(b *runtime.Batch[NoteChange]) *NoteBatch { return (*NoteBatch)(b) },
	NoCodec:  "field Ping: a chan has no JSON form",
})
