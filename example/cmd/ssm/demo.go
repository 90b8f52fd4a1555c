package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/otel"
	"github.com/triggergen/triggergen/runtime/riverqueue"
)

// demo wires the store, the engine (with the in-process pool or, with
// -durable, a River queue in the same database) and the local fraud webhook,
// runs the scenario, prints the report and, with -serve, serves until ctx
// ends.
func demo(ctx context.Context, opts options, stdout, stderr io.Writer) (err error) {
	logger := newLogger(stderr, opts.verbose)
	hook, err := startHook()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, hook.close()) }()

	if err := prepareDB(opts.db, opts.keep); err != nil {
		return err
	}
	st, err := store.Open(ctx, opts.db)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	st.Notifier = store.SlackWebhook{URL: hook.url}
	st.Logger = logger

	// The engine closes (draining async work) before the store.
	cfg := runtime.Config{Debug: opts.verbose, Logger: logger}
	var spans *tracetest.SpanRecorder
	if opts.trace {
		spans = tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		defer func() { err = errors.Join(err, tp.Shutdown(context.Background())) }()
		cfg.Observer = otel.NewObserver(otel.Options{TracerProvider: tp})
	}
	var eng *runtime.Engine
	var durable *riverqueue.Queue[*sql.Tx]
	async := "in-process pool"
	if opts.durable {
		durable, err = riverqueue.OpenSQLite(ctx, st.DB(), riverqueue.Config{
			Logger: logger,
			// A worker's context carries none of the operation's values:
			// bind the store the triggers take from the context.
			JobContext: func(ctx context.Context) context.Context { return st.Bind(ctx, eng) },
		})
		if err != nil {
			return fmt.Errorf("open durable queue: %w", err)
		}
		cfg.Queue = durable
		async = "durable River jobs in the database (riverqueue)"
	}
	eng = runtime.New(cfg)
	defer func() { err = errors.Join(err, closeEngine(eng)) }()
	if err := triggers.Register(eng); err != nil {
		return fmt.Errorf("register triggers: %w", err)
	}
	st.RegisterLoaders(eng)
	if durable != nil {
		if err := durable.Start(ctx, eng); err != nil {
			return fmt.Errorf("start durable queue: %w", err)
		}
	}

	fmt.Fprintf(stdout, "triggergen SSM demo\n  database       %s\n  fraud webhook  %s (local, Slack-compatible)\n  async          %s\n\n",
		opts.db, hook.url, async)
	sc, err := newScenario(ctx, st, eng, hook, stdout)
	if err != nil {
		return err
	}
	if err := sc.run(ctx); err != nil {
		return err
	}
	if err := report(ctx, sc, stdout); err != nil {
		return err
	}
	if durable != nil {
		if err := printJobs(ctx, st.DB(), stdout); err != nil {
			return err
		}
	}
	if spans != nil {
		printTrace(stdout, spans.Ended(), "trigger sim_card_fraud_alert")
	}
	if opts.serve == "" {
		return nil
	}
	return serve(ctx, opts.serve, st, eng, stdout)
}

// printJobs counts the durable queue's River jobs by state, once River has
// recorded the end of the jobs that ran (it reports completions in
// batches), or after 5s.
func printJobs(ctx context.Context, db *sql.DB, out io.Writer) error {
	var counts map[string]int
	count := func() bool {
		var err error
		counts, err = jobCounts(ctx, db)
		return err == nil && counts["running"]+counts["available"]+counts["retryable"] == 0
	}
	_ = waitUntil(ctx, 5*time.Second, count)
	var parts []string
	for _, state := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[state], state))
	}
	fmt.Fprintf(out, "  durable jobs (river_job): %s\n", strings.Join(parts, ", "))
	return nil
}

// jobCounts counts River's jobs by state.
func jobCounts(ctx context.Context, db *sql.DB) (map[string]int, error) {
	counts := map[string]int{}
	rows, err := db.QueryContext(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		counts[state] = n
	}
	return counts, rows.Err()
}

// pendingJobs counts the River jobs not yet finished: waiting, scheduled
// for a retry or running.
func pendingJobs(ctx context.Context, db *sql.DB) (int, error) {
	c, err := jobCounts(ctx, db)
	if err != nil {
		return 0, err
	}
	return c["available"] + c["pending"] + c["scheduled"] + c["retryable"] + c["running"], nil
}

// closeEngine drains the engine's async work, waiting at most 10s.
func closeEngine(eng *runtime.Engine) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := eng.Close(ctx); err != nil {
		return fmt.Errorf("close engine: %w", err)
	}
	return nil
}
