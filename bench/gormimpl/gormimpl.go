// Package gormimpl is the benchmark scenario on gorm.io/gorm with the
// pure-Go SQLite dialector github.com/glebarez/sqlite: the ten triggers as
// the model's BeforeUpdate/AfterUpdate hooks, written the way GORM's
// documentation writes change checks (tx.Statement.Changed("Status") in
// BeforeUpdate, where it works), the actions run in AfterUpdate.
package gormimpl

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/triggergen/triggergen/bench/scenario"
)

// The states of a SIM card, as stored.
const (
	Inactive = "INACTIVE"
	Active   = "ACTIVE"
	Blocked  = "BLOCKED"
)

// Count is what the hooks' actions did. GORM hooks are methods of the
// model, so their effects go to package state, as in most GORM code.
var Count scenario.Counters

// SimCard is the GORM model: the same ten fields as models.SimCard.
type SimCard struct {
	ID           string `gorm:"primaryKey"`
	SerialNumber string
	Status       string
	FraudFlag    bool
	Quality      int
	ShopID       string
	AssignedTo   *string
	Registered   bool
	ActivatedAt  time.Time
	Tags         []string `gorm:"serializer:json"`

	// What BeforeUpdate saw, for AfterUpdate (unexported: not a column).
	matched   uint16
	oldStatus string
}

// Checks found true in BeforeUpdate.
const (
	statusChanged uint16 = 1 << iota
	fraudChanged
	qualityChanged
	assignedChanged
	registeredChanged
	tagsChanged
	shopChanged
	activatedAtChanged
)

// BeforeUpdate records which fields the update changes: Statement.Changed
// compares the values being written with the model's current ones, which
// is possible only before the write.
func (c *SimCard) BeforeUpdate(tx *gorm.DB) error {
	st := tx.Statement
	c.oldStatus = c.Status
	var m uint16
	if st.Changed("Status") {
		m |= statusChanged
	}
	if st.Changed("FraudFlag") {
		m |= fraudChanged
	}
	if st.Changed("Quality") {
		m |= qualityChanged
	}
	if st.Changed("AssignedTo") {
		m |= assignedChanged
	}
	if st.Changed("Registered") {
		m |= registeredChanged
	}
	if st.Changed("Tags") {
		m |= tagsChanged
	}
	if st.Changed("ShopID") {
		m |= shopChanged
	}
	if st.Changed("ActivatedAt") {
		m |= activatedAtChanged
	}
	c.matched = m
	return nil
}

// AfterUpdate runs the actions of the triggers whose conditions hold; the
// model now holds the written values.
func (c *SimCard) AfterUpdate(tx *gorm.DB) error {
	m := c.matched
	if m&statusChanged != 0 && c.oldStatus == Inactive && c.Status == Active {
		Count.Activated++
	}
	if m&statusChanged != 0 {
		Count.StatusChanged++
	}
	if m&fraudChanged != 0 && c.FraudFlag {
		Count.Other++
	}
	if m&qualityChanged != 0 {
		Count.Other++
	}
	if m&assignedChanged != 0 {
		Count.Other++
	}
	if m&registeredChanged != 0 {
		Count.Other++
	}
	if m&tagsChanged != 0 {
		Count.Other++
	}
	if c.Status == Blocked {
		Count.Other++
	}
	if m&shopChanged != 0 {
		Count.Other++
	}
	if m&activatedAtChanged != 0 {
		Count.Other++
	}
	return nil
}

var dbSeq atomic.Int64

// Env is one in-memory database holding a pool of cards, all INACTIVE.
// Benchmarks update card i%len(Cards) and reset the whole pool (timer
// stopped) when they have used it up.
type Env struct {
	DB    *gorm.DB // hooks run
	Bare  *gorm.DB // the same database with SkipHooks: the write alone
	Dry   *gorm.DB // DryRun: GORM builds the statement and runs the hooks, executes no SQL
	DryNH *gorm.DB // DryRun with SkipHooks
	Cards []SimCard
}

