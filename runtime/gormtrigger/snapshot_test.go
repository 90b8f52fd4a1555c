package gormtrigger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/field"
	"github.com/triggergen/triggergen/runtime/gormtrigger"
)

// TestOldValuesComeFromTheLoadOrFromTheRow tells the two sources of old
// values apart: the row is changed behind GORM's back after a load.
func TestOldValuesComeFromTheLoadOrFromTheRow(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		f.seed(t, models.SimCard{ID: "c1", Quality: 1})
		behindTheBack := func(q int) {
			require.NoError(t, f.db.Session(&gorm.Session{SkipHooks: true}).Model(&models.SimCard{ID: "c1"}).Update("quality", q).Error)
		}

		// Loaded through GORM: the snapshot of the load is the old value.
		var loaded models.SimCard
		require.NoError(t, f.db.Take(&loaded, "id = ?", "c1").Error)
		behindTheBack(50)
		loaded.Status = models.SimActive
		require.NoError(t, f.db.Save(&loaded).Error)
		got := f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c1 [Status]", got[1].String())
		assert.Equal(t, 1, got[1].Old.Quality)

		// Loaded with Find into a slice.
		var all []models.SimCard
		require.NoError(t, f.db.Find(&all).Error)
		behindTheBack(60)
		all[0].Registered = true
		require.NoError(t, f.db.Save(&all[0]).Error)
		got = f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c1 [Registered]", got[1].String())

		// Not loaded through GORM: the row read by key is the old value.
		behindTheBack(70)
		fresh := models.SimCard{ID: "c1", Status: models.SimActive, Registered: true, Quality: 1}
		require.NoError(t, f.db.Save(&fresh).Error)
		got = f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c1 [Quality]", got[1].String())
		assert.Equal(t, 70, got[1].Old.Quality)
	})
}

// Device is a model whose column names are not GORM's defaults; its
// triggergen descriptor is written by hand here, as the generator emits it.
type Device struct {
	ID    string
	State string `gorm:"column:device_state"`
	Level int    `gorm:"column:lvl"`
}

type DeviceChange struct {
	Event    runtime.Event
	Old, New *Device
}

type DeviceBatch struct {
	Event runtime.Event
	Items []DeviceChange
}

var deviceFields = [...]string{"ID", "State", "Level"}

func (c *DeviceChange) ChangedSet() field.Set {
	var s field.Set
	if c.Old.ID != c.New.ID {
		s.Add(0)
	}
	if c.Old.State != c.New.State {
		s.Add(1)
	}
	if c.Old.Level != c.New.Level {
		s.Add(2)
	}
	return s
}

var DeviceModel = runtime.NewModel(runtime.ModelSpec[Device, DeviceChange, DeviceBatch]{
	Name:       "Device",
	Key:        func(m *Device) string { return m.ID },
	Snapshot:   func(m *Device) Device { return *m },
	Change:     func(c *DeviceChange) *runtime.Change[Device] { return (*runtime.Change[Device])(c) },
	Batch:      func(b *runtime.Batch[DeviceChange]) *DeviceBatch { return (*DeviceBatch)(b) },
	Fields:     deviceFields[:],
	ChangedSet: (*DeviceChange).ChangedSet,
})

func TestColumnNamesMapToFields(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		eng := runtime.New(runtime.Config{})
		t.Cleanup(func() { _ = eng.Close(context.Background()) })
		var changes []string
		require.NoError(t, runtime.On(eng, DeviceModel, runtime.Trigger[DeviceChange]{
			Name: "state", Events: []runtime.Event{runtime.BeforeUpdate},
			Conditions: []runtime.Condition[DeviceChange]{{Description: "State changed", Test: func(_ context.Context, c *DeviceChange) bool {
				return c.Old.State != c.New.State
			}}},
			Actions: []runtime.Action[DeviceChange]{func(_ context.Context, c *DeviceChange) error {
				changes = append(changes, c.Old.State+"->"+c.New.State)
				c.New.Level++ // saved through its own column name
				return nil
			}},
		}))
		db := b.open(t)
		require.NoError(t, db.AutoMigrate(&Device{}))
		require.NoError(t, db.Use(gormtrigger.New(eng, gormtrigger.Model(DeviceModel))))
		require.NoError(t, db.Create(&Device{ID: "d1", State: "off", Level: 1}).Error)
		require.NoError(t, db.Model(&Device{ID: "d1"}).Update("device_state", "on").Error)
		require.NoError(t, db.Model(&Device{ID: "d1"}).Update("State", "idle").Error) // GORM also takes the field name
		require.NoError(t, db.Model(&Device{ID: "d1"}).Update("lvl", 9).Error)
		assert.Equal(t, []string{"off->on", "on->idle"}, changes)
		var d Device
		require.NoError(t, db.Take(&d, "id = ?", "d1").Error)
		assert.Equal(t, Device{ID: "d1", State: "idle", Level: 9}, d)
	})
}

