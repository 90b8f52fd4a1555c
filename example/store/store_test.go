package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/triggertest"
)

var clock = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// alerts is a FraudNotifier that keeps what it is given.
type alerts struct {
	mu   sync.Mutex
	got  []store.FraudAlert
	fail error
}

func (a *alerts) NotifyFraud(_ context.Context, fa store.FraudAlert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.got = append(a.got, fa)
	return nil
}

func (a *alerts) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.got)
}

type fixture struct {
	ctx    context.Context
	eng    *runtime.Engine
	st     *store.Store
	alerts *alerts
}

// setup opens a fresh database with two shops (central: 10 in stock,
// harbour: 2) and three SIM cards in central: c1 and c2 INACTIVE, c3 SOLD.
func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	eng := runtime.New(runtime.Config{
		Clock:  func() time.Time { return clock },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, triggers.Register(eng))
	t.Cleanup(func() { _ = eng.Close(context.Background()) })

	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "ssm.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{ctx: ctx, eng: eng, st: st, alerts: &alerts{}}
	st.Notifier = f.alerts
	st.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	st.RegisterLoaders(eng)

	for _, sh := range []*models.Shop{
		{ID: "central", Name: "Central", Status: models.ShopOpen, Stock: 10},
		{ID: "harbour", Name: "Harbour", Status: models.ShopOpen, Stock: 2},
	} {
		require.NoError(t, st.CreateShop(ctx, eng, sh))
	}
	for _, c := range []*models.SimCard{
		{ID: "c1", SerialNumber: "8944-0001", Status: models.SimInactive, ShopID: "central", Quality: 50},
		{ID: "c2", SerialNumber: "8944-0002", Status: models.SimInactive, ShopID: "central", Quality: 70},
		{ID: "c3", SerialNumber: "8944-0003", Status: models.SimSold, ShopID: "central", Quality: 60},
	} {
		require.NoError(t, st.CreateSimCard(ctx, eng, c))
	}
	return f
}

func (f *fixture) executions(t *testing.T, name string) int64 {
	t.Helper()
	info, ok := f.eng.Trigger(name)
	require.True(t, ok, name)
	return info.Stats.Executions
}

func (f *fixture) shop(t *testing.T, id string) *models.Shop {
	t.Helper()
	sh, err := f.st.Shop(f.ctx, id)
	require.NoError(t, err)
	return sh
}

func (f *fixture) card(t *testing.T, id string) *models.SimCard {
	t.Helper()
	c, err := f.st.SimCard(f.ctx, id)
	require.NoError(t, err)
	return c
}

func (f *fixture) counts(t *testing.T) store.Counts {
	t.Helper()
	c, err := f.st.Counts(f.ctx)
	require.NoError(t, err)
	return c
}

func (f *fixture) messages(t *testing.T) []string {
	t.Helper()
	ns, err := f.st.Notifications(f.ctx, 0)
	require.NoError(t, err)
	var out []string
	for _, n := range ns {
		out = append(out, n.Recipient+": "+n.Message)
	}
	return out
}

func TestOpenSetsPragmasAndKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ssm.db")
	st, err := store.Open(ctx, path)
	require.NoError(t, err)

	var mode string
	var fk, busy int
	require.NoError(t, st.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, st.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
	require.NoError(t, st.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
	assert.Equal(t, "wal", mode)
	assert.Equal(t, 1, fk)
	assert.Equal(t, 5000, busy)

	eng := runtime.New(runtime.Config{})
	require.NoError(t, st.CreateShop(ctx, eng, &models.Shop{ID: "s1", Name: "One", Status: models.ShopOpen}))
	require.NoError(t, st.Close())

	// Opening again keeps the schema and the data.
	st, err = store.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	sh, err := st.Shop(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, "One", sh.Name)

	_, err = store.Open(ctx, "")
	assert.Error(t, err)
}

func TestRoundTripAndNotFound(t *testing.T) {
	f := setup(t)
	ann := "ann"
	card := &models.SimCard{
		ID: "c9", SerialNumber: "8944-0009", Status: models.SimActive, Quality: 42, AssignedTo: &ann,
		Registered: true, ActivatedAt: clock.Add(-time.Hour), Tags: []string{"esim", "5g"}, Notes: "spare",
	}
	require.NoError(t, f.st.CreateSimCard(f.ctx, f.eng, card))
	assert.Equal(t, card, f.card(t, "c9"), "a card without a shop reads back as saved")

	shop := &models.Shop{ID: "airport", Name: "Airport", Status: models.ShopOpen, Rating: 4.5,
		Attributes: map[string]string{"terminal": "2"}}
	require.NoError(t, f.st.CreateShop(f.ctx, f.eng, shop))
	got := f.shop(t, "airport")
	assert.Equal(t, shop.Attributes, got.Attributes)
	assert.Equal(t, clock, got.UpdatedAt, "a new shop is stamped with the engine's clock")

	for _, err := range []error{
		second(f.st.SimCard(f.ctx, "nope")),
		second(f.st.Shop(f.ctx, "nope")),
		second(f.st.Sale(f.ctx, "nope")),
		second(f.st.Transfer(f.ctx, "nope")),
	} {
		assert.ErrorIs(t, err, runtime.ErrNotFound)
	}
	_, err := f.st.EditSimCard(f.ctx, f.eng, "nope", func(*models.SimCard) {})
	assert.ErrorIs(t, err, runtime.ErrNotFound)
}

func second[T any](_ T, err error) error { return err }

func TestSaleTakesStockAndUpdatesPerformance(t *testing.T) {
	f := setup(t)
	sale := &models.Sale{ID: "sale1", ShopID: "central", SimCardID: "c1", Amount: 15}
	require.NoError(t, f.st.RecordSale(f.ctx, f.eng, sale))

	// shop_inventory_sale_tracking saved the shop through UpdateShop, whose
	// shop_sales_performance_update ran nested in the same transaction.
	central := f.shop(t, "central")
	assert.Equal(t, 9, central.Stock)
	assert.Equal(t, 1, central.SalesCount)
	assert.InDelta(t, 15.0, central.Revenue, 1e-9)
	perf, err := f.st.Performance(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []store.Performance{{ShopID: "central", Sales: 1, Revenue: 15, AverageSale: 15}}, perf)

	saved, err := f.st.Sale(f.ctx, "sale1")
	require.NoError(t, err)
	assert.Equal(t, clock, saved.SoldAt)
	// The card is now sold, which sim_card_status_notification announced.
	assert.Equal(t, models.SimSold, f.card(t, "c1").Status)
	assert.Equal(t, []string{"shop:central: SIM 8944-0001: status INACTIVE -> SOLD"}, f.messages(t))

	assert.EqualValues(t, 1, f.executions(t, "shop_inventory_sale_tracking"))
	assert.EqualValues(t, 1, f.executions(t, "shop_sales_performance_update"))
	assert.EqualValues(t, 1, f.executions(t, "sim_card_status_notification"))
}

func TestSaleWithoutStockRollsBack(t *testing.T) {
	f := setup(t)
	_, err := f.st.EditShop(f.ctx, f.eng, "harbour", func(s *models.Shop) { s.Stock = 0 })
	require.NoError(t, err)
	before := f.counts(t)

	err = f.st.RecordSale(f.ctx, f.eng, &models.Sale{ID: "sale1", ShopID: "harbour", SimCardID: "c1", Amount: 5})
	var te *runtime.TriggerError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "shop_inventory_sale_tracking", te.Trigger)
	assert.ErrorContains(t, err, "no SIM cards in stock")

	assert.Equal(t, before, f.counts(t), "the sale row is rolled back with the trigger's failure")
	assert.Equal(t, models.SimInactive, f.card(t, "c1").Status)
}

