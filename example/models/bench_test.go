package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

func sampleCard() *models.SimCard {
	who := "ann"
	return &models.SimCard{
		ID: "c1", SerialNumber: "8901", Status: models.SimInactive, Quality: 70, ShopID: "s1",
		AssignedTo: &who, ActivatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Tags: []string{"a", "b"},
	}
}

// BenchmarkDiffSimCard measures a full comparison of the 11 tracked fields
// (slice, pointer and time fields among them) of two equal cards.
func BenchmarkDiffSimCard(b *testing.B) {
	old, cur := sampleCard(), sampleCard()
	b.ReportAllocs()
	for b.Loop() {
		c := models.DiffSimCard(old, cur)
		if c.Changed() {
			b.Fatal("equal cards reported a change")
		}
	}
}

// BenchmarkSnapshotSimCard measures a deep copy of a card.
func BenchmarkSnapshotSimCard(b *testing.B) {
	card := sampleCard()
	b.ReportAllocs()
	for b.Loop() {
		s := models.SnapshotSimCard(card)
		if s.ID != card.ID {
			b.Fatal("bad snapshot")
		}
	}
}

// BenchmarkDiffShop covers map and float fields.
func BenchmarkDiffShop(b *testing.B) {
	old := &models.Shop{ID: "s1", Attributes: map[string]string{"a": "1", "b": "2"}, Revenue: 10}
	cur := &models.Shop{ID: "s1", Attributes: map[string]string{"a": "1", "b": "2"}, Revenue: 10}
	b.ReportAllocs()
	for b.Loop() {
		c := models.DiffShop(old, cur)
		if c.Changed() {
			b.Fatal("equal shops reported a change")
		}
	}
}

func sampleTransfer() *models.Transfer {
	courier := "dhl"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &models.Transfer{
		ID: "t1", Reference: "TR-1", FromShopID: "s1", ToShopID: "s2", Quantity: 3, Stage: models.TransferShipped,
		Courier: &courier, History: []string{"REQUESTED->APPROVED", "APPROVED->SHIPPED"},
		StageTimes: map[string]time.Time{"APPROVED": at, "SHIPPED": at.Add(time.Hour)}, UpdatedAt: at.Add(time.Hour),
	}
}

// BenchmarkDiffTransfer compares all 10 tracked fields of two equal
// transfers: strings, an int, a pointer, a slice, a map of times and a time.
func BenchmarkDiffTransfer(b *testing.B) {
	old, cur := sampleTransfer(), sampleTransfer()
	b.ReportAllocs()
	for b.Loop() {
		c := models.DiffTransfer(old, cur)
		if c.Changed() {
			b.Fatal("equal transfers reported a change")
		}
	}
}

// BenchmarkSnapshotTransfer deep-copies a transfer: the pointee, the slice
// and the map.
func BenchmarkSnapshotTransfer(b *testing.B) {
	tr := sampleTransfer()
	b.ReportAllocs()
	for b.Loop() {
		s := models.SnapshotTransfer(tr)
		if s.ID != tr.ID {
			b.Fatal("bad snapshot")
		}
	}
}

func TestSnapshotTransferIsDeep(t *testing.T) {
	tr := sampleTransfer()
	s := models.SnapshotTransfer(tr)
	*tr.Courier = "ups"
	tr.History[0] = "edited"
	tr.StageTimes["SHIPPED"] = time.Time{}
	c := models.DiffTransfer(&s, tr)
	assert.Equal(t, []models.TransferField{models.TransferFieldCourier, models.TransferFieldHistory, models.TransferFieldStageTimes}, c.ChangedFields())
	assert.Equal(t, "dhl", *s.Courier)
}

func TestDiffAllocatesNothing(t *testing.T) {
	old, cur := sampleCard(), sampleCard()
	allocs := testing.AllocsPerRun(100, func() {
		c := models.DiffSimCard(old, cur)
		_ = c.Changed()
		_ = c.ChangedSet()
	})
	assert.Zero(t, allocs)
	ot, ct := sampleTransfer(), sampleTransfer()
	allocs = testing.AllocsPerRun(100, func() {
		c := models.DiffTransfer(ot, ct)
		_ = c.Changed()
	})
	assert.Zero(t, allocs, "DiffTransfer allocates nothing")
}

// counters is the work both the triggers and the hand-written code do.
type counters struct{ activated, statusChanged, other int }

