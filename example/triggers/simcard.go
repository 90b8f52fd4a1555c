package triggers

import (
	"context"
	"fmt"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

// UpdateQuality folds a SIM card's new quality score into its shop's
// quality statistics.
//
//trigger:on SimCard after_update
//trigger:name sim_card_quality_update
//trigger:when Quality changed and ShopID != ""
//trigger:priority low
func UpdateQuality(ctx context.Context, c *models.SimCardChange) error {
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	return s.RecordQuality(ctx, c.New.ShopID, c.QualityWas(), c.New.Quality)
}

// NotifyStatus tells the card's holder and shop that its status changed.
//
//trigger:on SimCard after_update
//trigger:name sim_card_status_notification
//trigger:when Status changed
func NotifyStatus(ctx context.Context, c *models.SimCardChange) error {
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("SIM %s: status %s -> %s", c.New.SerialNumber, c.StatusWas(), c.New.Status)
	if c.New.ShopID != "" {
		if err := s.Notify(ctx, "shop:"+c.New.ShopID, msg); err != nil {
			return err
		}
	}
	if c.New.AssignedTo != nil {
		return s.Notify(ctx, "customer:"+*c.New.AssignedTo, msg)
	}
	return nil
}

// HandleFraud alerts the fraud team when a SIM card is flagged, unless it
// is already blocked or an auditor flagged it. It runs once the flag is
// committed, off the caller's goroutine (or in a worker process, on a
// durable queue), and is retried when the alert cannot be raised.
//
//trigger:on SimCard after_update after_create
//trigger:name sim_card_fraud_alert
//trigger:when FraudFlag changed to true
//trigger:when Status != SimBlocked and not role auditor
//trigger:priority high
//trigger:async
//trigger:on_commit
//trigger:retry 3 backoff=200ms
//trigger:timeout 5s
func HandleFraud(ctx context.Context, c *models.SimCardChange) error {
	s, err := asyncStoreFrom(ctx)
	if err != nil {
		return err
	}
	return s.FraudAlert(ctx, *c.New)
}

// TrackAssignment records who a SIM card moved from and to.
//
//trigger:on SimCard after_update
//trigger:name sim_card_assignment_tracking
//trigger:when AssignedTo changed
func TrackAssignment(ctx context.Context, c *models.SimCardChange) error {
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	return s.RecordAssignment(ctx, c.New.ID, c.AssignedToWas(), c.New.AssignedTo)
}

// CompleteRegistration activates a SIM card as its registration completes:
// it edits the card before it is saved, then welcomes the customer.
//
//trigger:on SimCard before_update
//trigger:name sim_card_registration_completion
//trigger:when Registered changed from false to true
//trigger:when Status in (SimInactive, SimSold)
//trigger:priority critical
//trigger:then welcomeCustomer
func CompleteRegistration(ctx context.Context, c *models.SimCardChange) error {
	c.New.Status = models.SimActive
	if c.New.ActivatedAt.IsZero() {
		c.New.ActivatedAt = runtime.Now(ctx)
	}
	return nil
}

func welcomeCustomer(ctx context.Context, c *models.SimCardChange) error {
	if c.New.AssignedTo == nil {
		return nil
	}
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	return s.Notify(ctx, "customer:"+*c.New.AssignedTo, "Welcome! SIM "+c.New.SerialNumber+" is active.")
}
