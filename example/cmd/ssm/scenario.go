package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/runtime"
)

// scenario is the SSM story the demo tells, one step at a time. Its IDs carry
// the run number, so that -keep can run it again on the same database.
type scenario struct {
	st   *store.Store
	eng  *runtime.Engine
	hook *hookServer
	out  io.Writer
	n    int
}

// step is one scenario step: do performs it and says what happened.
type step struct {
	name string
	do   func(ctx context.Context) (string, error)
}

func newScenario(ctx context.Context, st *store.Store, eng *runtime.Engine, hook *hookServer, out io.Writer) (*scenario, error) {
	n, err := nextRun(ctx, st)
	if err != nil {
		return nil, err
	}
	return &scenario{st: st, eng: eng, hook: hook, out: out, n: n}, nil
}

// nextRun returns the first run number whose shops are not in the database.
func nextRun(ctx context.Context, st *store.Store) (int, error) {
	for n := 1; ; n++ {
		_, err := st.Shop(ctx, fmt.Sprintf("r%d-central", n))
		if errors.Is(err, runtime.ErrNotFound) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("find run number: %w", err)
		}
	}
}

// id names a record of this run.
func (sc *scenario) id(name string) string { return fmt.Sprintf("r%d-%s", sc.n, name) }

// serial is the serial number of this run's card i.
func (sc *scenario) serial(i int) string { return fmt.Sprintf("8944-%02d-%04d", sc.n, i) }

// run performs the steps in order, printing each with the triggers it fired.
func (sc *scenario) run(ctx context.Context) error {
	fmt.Fprintf(sc.out, "Scenario (run %d)\n", sc.n)
	for _, s := range sc.steps() {
		before := sc.eng.List(runtime.ListFilter{})
		msg, err := s.do(ctx)
		if err != nil {
			return fmt.Errorf("scenario step %q: %w", s.name, err)
		}
		fmt.Fprintf(sc.out, "  ✓ %s\n", msg)
		if fired := firedSince(before, sc.eng.List(runtime.ListFilter{})); len(fired) > 0 {
			fmt.Fprintf(sc.out, "      fired: %s\n", strings.Join(fired, ", "))
		}
	}
	fmt.Fprintln(sc.out)
	return nil
}

// firedSince names the triggers that ran between two listings, marking
// the ones that failed.
func firedSince(before, after []runtime.TriggerInfo) []string {
	prev := make(map[string]runtime.Stats, len(before))
	for _, t := range before {
		prev[t.Name] = t.Stats
	}
	var out []string
	for _, t := range after {
		runs := t.Stats.Executions - prev[t.Name].Executions
		if runs == 0 {
			continue
		}
		name := t.Name
		if runs > 1 {
			name = fmt.Sprintf("%s ×%d", name, runs)
		}
		if t.Stats.Failures > prev[t.Name].Failures {
			name += " (failed)"
		}
		out = append(out, name)
	}
	return out
}

func (sc *scenario) steps() []step {
	return []step{
		{"open shops", sc.openShops},
		{"stock SIM cards", sc.stockCards},
		{"sell a SIM card", func(ctx context.Context) (string, error) { return sc.sell(ctx, "sale1", 1, 15) }},
		{"register a SIM card", sc.register},
		{"measure quality", sc.measureQuality},
		{"reassign a SIM card", sc.reassign},
		{"flag fraud", sc.flagFraud},
		{"flag fraud as an auditor", sc.auditorFlag},
		{"sell another SIM card", func(ctx context.Context) (string, error) { return sc.sell(ctx, "sale2", 3, 12.5) }},
		{"suspend a shop", sc.suspend},
		{"request a transfer", sc.requestTransfer},
		{"ship a transfer", func(ctx context.Context) (string, error) { return sc.advance(ctx, models.TransferShipped, "central") }},
		{"receive a transfer", func(ctx context.Context) (string, error) { return sc.advance(ctx, models.TransferReceived, "harbour") }},
		{"roll back a transaction", sc.rollback},
	}
}

