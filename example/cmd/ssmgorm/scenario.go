package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"gorm.io/gorm"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/gormtrigger"
	"github.com/triggergen/triggergen/runtime/report"
)

// step is one scenario step: do performs it with GORM calls on db, checks
// its outcome in the database and says what happened.
type step struct {
	name string
	do   func(ctx context.Context, db *gorm.DB) (string, error)
}

// scenario tells the SSM story step by step, printing each step with the
// triggers it fired once its async work has finished. A step whose outcome
// is not what it says, or during which a trigger failed, is an error.
func (a *app) scenario(ctx context.Context, out io.Writer) error {
	ctx = triggers.WithStore(triggers.WithAsyncStore(ctx, asyncStore(a.db)), syncStore())
	db := a.db.WithContext(ctx)
	fmt.Fprintln(out, "Scenario")
	for _, s := range a.steps() {
		before := a.eng.List(runtime.ListFilter{})
		msg, err := s.do(ctx, db)
		if err == nil {
			err = a.settle(ctx)
		}
		if err != nil {
			return fmt.Errorf("step %q: %w", s.name, err)
		}
		fired, failed := firedSince(before, a.eng.List(runtime.ListFilter{}))
		if len(failed) > 0 {
			return fmt.Errorf("step %q: %s", s.name, a.failures(failed))
		}
		if len(fired) == 0 {
			fired = []string{"none"}
		}
		fmt.Fprintf(out, "  ✓ %s\n      fired: %s\n", msg, strings.Join(fired, ", "))
	}
	for _, t := range a.eng.List(runtime.ListFilter{}) {
		if t.Stats.Executions == 0 {
			return fmt.Errorf("trigger %s never fired", t.Name)
		}
	}
	fmt.Fprintf(out, "\nEvery one of the %d triggers fired; none failed.\n\n", len(a.eng.List(runtime.ListFilter{})))
	return nil
}

// firedSince names the triggers that ran between two listings (with the
// number of runs when more than one), and the ones that failed.
func firedSince(before, after []runtime.TriggerInfo) (fired, failed []string) {
	prev := make(map[string]runtime.Stats, len(before))
	for _, t := range before {
		prev[t.Name] = t.Stats
	}
	for _, t := range after {
		runs := t.Stats.Executions - prev[t.Name].Executions
		if runs == 0 {
			continue
		}
		name := t.Name
		if runs > 1 {
			name = fmt.Sprintf("%s ×%d", name, runs)
		}
		fired = append(fired, name)
		if t.Stats.Failures > prev[t.Name].Failures {
			failed = append(failed, t.Name)
		}
	}
	return fired, failed
}

// failures describes the named triggers' latest failed runs from the audit
// log.
func (a *app) failures(names []string) string {
	parts := make([]string, 0, len(names))
	for _, name := range names {
		msg := "failed"
		if logs := a.eng.Logs(runtime.LogFilter{Trigger: name, Outcome: runtime.OutcomeFailure, Limit: 1}); len(logs) > 0 {
			msg = "failed: " + logs[0].Error
		}
		parts = append(parts, "trigger "+name+" "+msg)
	}
	return strings.Join(parts, "; ")
}

// steps are the story: every write is a plain GORM call.
func (a *app) steps() []step {
	return []step{
		{"open shops", openShops},
		{"stock SIM cards", stockCards},
		{"sell a SIM card", sell},
		{"register a SIM card", register},
		{"measure quality", measureQuality},
		{"reassign a SIM card", reassign},
		{"flag fraud", a.flagFraud},
		{"flag fraud as an auditor", a.auditorFlag},
		{"block flagged SIM cards", blockFlagged},
		{"suspend a shop", suspend},
		{"request a transfer", requestTransfer},
		{"ship a transfer", ship},
		{"receive a transfer", receive},
		{"retire a SIM card", retire},
		{"roll back a transaction", a.rollback},
	}
}

