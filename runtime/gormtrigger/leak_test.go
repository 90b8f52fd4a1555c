package gormtrigger

import (
	"path/filepath"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

// TestSnapshotsOfDroppedRecordsAreCollected loads many records and drops
// them: the snapshots taken on load must go with them.
func TestSnapshotsOfDroppedRecordsAreCollected(t *testing.T) {
	db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "leak.db")), &gorm.Config{Logger: logger.Discard})
	require.NoError(t, err)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	defer sqlDB.Close()
	require.NoError(t, db.AutoMigrate(&models.SimCard{}))
	cards := make([]models.SimCard, 100)
	for i := range cards {
		cards[i] = models.SimCard{ID: string(rune('a'+i/26)) + string(rune('a'+i%26)), Tags: []string{"x"}}
	}
	require.NoError(t, db.Create(&cards).Error)

	eng := runtime.New(runtime.Config{})
	bind := Model(models.SimCardModel).(*binding[models.SimCard, models.SimCardChange, models.SimCardBatch])
	require.NoError(t, db.Use(New(eng, bind)))

	var kept []models.SimCard
	require.NoError(t, db.Find(&kept).Error)
	for range 50 {
		var batch []models.SimCard
		require.NoError(t, db.Find(&batch).Error)
		var one models.SimCard
		require.NoError(t, db.First(&one).Error)
	}
	records, _ := bind.snaps.len()
	assert.Greater(t, records, len(kept))

	deadline := time.Now().Add(10 * time.Second)
	for records > len(kept) && time.Now().Before(deadline) {
		goruntime.GC()
		time.Sleep(10 * time.Millisecond)
		records, _ = bind.snaps.len()
	}
	records, keys := bind.snaps.len()
	assert.Equal(t, len(kept), records, "only the records still referenced keep a snapshot")
	assert.Equal(t, len(kept), keys, "and only their keys keep a version")

	kept = nil
	for time.Now().Before(deadline) {
		goruntime.GC()
		time.Sleep(10 * time.Millisecond)
		if records, keys = bind.snaps.len(); records == 0 && keys == 0 {
			break
		}
	}
	assert.Zero(t, records)
	assert.Zero(t, keys)
}

// TestRepeatedSnapshotsKeepOneCleanup checks that recording a record again
// (every save does) reuses the hold its allocation already has instead of
// adding a weak pointer and a cleanup each time, which the runtime keeps
// in a list it walks.
func TestRepeatedSnapshotsKeepOneCleanup(t *testing.T) {
	var s snapshots[models.SimCard]
	cards := make([]models.SimCard, 3)
	ps := []*models.SimCard{&cards[0], &cards[1], &cards[2]}
	s.put(ps, []string{"a", "b", "c"}, make([]models.SimCard, 3), true)
	owner := s.m[addr(ps[1])].owner
	assert.Equal(t, owner, s.m[addr(ps[0])].owner, "one hold for the whole array")
	for i := range 100 {
		s.put(ps[1:2], []string{"b"}, []models.SimCard{{Quality: i}}, false)
	}
	e := s.m[addr(ps[1])]
	assert.Equal(t, owner, e.owner)
	assert.Equal(t, 99, e.state.Quality)
	records, keys := s.len()
	assert.Equal(t, 3, records)
	assert.Equal(t, 3, keys)
	goruntime.KeepAlive(cards)
}
