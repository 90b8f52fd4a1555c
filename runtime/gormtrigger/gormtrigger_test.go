package gormtrigger_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/gormtrigger"
	"github.com/triggergen/triggergen/runtime/internal/pgtest"
)

// backend opens a fresh, migrated database.
type backend struct {
	name string
	open func(t *testing.T) *gorm.DB
}

func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if pgtest.Enabled() {
		bs = append(bs, backend{"postgres", openPostgres})
	} else {
		t.Log(pgtest.SkipMessage)
	}
	return bs
}

func gormConfig() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard}
}

func openSQLite(t *testing.T) *gorm.DB {
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := gorm.Open(sqlite.Open("file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"), gormConfig())
	require.NoError(t, err)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	sqlDB.SetMaxOpenConns(1)
	t.Cleanup(func() { sqlDB.Close() })
	require.NoError(t, db.AutoMigrate(&models.SimCard{}, &models.Shop{}))
	return db
}

func openPostgres(t *testing.T) *gorm.DB {
	db, err := gorm.Open(postgres.Open(pgtest.DSN(t, "triggergen_gorm")), gormConfig())
	require.NoError(t, err)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	t.Cleanup(func() { sqlDB.Close() })
	require.NoError(t, db.AutoMigrate(&models.SimCard{}, &models.Shop{}))
	return db
}

// seen is what a recording trigger saw of one change.
type seen struct {
	Event   string
	Key     string
	Changed []string
	Old     models.SimCard
	New     models.SimCard
}

func (s seen) String() string {
	return s.Event + " " + s.Key + " [" + strings.Join(s.Changed, ",") + "]"
}

// recorder records every SimCard change the engine runs triggers for.
type recorder struct {
	mu  sync.Mutex
	all []seen
}

func (r *recorder) add(s seen) {
	r.mu.Lock()
	r.all = append(r.all, s)
	r.mu.Unlock()
}

func (r *recorder) take() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.all
	r.all = nil
	return out
}

func (r *recorder) lines() []string {
	var out []string
	for _, s := range r.take() {
		out = append(out, s.String())
	}
	return out
}

func record(c *models.SimCardChange) seen {
	var names []string
	for _, f := range c.ChangedFields() {
		names = append(names, f.String())
	}
	return seen{
		Event: c.Event.String(), Key: c.Instance().ID, Changed: names,
		Old: models.SnapshotSimCard(c.Old), New: models.SnapshotSimCard(c.New),
	}
}

type fixture struct {
	db  *gorm.DB
	eng *runtime.Engine
	rec *recorder
}

// setup opens a database on b with the plugin installed and recording
// triggers on every SimCard event; extra registers more triggers first.
func setup(t *testing.T, b backend, extra ...func(eng *runtime.Engine)) *fixture {
	t.Helper()
	eng := runtime.New(runtime.Config{})
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	rec := &recorder{}
	type C = models.SimCardChange
	require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
		Name:   "record",
		Events: []runtime.Event{runtime.BeforeCreate, runtime.AfterCreate, runtime.BeforeUpdate, runtime.AfterUpdate, runtime.BeforeDelete, runtime.AfterDelete},
		Actions: []runtime.Action[C]{func(_ context.Context, c *C) error {
			rec.add(record(c))
			return nil
		}},
	}))
	require.NoError(t, runtime.OnBatch(eng, models.SimCardModel, runtime.BatchTrigger[C, models.SimCardBatch]{
		Name:   "record_bulk",
		Events: []runtime.Event{runtime.BeforeBulkCreate, runtime.AfterBulkCreate, runtime.BeforeBulkUpdate, runtime.AfterBulkUpdate, runtime.BeforeBulkDelete, runtime.AfterBulkDelete},
		Actions: []runtime.BatchAction[models.SimCardBatch]{func(_ context.Context, bt *models.SimCardBatch) error {
			var keys []string
			for _, it := range bt.Items {
				keys = append(keys, it.Instance().ID)
			}
			slices.Sort(keys)
			rec.add(seen{Event: bt.Event.String(), Key: strings.Join(keys, "+")})
			return nil
		}},
	}))
	for _, fn := range extra {
		fn(eng)
	}
	db := b.open(t)
	require.NoError(t, db.Use(gormtrigger.New(eng, gormtrigger.Model(models.SimCardModel), gormtrigger.Model(models.ShopModel))))
	return &fixture{db: db.WithContext(context.Background()), eng: eng, rec: rec}
}