func openShops(_ context.Context, db *gorm.DB) (string, error) {
	shops := []models.Shop{
		{ID: "central", Name: "Central", Status: models.ShopOpen, Stock: 10, Rating: 4.6},
		{ID: "harbour", Name: "Harbour", Status: models.ShopOpen, Stock: 2, Rating: 4.1},
		{ID: "airport", Name: "Airport", Status: models.ShopOpen, Stock: 5, Rating: 3.8, Attributes: map[string]string{"terminal": "2"}},
	}
	if err := db.Create(&shops).Error; err != nil {
		return "", err
	}
	for _, want := range shops {
		got, err := row[models.Shop](db, "id = ?", want.ID)
		if err != nil {
			return "", err
		}
		if err := check(got.Status == models.ShopOpen && got.Stock == want.Stock, "shop %s is %s with %d in stock", got.ID, got.Status, got.Stock); err != nil {
			return "", err
		}
	}
	return "db.Create(&shops): opened Central (10 SIM cards in stock), Harbour (2) and Airport (5)", nil
}

func stockCards(_ context.Context, db *gorm.DB) (string, error) {
	cards := make([]models.SimCard, 4)
	for i := range cards {
		cards[i] = models.SimCard{ID: fmt.Sprintf("sim%d", i+1), SerialNumber: serial(i + 1), Status: models.SimInactive,
			Quality: 60, ShopID: "central", Tags: []string{"prepaid"}}
	}
	if err := db.Create(&cards).Error; err != nil {
		return "", err
	}
	n, err := count[models.SimCard](db, "status = ? AND quality = 60 AND shop_id = ?", models.SimInactive, "central")
	if err := errors.Join(err, check(n == 4, "%d SIM cards stocked, want 4", n)); err != nil {
		return "", err
	}
	return fmt.Sprintf("db.Create(&cards): stocked SIM cards %s to %s at Central (INACTIVE, quality 60)", serial(1), serial(4)), nil
}

func sell(ctx context.Context, db *gorm.DB) (string, error) {
	before, err := row[models.Shop](db, "id = ?", "central")
	if err != nil {
		return "", err
	}
	err = gormtrigger.Transaction(ctx, db, func(tx *gorm.DB) error {
		sale := models.Sale{ID: "sale1", ShopID: "central", SimCardID: "sim1", Amount: 15, SoldAt: time.Now()}
		if err := tx.Create(&sale).Error; err != nil {
			return err
		}
		return tx.Model(&models.SimCard{ID: "sim1"}).Update("status", models.SimSold).Error
	})
	if err != nil {
		return "", err
	}
	after, err1 := row[models.Shop](db, "id = ?", "central")
	card, err2 := row[models.SimCard](db, "id = ?", "sim1")
	perf, err3 := row[ShopPerformance](db, "shop_id = ?", "central")
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", err
	}
	if err := check(after.Stock == before.Stock-1 && after.SalesCount == before.SalesCount+1 && after.Revenue == 15 &&
		perf.Sales == 1 && card.Status == models.SimSold,
		"after the sale: Central stock %d, sales %d, revenue %.2f, performance %d sales, card %s", after.Stock, after.SalesCount, after.Revenue, perf.Sales, card.Status); err != nil {
		return "", err
	}
	return fmt.Sprintf("gormtrigger.Transaction with Create(&sale) and Update(\"status\", SOLD): sold SIM %s at Central for 15.00;\n"+
		"      Central stock %d -> %d, sales %d -> %d (the sale's trigger saved the shop, whose own trigger recorded its performance)",
		card.SerialNumber, before.Stock, after.Stock, before.SalesCount, after.SalesCount), nil
}