// OpenMemory opens a fresh in-memory SQLite database, named after prefix,
// on one connection: each connection to a mode=memory database is a
// database of its own.
func OpenMemory(prefix string) (*gorm.DB, *sql.DB, error) {
	dsn := fmt.Sprintf("file:%s%d?mode=memory&_pragma=foreign_keys(1)", prefix, dbSeq.Add(1))
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		return nil, nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, nil, err
	}
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	return db, sqlDB, nil
}

// Open creates a fresh in-memory database, migrates it and stores pool
// copies of scenario.Before.
func Open(ctx context.Context, pool int) (*Env, error) {
	db, sqlDB, err := OpenMemory("gorm")
	if err != nil {
		return nil, err
	}
	db = db.WithContext(ctx)
	if err := db.AutoMigrate(&SimCard{}); err != nil {
		sqlDB.Close()
		return nil, err
	}
	b := scenario.Before()
	for i := range pool {
		card := SimCard{
			ID: fmt.Sprintf("%s-%d", b.ID, i), SerialNumber: b.SerialNumber, Status: string(b.Status), FraudFlag: b.FraudFlag,
			Quality: b.Quality, ShopID: b.ShopID, AssignedTo: b.AssignedTo, Registered: b.Registered,
			ActivatedAt: b.ActivatedAt, Tags: slices.Clone(b.Tags),
		}
		if err := db.Session(&gorm.Session{SkipHooks: true}).Create(&card).Error; err != nil {
			sqlDB.Close()
			return nil, err
		}
	}
	env := &Env{
		DB:    db,
		Bare:  db.Session(&gorm.Session{SkipHooks: true}),
		Dry:   db.Session(&gorm.Session{DryRun: true, SkipDefaultTransaction: true}),
		DryNH: db.Session(&gorm.Session{DryRun: true, SkipDefaultTransaction: true, SkipHooks: true}),
	}
	if err := db.Order("id").Find(&env.Cards).Error; err != nil {
		sqlDB.Close()
		return nil, err
	}
	return env, nil
}

// Close closes the database.
func (e *Env) Close() error {
	sqlDB, err := e.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Reset puts every card back to INACTIVE, in the database (plain SQL) and
// in the loaded models, which GORM updates in place.
func (e *Env) Reset() error {
	for i := range e.Cards {
		e.Cards[i].Status = Inactive
	}
	return e.DB.Exec("UPDATE sim_cards SET status = ?", Inactive).Error
}

// Activate is the update as GORM code writes it, with the hooks.
func (e *Env) Activate(i int) error {
	return e.DB.Model(&e.Cards[i]).Update("Status", Active).Error
}

// ActivateBare is the same write with SkipHooks.
func (e *Env) ActivateBare(i int) error {
	return e.Bare.Model(&e.Cards[i]).Update("Status", Active).Error
}

// ActivateDry is the same update in a DryRun session: everything but the
// SQL. GORM still assigns the new status to the model, so the card is set
// back to INACTIVE first (as the no-hooks variant does too).
func (e *Env) ActivateDry(i int, hooks bool) error {
	c := &e.Cards[i]
	c.Status = Inactive
	db := e.DryNH
	if hooks {
		db = e.Dry
	}
	return db.Model(c).Update("Status", Active).Error
}

// Active returns the number of cards stored ACTIVE.
func (e *Env) Active() (int, error) {
	var n int64
	err := e.DB.Model(&SimCard{}).Where("status = ?", Active).Count(&n).Error
	return int(n), err
}

// UpdateEverything writes every field of scenario.Everything to card i
// (tests only).
func (e *Env) UpdateEverything(i int) error {
	c := scenario.Everything()
	return e.DB.Model(&e.Cards[i]).Updates(map[string]any{
		"SerialNumber": c.SerialNumber, "Status": string(c.Status), "FraudFlag": c.FraudFlag,
		"Quality": c.Quality, "ShopID": c.ShopID, "AssignedTo": c.AssignedTo,
		"Registered": c.Registered, "ActivatedAt": c.ActivatedAt, "Tags": c.Tags,
	}).Error
}