// TestSnapshotsNeverHideAChange covers the ways a snapshot could go out of
// date: a load inside a transaction that rolls back, another write of the
// same row in this process, and rows written by another process, which
// AlwaysReadRows covers.
func TestSnapshotsNeverHideAChange(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		f := setup(t, b)
		f.seed(t, models.SimCard{ID: "c1", Quality: 1}, models.SimCard{ID: "c2", Quality: 1})
		ctx := context.Background()

		// Loaded inside a transaction that then rolls back.
		var card models.SimCard
		err := gormtrigger.Transaction(ctx, f.db, func(tx *gorm.DB) error {
			if err := tx.Model(&models.SimCard{ID: "c1"}).Update("quality", 5).Error; err != nil {
				return err
			}
			if err := tx.First(&card, "id = ?", "c1").Error; err != nil {
				return err
			}
			return errors.New("roll back")
		})
		require.Error(t, err)
		f.rec.take()
		card.Status = models.SimActive
		require.NoError(t, f.db.Save(&card).Error)
		got := f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c1 [Status,Quality]", got[1].String(), "the row goes from quality 1 to 5")

		// Loaded inside a plain db.Transaction, which the plugin cannot follow.
		var inTx models.SimCard
		require.NoError(t, f.db.Transaction(func(tx *gorm.DB) error {
			return tx.First(&inTx, "id = ?", "c2").Error
		}))
		require.NoError(t, f.db.Session(&gorm.Session{SkipHooks: true}).Model(&models.SimCard{ID: "c2"}).Update("quality", 30).Error)
		inTx.Registered = true
		require.NoError(t, f.db.Save(&inTx).Error)
		got = f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c2 [Quality,Registered]", got[1].String())

		// Another write of the same row after the load.
		var c2 models.SimCard
		require.NoError(t, f.db.First(&c2, "id = ?", "c2").Error)
		require.NoError(t, f.db.Model(&models.SimCard{}).Where("id = ?", "c2").Update("quality", 70).Error)
		var other models.SimCard
		require.NoError(t, f.db.First(&other, "id = ?", "c2").Error)
		require.NoError(t, f.db.Model(&other).Update("tags", []string{"x"}).Error)
		f.rec.take()
		c2.Status = models.SimActive
		require.NoError(t, f.db.Save(&c2).Error)
		got = f.rec.take()
		require.Len(t, got, 2)
		assert.Equal(t, "after_update c2 [Status,Quality,Tags]", got[1].String(), "the row goes from 70 to 1 and loses its tags")
		assert.Equal(t, 70, got[1].Old.Quality)
	})
}

func TestAlwaysReadRowsSeesOtherProcessesWrites(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		eng := runtime.New(runtime.Config{})
		t.Cleanup(func() { _ = eng.Close(context.Background()) })
		rec := &recorder{}
		require.NoError(t, runtime.On(eng, models.SimCardModel, runtime.Trigger[models.SimCardChange]{
			Name: "record", Events: []runtime.Event{runtime.AfterUpdate},
			Actions: []runtime.Action[models.SimCardChange]{func(_ context.Context, c *models.SimCardChange) error {
				rec.add(record(c))
				return nil
			}},
		}))
		db := b.open(t)
		p := gormtrigger.New(eng, gormtrigger.Model(models.SimCardModel))
		p.AlwaysReadRows = true
		require.NoError(t, db.Use(p))
		require.NoError(t, db.Create(&models.SimCard{ID: "c1", Quality: 1}).Error)

		var card models.SimCard
		require.NoError(t, db.First(&card, "id = ?", "c1").Error)
		// Another process's write: no GORM call of this process sees it.
		require.NoError(t, db.Exec("UPDATE sim_cards SET quality = 9 WHERE id = ?", "c1").Error)
		card.Status = models.SimActive
		require.NoError(t, db.Save(&card).Error)
		assert.Equal(t, []string{"after_update c1 [Status,Quality]"}, rec.lines())
	})
}