func register(_ context.Context, db *gorm.DB) (string, error) {
	var card models.SimCard
	if err := db.First(&card, "id = ?", "sim1").Error; err != nil {
		return "", err
	}
	was := card.Status
	card.AssignedTo = ptr("alice")
	card.Registered = true
	if err := db.Save(&card).Error; err != nil {
		return "", err
	}
	got, err := row[models.SimCard](db, "id = ?", "sim1")
	if err != nil {
		return "", err
	}
	welcomed, err := count[Notification](db, "recipient = ? AND message LIKE ?", "customer:alice", "Welcome!%")
	if err := errors.Join(err, check(got.Status == models.SimActive && !got.ActivatedAt.IsZero() && got.Registered &&
		deref(got.AssignedTo) == "alice" && welcomed == 1,
		"after registering: status %s, activated %v, assigned to %q, %d welcome messages", got.Status, got.ActivatedAt, deref(got.AssignedTo), welcomed)); err != nil {
		return "", err
	}
	return fmt.Sprintf("db.First, edit, db.Save: registered SIM %s for alice; a before trigger set it %s (was %s),\n"+
		"      activated %s, and welcomed alice", got.SerialNumber, got.Status, was, got.ActivatedAt.Local().Format("15:04:05")), nil
}

func measureQuality(_ context.Context, db *gorm.DB) (string, error) {
	if err := db.Model(&models.SimCard{ID: "sim2"}).Update("quality", 85).Error; err != nil {
		return "", err
	}
	card, err1 := row[models.SimCard](db, "id = ?", "sim2")
	q, err2 := row[QualityStat](db, "shop_id = ?", "central")
	if err := errors.Join(err1, err2, check(card.Quality == 85 && q.Updates == 1 && q.TotalDelta == 25,
		"quality %d, Central's statistics %+v", card.Quality, q)); err != nil {
		return "", err
	}
	return fmt.Sprintf("Model(&card).Update(\"quality\", 85): measured SIM %s, quality 60 -> 85; Central's quality statistics: %d update, change %+d",
		card.SerialNumber, q.Updates, q.TotalDelta), nil
}

func reassign(_ context.Context, db *gorm.DB) (string, error) {
	if err := db.Model(&models.SimCard{ID: "sim1"}).Updates(map[string]any{"assigned_to": "bob"}).Error; err != nil {
		return "", err
	}
	card, err1 := row[models.SimCard](db, "id = ?", "sim1")
	alice, err2 := row[AssignmentCounter](db, "assignee = ?", "alice")
	bob, err3 := row[AssignmentCounter](db, "assignee = ?", "bob")
	if err := errors.Join(err1, err2, err3, check(deref(card.AssignedTo) == "bob" && alice.Released == 1 && bob.Assigned == 1,
		"assigned to %q; alice %+v, bob %+v", deref(card.AssignedTo), alice, bob)); err != nil {
		return "", err
	}
	return fmt.Sprintf("Updates(map{\"assigned_to\": \"bob\"}): reassigned SIM %s from alice to bob; counters: alice %d assigned/%d released, bob %d/%d",
		card.SerialNumber, alice.Assigned, alice.Released, bob.Assigned, bob.Released), nil
}

// flagFraud flags a card; the async fraud alert runs after the commit, so
// its outcome is read once the engine's pool has finished.
func (a *app) flagFraud(ctx context.Context, db *gorm.DB) (string, error) {
	if err := db.Model(&models.SimCard{ID: "sim2"}).Updates(map[string]any{"fraud_flag": true, "quality": 40}).Error; err != nil {
		return "", err
	}
	if err := a.settle(ctx); err != nil {
		return "", err
	}
	alert, err := row[FraudAlert](db, "sim_card_id = ?", "sim2")
	if err != nil {
		return "", err
	}
	team, err := count[Notification](db, "recipient = ? AND message LIKE ?", "fraud-team", fmt.Sprintf("fraud alert #%d:%%", alert.ID))
	if err := errors.Join(err, check(team == 1, "%d fraud team notifications for alert #%d", team, alert.ID)); err != nil {
		return "", err
	}
	return fmt.Sprintf("Updates(map{\"fraud_flag\": true, \"quality\": 40}): flagged SIM %s; after the commit the async trigger\n"+
		"      raised fraud alert #%d and told the fraud team, in a transaction of its own", alert.SerialNumber, alert.ID), nil
}

