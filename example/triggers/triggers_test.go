package triggers_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/triggertest"
)

// memStore is an in-memory triggers.Store.
type memStore struct {
	mu            sync.Mutex
	eng           *runtime.Engine
	shops         map[string]*models.Shop
	notes         []string
	quality       map[string][2]int // shop -> (sum of deltas, count)
	alerts        []string
	assignments   []string
	performance   map[string]string
	failAlerts    int
	alertAttempts int
}

func newStore(eng *runtime.Engine) *memStore {
	return &memStore{eng: eng, shops: map[string]*models.Shop{}, quality: map[string][2]int{}, performance: map[string]string{}}
}

func (s *memStore) Notify(_ context.Context, to, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = append(s.notes, to+": "+msg)
	return nil
}

func (s *memStore) RecordQuality(_ context.Context, shopID string, old, new int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.quality[shopID]
	s.quality[shopID] = [2]int{q[0] + new - old, q[1] + 1}
	return nil
}

func (s *memStore) FraudAlert(_ context.Context, c models.SimCard) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alertAttempts++
	if s.failAlerts > 0 {
		s.failAlerts--
		return errors.New("fraud service unavailable")
	}
	s.alerts = append(s.alerts, c.ID)
	return nil
}

func (s *memStore) RecordAssignment(_ context.Context, id string, from, to *string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.assignments = append(s.assignments, fmt.Sprintf("%s:%s->%s", id, deref(from), deref(to)))
	return nil
}

func (s *memStore) Shop(_ context.Context, id string) (*models.Shop, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shops[id]
	if !ok {
		return nil, fmt.Errorf("shop %s: %w", id, runtime.ErrNotFound)
	}
	c := models.SnapshotShop(sh)
	return &c, nil
}

func (s *memStore) SaveShop(ctx context.Context, old, shop *models.Shop) error {
	return models.UpdateShop(ctx, s.eng, old, shop, func(_ context.Context, sh *models.Shop) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		c := models.SnapshotShop(sh)
		s.shops[sh.ID] = &c
		return nil
	})
}

func (s *memStore) RecordPerformance(_ context.Context, shopID string, sales int, revenue float64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.performance[shopID] = fmt.Sprintf("%d sales, %.2f", sales, revenue)
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func setup(t *testing.T) (context.Context, *runtime.Engine, *memStore) {
	t.Helper()
	clock := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	eng := runtime.New(runtime.Config{Clock: func() time.Time { return clock }})
	require.NoError(t, triggers.Register(eng))
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	s := newStore(eng)
	s.shops["s1"] = &models.Shop{ID: "s1", Name: "Central", Status: models.ShopOpen, Stock: 10}
	s.shops["s2"] = &models.Shop{ID: "s2", Name: "Harbour", Status: models.ShopOpen, Stock: 1}
	return triggers.WithAsyncStore(triggers.WithStore(context.Background(), s), s), eng, s
}

// alertsNow returns the alerts raised so far and the attempts made.
func (s *memStore) alertsNow() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.alerts...), s.alertAttempts
}

func nop[M any](context.Context, *M) error { return nil }

func TestRegisterAllNine(t *testing.T) {
	_, eng, _ := setup(t)
	var names []string
	for _, ti := range eng.List(runtime.ListFilter{}) {
		names = append(names, ti.Name)
	}
	assert.Equal(t, []string{
		"shop_inventory_sale_tracking", "shop_sales_performance_update", "shop_status_change_handler",
		"shop_transfer_workflow", "sim_card_assignment_tracking", "sim_card_fraud_alert",
		"sim_card_quality_update", "sim_card_registration_completion", "sim_card_status_notification",
	}, names)
	fraud, ok := eng.Trigger("sim_card_fraud_alert")
	require.True(t, ok)
	assert.Equal(t, []string{"after_update", "after_create"}, fraud.Events)
	assert.Equal(t, []string{"FraudFlag changed to true", "Status != SimBlocked and not role auditor"}, fraud.Conditions)
	assert.True(t, fraud.Async)
	assert.True(t, fraud.OnCommit)
	assert.Equal(t, 3, fraud.Retries)
	assert.Equal(t, 5*time.Second, fraud.Timeout)
	assert.Equal(t, runtime.PriorityHigh, fraud.Priority)
	assert.Contains(t, fraud.Description, "HandleFraud alerts the fraud team")
	assert.Error(t, triggers.Register(eng), "registering twice is refused")
}

