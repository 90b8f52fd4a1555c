// Package models is the SSM (SIM and shop management) domain of the
// triggergen example: SIM cards sold through shops, with sales and stock
// transfers between shops.
package models

//go:generate go run github.com/triggergen/triggergen/cmd/triggergen .

import "time"

// SimStatus is the lifecycle state of a SIM card.
type SimStatus string

// The SIM card states.
const (
	SimInactive SimStatus = "INACTIVE"
	SimActive   SimStatus = "ACTIVE"
	SimBlocked  SimStatus = "BLOCKED"
	SimSold     SimStatus = "SOLD"
)

// SimCard is a SIM card in stock, sold or active.
//
//trigger:model events=fraud_review,port_out
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
	Notes        string   `trigger:"-"`
	cache        int
}

// ShopStatus is whether a shop trades.
type ShopStatus string

// The shop states.
const (
	ShopOpen      ShopStatus = "OPEN"
	ShopSuspended ShopStatus = "SUSPENDED"
	ShopClosed    ShopStatus = "CLOSED"
)

// Shop sells SIM cards.
//
//trigger:model
type Shop struct {
	ID         string
	Name       string
	Status     ShopStatus
	Stock      int
	SalesCount int
	Revenue    float64
	Rating     float64
	Attributes map[string]string `gorm:"serializer:json"`
	UpdatedAt  time.Time
}

// Sale is a SIM card sold by a shop.
//
//trigger:model
type Sale struct {
	ID        string
	ShopID    string
	SimCardID string
	Amount    float64
	SoldAt    time.Time
}

// TransferStage is where a stock transfer between shops stands.
type TransferStage string

// The transfer stages, in order.
const (
	TransferRequested TransferStage = "REQUESTED"
	TransferApproved  TransferStage = "APPROVED"
	TransferShipped   TransferStage = "SHIPPED"
	TransferReceived  TransferStage = "RECEIVED"
	TransferRejected  TransferStage = "REJECTED"
)

// Transfer moves SIM cards from one shop to another.
//
//trigger:model
type Transfer struct {
	ID         string
	Reference  string // the shops' own reference for the transfer
	FromShopID string
	ToShopID   string
	Quantity   int
	Stage      TransferStage
	Courier    *string              // who carries the cards, once shipped
	History    []string             `gorm:"serializer:json"` // "FROM->TO" for every stage change
	StageTimes map[string]time.Time `gorm:"serializer:json"` // when each stage was reached
	UpdatedAt  time.Time
}