func TestRegistrationActivatesAndTracksAssignment(t *testing.T) {
	f := setup(t)
	card, err := f.st.EditSimCard(f.ctx, f.eng, "c3", func(c *models.SimCard) {
		alice := "alice"
		c.AssignedTo = &alice
		c.Registered = true
	})
	require.NoError(t, err)

	// sim_card_registration_completion edited the card before it was saved.
	saved := f.card(t, "c3")
	assert.Equal(t, models.SimActive, saved.Status)
	assert.Equal(t, clock, saved.ActivatedAt)
	assert.Equal(t, card, saved)
	assert.ElementsMatch(t, []string{
		"customer:alice: Welcome! SIM 8944-0003 is active.",
		"shop:central: SIM 8944-0003: status SOLD -> ACTIVE",
		"customer:alice: SIM 8944-0003: status SOLD -> ACTIVE",
	}, f.messages(t))

	// Reassigning moves the counters.
	_, err = f.st.EditSimCard(f.ctx, f.eng, "c3", func(c *models.SimCard) {
		bob := "bob"
		c.AssignedTo = &bob
	})
	require.NoError(t, err)
	n, counters, err := f.st.Assignments(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, []store.AssignmentCounter{
		{Assignee: "alice", Assigned: 1, Released: 1},
		{Assignee: "bob", Assigned: 1},
	}, counters)
	assert.EqualValues(t, 1, f.executions(t, "sim_card_registration_completion"))
	assert.EqualValues(t, 2, f.executions(t, "sim_card_assignment_tracking"))
}

func TestQualityStatistics(t *testing.T) {
	f := setup(t)
	for _, q := range []int{80, 70} {
		_, err := f.st.EditSimCard(f.ctx, f.eng, "c1", func(c *models.SimCard) { c.Quality = q })
		require.NoError(t, err)
	}
	// Same quality again: the condition does not hold.
	_, err := f.st.EditSimCard(f.ctx, f.eng, "c1", func(c *models.SimCard) { c.Quality = 70 })
	require.NoError(t, err)

	qs, err := f.st.QualityStats(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []store.QualityStat{{ShopID: "central", Updates: 2, TotalDelta: 20, Average: 75, Last: 70}}, qs)
	assert.EqualValues(t, 2, f.executions(t, "sim_card_quality_update"))
}

func TestFraudAlertRecordedAndDeliveredAfterCommit(t *testing.T) {
	f := setup(t)
	// Flagged by an auditor: no alert.
	auditor := runtime.WithActor(f.ctx, runtime.Actor{ID: "u1", Roles: []string{"auditor"}})
	_, err := f.st.EditSimCard(auditor, f.eng, "c1", func(c *models.SimCard) { c.FraudFlag = true })
	require.NoError(t, err)
	assert.Zero(t, f.counts(t).FraudAlerts)

	_, err = f.st.EditSimCard(f.ctx, f.eng, "c2", func(c *models.SimCard) { c.FraudFlag = true })
	require.NoError(t, err)
	triggertest.WaitAsync(t, f.eng, 1)
	got, err := f.st.FraudAlerts(f.ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "c2", got[0].SimCardID)
	assert.Equal(t, "central", got[0].ShopID)
	assert.Equal(t, clock, got[0].RaisedAt)
	assert.Equal(t, clock, got[0].DeliveredAt, "delivered and marked after the commit")
	require.Equal(t, 1, f.alerts.count())
	assert.Equal(t, got[0].ID, f.alerts.got[0].ID)

	// A card created flagged raises an alert too (after_create).
	require.NoError(t, f.st.CreateSimCard(f.ctx, f.eng,
		&models.SimCard{ID: "c4", SerialNumber: "8944-0004", Status: models.SimActive, FraudFlag: true}))
	triggertest.WaitAsync(t, f.eng, 2)
	assert.Equal(t, 2, f.alerts.count())
}

func TestFraudAlertDeliveryFailureKeepsTheCommit(t *testing.T) {
	f := setup(t)
	f.alerts.fail = errors.New("chat is down")
	_, err := f.st.EditSimCard(f.ctx, f.eng, "c2", func(c *models.SimCard) { c.FraudFlag = true })
	require.NoError(t, err)
	triggertest.WaitAsync(t, f.eng, 1)
	got, err := f.st.FraudAlerts(f.ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].DeliveredAt.IsZero())
	assert.True(t, f.card(t, "c2").FraudFlag)
}