// row reads a SimCard straight from the database, without the plugin's
// snapshot.
func (f *fixture) row(t *testing.T, id string) models.SimCard {
	t.Helper()
	var c models.SimCard
	require.NoError(t, f.db.Session(&gorm.Session{SkipHooks: true}).Take(&c, "id = ?", id).Error)
	return c
}

func (f *fixture) seed(t *testing.T, cards ...models.SimCard) {
	t.Helper()
	for _, c := range cards {
		require.NoError(t, f.db.Session(&gorm.Session{SkipHooks: true}).Create(&c).Error)
	}
}

func forEach(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

func TestCreate(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		card := models.SimCard{ID: "c1", Status: models.SimInactive, Quality: 70, Tags: []string{"new"}}
		require.NoError(t, f.db.Create(&card).Error)
		got := f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "before_create c1 [ID,Status,Quality,Tags]", got[0].String())
		assert.Equal(t, "after_create c1 [ID,Status,Quality,Tags]", got[1].String())
		assert.Equal(t, models.SimCard{}, got[1].Old)
		assert.Equal(t, 70, got[1].New.Quality)
		assert.Equal(t, []string{"new"}, f.row(t, "c1").Tags)
	})
}

func TestBulkCreate(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		cards := []models.SimCard{{ID: "a"}, {ID: "b"}}
		require.NoError(t, f.db.Create(&cards).Error)
		assert.Equal(t, []string{
			"before_bulk_create a+b []",
			"before_create a [ID]", "before_create b [ID]",
			"after_create a [ID]", "after_create b [ID]",
			"after_bulk_create a+b []",
		}, f.rec.lines())
	})
}

func TestSaveOfALoadedRecordSeesOnlyItsOwnChanges(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		f.seed(t, models.SimCard{ID: "c1", Status: models.SimInactive, Quality: 10})

		var card models.SimCard
		require.NoError(t, f.db.First(&card, "id = ?", "c1").Error)
		card.Status = models.SimActive
		require.NoError(t, f.db.Save(&card).Error)
		got := f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c1 [Status]", got[1].String())
		assert.Equal(t, models.SimInactive, got[1].Old.Status)

		// The second save compares against what the first one saved.
		card.Quality = 11
		require.NoError(t, f.db.Save(&card).Error)
		assert.Equal(t, []string{"before_update c1 [Quality]", "after_update c1 [Quality]"}, f.rec.lines())
		assert.Equal(t, 11, f.row(t, "c1").Quality)
	})
}

func TestSaveOfANewRecordWithItsKeyRunsCreateTriggers(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		card := models.SimCard{ID: "fresh", Quality: 3}
		require.NoError(t, f.db.Save(&card).Error)
		assert.Equal(t, []string{"before_create fresh [ID,Quality]", "after_create fresh [ID,Quality]"}, f.rec.lines())
		assert.Equal(t, 3, f.row(t, "fresh").Quality)
	})
}

func TestUpdateForms(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		f.seed(t, models.SimCard{ID: "c1", Status: models.SimInactive, Quality: 10, ShopID: "s1"})

		// A record that was never loaded: its old row is read by key, and
		// the fields the update does not name keep their stored values.
		stub := &models.SimCard{ID: "c1"}
		require.NoError(t, f.db.Model(stub).Update("status", models.SimActive).Error)
		got := f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c1 [Status]", got[1].String())
		assert.Equal(t, 10, got[1].New.Quality)
		assert.Equal(t, "s1", got[1].New.ShopID)
		assert.Equal(t, 10, stub.Quality, "the model holds the saved row")

		// A map, by column name.
		require.NoError(t, f.db.Model(&models.SimCard{ID: "c1"}).Updates(map[string]any{"fraud_flag": true, "quality": 5}).Error)
		assert.Equal(t, []string{"before_update c1 [FraudFlag,Quality]", "after_update c1 [FraudFlag,Quality]"}, f.rec.lines())

		// A struct: its non-zero fields.
		require.NoError(t, f.db.Model(&models.SimCard{ID: "c1"}).Updates(models.SimCard{SerialNumber: "SN-1"}).Error)
		assert.Equal(t, []string{"before_update c1 [SerialNumber]", "after_update c1 [SerialNumber]"}, f.rec.lines())

		// An SQL expression: after triggers see what the database computed.
		require.NoError(t, f.db.Model(&models.SimCard{ID: "c1"}).Update("quality", gorm.Expr("quality + ?", 7)).Error)
		got = f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c1 [Quality]", got[1].String())
		assert.Equal(t, 12, got[1].New.Quality)

		row := f.row(t, "c1")
		assert.Equal(t, models.SimActive, row.Status)
		assert.True(t, row.FraudFlag)
		assert.Equal(t, "SN-1", row.SerialNumber)
		assert.Equal(t, 12, row.Quality)
	})
}

