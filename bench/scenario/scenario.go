// Package scenario is what every implementation of the benchmark shares:
// the card before and after the update, and the counters the triggers'
// actions increment.
package scenario

import (
	"fmt"
	"time"

	"github.com/triggergen/triggergen/bench/models"
)

// Counters is the work the actions do. Exactly two triggers match the
// update (Activated and StatusChanged); any other action counts as Other.
type Counters struct {
	Activated     int // "Status changed from INACTIVE to ACTIVE"
	StatusChanged int // "Status changed"
	Other         int // any of the eight triggers that must not fire
}

// Check reports an error unless the counters show exactly n updates that
// each fired the two matching actions and nothing else.
func (c Counters) Check(n int) error {
	if c != (Counters{Activated: n, StatusChanged: n}) {
		return fmt.Errorf("after %d updates want {Activated:%d StatusChanged:%d Other:0}, got %+v", n, n, n, c)
	}
	return nil
}

// Owner is the card's holder.
var Owner = "ann"

// Before is the card as loaded: INACTIVE.
func Before() models.SimCard {
	who := Owner
	return models.SimCard{
		ID: "sim-1", SerialNumber: "8901000000000000001", Status: models.SimInactive,
		Quality: 70, ShopID: "shop-1", AssignedTo: &who,
		ActivatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Tags: []string{"prepaid", "5g"},
	}
}

// After is the same card activated: only Status differs from Before.
func After() models.SimCard {
	c := Before()
	c.Status = models.SimActive
	return c
}

// Everything is Before with every field but ID changed and Status BLOCKED:
// an update to it must fire StatusChanged and all eight other triggers,
// but not Activated. The tests use it to show that no check is dead.
func Everything() models.SimCard {
	c := Before()
	bob := "bob"
	c.SerialNumber = "8901000000000000002"
	c.Status = models.SimBlocked
	c.FraudFlag = true
	c.Quality = 71
	c.ShopID = "shop-2"
	c.AssignedTo = &bob
	c.Registered = true
	c.ActivatedAt = c.ActivatedAt.Add(time.Hour)
	c.Tags = []string{"postpaid"}
	return c
}

// EverythingCounts is what one update to Everything does.
var EverythingCounts = Counters{StatusChanged: 1, Other: 8}
