// Package schema is the ent schema of the benchmark's SimCard: the same ten
// fields as models.SimCard.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// SimCard holds the schema definition for the SimCard entity.
type SimCard struct {
	ent.Schema
}

// Fields of the SimCard.
func (SimCard) Fields() []ent.Field {
	return []ent.Field{
		field.String("id"),
		field.String("serial_number"),
		field.Enum("status").Values("INACTIVE", "ACTIVE", "BLOCKED"),
		field.Bool("fraud_flag").Default(false),
		field.Int("quality").Default(0),
		field.String("shop_id").Default(""),
		field.String("assigned_to").Optional().Nillable(),
		field.Bool("registered").Default(false),
		field.Time("activated_at"),
		field.Strings("tags").Optional(),
	}
}
