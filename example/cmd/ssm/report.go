package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/runtime"
	triggerreport "github.com/triggergen/triggergen/runtime/report"
)

// report prints what fired, the metrics and what the triggers left in the
// database.
func report(ctx context.Context, sc *scenario, out io.Writer) error {
	ts := sc.eng.List(runtime.ListFilter{})
	if err := printFired(out, ts); err != nil {
		return err
	}
	if err := printMetrics(out, ts); err != nil {
		return err
	}
	printFailures(out, sc.eng)
	return printDatabase(ctx, out, sc)
}

// printFired lists each trigger with how many times it ran.
func printFired(out io.Writer, ts []runtime.TriggerInfo) error {
	fmt.Fprintln(out, "Triggers fired")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  TRIGGER\tMODEL\tEVENTS\tEXECUTIONS")
	for _, t := range ts {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%d\n", t.Name, t.Model, strings.Join(t.Events, ","), t.Stats.Executions)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("print triggers: %w", err)
	}
	fmt.Fprintln(out)
	return nil
}

// printMetrics prints the engine's per-trigger and overall metrics.
func printMetrics(out io.Writer, ts []runtime.TriggerInfo) error {
	fmt.Fprintln(out, "Metrics")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  TRIGGER\tEXECUTIONS\tSUCCESSES\tFAILURES\tSKIPPED\tSUCCESS RATE\tMEAN\tP95")
	all := make([]runtime.Stats, 0, len(ts))
	for _, t := range ts {
		metricsRow(w, t.Name, t.Stats)
		all = append(all, t.Stats)
	}
	metricsRow(w, "all triggers", triggerreport.MergeStats(all...))
	if err := w.Flush(); err != nil {
		return fmt.Errorf("print metrics: %w", err)
	}
	fmt.Fprintln(out)
	return nil
}

func metricsRow(w io.Writer, name string, s runtime.Stats) {
	fmt.Fprintf(w, "  %s\t%d\t%d\t%d\t%d\t%.1f%%\t%s\t%s\n", name, s.Executions, s.Successes, s.Failures,
		s.Skipped, s.SuccessRate, roundDuration(s.Mean), roundDuration(s.P95))
}

// roundDuration keeps three significant digits or so: 1.234ms, 56.7µs.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

// printFailures prints the audit log's failed runs.
func printFailures(out io.Writer, eng *runtime.Engine) {
	failed := eng.Logs(runtime.LogFilter{Outcome: runtime.OutcomeFailure, Limit: 5})
	if len(failed) == 0 {
		return
	}
	fmt.Fprintln(out, "Failed runs (audit log)")
	for _, r := range failed {
		fmt.Fprintf(out, "  %s %s %s on %s: %s\n", r.Start.Format("15:04:05.000"), r.Trigger, r.Key, r.Event, r.Error)
	}
	fmt.Fprintln(out)
}

// printDatabase reads back what the triggers wrote.
func printDatabase(ctx context.Context, out io.Writer, sc *scenario) error {
	c, err := sc.st.Counts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Database")
	fmt.Fprintf(out, "  rows: %d shops, %d SIM cards, %d sales, %d transfers, %d notifications, %d quality stats,\n"+
		"        %d fraud alerts, %d assignments, %d assignment counters, %d shop performance\n",
		c.Shops, c.SimCards, c.Sales, c.Transfers, c.Notifications, c.QualityStats,
		c.FraudAlerts, c.Assignments, c.AssignmentCounters, c.ShopPerformance)
	for _, print := range []func(context.Context, io.Writer, *scenario) error{
		printShops, printQuality, printAssignments, printFraud, printNotifications,
	} {
		if err := print(ctx, out, sc); err != nil {
			return err
		}
	}
	return nil
}

func printShops(ctx context.Context, out io.Writer, sc *scenario) error {
	perf, err := sc.st.Performance(ctx)
	if err != nil {
		return err
	}
	byShop := map[string]store.Performance{}
	for _, p := range perf {
		byShop[p.ShopID] = p
	}
	for _, id := range []string{"central", "harbour", "airport"} {
		sh, err := sc.st.Shop(ctx, sc.id(id))
		if err != nil {
			return err
		}
		line := fmt.Sprintf("  shop %-8s %-9s stock %2d", sh.Name, sh.Status, sh.Stock)
		if p, ok := byShop[sh.ID]; ok {
			line += fmt.Sprintf(", performance: %d sales, revenue %.2f, average %.2f", p.Sales, p.Revenue, p.AverageSale)
		}
		fmt.Fprintln(out, line)
	}
	return nil
}

func printQuality(ctx context.Context, out io.Writer, sc *scenario) error {
	qs, err := sc.st.QualityStats(ctx)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if strings.HasPrefix(q.ShopID, sc.id("")) {
			fmt.Fprintf(out, "  quality stats %s: %d update(s), total change %+d, average %.1f, last %d\n",
				q.ShopID, q.Updates, q.TotalDelta, q.Average, q.Last)
		}
	}
	return nil
}

func printAssignments(ctx context.Context, out io.Writer, sc *scenario) error {
	n, counters, err := sc.st.Assignments(ctx)
	if err != nil {
		return err
	}
	parts := make([]string, 0, len(counters))
	for _, c := range counters {
		parts = append(parts, fmt.Sprintf("%s %d assigned/%d released", c.Assignee, c.Assigned, c.Released))
	}
	fmt.Fprintf(out, "  assignments: %d logged; %s\n", n, strings.Join(parts, ", "))
	return nil
}

func printFraud(ctx context.Context, out io.Writer, sc *scenario) error {
	alerts, err := sc.st.FraudAlerts(ctx)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		state := "recorded, not delivered"
		if !a.DeliveredAt.IsZero() {
			state = "delivered " + a.DeliveredAt.Local().Format("15:04:05")
		}
		fmt.Fprintf(out, "  fraud alert #%d: SIM %s (%s)\n", a.ID, a.SerialNumber, state)
	}
	for _, text := range sc.hook.received() {
		fmt.Fprintf(out, "  webhook received: {\"text\": %q}\n", text)
	}
	return nil
}

func printNotifications(ctx context.Context, out io.Writer, sc *scenario) error {
	ns, err := sc.st.Notifications(ctx, 4)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "  latest notifications:")
	for _, n := range ns {
		fmt.Fprintf(out, "    %-18s %s\n", n.Recipient, n.Message)
	}
	return nil
}
