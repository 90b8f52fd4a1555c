package bench

import (
	"context"

	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/reflectengine"
	"github.com/triggergen/triggergen/bench/scenario"
)

// RegisterReflect registers the ten triggers with the reflection engine;
// their actions count into n.
func RegisterReflect(e *reflectengine.Engine, n *scenario.Counters) {
	other := func(context.Context, any, any) error { n.Other++; return nil }
	hook := func(name string, act reflectengine.Action, conds ...reflectengine.Condition) {
		e.Register(reflectengine.Hook{Name: name, Model: "SimCard", Event: "after_update", Priority: 50, Conditions: conds, Action: act})
	}
	hook("activated", func(context.Context, any, any) error { n.Activated++; return nil },
		reflectengine.Condition{Kind: reflectengine.FieldChangedFromTo, Field: "Status", From: models.SimInactive, To: models.SimActive})
	hook("status_changed", func(context.Context, any, any) error { n.StatusChanged++; return nil },
		reflectengine.Condition{Kind: reflectengine.FieldChanged, Field: "Status"})
	hook("fraud", other, reflectengine.Condition{Kind: reflectengine.FieldChangedTo, Field: "FraudFlag", To: true})
	hook("quality_changed", other, reflectengine.Condition{Kind: reflectengine.FieldChanged, Field: "Quality"})
	hook("assigned", other, reflectengine.Condition{Kind: reflectengine.FieldChanged, Field: "AssignedTo"})
	hook("registered_changed", other, reflectengine.Condition{Kind: reflectengine.FieldChanged, Field: "Registered"})
	hook("tags_changed", other, reflectengine.Condition{Kind: reflectengine.FieldChanged, Field: "Tags"})
	hook("blocked", other, reflectengine.Condition{Kind: reflectengine.FieldEquals, Field: "Status", To: models.SimBlocked})
	hook("shop_changed", other, reflectengine.Condition{Kind: reflectengine.FieldChanged, Field: "ShopID"})
	hook("activated_at_changed", other, reflectengine.Condition{Kind: reflectengine.FieldChanged, Field: "ActivatedAt"})
}