func TestShopStatusChange(t *testing.T) {
	f := setup(t)
	_, err := f.st.EditShop(f.ctx, f.eng, "harbour", func(s *models.Shop) { s.Status = models.ShopSuspended })
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"shop:harbour: shop Harbour is now SUSPENDED (was OPEN)",
		"operations: shop Harbour is now SUSPENDED (was OPEN)",
	}, f.messages(t))
	assert.EqualValues(t, 1, f.executions(t, "shop_status_change_handler"))
	assert.EqualValues(t, 0, f.executions(t, "shop_sales_performance_update"))
}

func TestTransferWorkflowMovesStock(t *testing.T) {
	f := setup(t)
	require.NoError(t, f.st.CreateTransfer(f.ctx, f.eng,
		&models.Transfer{ID: "t1", Reference: "TR-1", FromShopID: "central", ToShopID: "harbour", Quantity: 4}))

	steps := []struct {
		stage            models.TransferStage
		central, harbour int
	}{
		{models.TransferApproved, 10, 2},
		{models.TransferShipped, 6, 2},
		{models.TransferReceived, 6, 6},
	}
	for _, s := range steps {
		_, err := f.st.AdvanceTransfer(f.ctx, f.eng, "t1", s.stage)
		require.NoError(t, err, s.stage)
		assert.Equal(t, s.central, f.shop(t, "central").Stock, s.stage)
		assert.Equal(t, s.harbour, f.shop(t, "harbour").Stock, s.stage)
	}
	tr, err := f.st.Transfer(f.ctx, "t1")
	require.NoError(t, err)
	assert.Equal(t, models.TransferReceived, tr.Stage)
	assert.Equal(t, []string{"APPROVED->SHIPPED", "SHIPPED->RECEIVED"}, tr.History)
	assert.Equal(t, "TR-1", tr.Reference)
	assert.Len(t, tr.StageTimes, 2, "the workflow stamps the stages it handles")
	assert.False(t, tr.UpdatedAt.IsZero())
	assert.True(t, tr.StageTimes["RECEIVED"].Equal(tr.UpdatedAt), "times round-trip through the database")
	assert.ElementsMatch(t, []string{
		"shop:harbour: transfer t1 of 4 SIM cards: SHIPPED",
		"shop:harbour: transfer t1 of 4 SIM cards: RECEIVED",
	}, f.messages(t))
	assert.EqualValues(t, 2, f.executions(t, "shop_transfer_workflow"))

	// Shipping more than the shop holds fails in the before trigger.
	require.NoError(t, f.st.CreateTransfer(f.ctx, f.eng,
		&models.Transfer{ID: "t2", FromShopID: "harbour", ToShopID: "central", Quantity: 50}))
	_, err = f.st.AdvanceTransfer(f.ctx, f.eng, "t2", models.TransferShipped)
	assert.ErrorContains(t, err, "cannot ship 50")
	tr, err = f.st.Transfer(f.ctx, "t2")
	require.NoError(t, err)
	assert.Equal(t, models.TransferRequested, tr.Stage)
	assert.Equal(t, 6, f.shop(t, "harbour").Stock)
}

func TestFailingBeforeTriggerRollsBackTheWholeTransaction(t *testing.T) {
	f := setup(t)
	require.NoError(t, f.st.CreateTransfer(f.ctx, f.eng,
		&models.Transfer{ID: "t1", FromShopID: "central", ToShopID: "harbour", Quantity: 1, Stage: models.TransferApproved}))
	before := f.counts(t)

	err := f.st.InTx(f.ctx, f.eng, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.RecordSale(ctx, &models.Sale{ID: "sale1", ShopID: "central", SimCardID: "c1", Amount: 9}); err != nil {
			return err
		}
		if _, err := tx.EditSimCard(ctx, "c2", func(c *models.SimCard) { c.FraudFlag = true }); err != nil {
			return err
		}
		// Inside the transaction the trigger work is visible...
		sh, err := tx.Shop(ctx, "central")
		if err != nil {
			return err
		}
		assert.Equal(t, 9, sh.Stock)
		// ... until the transfer workflow's before trigger refuses this.
		_, err = tx.AdvanceTransfer(ctx, "t1", models.TransferReceived)
		return err
	})
	var te *runtime.TriggerError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "shop_transfer_workflow", te.Trigger)
	assert.ErrorContains(t, err, "received before it was shipped")

	// The triggers ran, but for the async fraud alert, which waited for the
	// commit and was dropped...
	assert.EqualValues(t, 1, f.executions(t, "shop_inventory_sale_tracking"))
	assert.EqualValues(t, 0, f.executions(t, "sim_card_fraud_alert"))
	// ... and none of their work, nor the operations', was kept.
	assert.Equal(t, before, f.counts(t))
	central := f.shop(t, "central")
	assert.Equal(t, 10, central.Stock)
	assert.Zero(t, central.SalesCount)
	assert.False(t, f.card(t, "c2").FraudFlag)
	assert.Equal(t, models.SimInactive, f.card(t, "c1").Status)
	assert.Zero(t, f.alerts.count(), "a rolled-back alert is never delivered")
	tr, err := f.st.Transfer(f.ctx, "t1")
	require.NoError(t, err)
	assert.Equal(t, models.TransferApproved, tr.Stage)
}

