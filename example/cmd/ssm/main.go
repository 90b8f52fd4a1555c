// Command ssm runs the triggergen SSM (SIM and shop management) example end
// to end on an embedded SQLite database: it creates shops and SIM cards,
// sells, registers, flags and transfers them through the generated
// lifecycle functions, so that each of the nine SSM triggers does its work
// in the database, then prints what fired, the engine's metrics and what the
// triggers left in the database.
//
// Usage:
//
//	go run ./example/cmd/ssm [-db PATH] [-keep] [-durable] [-trace] [-serve ADDR] [-v]
//
// The database is recreated on each run unless -keep is given. With
// -durable the async trigger (sim_card_fraud_alert) runs as a durable River
// job stored in the same SQLite database, inserted in the transaction that
// flags the card, instead of on the in-process pool. With -trace the engine
// records OpenTelemetry spans (runtime/otel) and the command prints the
// trace of the fraud alert: the update that flagged the card, the commit
// that queued the async trigger and its run. With -serve the command
// keeps running after the scenario and serves the management API on ADDR
// until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	db      string
	keep    bool
	durable bool
	trace   bool
	serve   string
	verbose bool
}

// run runs the command with args (without the program name) and returns its
// exit code: 0 on success, 1 when the demo fails, 2 on bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if err := demo(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "ssm: %v\n", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("ssm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.db, "db", "", "SQLite database `file` (default: <user cache dir>/triggergen/ssm.db)")
	fs.BoolVar(&opts.keep, "keep", false, "keep the database's existing data instead of recreating it")
	fs.BoolVar(&opts.durable, "durable", false, "run async triggers as durable River jobs in the SQLite database instead of the in-process pool")
	fs.BoolVar(&opts.trace, "trace", false, "record OpenTelemetry spans and print the trace of the fraud alert")
	fs.StringVar(&opts.serve, "serve", "", "after the scenario, serve the management API on `addr` until interrupted")
	fs.BoolVar(&opts.verbose, "v", false, "log debug details (conditions, trigger runs) to stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ssm [-db PATH] [-keep] [-durable] [-trace] [-serve ADDR] [-v]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments: %q", fs.Args())
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return opts, err
	}
	if opts.db == "" {
		opts.db = defaultDBPath()
	}
	return opts, nil
}

// defaultDBPath is ssm.db in a triggergen folder of the user's cache
// directory, or of the temporary directory when there is none.
func defaultDBPath() string {
	dir, err := os.UserCacheDir()
	if err != nil || dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "triggergen", "ssm.db")
}

// prepareDB creates the database's folder and, unless keep is set, removes
// the database file and its WAL files so that the run starts empty.
func prepareDB(path string, keep bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create database folder: %w", err)
	}
	if keep {
		return nil
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("recreate database: %w", err)
		}
	}
	return nil
}

// newLogger logs errors only, or everything down to debug with -v.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelError
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
