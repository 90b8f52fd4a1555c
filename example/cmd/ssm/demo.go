package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
)

// demo wires the engine, the store and the local fraud webhook, runs the
// scenario, prints the report and, with -serve, serves until ctx ends.
func demo(ctx context.Context, opts options, stdout, stderr io.Writer) (err error) {
	logger := newLogger(stderr, opts.verbose)
	eng := runtime.New(runtime.Config{Debug: opts.verbose, Logger: logger})
	defer func() { err = errors.Join(err, closeEngine(eng)) }()
	if err := triggers.Register(eng); err != nil {
		return fmt.Errorf("register triggers: %w", err)
	}

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
	st.RegisterLoaders(eng)

	fmt.Fprintf(stdout, "triggergen SSM demo\n  database       %s\n  fraud webhook  %s (local, Slack-compatible)\n\n", opts.db, hook.url)
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
	if opts.serve == "" {
		return nil
	}
	return serve(ctx, opts.serve, st, eng, stdout)
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