// auditorFlag flags a card as an auditor: the fraud alert's condition
// excludes auditors, which is checked once the engine's pool has finished.
func (a *app) auditorFlag(ctx context.Context, db *gorm.DB) (string, error) {
	auditor := runtime.WithActor(ctx, runtime.Actor{ID: "audit-7", Roles: []string{"auditor"}})
	if err := db.WithContext(auditor).Model(&models.SimCard{ID: "sim4"}).Update("fraud_flag", true).Error; err != nil {
		return "", err
	}
	if err := a.settle(ctx); err != nil {
		return "", err
	}
	card, err := row[models.SimCard](db, "id = ?", "sim4")
	alerts, err2 := count[FraudAlert](db, "sim_card_id = ?", "sim4")
	if err := errors.Join(err, err2, check(card.FraudFlag && alerts == 0, "flag %v, %d alerts", card.FraudFlag, alerts)); err != nil {
		return "", err
	}
	return fmt.Sprintf("Update(\"fraud_flag\", true) by an auditor: flagged SIM %s, and no alert was raised (condition `not role auditor`)", card.SerialNumber), nil
}

func blockFlagged(_ context.Context, db *gorm.DB) (string, error) {
	res := db.Model(&models.SimCard{}).Where("fraud_flag = ? AND status <> ?", true, models.SimBlocked).Update("status", models.SimBlocked)
	if res.Error != nil {
		return "", res.Error
	}
	blocked, err := count[models.SimCard](db, "fraud_flag = ? AND status = ?", true, models.SimBlocked)
	if err := errors.Join(err, check(res.RowsAffected == 2 && blocked == 2, "%d rows updated, %d flagged cards blocked", res.RowsAffected, blocked)); err != nil {
		return "", err
	}
	return fmt.Sprintf("Model(&models.SimCard{}).Where(\"fraud_flag = ?\", true).Update(\"status\", BLOCKED): blocked %d SIM cards\n"+
		"      with one statement, a bulk update whose rows each fire their triggers", blocked), nil
}

func suspend(_ context.Context, db *gorm.DB) (string, error) {
	var shop models.Shop
	if err := db.First(&shop, "id = ?", "airport").Error; err != nil {
		return "", err
	}
	if err := db.Model(&shop).Update("status", models.ShopSuspended).Error; err != nil {
		return "", err
	}
	got, err := row[models.Shop](db, "id = ?", "airport")
	told, err2 := count[Notification](db, "recipient IN ? AND message LIKE ?", []string{"shop:airport", "operations"}, "%Airport is now SUSPENDED%")
	if err := errors.Join(err, err2, check(got.Status == models.ShopSuspended && told == 2, "Airport %s, %d notices to the shop and operations", got.Status, told)); err != nil {
		return "", err
	}
	return "db.First, Model(&shop).Update(\"status\", SUSPENDED): suspended Airport; the shop and operations were notified", nil
}

func requestTransfer(_ context.Context, db *gorm.DB) (string, error) {
	before, err := row[models.Shop](db, "id = ?", "central")
	if err != nil {
		return "", err
	}
	tr := models.Transfer{ID: "t1", Reference: "TR-1", FromShopID: "central", ToShopID: "harbour", Quantity: 3, Stage: models.TransferRequested}
	if err := db.Create(&tr).Error; err != nil {
		return "", err
	}
	var loaded models.Transfer
	if err := db.First(&loaded, "id = ?", "t1").Error; err != nil {
		return "", err
	}
	loaded.Stage = models.TransferApproved
	if err := db.Save(&loaded).Error; err != nil {
		return "", err
	}
	got, err1 := row[models.Transfer](db, "id = ?", "t1")
	after, err2 := row[models.Shop](db, "id = ?", "central")
	if err := errors.Join(err1, err2, check(got.Stage == models.TransferApproved && after.Stock == before.Stock,
		"transfer %s, Central stock %d -> %d", got.Stage, before.Stock, after.Stock)); err != nil {
		return "", err
	}
	return fmt.Sprintf("db.Create, then db.First and db.Save: requested and approved transfer t1 of 3 SIM cards, Central -> Harbour;\n"+
		"      nothing moves yet (Central stock %d)", after.Stock), nil
}