func TestBeforeTriggerEditsAreSavedAndErrorsRollBack(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		type C = models.SimCardChange
		veto := errors.New("blocked cards stay blocked")
		f := setup(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
				Name:   "stamp_activation",
				Events: []runtime.Event{runtime.BeforeUpdate},
				Conditions: []runtime.Condition[C]{{Description: "Status changed to ACTIVE", Test: func(_ context.Context, c *C) bool {
					return c.StatusChanged() && c.New.Status == models.SimActive
				}}},
				Actions: []runtime.Action[C]{func(_ context.Context, c *C) error {
					c.New.Quality = 100
					c.New.Tags = append(c.New.Tags, "activated")
					return nil
				}},
			}))
			require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
				Name:   "veto",
				Events: []runtime.Event{runtime.BeforeUpdate},
				Conditions: []runtime.Condition[C]{{Description: "Status changed from BLOCKED", Test: func(_ context.Context, c *C) bool {
					return c.StatusChanged() && c.Old.Status == models.SimBlocked
				}}},
				Actions: []runtime.Action[C]{func(context.Context, *C) error { return veto }},
			}))
		})
		f.seed(t, models.SimCard{ID: "c1", Status: models.SimInactive}, models.SimCard{ID: "c2", Status: models.SimBlocked})

		require.NoError(t, f.db.Model(&models.SimCard{ID: "c1"}).Update("status", models.SimActive).Error)
		row := f.row(t, "c1")
		assert.Equal(t, 100, row.Quality, "the before trigger's edit is saved beside the column")
		assert.Equal(t, []string{"activated"}, row.Tags)
		f.rec.take()

		err := f.db.Model(&models.SimCard{ID: "c2"}).Updates(map[string]any{"status": models.SimActive, "quality": 1}).Error
		require.ErrorIs(t, err, veto)
		var te *runtime.TriggerError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "veto", te.Trigger)
		row = f.row(t, "c2")
		assert.Equal(t, models.SimBlocked, row.Status, "nothing was written")
		assert.Equal(t, 0, row.Quality)
	})
}

func TestAfterTriggerErrorRollsBack(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		type C = models.SimCardChange
		boom := errors.New("ledger unavailable")
		f := setup(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
				Name: "ledger", Events: []runtime.Event{runtime.AfterUpdate},
				Actions: []runtime.Action[C]{func(context.Context, *C) error { return boom }},
			}))
		})
		f.seed(t, models.SimCard{ID: "c1", Quality: 1})
		err := f.db.Model(&models.SimCard{ID: "c1"}).Update("quality", 2).Error
		require.ErrorIs(t, err, boom)
		assert.Equal(t, 1, f.row(t, "c1").Quality)
	})
}

func TestDelete(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		f.seed(t, models.SimCard{ID: "c1", Quality: 9, ShopID: "s1"})
		require.NoError(t, f.db.Delete(&models.SimCard{ID: "c1"}).Error)
		got := f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "before_delete c1 [ID,Quality,ShopID]", got[0].String())
		assert.Equal(t, 9, got[1].Old.Quality, "triggers see the stored row, not the stub")
		var n int64
		require.NoError(t, f.db.Model(&models.SimCard{}).Count(&n).Error)
		assert.Zero(t, n)

		// Deleting what is not there runs nothing.
		require.NoError(t, f.db.Delete(&models.SimCard{ID: "c1"}).Error)
		assert.Empty(t, f.rec.take())
	})
}

