// Package models holds the benchmark's SimCard: ten tracked fields of the
// kinds a real model has (strings, a named string type, bool, int, a
// pointer, a time and a slice). triggergen generates its change tracking
// and lifecycle functions into triggers_gen.go.
package models

import "time"

// SimStatus is the lifecycle state of a SIM card.
type SimStatus string

// The SIM card states.
const (
	SimInactive SimStatus = "INACTIVE"
	SimActive   SimStatus = "ACTIVE"
	SimBlocked  SimStatus = "BLOCKED"
)

// SimCard is the model every implementation updates. GORM stores it too
// (BenchmarkGORMUpdate): ID is its primary key by GORM's convention and
// Tags a JSON column.
//
//trigger:model
type SimCard struct {
	ID           string `trigger:"key"`
	SerialNumber string
	Status       SimStatus
	FraudFlag    bool
	Quality      int
	ShopID       string
	AssignedTo   *string
	Registered   bool
	ActivatedAt  time.Time
	Tags         []string `gorm:"serializer:json"`
}