func ship(_ context.Context, db *gorm.DB) (string, error) {
	return advance(db, "Update(\"stage\", SHIPPED)", "central", -3, func(q *gorm.DB) error {
		return q.Update("stage", models.TransferShipped).Error
	})
}

func receive(_ context.Context, db *gorm.DB) (string, error) {
	return advance(db, "Updates(models.Transfer{Stage: RECEIVED})", "harbour", 3, func(q *gorm.DB) error {
		return q.Updates(models.Transfer{Stage: models.TransferReceived}).Error
	})
}

// advance moves transfer t1 on with write (given Model(&Transfer{ID: "t1"}))
// and checks that the workflow moved delta SIM cards in shopID's stock.
func advance(db *gorm.DB, call, shopID string, delta int, write func(*gorm.DB) error) (string, error) {
	before, err := row[models.Shop](db, "id = ?", shopID)
	if err != nil {
		return "", err
	}
	if err := write(db.Model(&models.Transfer{ID: "t1"})); err != nil {
		return "", err
	}
	after, err1 := row[models.Shop](db, "id = ?", shopID)
	tr, err2 := row[models.Transfer](db, "id = ?", "t1")
	if err := errors.Join(err1, err2, check(after.Stock == before.Stock+delta && len(tr.History) > 0 && tr.StageTimes[string(tr.Stage)] != (time.Time{}),
		"%s stock %d -> %d, transfer %s, history %v", after.Name, before.Stock, after.Stock, tr.Stage, tr.History)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: transfer t1 %s;\n      a before trigger moved %s's stock %d -> %d and recorded %s",
		call, tr.Stage, after.Name, before.Stock, after.Stock, strings.Join(tr.History, ", ")), nil
}

func retire(_ context.Context, db *gorm.DB) (string, error) {
	if err := db.Delete(&models.SimCard{ID: "sim4"}).Error; err != nil {
		return "", err
	}
	n, err := count[models.SimCard](db, "id = ?", "sim4")
	if err := errors.Join(err, check(n == 0, "SIM card sim4 is still stored")); err != nil {
		return "", err
	}
	return fmt.Sprintf("db.Delete(&card): retired the blocked SIM %s (no SSM trigger listens to deletes)", serial(4)), nil
}

// errDeclined is the application's own reason to roll back.
var errDeclined = errors.New("payment declined")

// rollback sells a SIM card and flags it in one gormtrigger.Transaction
// that the application then rolls back: the triggers' writes roll back
// with it, and the async fraud alert, which waits for the commit, never
// runs. The database is compared before and after.
func (a *app) rollback(ctx context.Context, db *gorm.DB) (string, error) {
	before, err := readState(db)
	if err != nil {
		return "", err
	}
	alerts := executions(a.eng, "sim_card_fraud_alert")
	err = gormtrigger.Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Create(&models.Sale{ID: "sale2", ShopID: "central", SimCardID: "sim3", Amount: 20, SoldAt: time.Now()}).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.SimCard{ID: "sim3"}).Updates(map[string]any{"status": models.SimSold, "fraud_flag": true}).Error; err != nil {
			return err
		}
		return errDeclined
	})
	if !errors.Is(err, errDeclined) {
		return "", fmt.Errorf("want the transaction rolled back with %q, got %v", errDeclined, err)
	}
	if err := a.settle(ctx); err != nil {
		return "", err
	}
	after, err := readState(db)
	if err != nil {
		return "", err
	}
	if err := check(after == before, "the rolled-back transaction left data: before %+v, after %+v", before, after); err != nil {
		return "", err
	}
	if err := check(executions(a.eng, "sim_card_fraud_alert") == alerts, "the fraud alert ran for a rolled-back flag"); err != nil {
		return "", err
	}
	return fmt.Sprintf("gormtrigger.Transaction with Create(&sale) and Updates(map{status: SOLD, fraud_flag: true}), then %q:\n"+
		"      rolled back; the triggers below ran inside it and nothing was kept: Central stock %d, %d sale,\n"+
		"      %d notifications, %d fraud alert, SIM %s still %s and unflagged, as before; the fraud alert never ran",
		errDeclined, after.stock, after.sales, after.notifications, after.alerts, serial(3), after.cardStatus), nil
}

