package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/gormtrigger"
)

// Notification is a message the triggers leave for a shop, a customer or a
// team.
type Notification struct {
	ID        uint
	Recipient string
	Message   string
	CreatedAt time.Time
}

// QualityStat is a shop's running statistics of its SIM cards' quality
// changes.
type QualityStat struct {
	ShopID     string `gorm:"primaryKey"`
	Updates    int
	TotalDelta int
	Last       int
}

// FraudAlert is an alert raised for the fraud team when a SIM card is
// flagged.
type FraudAlert struct {
	ID           uint
	SimCardID    string
	SerialNumber string
	ShopID       string
	CardStatus   models.SimStatus
	RaisedAt     time.Time
}

// Assignment logs one change of a SIM card's assignee (nil: nobody).
type Assignment struct {
	ID           uint
	SimCardID    string
	FromAssignee *string
	ToAssignee   *string
	At           time.Time
}

// AssignmentCounter counts the SIM cards assigned to and released by one
// assignee.
type AssignmentCounter struct {
	Assignee string `gorm:"primaryKey"`
	Assigned int
	Released int
}

// ShopPerformance is a shop's sales performance aggregate.
type ShopPerformance struct {
	ShopID      string `gorm:"primaryKey"`
	Sales       int
	Revenue     float64
	AverageSale float64
}

// tables are the demo's tables: the four annotated models and the side
// tables the triggers write to.
var tables = []any{
	&models.Shop{}, &models.SimCard{}, &models.Sale{}, &models.Transfer{},
	&Notification{}, &QualityStat{}, &FraudAlert{}, &Assignment{}, &AssignmentCounter{}, &ShopPerformance{},
}

// store implements triggers.Store with GORM. conn returns the *gorm.DB a
// call writes with; every multi-row write runs in db.Transaction, which is
// a savepoint inside the triggering write's transaction and a transaction
// of its own on the base handle.
type store struct {
	conn func(ctx context.Context) (*gorm.DB, error)
}

// errNoWrite is returned by the synchronous store outside a trigger run
// from a GORM write.
var errNoWrite = errors.New("the synchronous store runs only inside triggers run by a GORM write (gormtrigger.DB found none)")

// syncStore is the Store of the synchronous triggers: it writes through
// gormtrigger.DB, on the transaction of the GORM write that ran the
// trigger, so that its work commits or rolls back with that write.
func syncStore() triggers.Store {
	return store{conn: func(ctx context.Context) (*gorm.DB, error) {
		if db := gormtrigger.DB(ctx); db != nil {
			return db, nil
		}
		return nil, errNoWrite
	}}
}

// asyncStore is the Store of the async trigger (sim_card_fraud_alert),
// which runs after the write committed: it writes through base, in
// transactions of its own.
func asyncStore(base *gorm.DB) triggers.Store {
	return store{conn: func(ctx context.Context) (*gorm.DB, error) { return base.WithContext(ctx), nil }}
}

// Notify records a notification.
func (s store) Notify(ctx context.Context, recipient, message string) error {
	db, err := s.conn(ctx)
	if err != nil {
		return err
	}
	n := Notification{Recipient: recipient, Message: message, CreatedAt: runtime.Now(ctx)}
	if err := db.Create(&n).Error; err != nil {
		return fmt.Errorf("notify %s: %w", recipient, err)
	}
	return nil
}

// RecordQuality folds a quality change from old to new into the shop's
// statistics.
func (s store) RecordQuality(ctx context.Context, shopID string, old, new int) error {
	db, err := s.conn(ctx)
	if err != nil {
		return err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		q := QualityStat{ShopID: shopID}
		if err := tx.Limit(1).Find(&q, "shop_id = ?", shopID).Error; err != nil {
			return err
		}
		q.Updates++
		q.TotalDelta += new - old
		q.Last = new
		return tx.Save(&q).Error
	})
	if err != nil {
		return fmt.Errorf("record quality of shop %s: %w", shopID, err)
	}
	return nil
}

// FraudAlert records an alert and tells the fraud team.
func (s store) FraudAlert(ctx context.Context, card models.SimCard) error {
	db, err := s.conn(ctx)
	if err != nil {
		return err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		a := FraudAlert{SimCardID: card.ID, SerialNumber: card.SerialNumber, ShopID: card.ShopID,
			CardStatus: card.Status, RaisedAt: runtime.Now(ctx)}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		msg := fmt.Sprintf("fraud alert #%d: SIM %s flagged while %s", a.ID, card.SerialNumber, card.Status)
		return tx.Create(&Notification{Recipient: "fraud-team", Message: msg, CreatedAt: a.RaisedAt}).Error
	})
	if err != nil {
		return fmt.Errorf("raise fraud alert for SIM card %s: %w", card.ID, err)
	}
	return nil
}

// RecordAssignment logs a SIM card's move from one assignee to another and
// updates both assignees' counters.
func (s store) RecordAssignment(ctx context.Context, cardID string, from, to *string) error {
	db, err := s.conn(ctx)
	if err != nil {
		return err
	}
	count := func(tx *gorm.DB, who *string, assigned, released int) error {
		if who == nil {
			return nil
		}
		c := AssignmentCounter{Assignee: *who}
		if err := tx.Limit(1).Find(&c, "assignee = ?", *who).Error; err != nil {
			return err
		}
		c.Assigned += assigned
		c.Released += released
		return tx.Save(&c).Error
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		a := Assignment{SimCardID: cardID, FromAssignee: from, ToAssignee: to, At: runtime.Now(ctx)}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		if err := count(tx, to, 1, 0); err != nil {
			return err
		}
		return count(tx, from, 0, 1)
	})
	if err != nil {
		return fmt.Errorf("record assignment of SIM card %s: %w", cardID, err)
	}
	return nil
}

// Shop loads a shop through GORM, which lets the plugin snapshot it; an
// unknown id wraps runtime.ErrNotFound.
func (s store) Shop(ctx context.Context, id string) (*models.Shop, error) {
	db, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	var shop models.Shop
	err = db.First(&shop, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("shop %s: %w", id, runtime.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load shop %s: %w", id, err)
	}
	return &shop, nil
}

// SaveShop saves a shop with db.Save, so that the plugin runs the shop's
// triggers as a nested operation. old is not needed: the plugin compares
// with the snapshot it took when Shop loaded the record.
func (s store) SaveShop(ctx context.Context, _, shop *models.Shop) error {
	db, err := s.conn(ctx)
	if err != nil {
		return err
	}
	if err := db.Save(shop).Error; err != nil {
		return fmt.Errorf("save shop %s: %w", shop.ID, err)
	}
	return nil
}

// RecordPerformance stores a shop's sales performance aggregate.
func (s store) RecordPerformance(ctx context.Context, shopID string, sales int, revenue float64) error {
	db, err := s.conn(ctx)
	if err != nil {
		return err
	}
	p := ShopPerformance{ShopID: shopID, Sales: sales, Revenue: revenue}
	if sales > 0 {
		p.AverageSale = revenue / float64(sales)
	}
	if err := db.Save(&p).Error; err != nil {
		return fmt.Errorf("record performance of shop %s: %w", shopID, err)
	}
	return nil
}
