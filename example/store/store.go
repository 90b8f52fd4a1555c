// Package store keeps the SSM example's data in SQLite (modernc.org/sqlite,
// pure Go, no server) through database/sql.
//
// Every write runs in a SQL transaction and goes through the generated
// lifecycle functions (models.CreateSimCard, models.UpdateShop, ...), with a
// Tx bound to that transaction in the context as the triggers' Store. The
// nine SSM triggers therefore write their notifications, statistics, alerts,
// counters and stock changes in the caller's transaction: they commit with
// it or roll back with it.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/sqlscope"
)

// Store is the SSM database. Open it with Open and release it with Close.
// Its methods are safe for concurrent use.
type Store struct {
	db *sql.DB

	// Notifier delivers fraud alerts once the transaction that raised them
	// has committed. Nil means alerts are only recorded in fraud_alerts.
	Notifier FraudNotifier
	// Logger receives the errors of work done after a commit (fraud alert
	// delivery), which cannot fail the committed transaction. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// pragmas are applied to every connection: write-ahead logging so readers
// never block the writer, a busy timeout so writers wait for each other
// instead of failing, and enforced foreign keys. Transactions begin
// IMMEDIATE: they take the write lock at BEGIN, so two transactions never
// deadlock upgrading a read lock.
const pragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Open opens (creating it if needed) the SQLite database file at path and
// creates the schema's missing tables.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open store: invalid database path %q", path)
	}
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the underlying database, for queries the Store does not offer.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// RegisterLoaders registers the Store's loaders with eng, so that
// Engine.Execute can load SimCards, Shops, Sales and Transfers by ID. The
// triggers Execute runs need a Store in the context too: see Bind.
func (s *Store) RegisterLoaders(eng *runtime.Engine) {
	models.SetSimCardLoader(eng, s.SimCard)
	models.SetShopLoader(eng, s.Shop)
	models.SetSaleLoader(eng, s.Sale)
	models.SetTransferLoader(eng, s.Transfer)
}

// Tx is one unit of work: the repositories bound to a SQL transaction. It
// is the triggers.Store of the operations run through it, so the triggers
// write in the same transaction. Get one from Store.InTx; it is valid until
// the function given to InTx returns.
type Tx struct {
	s   *Store
	tx  *sql.Tx
	eng *runtime.Engine
}

var _ triggers.Store = (*Tx)(nil)

// now reads the engine's clock (Config.Clock), which the demo may fix.
func (t *Tx) now() time.Time { return t.eng.Config().Clock() }

// InTx runs fn in a SQL transaction (sqlscope.InTx: a transaction and a
// trigger scope bound to it) with a Tx whose operations run eng's triggers.
// The context fn receives carries the Tx as the triggers' Store. When fn
// returns nil the transaction commits, then the scope's after-commit work
// (on_commit triggers, fraud alert delivery) runs; otherwise everything
// rolls back, trigger work included, and nothing is delivered. Inside fn,
// write through tx: the Store's own write methods open a transaction of
// their own, which waits for this one.
func (s *Store) InTx(ctx context.Context, eng *runtime.Engine, fn func(ctx context.Context, tx *Tx) error) error {
	return sqlscope.InTx(ctx, s.db, nil, func(ctx context.Context, sqlTx *sql.Tx) error {
		t := &Tx{s: s, tx: sqlTx, eng: eng}
		ctx = triggers.WithAsyncStore(triggers.WithStore(ctx, t), autoStore{s: s, eng: eng})
		return fn(ctx, t)
	})
}

// bind returns ctx carrying t as the triggers' Store, so that an operation
// run with a context that lost it still writes in t's transaction.
func (t *Tx) bind(ctx context.Context) context.Context {
	return triggers.WithStore(ctx, t)
}

// schema creates the example's tables. Times are RFC 3339 text in UTC ("" for
// the zero time); slices and maps are JSON.
const schema = `
CREATE TABLE IF NOT EXISTS shops (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	status      TEXT NOT NULL,
	stock       INTEGER NOT NULL CHECK (stock >= 0),
	sales_count INTEGER NOT NULL,
	revenue     REAL NOT NULL,
	rating      REAL NOT NULL,
	attributes  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sim_cards (
	id            TEXT PRIMARY KEY,
	serial_number TEXT NOT NULL UNIQUE,
	status        TEXT NOT NULL,
	fraud_flag    INTEGER NOT NULL,
	quality       INTEGER NOT NULL,
	shop_id       TEXT REFERENCES shops(id),
	assigned_to   TEXT,
	registered    INTEGER NOT NULL,
	activated_at  TEXT NOT NULL,
	tags          TEXT NOT NULL,
	notes         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sales (
	id          TEXT PRIMARY KEY,
	shop_id     TEXT REFERENCES shops(id),
	sim_card_id TEXT REFERENCES sim_cards(id),
	amount      REAL NOT NULL,
	sold_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transfers (
	id           TEXT PRIMARY KEY,
	reference    TEXT NOT NULL,
	from_shop_id TEXT NOT NULL REFERENCES shops(id),
	to_shop_id   TEXT NOT NULL REFERENCES shops(id),
	quantity     INTEGER NOT NULL CHECK (quantity > 0),
	stage        TEXT NOT NULL,
	courier      TEXT,
	history      TEXT NOT NULL,
	stage_times  TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notifications (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	recipient  TEXT NOT NULL,
	message    TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quality_stats (
	shop_id      TEXT PRIMARY KEY REFERENCES shops(id),
	updates      INTEGER NOT NULL,
	total_delta  INTEGER NOT NULL,
	quality_sum  INTEGER NOT NULL,
	last_quality INTEGER NOT NULL,
	updated_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fraud_alerts (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	sim_card_id   TEXT NOT NULL REFERENCES sim_cards(id),
	serial_number TEXT NOT NULL,
	shop_id       TEXT,
	card_status   TEXT NOT NULL,
	raised_at     TEXT NOT NULL,
	delivered_at  TEXT
);
CREATE TABLE IF NOT EXISTS assignments (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	sim_card_id   TEXT NOT NULL REFERENCES sim_cards(id),
	from_assignee TEXT,
	to_assignee   TEXT,
	at            TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assignment_counters (
	assignee TEXT PRIMARY KEY,
	assigned INTEGER NOT NULL,
	released INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS shop_performance (
	shop_id      TEXT PRIMARY KEY REFERENCES shops(id),
	sales_count  INTEGER NOT NULL,
	revenue      REAL NOT NULL,
	average_sale REAL NOT NULL,
	updated_at   TEXT NOT NULL
);
`