// tenTriggers registers 10 triggers on SimCard; an update from INACTIVE to
// ACTIVE matches exactly two of them.
func tenTriggers(t testing.TB, eng *runtime.Engine, n *counters) {
	type C = models.SimCardChange
	cond := func(desc string, f func(c *C) bool) []runtime.Condition[C] {
		return []runtime.Condition[C]{{Description: desc, Test: func(_ context.Context, c *C) bool { return f(c) }}}
	}
	other := func(context.Context, *C) error { n.other++; return nil }
	specs := []runtime.Trigger[C]{
		{Name: "activated", Conditions: cond("Status changed from INACTIVE to ACTIVE", func(c *C) bool {
			return c.StatusChanged() && c.Old.Status == models.SimInactive && c.New.Status == models.SimActive
		}), Actions: []runtime.Action[C]{func(context.Context, *C) error { n.activated++; return nil }}},
		{Name: "status", Conditions: cond("Status changed", func(c *C) bool { return c.StatusChanged() }),
			Actions: []runtime.Action[C]{func(context.Context, *C) error { n.statusChanged++; return nil }}},
		{Name: "fraud", Conditions: cond("FraudFlag changed to true", func(c *C) bool { return c.FraudFlagChanged() && c.New.FraudFlag })},
		{Name: "quality", Conditions: cond("Quality changed", func(c *C) bool { return c.QualityChanged() })},
		{Name: "assigned", Conditions: cond("AssignedTo changed", func(c *C) bool { return c.AssignedToChanged() })},
		{Name: "registered", Conditions: cond("Registered changed", func(c *C) bool { return c.RegisteredChanged() })},
		{Name: "tags", Conditions: cond("Tags changed", func(c *C) bool { return c.TagsChanged() })},
		{Name: "blocked", Conditions: cond("Status == BLOCKED", func(c *C) bool { return c.Instance().Status == models.SimBlocked })},
		{Name: "shop", Conditions: cond("ShopID changed", func(c *C) bool { return c.ShopIDChanged() })},
		{Name: "activated_at", Conditions: cond("ActivatedAt changed", func(c *C) bool { return c.ActivatedAtChanged() })},
	}
	for _, s := range specs {
		s.Events = []runtime.Event{runtime.AfterUpdate}
		if s.Actions == nil {
			s.Actions = []runtime.Action[C]{other}
		}
		require.NoError(t, runtime.On(eng, models.SimCardModel, s))
	}
}

// handWritten is what a developer would write instead: ten if-statements
// around the save, doing the same work.
func handWritten(old, c *models.SimCard, n *counters, persist func(*models.SimCard) error) error {
	if err := persist(c); err != nil {
		return err
	}
	if old.Status != c.Status && old.Status == models.SimInactive && c.Status == models.SimActive {
		n.activated++
	}
	if old.Status != c.Status {
		n.statusChanged++
	}
	if old.FraudFlag != c.FraudFlag && c.FraudFlag {
		n.other++
	}
	if old.Quality != c.Quality {
		n.other++
	}
	if (old.AssignedTo == nil) != (c.AssignedTo == nil) || old.AssignedTo != nil && *old.AssignedTo != *c.AssignedTo {
		n.other++
	}
	if old.Registered != c.Registered {
		n.other++
	}
	if !slices.Equal(old.Tags, c.Tags) {
		n.other++
	}
	if c.Status == models.SimBlocked {
		n.other++
	}
	if old.ShopID != c.ShopID {
		n.other++
	}
	if !old.ActivatedAt.Equal(c.ActivatedAt) {
		n.other++
	}
	return nil
}

func persistNop(context.Context, *models.SimCard) error { return nil }

// BenchmarkUpdate compares an update of a 10-field SimCard from INACTIVE to
// ACTIVE with 10 triggers registered, 2 of which match, against the same
// work hand-written; "no_match" is an update that matches none.
func BenchmarkUpdate(b *testing.B) {
	old := sampleCard()
	cur := sampleCard()
	cur.Status = models.SimActive
	ctx := context.Background()

	b.Run("hand_written", func(b *testing.B) {
		var n counters
		b.ReportAllocs()
		for b.Loop() {
			if err := handWritten(old, cur, &n, func(*models.SimCard) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		if n.activated != b.N || n.statusChanged != b.N || n.other != 0 {
			b.Fatalf("wrong work: %+v", n)
		}
	})
	b.Run("triggergen", func(b *testing.B) {
		var n counters
		eng := runtime.New(runtime.Config{})
		tenTriggers(b, eng, &n)
		b.ReportAllocs()
		for b.Loop() {
			if err := models.UpdateSimCard(ctx, eng, old, cur, persistNop); err != nil {
				b.Fatal(err)
			}
		}
		if n.activated != b.N || n.statusChanged != b.N || n.other != 0 {
			b.Fatalf("wrong work: %+v", n)
		}
	})
	b.Run("triggergen_no_match", func(b *testing.B) {
		var n counters
		eng := runtime.New(runtime.Config{})
		tenTriggers(b, eng, &n)
		same := sampleCard()
		b.ReportAllocs()
		for b.Loop() {
			if err := models.UpdateSimCard(ctx, eng, old, same, persistNop); err != nil {
				b.Fatal(err)
			}
		}
		if n != (counters{}) {
			b.Fatalf("wrong work: %+v", n)
		}
	})
}

func TestUpdateAllocations(t *testing.T) {
	var n counters
	eng := runtime.New(runtime.Config{})
	tenTriggers(t, eng, &n)
	old, cur, same := sampleCard(), sampleCard(), sampleCard()
	cur.Status = models.SimActive
	ctx := context.Background()
	two := testing.AllocsPerRun(200, func() { _ = models.UpdateSimCard(ctx, eng, old, cur, persistNop) })
	none := testing.AllocsPerRun(200, func() { _ = models.UpdateSimCard(ctx, eng, old, same, persistNop) })
	assert.LessOrEqual(t, two, 1.0, "an update whose triggers run allocates at most once")
	assert.Zero(t, none, "an update that matches no trigger allocates nothing")
	assert.Equal(t, 201, n.activated)
	assert.Equal(t, 201, n.statusChanged)
}