func TestWritesByQueryAreBulkOperations(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		type C = models.SimCardChange
		f := setup(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
				Name: "tag_sold", Events: []runtime.Event{runtime.BeforeUpdate},
				Conditions: []runtime.Condition[C]{{Description: "Status changed to SOLD", Test: func(_ context.Context, c *C) bool {
					return c.StatusChanged() && c.New.Status == models.SimSold
				}}},
				Actions: []runtime.Action[C]{func(_ context.Context, c *C) error {
					c.New.Tags = []string{"sold-" + c.New.ID}
					return nil
				}},
			}))
		})
		f.seed(t,
			models.SimCard{ID: "a", ShopID: "s1", Status: models.SimActive, Quality: 1},
			models.SimCard{ID: "b", ShopID: "s1", Status: models.SimSold, Quality: 2},
			models.SimCard{ID: "c", ShopID: "s2", Status: models.SimActive, Quality: 3},
		)
		require.NoError(t, f.db.Model(&models.SimCard{}).Where("shop_id = ?", "s1").Update("status", models.SimSold).Error)
		assert.Equal(t, []string{
			"before_bulk_update a+b []",
			"before_update a [Status]", "before_update b []",
			"after_update a [Status,Tags]", "after_update b []",
			"after_bulk_update a+b []",
		}, f.rec.lines())
		assert.Equal(t, []string{"sold-a"}, f.row(t, "a").Tags, "a before trigger's edit of one row is saved")
		assert.Nil(t, f.row(t, "b").Tags)
		assert.Equal(t, models.SimActive, f.row(t, "c").Status)

		require.NoError(t, f.db.Where("quality < ?", 3).Delete(&models.SimCard{}).Error)
		assert.Equal(t, []string{
			"before_bulk_delete a+b []",
			"before_delete a [ID,Status,Quality,ShopID,Tags]", "before_delete b [ID,Status,Quality,ShopID]",
			"after_delete a [ID,Status,Quality,ShopID,Tags]", "after_delete b [ID,Status,Quality,ShopID]",
			"after_bulk_delete a+b []",
		}, f.rec.lines())
		var left []models.SimCard
		require.NoError(t, f.db.Find(&left).Error)
		require.Len(t, left, 1)
		assert.Equal(t, "c", left[0].ID)

		// A write by query with no conditions is GORM's error, and no trigger runs.
		err := f.db.Model(&models.SimCard{}).Update("quality", 0).Error
		require.ErrorIs(t, err, gorm.ErrMissingWhereClause)
		assert.Empty(t, f.rec.take())
	})
}

func TestSkipping(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		f.seed(t, models.SimCard{ID: "c1"})
		require.NoError(t, f.db.Session(&gorm.Session{SkipHooks: true}).Model(&models.SimCard{ID: "c1"}).Update("quality", 1).Error)
		ctx := runtime.WithoutTriggers(context.Background())
		require.NoError(t, f.db.WithContext(ctx).Model(&models.SimCard{ID: "c1"}).Update("quality", 2).Error)
		ctx = runtime.WithoutTriggers(context.Background(), "record")
		require.NoError(t, f.db.WithContext(ctx).Model(&models.SimCard{ID: "c1"}).Update("quality", 3).Error)
		assert.Empty(t, f.rec.take())
		assert.Equal(t, 3, f.row(t, "c1").Quality)
	})
}

func TestOnCommit(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		type C = models.SimCardChange
		var mu sync.Mutex
		var alerts []string
		var committedQuality []int
		var f *fixture
		f = setup(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
				Name: "alert", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{OnCommit: true},
				Conditions: []runtime.Condition[C]{{Description: "FraudFlag changed to true", Test: func(_ context.Context, c *C) bool {
					return c.FraudFlagChanged() && c.New.FraudFlag
				}}},
				Actions: []runtime.Action[C]{func(_ context.Context, c *C) error {
					// Runs after the commit: the row is visible outside the transaction.
					var row models.SimCard
					if err := f.db.Session(&gorm.Session{SkipHooks: true}).Take(&row, "id = ?", c.New.ID).Error; err != nil {
						return err
					}
					mu.Lock()
					alerts = append(alerts, c.New.ID)
					committedQuality = append(committedQuality, row.Quality)
					mu.Unlock()
					return nil
				}},
			}))
		})
		f.seed(t, models.SimCard{ID: "c1"}, models.SimCard{ID: "c2"})

		// GORM's own transaction.
		require.NoError(t, f.db.Model(&models.SimCard{ID: "c1"}).Updates(map[string]any{"fraud_flag": true, "quality": 5}).Error)
		assert.Equal(t, []string{"c1"}, alerts)
		assert.Equal(t, []int{5}, committedQuality)

		// A transaction of the application's, through Transaction: nothing
		// runs until it commits, and a rollback drops the work.
		ctx := context.Background()
		err := gormtrigger.Transaction(ctx, f.db, func(tx *gorm.DB) error {
			if err := tx.Model(&models.SimCard{ID: "c2"}).Update("fraud_flag", true).Error; err != nil {
				return err
			}
			assert.Len(t, alerts, 1, "on_commit work waits for the commit")
			return errors.New("changed my mind")
		})
		require.Error(t, err)
		assert.Len(t, alerts, 1)
		assert.False(t, f.row(t, "c2").FraudFlag)

		require.NoError(t, gormtrigger.Transaction(ctx, f.db, func(tx *gorm.DB) error {
			return tx.Model(&models.SimCard{ID: "c2"}).Updates(map[string]any{"fraud_flag": true, "quality": 8}).Error
		}))
		assert.Equal(t, []string{"c1", "c2"}, alerts)
		assert.Equal(t, []int{5, 8}, committedQuality)

		// A plain db.Transaction cannot tell when it commits: the write is
		// refused rather than running on_commit work too early.
		err = f.db.Transaction(func(tx *gorm.DB) error {
			return tx.Model(&models.SimCard{ID: "c1"}).Update("fraud_flag", false).Error
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "gormtrigger.Transaction")
	})
}