func (sc *scenario) openShops(ctx context.Context) (string, error) {
	shops := []*models.Shop{
		{ID: sc.id("central"), Name: "Central", Status: models.ShopOpen, Stock: 10, Rating: 4.6},
		{ID: sc.id("harbour"), Name: "Harbour", Status: models.ShopOpen, Stock: 2, Rating: 4.1},
		{ID: sc.id("airport"), Name: "Airport", Status: models.ShopOpen, Stock: 5, Rating: 3.8,
			Attributes: map[string]string{"terminal": "2"}},
	}
	for _, sh := range shops {
		if err := sc.st.CreateShop(ctx, sc.eng, sh); err != nil {
			return "", err
		}
	}
	return "opened shops Central (10 SIM cards in stock), Harbour (2) and Airport (5)", nil
}

func (sc *scenario) stockCards(ctx context.Context) (string, error) {
	for i := 1; i <= 4; i++ {
		card := &models.SimCard{
			ID: sc.id(fmt.Sprintf("sim%d", i)), SerialNumber: sc.serial(i), Status: models.SimInactive,
			Quality: 60, ShopID: sc.id("central"), Tags: []string{"prepaid"},
		}
		if err := sc.st.CreateSimCard(ctx, sc.eng, card); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("stocked SIM cards %s to %s at Central (INACTIVE, quality 60)", sc.serial(1), sc.serial(4)), nil
}

func (sc *scenario) sell(ctx context.Context, saleID string, card int, amount float64) (string, error) {
	before, err := sc.st.Shop(ctx, sc.id("central"))
	if err != nil {
		return "", err
	}
	sale := &models.Sale{ID: sc.id(saleID), ShopID: sc.id("central"), SimCardID: sc.id(fmt.Sprintf("sim%d", card)), Amount: amount}
	if err := sc.st.RecordSale(ctx, sc.eng, sale); err != nil {
		return "", err
	}
	after, err := sc.st.Shop(ctx, sc.id("central"))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("sold SIM %s at Central for %.2f: stock %d -> %d, sales %d -> %d, card SOLD",
		sc.serial(card), amount, before.Stock, after.Stock, before.SalesCount, after.SalesCount), nil
}

func (sc *scenario) register(ctx context.Context) (string, error) {
	card, err := sc.st.EditSimCard(ctx, sc.eng, sc.id("sim1"), func(c *models.SimCard) {
		c.AssignedTo = ptr("alice")
		c.Registered = true
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("registered SIM %s for alice: a before trigger set it %s, activated %s",
		card.SerialNumber, card.Status, card.ActivatedAt.Format("15:04:05")), nil
}

func (sc *scenario) measureQuality(ctx context.Context) (string, error) {
	card, err := sc.st.EditSimCard(ctx, sc.eng, sc.id("sim2"), func(c *models.SimCard) { c.Quality = 85 })
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("measured SIM %s: quality 60 -> %d", card.SerialNumber, card.Quality), nil
}

func (sc *scenario) reassign(ctx context.Context) (string, error) {
	card, err := sc.st.EditSimCard(ctx, sc.eng, sc.id("sim1"), func(c *models.SimCard) { c.AssignedTo = ptr("bob") })
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("reassigned SIM %s from alice to bob", card.SerialNumber), nil
}

func (sc *scenario) flagFraud(ctx context.Context) (string, error) {
	start := time.Now()
	runs := sc.executions("sim_card_fraud_alert")
	card, err := sc.st.EditSimCard(ctx, sc.eng, sc.id("sim2"), func(c *models.SimCard) { c.FraudFlag = true })
	if err != nil {
		return "", err
	}
	// The fraud alert is async: wait for its run, which raises the alert
	// and posts it to the webhook.
	if err := waitUntil(ctx, 15*time.Second, func() bool {
		return sc.executions("sim_card_fraud_alert") > runs && len(sc.hook.received()) > 0
	}); err != nil {
		return "", fmt.Errorf("wait for the async fraud alert: %w", err)
	}
	return fmt.Sprintf("flagged SIM %s for fraud: after the commit, the async trigger raised the alert and posted it to the webhook (%d received, %s later)",
		card.SerialNumber, len(sc.hook.received()), time.Since(start).Round(time.Millisecond)), nil
}

// executions returns how many times the named trigger has run.
func (sc *scenario) executions(name string) int64 {
	t, _ := sc.eng.Trigger(name)
	return t.Stats.Executions
}

// waitUntil polls cond until it holds, ctx ends or d passes.
func waitUntil(ctx context.Context, d time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func (sc *scenario) auditorFlag(ctx context.Context) (string, error) {
	before, err := sc.snapshot(ctx)
	if err != nil {
		return "", err
	}
	runs := sc.executions("sim_card_fraud_alert")
	auditor := runtime.WithActor(ctx, runtime.Actor{ID: "audit-7", Roles: []string{"auditor"}})
	card, err := sc.st.EditSimCard(auditor, sc.eng, sc.id("sim4"), func(c *models.SimCard) { c.FraudFlag = true })
	if err != nil {
		return "", err
	}
	// The alert would be async: say "no alert" only once the async work
	// has settled and none was raised or posted.
	if err := sc.settle(ctx); err != nil {
		return "", err
	}
	after, err := sc.snapshot(ctx)
	if err != nil {
		return "", err
	}
	if n := sc.executions("sim_card_fraud_alert"); n != runs || after.counts.FraudAlerts != before.counts.FraudAlerts || after.posts != before.posts {
		return "", fmt.Errorf("an auditor's flag raised an alert: %d runs of sim_card_fraud_alert, %d alerts and %d webhook posts before, %d, %d and %d after",
			runs, before.counts.FraudAlerts, before.posts, n, after.counts.FraudAlerts, after.posts)
	}
	return fmt.Sprintf("an auditor flagged SIM %s: no alert (condition `not role auditor`): still %d fraud alerts, %d webhook posts",
		card.SerialNumber, after.counts.FraudAlerts, after.posts), nil
}

// settle waits, at most 15s, until the async work queued so far has
// finished: every job the in-process pool accepted has run, or no durable
// job waits or runs.
func (sc *scenario) settle(ctx context.Context) error {
	var settled func() bool
	if _, durable := sc.eng.Config().Queue.(runtime.DurableQueue); !durable {
		pool := sc.eng.Config().Queue.(runtime.QueueStatser)
		settled = func() bool {
			q := pool.QueueStats()
			return q.Completed+q.Failed == q.Accepted
		}
	} else {
		settled = func() bool {
			n, err := pendingJobs(ctx, sc.st.DB())
			return err == nil && n == 0
		}
	}
	if err := waitUntil(ctx, 15*time.Second, settled); err != nil {
		return fmt.Errorf("wait for the async work to settle: %w", err)
	}
	return nil
}

func (sc *scenario) suspend(ctx context.Context) (string, error) {
	before, err := sc.snapshot(ctx)
	if err != nil {
		return "", err
	}
	shop, err := sc.st.EditShop(ctx, sc.eng, sc.id("airport"), func(s *models.Shop) { s.Status = models.ShopSuspended })
	if err != nil {
		return "", err
	}
	if err := sc.settle(ctx); err != nil {
		return "", err
	}
	after, err := sc.snapshot(ctx)
	if err != nil {
		return "", err
	}
	sent := after.counts.Notifications - before.counts.Notifications
	if sent != 2 {
		return "", fmt.Errorf("suspending %s sent %d notifications, want 2 (the shop and operations)", shop.Name, sent)
	}
	return fmt.Sprintf("suspended %s: the shop and operations are notified (%d notifications)", shop.Name, sent), nil
}

func (sc *scenario) requestTransfer(ctx context.Context) (string, error) {
	stocks := func() (from, to int, err error) {
		a, err := sc.st.Shop(ctx, sc.id("central"))
		if err != nil {
			return 0, 0, err
		}
		b, err := sc.st.Shop(ctx, sc.id("harbour"))
		if err != nil {
			return 0, 0, err
		}
		return a.Stock, b.Stock, nil
	}
	from, to, err := stocks()
	if err != nil {
		return "", err
	}
	tr := &models.Transfer{ID: sc.id("t1"), Reference: "TR-" + sc.id("t1"), FromShopID: sc.id("central"), ToShopID: sc.id("harbour"), Quantity: 3}
	if err := sc.st.CreateTransfer(ctx, sc.eng, tr); err != nil {
		return "", err
	}
	if _, err := sc.st.AdvanceTransfer(ctx, sc.eng, tr.ID, models.TransferApproved); err != nil {
		return "", err
	}
	if err := sc.settle(ctx); err != nil {
		return "", err
	}
	from2, to2, err := stocks()
	if err != nil {
		return "", err
	}
	if from2 != from || to2 != to {
		return "", fmt.Errorf("approving transfer %s moved stock: Central %d -> %d, Harbour %d -> %d", tr.ID, from, from2, to, to2)
	}
	return fmt.Sprintf("requested and approved transfer %s of 3 SIM cards, Central -> Harbour: nothing moves yet (stock %d and %d)", tr.ID, from2, to2), nil
}

func (sc *scenario) advance(ctx context.Context, stage models.TransferStage, shopID string) (string, error) {
	before, err := sc.st.Shop(ctx, sc.id(shopID))
	if err != nil {
		return "", err
	}
	tr, err := sc.st.AdvanceTransfer(ctx, sc.eng, sc.id("t1"), stage)
	if err != nil {
		return "", err
	}
	after, err := sc.st.Shop(ctx, sc.id(shopID))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s transfer %s: %s stock %d -> %d (history %s)", strings.ToLower(string(stage)), tr.ID,
		after.Name, before.Stock, after.Stock, strings.Join(tr.History, ", ")), nil
}

// rollback runs a sale and a fraud flag in one transaction with a transfer
// the workflow refuses (received before it was shipped): the before
// trigger's error rolls all of it back, trigger work included, and the
// async fraud alert, which waits for the commit, never runs.
func (sc *scenario) rollback(ctx context.Context) (string, error) {
	tr := &models.Transfer{ID: sc.id("t2"), FromShopID: sc.id("harbour"), ToShopID: sc.id("airport"),
		Quantity: 1, Stage: models.TransferApproved}
	if err := sc.st.CreateTransfer(ctx, sc.eng, tr); err != nil {
		return "", err
	}
	before, err := sc.snapshot(ctx)
	if err != nil {
		return "", err
	}
	err = sc.st.InTx(ctx, sc.eng, func(ctx context.Context, tx *store.Tx) error {
		sale := &models.Sale{ID: sc.id("sale3"), ShopID: sc.id("central"), SimCardID: sc.id("sim4"), Amount: 20}
		if err := tx.RecordSale(ctx, sale); err != nil {
			return err
		}
		if _, err := tx.EditSimCard(ctx, sc.id("sim3"), func(c *models.SimCard) { c.FraudFlag = true }); err != nil {
			return err
		}
		_, err := tx.AdvanceTransfer(ctx, tr.ID, models.TransferReceived)
		return err
	})
	var te *runtime.TriggerError
	if !errors.As(err, &te) {
		return "", fmt.Errorf("want the transfer workflow to refuse the transaction, got %v", err)
	}
	// "Nothing kept" includes the async alert: check once async work has
	// settled.
	if err := sc.settle(ctx); err != nil {
		return "", err
	}
	after, err := sc.snapshot(ctx)
	if err != nil {
		return "", err
	}
	if after != before {
		return "", fmt.Errorf("rolled-back transaction left data: before %+v, after %+v", before, after)
	}
	return fmt.Sprintf("rolled back a transaction (sale of SIM %s, fraud flag on SIM %s, transfer %s received unshipped)\n"+
		"      because %v\n"+
		"      nothing kept, as before: Central stock %d; rows: %d sales, %d fraud alerts, %d notifications; %d webhook posts",
		sc.serial(4), sc.serial(3), tr.ID, te, after.stock, after.counts.Sales, after.counts.FraudAlerts,
		after.counts.Notifications, after.posts), nil
}

// state is what the rolled-back transaction would have changed.
type state struct {
	counts store.Counts
	stock  int
	posts  int
}

func (sc *scenario) snapshot(ctx context.Context) (state, error) {
	c, err := sc.st.Counts(ctx)
	if err != nil {
		return state{}, err
	}
	shop, err := sc.st.Shop(ctx, sc.id("central"))
	if err != nil {
		return state{}, err
	}
	return state{counts: c, stock: shop.Stock, posts: len(sc.hook.received())}, nil
}

func ptr[T any](v T) *T { return &v }
