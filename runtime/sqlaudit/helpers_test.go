package sqlaudit_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/sqlaudit"
)

// envPostgres names the PostgreSQL DSN the PostgreSQL subtests run against.
const envPostgres = "TRIGGERGEN_TEST_POSTGRES"

// note is the model of the engine tests, written by hand the way
// triggergen generates a model.
type note struct {
	ID   string
	Body string
}

type noteChange struct {
	Event    runtime.Event
	Old, New *note
}

type noteBatch struct {
	Event runtime.Event
	Items []noteChange
}

var noteModel = runtime.NewModel(runtime.ModelSpec[note, noteChange, noteBatch]{
	Name:     "Note",
	Key:      func(n *note) string { return n.ID },
	Snapshot: func(n *note) note { return *n },
	Change:   func(c *noteChange) *runtime.Change[note] { return (*runtime.Change[note])(c) },
	Batch:    func(b *runtime.Batch[noteChange]) *noteBatch { return (*noteBatch)(b) },
})

// testDB is a database and a table name unique to the test.
type testDB struct {
	db      *sql.DB
	dialect sqlaudit.Dialect
	table   string
}

// eachDB runs f on SQLite and, when TRIGGERGEN_TEST_POSTGRES is set, on
// PostgreSQL.
func eachDB(t *testing.T, f func(t *testing.T, d testDB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		f(t, openSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, openPostgres(t))
	})
}

// openSQLite opens a fresh SQLite file database in the test's temporary
// directory.
func openSQLite(t *testing.T) testDB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "audit.db") +
		"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return testDB{db: db, dialect: sqlaudit.SQLite, table: "audit_test"}
}

// openPostgres connects to $TRIGGERGEN_TEST_POSTGRES, or skips the test
// when it is not set. The table name is unique; the table is dropped when
// the test ends.
func openPostgres(t *testing.T) testDB {
	t.Helper()
	dsn := os.Getenv(envPostgres)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable", envPostgres)
	}
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, db.PingContext(ctx), "connect to %s", envPostgres)
	var b [6]byte
	_, _ = rand.Read(b[:])
	table := "audit_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table)
		if err != nil {
			t.Errorf("drop %s: %v", table, err)
		}
		_ = db.Close()
	})
	return testDB{db: db, dialect: sqlaudit.Postgres, table: table}
}

// newSink returns a sink on d's table with opts (a silent logger unless
// set); it is closed when the test ends.
func newSink(t *testing.T, d testDB, opts sqlaudit.Options) *sqlaudit.Sink {
	t.Helper()
	if opts.Table == "" {
		opts.Table = d.table
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := sqlaudit.New(context.Background(), d.db, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, s.Close(ctx))
	})
	return s
}

// flush flushes s or fails the test.
func flush(t *testing.T, s *sqlaudit.Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Flush(ctx))
}

// count returns the number of rows in d's table.
func count(t *testing.T, d testDB) int {
	t.Helper()
	var n int
	require.NoError(t, d.db.QueryRow("SELECT COUNT(*) FROM "+d.table).Scan(&n))
	return n
}

// logBuffer is a concurrency-safe buffer for a text slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logger returns a logger writing text to l.
func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