func TestTriggerWritesThroughDBJoinTheTransaction(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		type C = models.SimCardChange
		f := setup(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
				Name: "count_stock", Events: []runtime.Event{runtime.AfterCreate},
				Actions: []runtime.Action[C]{func(ctx context.Context, c *C) error {
					db := gormtrigger.DB(ctx)
					if db == nil {
						return errors.New("no DB in the trigger's context")
					}
					return db.Model(&models.Shop{ID: c.New.ShopID}).Update("stock", gorm.Expr("stock + 1")).Error
				}},
			}))
		})
		require.NoError(t, f.db.Create(&models.Shop{ID: "s1", Stock: 1}).Error)
		require.NoError(t, f.db.Create(&models.SimCard{ID: "c1", ShopID: "s1"}).Error)
		var shop models.Shop
		require.NoError(t, f.db.Take(&shop, "id = ?", "s1").Error)
		assert.Equal(t, 2, shop.Stock)

		// Rolled back together with the write that caused it.
		err := gormtrigger.Transaction(context.Background(), f.db, func(tx *gorm.DB) error {
			if err := tx.Create(&models.SimCard{ID: "c2", ShopID: "s1"}).Error; err != nil {
				return err
			}
			return errors.New("abort")
		})
		require.Error(t, err)
		require.NoError(t, f.db.Take(&shop, "id = ?", "s1").Error)
		assert.Equal(t, 2, shop.Stock)
	})
}

func TestUnsupportedFormsAreErrors(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		err := f.db.Model(&models.SimCard{}).Create(map[string]any{"id": "m1"}).Error
		require.Error(t, err)
		assert.Contains(t, err.Error(), "from a map")

		cards := []models.SimCard{{ID: "x"}}
		err = f.db.Save(&cards).Error
		require.Error(t, err)
		assert.Contains(t, err.Error(), "upsert")
		assert.Empty(t, f.rec.take())
	})
}

func TestARecordWithConditionsIsAWriteByQuery(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		f.seed(t, models.SimCard{ID: "c1", Status: models.SimBlocked})
		card := &models.SimCard{ID: "c1"}
		require.NoError(t, f.db.Model(card).Where("status = ?", models.SimActive).Update("quality", 5).Error)
		assert.Empty(t, f.rec.take(), "no row matched, nothing ran")
		assert.Equal(t, 0, f.row(t, "c1").Quality)

		require.NoError(t, f.db.Model(card).Where("status = ?", models.SimBlocked).Update("quality", 6).Error)
		assert.Equal(t, []string{
			"before_bulk_update c1 []", "before_update c1 [Quality]",
			"after_update c1 [Quality]", "after_bulk_update c1 []",
		}, f.rec.lines())
		assert.Equal(t, 6, f.row(t, "c1").Quality)
	})
}

func TestOnCommitWaitsForTheCallersScope(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		type C = models.SimCardChange
		var ran []string
		f := setup(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[C]{
				Name: "later", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{OnCommit: true},
				Actions: []runtime.Action[C]{func(_ context.Context, c *C) error {
					ran = append(ran, c.New.ID)
					return nil
				}},
			}))
		})
		f.seed(t, models.SimCard{ID: "c1"}, models.SimCard{ID: "c2"})

		ctx, scope := runtime.BeginScope(context.Background())
		require.NoError(t, f.db.WithContext(ctx).Model(&models.SimCard{ID: "c1"}).Update("quality", 1).Error)
		assert.Empty(t, ran, "GORM committed its transaction, the caller's scope has not")
		require.NoError(t, scope.Commit(context.Background()))
		assert.Equal(t, []string{"c1"}, ran)

		ctx, scope = runtime.BeginScope(context.Background())
		require.NoError(t, f.db.WithContext(ctx).Model(&models.SimCard{ID: "c2"}).Update("quality", 1).Error)
		scope.Rollback()
		assert.Equal(t, []string{"c1"}, ran)
	})
}