func TestSimCardTriggers(t *testing.T) {
	ctx, eng, s := setup(t)
	ann := "ann"
	card := &models.SimCard{ID: "c1", SerialNumber: "8901", Status: models.SimSold, ShopID: "s1", Quality: 50, AssignedTo: &ann}
	require.NoError(t, models.CreateSimCard(ctx, eng, card, nop))

	old := models.SnapshotSimCard(card)
	card.Registered = true
	card.Quality = 80
	bob := "bob"
	card.AssignedTo = &bob
	var saved models.SimCard
	require.NoError(t, models.UpdateSimCard(ctx, eng, &old, card, func(_ context.Context, c *models.SimCard) error {
		saved = *c
		return nil
	}))
	// sim_card_registration_completion edited the card before it was saved.
	assert.Equal(t, models.SimActive, saved.Status)
	assert.Equal(t, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), saved.ActivatedAt)
	assert.Contains(t, s.notes, "customer:bob: Welcome! SIM 8901 is active.")
	// ... and the after triggers saw the edit: the status changed SOLD -> ACTIVE.
	assert.Contains(t, s.notes, "shop:s1: SIM 8901: status SOLD -> ACTIVE")
	assert.Equal(t, [2]int{30, 1}, s.quality["s1"])
	assert.Equal(t, []string{"c1:ann->bob"}, s.assignments)
	assert.Empty(t, s.alerts)

	// Fraud: flagged by an auditor -> no alert; by anyone else -> alert, with retries.
	old = models.SnapshotSimCard(card)
	card.FraudFlag = true
	auditor := runtime.WithActor(ctx, runtime.Actor{ID: "u1", Roles: []string{"auditor"}})
	require.NoError(t, models.UpdateSimCard(auditor, eng, &old, card, nop))
	assert.Empty(t, s.alerts)

	card.FraudFlag = false
	old = models.SnapshotSimCard(card)
	card.FraudFlag = true
	s.mu.Lock()
	s.failAlerts = 2
	s.mu.Unlock()
	require.NoError(t, models.UpdateSimCard(ctx, eng, &old, card, nop))
	// The alert is async: it is raised off the caller's goroutine.
	triggertest.WaitAsync(t, eng, 1)
	alerts, attempts := s.alertsNow()
	assert.Equal(t, []string{"c1"}, alerts)
	assert.Equal(t, 3, attempts)
	logs := eng.Logs(runtime.LogFilter{Trigger: "sim_card_fraud_alert"})
	require.Len(t, logs, 3)
	assert.Equal(t, []int{3, 2, 1}, []int{logs[0].Attempt, logs[1].Attempt, logs[2].Attempt})
	assert.Equal(t, runtime.OutcomeSuccess, logs[0].Outcome)
	assert.Equal(t, "c1", logs[0].Key)

	// A blocked card raises no alert.
	blocked := &models.SimCard{ID: "c2", Status: models.SimBlocked, FraudFlag: true}
	require.NoError(t, models.CreateSimCard(ctx, eng, blocked, nop))
	alerts, _ = s.alertsNow()
	assert.Equal(t, []string{"c1"}, alerts)

	// In a scope, the alert waits for the commit and a rollback drops it.
	scoped, scope := runtime.BeginScope(ctx)
	flagged := &models.SimCard{ID: "c3", Status: models.SimActive, FraudFlag: true}
	require.NoError(t, models.CreateSimCard(scoped, eng, flagged, nop))
	scope.Rollback()
	scoped, scope = runtime.BeginScope(ctx)
	flagged = &models.SimCard{ID: "c4", Status: models.SimActive, FraudFlag: true}
	require.NoError(t, models.CreateSimCard(scoped, eng, flagged, nop))
	alerts, _ = s.alertsNow()
	assert.Equal(t, []string{"c1"}, alerts, "nothing before the commit")
	require.NoError(t, scope.Commit(ctx))
	triggertest.WaitAsync(t, eng, 2)
	alerts, _ = s.alertsNow()
	assert.Equal(t, []string{"c1", "c4"}, alerts)
}