// state is what the rolled-back transaction would have changed.
type state struct {
	sales, notifications, alerts int64
	stock, salesCount, perfSales int
	revenue, perfRevenue         float64
	cardStatus                   models.SimStatus
	cardFlag                     bool
}

// readState reads the state from the database.
func readState(db *gorm.DB) (state, error) {
	sales, err1 := count[models.Sale](db, "1 = 1")
	notifications, err2 := count[Notification](db, "1 = 1")
	alerts, err3 := count[FraudAlert](db, "1 = 1")
	shop, err4 := row[models.Shop](db, "id = ?", "central")
	perf, err5 := row[ShopPerformance](db, "shop_id = ?", "central")
	card, err6 := row[models.SimCard](db, "id = ?", "sim3")
	return state{
		sales: sales, notifications: notifications, alerts: alerts,
		stock: shop.Stock, salesCount: shop.SalesCount, revenue: shop.Revenue,
		perfSales: perf.Sales, perfRevenue: perf.Revenue,
		cardStatus: card.Status, cardFlag: card.FraudFlag,
	}, errors.Join(err1, err2, err3, err4, err5, err6)
}

// printMetrics prints each trigger's executions, successes, failures and
// mean duration, then the totals.
func printMetrics(out io.Writer, ts []runtime.TriggerInfo) {
	fmt.Fprintln(out, "Metrics")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  TRIGGER\tEXECUTIONS\tSUCCESSES\tFAILURES\tMEAN")
	all := make([]runtime.Stats, 0, len(ts))
	for _, t := range ts {
		metricsRow(w, t.Name, t.Stats)
		all = append(all, t.Stats)
	}
	metricsRow(w, "all triggers", report.MergeStats(all...))
	_ = w.Flush()
}

// metricsRow prints one row of the metrics table.
func metricsRow(w io.Writer, name string, s runtime.Stats) {
	fmt.Fprintf(w, "  %s\t%d\t%d\t%d\t%s\n", name, s.Executions, s.Successes, s.Failures, s.Mean.Round(time.Microsecond))
}

// reader returns a session that reads rows without hooks, so that the
// checks leave no snapshots in the plugin.
func reader(db *gorm.DB) *gorm.DB { return db.Session(&gorm.Session{SkipHooks: true}) }

// row reads the one row of T that matches where.
func row[T any](db *gorm.DB, where string, args ...any) (T, error) {
	var v T
	if err := reader(db).Where(where, args...).Take(&v).Error; err != nil {
		return v, fmt.Errorf("read %T where %s %v: %w", v, where, args, err)
	}
	return v, nil
}

// count counts the rows of T that match where.
func count[T any](db *gorm.DB, where string, args ...any) (int64, error) {
	var n int64
	if err := reader(db).Model(new(T)).Where(where, args...).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %T where %s: %w", *new(T), where, err)
	}
	return n, nil
}

// executions returns how many times the named trigger has run.
func executions(eng *runtime.Engine, name string) int64 {
	t, _ := eng.Trigger(name)
	return t.Stats.Executions
}

// check returns an error made of format and args unless ok holds.
func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf("unexpected outcome: "+format, args...)
}

// serial is the serial number of SIM card i.
func serial(i int) string { return fmt.Sprintf("8944-%04d", i) }

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