func TestRolledBackInTxLeavesNothing(t *testing.T) {
	f := setup(t)
	before := f.counts(t)
	abort := errors.New("abort")
	err := f.st.InTx(f.ctx, f.eng, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.CreateShop(ctx, &models.Shop{ID: "pier", Name: "Pier", Status: models.ShopOpen, Stock: 3}); err != nil {
			return err
		}
		if err := tx.CreateSimCard(ctx, &models.SimCard{ID: "c5", SerialNumber: "8944-0005", ShopID: "pier", FraudFlag: true}); err != nil {
			return err
		}
		if err := tx.RecordSale(ctx, &models.Sale{ID: "sale1", ShopID: "pier", SimCardID: "c5", Amount: 3}); err != nil {
			return err
		}
		return abort
	})
	require.ErrorIs(t, err, abort)
	assert.Equal(t, before, f.counts(t))
	_, err = f.st.Shop(f.ctx, "pier")
	assert.ErrorIs(t, err, runtime.ErrNotFound)
	assert.Zero(t, f.alerts.count())
}

func TestExecuteLoadsThroughTheStore(t *testing.T) {
	f := setup(t)
	ctx := f.st.Bind(f.ctx, f.eng)
	require.NoError(t, f.eng.Execute(ctx, "sim_card_fraud_alert", "c1", 0))
	got, err := f.st.FraudAlerts(f.ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "c1", got[0].SimCardID)
	assert.Equal(t, 1, f.alerts.count())

	// A sale executed again takes another card out of stock, and the
	// shop's own trigger runs in that transaction.
	require.NoError(t, f.st.RecordSale(f.ctx, f.eng, &models.Sale{ID: "sale1", ShopID: "central", Amount: 2}))
	require.NoError(t, f.eng.Execute(ctx, "shop_inventory_sale_tracking", "sale1", 0))
	assert.Equal(t, 8, f.shop(t, "central").Stock)
	assert.Equal(t, 2, f.shop(t, "central").SalesCount)

	err = f.eng.Execute(ctx, "sim_card_fraud_alert", "nope", 0)
	assert.ErrorIs(t, err, runtime.ErrNotFound)
	err = f.eng.Execute(f.ctx, "sim_card_fraud_alert", "c1", 0)
	assert.ErrorIs(t, err, triggers.ErrNoAsyncStore, "without Bind the triggers have no Store")
}

func TestSlackWebhook(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []map[string]any
		status = http.StatusOK
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var body map[string]any
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		bodies = append(bodies, body)
		w.WriteHeader(status)
	}))
	defer srv.Close()

	hook := store.SlackWebhook{URL: srv.URL, Client: srv.Client()}
	a := store.FraudAlert{ID: 7, SimCardID: "c2", SerialNumber: "8944-0002", ShopID: "central", CardStatus: models.SimActive}
	require.NoError(t, hook.NotifyFraud(context.Background(), a))
	mu.Lock()
	require.Len(t, bodies, 1)
	assert.Equal(t, map[string]any{"text": "Fraud alert #7: SIM 8944-0002 (card c2, central) flagged while ACTIVE"}, bodies[0])
	status = http.StatusInternalServerError
	mu.Unlock()
	assert.ErrorContains(t, hook.NotifyFraud(context.Background(), a), "500")
}
