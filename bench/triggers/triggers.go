// Package triggers declares the benchmark's ten SimCard triggers as
// annotated functions. An update from INACTIVE to ACTIVE matches exactly
// two of them (Activated and StatusChanged).
package triggers

//go:generate go run github.com/triggergen/triggergen/cmd/triggergen .

import (
	"context"

	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/scenario"
)

// Count is what the actions did; the benchmarks reset and check it.
var Count scenario.Counters

// Activated counts activations.
//
//trigger:on SimCard after_update
//trigger:when Status changed from SimInactive to SimActive
func Activated(context.Context, *models.SimCardChange) error {
	Count.Activated++
	return nil
}

// StatusChanged counts status changes.
//
//trigger:on SimCard after_update
//trigger:when Status changed
func StatusChanged(context.Context, *models.SimCardChange) error {
	Count.StatusChanged++
	return nil
}

// Fraud must not fire.
//
//trigger:on SimCard after_update
//trigger:when FraudFlag changed to true
func Fraud(context.Context, *models.SimCardChange) error { Count.Other++; return nil }

// QualityChanged must not fire.
//
//trigger:on SimCard after_update
//trigger:when Quality changed
func QualityChanged(context.Context, *models.SimCardChange) error { Count.Other++; return nil }

// Assigned must not fire.
//
//trigger:on SimCard after_update
//trigger:when AssignedTo changed
func Assigned(context.Context, *models.SimCardChange) error { Count.Other++; return nil }

// RegisteredChanged must not fire.
//
//trigger:on SimCard after_update
//trigger:when Registered changed
func RegisteredChanged(context.Context, *models.SimCardChange) error { Count.Other++; return nil }

// TagsChanged must not fire.
//
//trigger:on SimCard after_update
//trigger:when Tags changed
func TagsChanged(context.Context, *models.SimCardChange) error { Count.Other++; return nil }

// Blocked must not fire.
//
//trigger:on SimCard after_update
//trigger:when Status == SimBlocked
func Blocked(context.Context, *models.SimCardChange) error { Count.Other++; return nil }

// ShopChanged must not fire.
//
//trigger:on SimCard after_update
//trigger:when ShopID changed
func ShopChanged(context.Context, *models.SimCardChange) error { Count.Other++; return nil }

// ActivatedAtChanged must not fire.
//
//trigger:on SimCard after_update
//trigger:when ActivatedAt changed
func ActivatedAtChanged(context.Context, *models.SimCardChange) error { Count.Other++; return nil }
