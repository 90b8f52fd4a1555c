// Command ssmgorm runs the triggergen SSM (SIM and shop management) story on
// GORM: the example models are written with plain GORM calls (Create of a
// record and of a slice, First and Save, Update, Updates with a map or a
// struct, an update by query, Delete, and gormtrigger.Transaction with a
// commit and a rollback), never with the generated lifecycle functions, and
// the gormtrigger plugin runs the nine SSM triggers from GORM's own write
// path. After each step it prints which triggers fired, and at the end each
// trigger's metrics.
//
// Usage:
//
//	go run ./example/cmd/ssmgorm [-db PATH] [-keep]
//
// The database is an embedded SQLite file (github.com/glebarez/sqlite, pure
// Go: no server, no cgo), created empty: by default ssm.db in a new
// temporary folder; -db names another file, which must not exist yet. It is
// removed when the demo ends unless -keep is given.
//
// The triggers reach the database through a triggers.Store written with
// GORM: the synchronous triggers write on the triggering write's
// transaction (gormtrigger.DB), so their work commits or rolls back with
// it, and a shop they save fires the shop's triggers in turn; the async
// sim_card_fraud_alert runs after the commit, on the engine's in-process
// pool, with transactions of its own.
//
// This is a separate command from example/cmd/ssm, not a flag of it: that
// one stores through example/store on modernc.org/sqlite, and both that
// driver and glebarez's go-sqlite register the database/sql driver name
// "sqlite", so a binary that links both panics at init.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/gormtrigger"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command with args (without the program name) and returns its
// exit code: 0 on success, 1 when the demo fails, 2 on bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ssmgorm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("db", "", "SQLite database `file` to create; it must not exist (default: ssm.db in a new temporary folder)")
	keep := fs.Bool("keep", false, "keep the database file when the demo ends")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ssmgorm: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	if err := demo(ctx, *path, *keep, stdout); err != nil {
		fmt.Fprintf(stderr, "ssmgorm: %v\n", err)
		return 1
	}
	return 0
}

// demo creates the database, runs the scenario and prints the metrics.
func demo(ctx context.Context, path string, keep bool, out io.Writer) (err error) {
	path, cleanup, err := prepare(path, keep)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cleanup()) }()
	a, err := open(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.close()) }()

	fmt.Fprintf(out, "triggergen SSM demo on GORM\n  database  %s (SQLite, glebarez/sqlite)\n  async     in-process pool\n\n", path)
	if err := a.scenario(ctx, out); err != nil {
		return err
	}
	printMetrics(out, a.eng.List(runtime.ListFilter{}))
	if keep {
		fmt.Fprintf(out, "\nThe database is kept: %s\n", path)
	}
	return nil
}

// prepare returns the database path to create and a function that removes
// what the demo created, unless keep is set.
func prepare(path string, keep bool) (string, func() error, error) {
	var created []string
	if path == "" {
		dir, err := os.MkdirTemp("", "ssmgorm-")
		if err != nil {
			return "", nil, fmt.Errorf("create a temporary folder: %w", err)
		}
		path, created = filepath.Join(dir, "ssm.db"), []string{dir}
	} else if _, err := os.Stat(path); err == nil {
		return "", nil, fmt.Errorf("%s already exists: the demo starts from an empty database; remove it or name another file with -db", path)
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", nil, fmt.Errorf("create the database's folder: %w", err)
	} else {
		created = []string{path, path + "-wal", path + "-shm"}
	}
	if keep {
		created = nil
	}
	return path, func() error {
		var errs []error
		for _, p := range created {
			errs = append(errs, os.RemoveAll(p))
		}
		return errors.Join(errs...)
	}, nil
}

// app is the demo's database and engine, with the plugin installed.
type app struct {
	db  *gorm.DB
	eng *runtime.Engine
}

// open opens (creates) the SQLite database at path, migrates the tables,
// registers the nine SSM triggers and installs the gormtrigger plugin.
func open(path string) (*app, error) {
	// WAL and a busy timeout, on one connection: SQLite has one writer, and
	// the async trigger's transactions wait for the scenario's.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(1)
	a := &app{db: db, eng: runtime.New(runtime.Config{})}
	if err := db.AutoMigrate(tables...); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate: %w", err), a.close())
	}
	if err := triggers.Register(a.eng); err != nil {
		return nil, errors.Join(fmt.Errorf("register triggers: %w", err), a.close())
	}
	plugin := gormtrigger.New(a.eng, gormtrigger.Model(models.SimCardModel), gormtrigger.Model(models.ShopModel),
		gormtrigger.Model(models.SaleModel), gormtrigger.Model(models.TransferModel))
	if err := db.Use(plugin); err != nil {
		return nil, errors.Join(fmt.Errorf("install the gormtrigger plugin: %w", err), a.close())
	}
	return a, nil
}

// close drains the engine's async work (at most 10s), then closes the
// database.
func (a *app) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if err := a.eng.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close engine: %w", err))
	}
	if sqlDB, err := a.db.DB(); err == nil {
		if err := sqlDB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	return errors.Join(errs...)
}

// settle waits, at most 10s, until the engine's in-process pool has
// finished every job it accepted, so that async work's outcome can be read.
func (a *app) settle(ctx context.Context) error {
	q, ok := a.eng.Config().Queue.(runtime.QueueStatser)
	if !ok {
		return fmt.Errorf("the engine's queue %T does not report its figures", a.eng.Config().Queue)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		st := q.QueueStats()
		if st.Completed+st.Failed >= st.Accepted {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for async work (%d of %d jobs finished): %w", st.Completed+st.Failed, st.Accepted, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}
