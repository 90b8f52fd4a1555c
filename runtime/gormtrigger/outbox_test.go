package gormtrigger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/gormtrigger"
	"github.com/triggergen/triggergen/runtime/riverqueue"
)

// TestDurableJobsAreInsertedInGORMsTransaction checks the outbox: an async
// trigger's River job is inserted in the transaction of the GORM write
// that caused it, so a rolled back write leaves no job.
func TestDurableJobsAreInsertedInGORMsTransaction(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		sqlDB, err := db.DB()
		require.NoError(t, err)
		var q runtime.DurableQueue
		if b.name == "sqlite" {
			q, err = riverqueue.OpenSQLite(ctx, sqlDB, riverqueue.Config{})
		} else {
			q, err = riverqueue.New(ctx, riverdatabasesql.New(sqlDB), riverqueue.Config{})
		}
		require.NoError(t, err)
		eng := runtime.New(runtime.Config{Queue: q})
		t.Cleanup(func() { _ = eng.Close(context.Background()) })
		type C = models.SimCardChange
		require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
			Name: "fraud_alert", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true, OnCommit: true},
			Conditions: []runtime.Condition[C]{{Description: "FraudFlag changed to true", Test: func(_ context.Context, c *C) bool {
				return c.FraudFlagChanged() && c.New.FraudFlag
			}}},
			Actions: []runtime.Action[C]{func(context.Context, *C) error { return nil }},
		}))
		require.NoError(t, db.Use(gormtrigger.New(eng, gormtrigger.Model(models.SimCardModel))))
		require.NoError(t, db.Session(&gorm.Session{SkipHooks: true}).Create(&models.SimCard{ID: "c1"}).Error)
		require.NoError(t, db.Session(&gorm.Session{SkipHooks: true}).Create(&models.SimCard{ID: "c2"}).Error)

		jobs := func() int64 {
			var n int64
			require.NoError(t, db.Raw("SELECT count(*) FROM river_job").Scan(&n).Error)
			return n
		}

		// Rolled back: the flag and the job go together.
		err = gormtrigger.Transaction(ctx, db, func(tx *gorm.DB) error {
			if err := tx.Model(&models.SimCard{ID: "c1"}).Update("fraud_flag", true).Error; err != nil {
				return err
			}
			return errors.New("roll back")
		})
		require.Error(t, err)
		assert.Zero(t, jobs())

		// A before trigger's veto rolls GORM's own transaction back.
		require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
			Name: "veto_c2", Events: []runtime.Event{runtime.BeforeUpdate},
			Conditions: []runtime.Condition[C]{{Description: "ID == c2", Test: func(_ context.Context, c *C) bool { return c.New.ID == "c2" }}},
			Actions:    []runtime.Action[C]{func(context.Context, *C) error { return errors.New("no") }},
		}))
		require.Error(t, db.Model(&models.SimCard{ID: "c2"}).Update("fraud_flag", true).Error)
		assert.Zero(t, jobs())

		// Committed, in GORM's own transaction and in Transaction.
		require.NoError(t, db.Model(&models.SimCard{ID: "c1"}).Update("fraud_flag", true).Error)
		assert.Equal(t, int64(1), jobs())
		require.NoError(t, eng.SetEnabled("veto_c2", false))
		require.NoError(t, gormtrigger.Transaction(ctx, db, func(tx *gorm.DB) error {
			return tx.Model(&models.SimCard{ID: "c2"}).Update("fraud_flag", true).Error
		}))
		assert.Equal(t, int64(2), jobs())
	})
}
