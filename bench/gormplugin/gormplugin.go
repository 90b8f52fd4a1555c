// Package gormplugin is the benchmark scenario on gorm.io/gorm with the
// pure-Go SQLite dialector github.com/glebarez/sqlite and triggergen's GORM
// plugin, runtime/gormtrigger: the model is models.SimCard itself, with no
// hook methods, and the ten annotated triggers of package triggers run
// from GORM's own update path. Opened without an engine, the same database
// and the same update run with no plugin: the plain GORM write.
package gormplugin

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/triggergen/triggergen/bench/gormimpl"
	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/scenario"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/gormtrigger"
)

// Env is one in-memory database holding a pool of cards, all INACTIVE, as
// loaded through GORM (with the plugin installed, loading them took their
// snapshots). Benchmarks update card i%len(Cards) and reset the whole pool
// (timer stopped) when they have used it up.
type Env struct {
	DB    *gorm.DB
	Cards []models.SimCard
}

// Open creates a fresh in-memory database, migrates it, stores pool copies
// of scenario.Before and loads them. With a non-nil eng, whose triggers are
// registered, the database runs them through gormtrigger; with nil it is
// plain GORM.
func Open(ctx context.Context, pool int, eng *runtime.Engine) (*Env, error) {
	db, sqlDB, err := gormimpl.OpenMemory("gormplugin")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Env, error) {
		sqlDB.Close()
		return nil, err
	}
	if eng != nil {
		if err := db.Use(gormtrigger.New(eng, gormtrigger.Model(models.SimCardModel))); err != nil {
			return fail(err)
		}
	}
	db = db.WithContext(ctx)
	if err := db.AutoMigrate(&models.SimCard{}); err != nil {
		return fail(err)
	}
	b := scenario.Before()
	for i := range pool {
		card := models.SnapshotSimCard(&b)
		card.ID = fmt.Sprintf("%s-%d", b.ID, i)
		if err := db.Create(&card).Error; err != nil {
			return fail(err)
		}
	}
	env := &Env{DB: db}
	if err := env.load(); err != nil {
		return fail(err)
	}
	return env, nil
}

// load (re)loads every card into Cards, in key order.
func (e *Env) load() error {
	return e.DB.Order("id").Find(&e.Cards).Error
}

// Close closes the database.
func (e *Env) Close() error {
	sqlDB, err := e.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Reset puts every card back to INACTIVE with plain SQL, which runs no
// triggers, and loads the cards again, so that what the plugin holds of
// them matches the rows.
func (e *Env) Reset() error {
	if err := e.DB.Exec("UPDATE sim_cards SET status = ?", models.SimInactive).Error; err != nil {
		return err
	}
	return e.load()
}

// Activate is the update as GORM code writes it, on the loaded card i.
func (e *Env) Activate(i int) error {
	return e.DB.Model(&e.Cards[i]).Update("Status", models.SimActive).Error
}

// ActivateByKey is the same update on a card that was not loaded through
// GORM: a fresh SimCard holding card i's key. The plugin reads the old
// row by key in the update's transaction.
func (e *Env) ActivateByKey(i int) error {
	card := models.SimCard{ID: e.Cards[i].ID}
	return e.DB.Model(&card).Update("Status", models.SimActive).Error
}

// UpdateEverything writes every field of scenario.Everything to card i
// (tests only).
func (e *Env) UpdateEverything(i int) error {
	c := scenario.Everything()
	return e.DB.Model(&e.Cards[i]).Updates(map[string]any{
		"SerialNumber": c.SerialNumber, "Status": c.Status, "FraudFlag": c.FraudFlag,
		"Quality": c.Quality, "ShopID": c.ShopID, "AssignedTo": c.AssignedTo,
		"Registered": c.Registered, "ActivatedAt": c.ActivatedAt, "Tags": c.Tags,
	}).Error
}

// Active returns the number of cards stored ACTIVE.
func (e *Env) Active() (int, error) {
	var n int64
	err := e.DB.Model(&models.SimCard{}).Where("status = ?", models.SimActive).Count(&n).Error
	return int(n), err
}