func TestShopTriggers(t *testing.T) {
	ctx, eng, s := setup(t)

	// A sale takes stock out of the shop; saving the shop fires its own
	// performance trigger.
	sale := &models.Sale{ID: "sale1", ShopID: "s1", SimCardID: "c1", Amount: 9.5}
	require.NoError(t, models.CreateSale(ctx, eng, sale, nop))
	assert.Equal(t, 9, s.shops["s1"].Stock)
	assert.Equal(t, 1, s.shops["s1"].SalesCount)
	assert.Equal(t, "1 sales, 9.50", s.performance["s1"])

	// Selling from an empty shop fails and says why.
	s.shops["s2"].Stock = 0
	err := models.CreateSale(ctx, eng, &models.Sale{ID: "sale2", ShopID: "s2"}, nop)
	var te *runtime.TriggerError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "shop_inventory_sale_tracking", te.Trigger)
	assert.ErrorContains(t, err, "no SIM cards in stock")

	// Status changes notify the shop and, when not open, operations.
	shop, err := s.Shop(ctx, "s1")
	require.NoError(t, err)
	old := models.SnapshotShop(shop)
	shop.Status = models.ShopSuspended
	require.NoError(t, s.SaveShop(ctx, &old, shop))
	assert.Contains(t, s.notes, "operations: shop Central is now SUSPENDED (was OPEN)")
}

func TestTransferWorkflow(t *testing.T) {
	ctx, eng, s := setup(t)
	tr := &models.Transfer{ID: "t1", FromShopID: "s1", ToShopID: "s2", Quantity: 4, Stage: models.TransferRequested}
	require.NoError(t, models.CreateTransfer(ctx, eng, tr, nop))

	advance := func(stage models.TransferStage) error {
		old := models.SnapshotTransfer(tr)
		tr.Stage = stage
		return models.UpdateTransfer(ctx, eng, &old, tr, nop)
	}
	require.NoError(t, advance(models.TransferApproved))
	assert.Equal(t, 10, s.shops["s1"].Stock, "approval moves nothing")
	require.NoError(t, advance(models.TransferShipped))
	assert.Equal(t, 6, s.shops["s1"].Stock)
	require.NoError(t, advance(models.TransferReceived))
	assert.Equal(t, 5, s.shops["s2"].Stock)
	assert.Equal(t, []string{"APPROVED->SHIPPED", "SHIPPED->RECEIVED"}, tr.History)

	// Receiving what was never shipped aborts the update before it is saved.
	tr2 := &models.Transfer{ID: "t2", FromShopID: "s1", ToShopID: "s2", Quantity: 1, Stage: models.TransferApproved}
	old := models.SnapshotTransfer(tr2)
	tr2.Stage = models.TransferReceived
	persisted := false
	err := models.UpdateTransfer(ctx, eng, &old, tr2, func(context.Context, *models.Transfer) error {
		persisted = true
		return nil
	})
	require.Error(t, err)
	assert.False(t, persisted)
	assert.ErrorContains(t, err, "received before it was shipped")
}

func TestWithoutStoreFailsClearly(t *testing.T) {
	eng := runtime.New(runtime.Config{})
	require.NoError(t, triggers.Register(eng))
	card := &models.SimCard{ID: "c1"}
	old := models.SnapshotSimCard(card)
	card.Status = models.SimActive
	err := models.UpdateSimCard(context.Background(), eng, &old, card, nop)
	assert.ErrorIs(t, err, triggers.ErrNoStore)
}
