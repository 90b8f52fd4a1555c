// Package sqlaudit stores the audit records of a triggergen engine in a SQL
// table through database/sql, for SQLite and PostgreSQL.
//
// A Sink is a runtime.AuditSink and a runtime.LogReader: give it to the
// engine as runtime.Config.Audit and Engine.Logs (and the management API's
// logs endpoint) read the table.
//
//	sink, err := sqlaudit.New(ctx, db, sqlaudit.Options{})
//	if err != nil { ... }
//	eng := runtime.New(runtime.Config{Audit: sink})
//	...
//	_ = eng.Close(ctx)  // first the engine: its async runs still record
//	_ = sink.Close(ctx) // then the sink: writes what is buffered
//
// # Writing
//
// Record never waits for the database: it puts the record in a bounded
// buffer (Options.BufferSize) that one goroutine owned by the sink writes
// in batches, each batch in one transaction of multi-row INSERTs. The
// buffer is written every Options.FlushInterval, as soon as a batch is
// full, on Flush and on Close. When the buffer is full, Record drops the
// record: Dropped counts it and the writer logs a warning with the number
// dropped since its last warning. A batch the database rejects is dropped
// too, counted by Dropped and logged as an error. Nothing is retried.
//
// # Schema
//
// New creates the table (default "trigger_audit") and its indexes when they
// do not exist:
//
//	id           INTEGER PRIMARY KEY (SQLite) / BIGSERIAL PRIMARY KEY (PostgreSQL)
//	trigger_name TEXT NOT NULL
//	model        TEXT NOT NULL
//	record_key   TEXT NOT NULL
//	event        TEXT NOT NULL
//	actor_id     TEXT NOT NULL
//	request_id   TEXT NOT NULL
//	start_ns     BIGINT NOT NULL -- Start in Unix nanoseconds; 0 for the zero time
//	duration_ns  BIGINT NOT NULL -- Duration in nanoseconds
//	outcome      TEXT NOT NULL
//	error        TEXT NOT NULL   -- "" on success
//	attempt      INTEGER NOT NULL
//
// with the indexes <table>_trigger_start_idx (trigger_name, start_ns, id),
// <table>_outcome_start_idx (outcome, start_ns, id), <table>_model_start_idx
// (model, start_ns, id) and <table>_start_idx (start_ns, id), which serve
// the filters of Logs and its newest-first order. Times are integers so
// that they round-trip to the nanosecond on both databases; in PostgreSQL
// to_timestamp(start_ns / 1e9) turns one into a timestamptz. Strings are
// stored as valid UTF-8 without NUL bytes (PostgreSQL accepts nothing
// else): invalid bytes become U+FFFD and NUL bytes are removed.
//
// # SQLite
//
// Open file databases with a busy timeout so that the writer and Logs do
// not fail while the other holds the lock, and preferably in WAL mode, e.g.
// with modernc.org/sqlite:
//
//	sql.Open("sqlite", "file:audit.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
//
// An in-memory database exists once per connection: limit such a pool to
// one connection (db.SetMaxOpenConns(1)).
package sqlaudit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/triggergen/triggergen/runtime"
)

// Dialect selects the SQL spoken to the database.
type Dialect int

// The supported dialects. Detect, the zero value, makes New pick the
// dialect from the database's driver.
const (
	Detect Dialect = iota
	SQLite
	Postgres
)

// String returns "detect", "sqlite" or "postgres".
func (d Dialect) String() string {
	switch d {
	case Detect:
		return "detect"
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Defaults of Options.
const (
	DefaultTable         = "trigger_audit"  // Options.Table
	DefaultBufferSize    = 4096             // Options.BufferSize
	DefaultBatchSize     = 500              // Options.BatchSize
	DefaultFlushInterval = time.Second      // Options.FlushInterval
	DefaultTimeout       = 30 * time.Second // Options.Timeout
	DefaultPruneInterval = time.Minute      // Options.Retention.Interval
)

// Retention bounds what the table keeps. The zero value keeps everything.
// The writer goroutine prunes every Interval; Sink.Prune prunes at once.
type Retention struct {
	// MaxRows keeps at most this many rows, the most recently inserted
	// ones; <= 0 means no limit.
	MaxRows int64
	// MaxAge deletes rows whose Start is older than this (rows with a
	// zero Start too); <= 0 means no limit.
	MaxAge time.Duration
	// Interval is how often the writer prunes (default 1m).
	Interval time.Duration
}

func (r Retention) enabled() bool { return r.MaxRows > 0 || r.MaxAge > 0 }

// Options configures a Sink. The zero value works for the drivers New can
// detect; every field has a default.
type Options struct {
	// Dialect is the database's dialect; Detect (the zero value) asks the
	// database: SQLite answers sqlite_version(), PostgreSQL version(). Any
	// other database needs an explicit Dialect.
	Dialect Dialect
	// Table is the table's name (default "trigger_audit"): a letter or
	// underscore followed by at most 39 letters, digits or underscores,
	// unquoted (PostgreSQL folds it to lower case). Schema-qualified names
	// are not accepted: set the schema through the connection (search_path).
	Table string
	// BufferSize is how many records may wait to be written (default
	// 4096); Record drops records beyond it.
	BufferSize int
	// BatchSize is how many records the writer gathers before it writes
	// them without waiting for the next flush (default 500).
	BatchSize int
	// FlushInterval is how often buffered records are written (default 1s).
	FlushInterval time.Duration
	// Timeout bounds each batch write, each prune and the flush and query
	// of Logs (default 30s).
	Timeout time.Duration
	// Retention bounds what the table keeps (default: everything).
	Retention Retention
	// Logger receives the warnings about dropped records and write errors
	// (default slog.Default()).
	Logger *slog.Logger
}

// tableName is what Options.Table must match. The length limit leaves room
// for the index suffixes within PostgreSQL's 63-byte identifiers.
var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,39}$`)

// columns are the table's data columns in insert and select order.
const columns = "trigger_name, model, record_key, event, actor_id, request_id, start_ns, duration_ns, outcome, error, attempt"

// numColumns is the number of columns in columns.
const numColumns = 11

// Rows per INSERT statement: SQLite builds may limit a statement to 999
// parameters, PostgreSQL to 65535.
const (
	sqliteRowsPerInsert   = 999 / numColumns
	postgresRowsPerInsert = 1000
)

// Sink is a runtime.AuditSink and runtime.LogReader that stores records in
// a SQL table. Create it with New and stop it with Close. It is safe for
// concurrent use.
type Sink struct {
	db        *sql.DB
	dialect   Dialect
	table     string
	log       *slog.Logger
	timeout   time.Duration
	interval  time.Duration
	batchSize int
	retention Retention

	insertFull    string // INSERT of rowsPerInsert rows
	rowsPerInsert int

	mu     sync.RWMutex // Record holds it shared, Close exclusively
	closed bool

	ch      chan runtime.ExecutionRecord
	flushCh chan chan error
	stop    chan struct{}
	done    chan struct{}
	baseCtx context.Context // ends when Close gives up waiting
	cancel  context.CancelFunc

	closeOnce  sync.Once
	overflow   atomic.Int64 // dropped because the buffer was full
	failed     atomic.Int64 // dropped because a write failed
	late       atomic.Int64 // dropped because the sink was closed
	lateLogged atomic.Bool
	reported   int64 // overflow already warned about; writer only
}

var (
	_ runtime.AuditSink = (*Sink)(nil)
	_ runtime.LogReader = (*Sink)(nil)
)

// New checks opts, creates the table and indexes when missing, checks that
// an existing table has the expected columns and starts the writer
// goroutine. ctx bounds the schema work only. The Sink does not own db:
// Close leaves it open.
func New(ctx context.Context, db *sql.DB, opts Options) (*Sink, error) {
	if db == nil {
		return nil, errors.New("sqlaudit: nil *sql.DB")
	}
	if opts.Table == "" {
		opts.Table = DefaultTable
	}
	if !tableName.MatchString(opts.Table) {
		return nil, fmt.Errorf("sqlaudit: invalid table name %q: want a letter or underscore followed by at most 39 letters, digits or underscores", opts.Table)
	}
	switch opts.Dialect {
	case Detect:
		d, err := detect(ctx, db)
		if err != nil {
			return nil, err
		}
		opts.Dialect = d
	case SQLite, Postgres:
	default:
		return nil, fmt.Errorf("sqlaudit: unknown dialect %v", opts.Dialect)
	}
	if opts.BufferSize <= 0 {
		opts.BufferSize = DefaultBufferSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Retention.Interval <= 0 {
		opts.Retention.Interval = DefaultPruneInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Sink{
		db:        db,
		dialect:   opts.Dialect,
		table:     opts.Table,
		log:       opts.Logger,
		timeout:   opts.Timeout,
		interval:  opts.FlushInterval,
		batchSize: opts.BatchSize,
		retention: opts.Retention,
		ch:        make(chan runtime.ExecutionRecord, opts.BufferSize),
		flushCh:   make(chan chan error),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	s.rowsPerInsert = sqliteRowsPerInsert
	if s.dialect == Postgres {
		s.rowsPerInsert = postgresRowsPerInsert
	}
	s.insertFull = s.insertSQL(s.rowsPerInsert)
	if err := s.createSchema(ctx); err != nil {
		return nil, err
	}
	s.baseCtx, s.cancel = context.WithCancel(context.Background())
	go s.run()
	return s, nil
}

// detect tells the dialect from the package of db's driver.
func detect(ctx context.Context, db *sql.DB) (Dialect, error) {
	var v string
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v); err == nil {
		return SQLite, nil
	}
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&v); err == nil && strings.Contains(strings.ToLower(v), "postgres") {
		return Postgres, nil
	}
	return Detect, errors.New("sqlaudit: cannot tell the database's SQL dialect (neither sqlite_version() nor a PostgreSQL version() answered): set Options.Dialect")
}

// Dialect returns the dialect the sink speaks.
func (s *Sink) Dialect() Dialect { return s.dialect }

// Table returns the table's name.
func (s *Sink) Table() string { return s.table }

// createSchema creates the table and indexes and checks the columns.
func (s *Sink) createSchema(ctx context.Context) error {
	id := "id INTEGER PRIMARY KEY"
	if s.dialect == Postgres {
		id = "id BIGSERIAL PRIMARY KEY"
	}
	t := s.table
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ` + t + ` (
	` + id + `,
	trigger_name TEXT NOT NULL,
	model TEXT NOT NULL,
	record_key TEXT NOT NULL DEFAULT '',
	event TEXT NOT NULL DEFAULT '',
	actor_id TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	start_ns BIGINT NOT NULL,
	duration_ns BIGINT NOT NULL DEFAULT 0,
	outcome TEXT NOT NULL,
	error TEXT NOT NULL DEFAULT '',
	attempt INTEGER NOT NULL DEFAULT 1
)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_trigger_start_idx ON ` + t + ` (trigger_name, start_ns, id)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_outcome_start_idx ON ` + t + ` (outcome, start_ns, id)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_model_start_idx ON ` + t + ` (model, start_ns, id)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_start_idx ON ` + t + ` (start_ns, id)`,
	}
	for i, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlaudit: create schema of %s: %w", t, err)
		}
		if i == 0 { // check an existing table before indexing it
			rows, err := s.db.QueryContext(ctx, `SELECT id, `+columns+` FROM `+t+` WHERE 1 = 0`)
			if err != nil {
				return fmt.Errorf("sqlaudit: table %s lacks the expected columns (id, %s): %w", t, columns, err)
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("sqlaudit: check table %s: %w", t, err)
			}
		}
	}
	return nil
}

// insertSQL returns an INSERT of n rows.
func (s *Sink) insertSQL(n int) string {
	var b strings.Builder
	b.Grow(64 + len(columns) + n*numColumns*5)
	b.WriteString("INSERT INTO ")
	b.WriteString(s.table)
	b.WriteString(" (")
	b.WriteString(columns)
	b.WriteString(") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range numColumns {
			if j > 0 {
				b.WriteString(", ")
			}
			p++
			b.WriteString(s.placeholder(p))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// placeholder returns the n-th (from 1) parameter placeholder.
func (s *Sink) placeholder(n int) string {
	if s.dialect == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// Record queues r to be written. It never blocks on the database: when the
// buffer is full, or after Close, the record is dropped and counted (see
// Dropped).
func (s *Sink) Record(r runtime.ExecutionRecord) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		s.late.Add(1)
		if s.lateLogged.CompareAndSwap(false, true) {
			s.log.Warn("sqlaudit: record after Close dropped; later ones are only counted",
				slog.String("table", s.table), slog.String("trigger", r.Trigger))
		}
		return
	}
	select {
	case s.ch <- r:
	default:
		s.overflow.Add(1)
	}
	s.mu.RUnlock()
}

// Dropped returns how many records were not stored: because the buffer
// was full, because their batch failed to be written, or because they
// were recorded after Close.
func (s *Sink) Dropped() int64 {
	return s.overflow.Load() + s.failed.Load() + s.late.Load()
}

// Pending returns how many records wait in the buffer (not counting the
// batch the writer is gathering or writing).
func (s *Sink) Pending() int { return len(s.ch) }

// Flush writes every record recorded before the call and returns the
// errors of the writes it caused. It returns ctx's error if ctx ends
// first (the writer goes on). After Close it returns nil at once.
func (s *Sink) Flush(ctx context.Context) error {
	req := make(chan error, 1)
	select {
	case s.flushCh <- req:
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting records, writes the buffered ones and stops the
// writer goroutine. If ctx ends first, Close aborts the write in progress,
// counts what was not written as dropped, waits for the goroutine to end
// and returns ctx's error. Close is idempotent: later calls wait for the
// goroutine to end (or ctx) and return nil (or ctx's error). It does not close the database.
func (s *Sink) Close(ctx context.Context) error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		if !first {
			return ctx.Err()
		}
		s.cancel()
		<-s.done
		return ctx.Err()
	}
}

// run is the writer goroutine.
func (s *Sink) run() {
	defer close(s.done)
	defer s.cancel()
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	batch := make([]runtime.ExecutionRecord, 0, s.batchSize)
	lastPrune := time.Now()
	for {
		select {
		case r := <-s.ch:
			batch = append(batch, r)
			if len(batch) >= s.batchSize {
				_ = s.write(batch)
				batch = batch[:0]
			}
		case <-tick.C:
			_ = s.write(batch)
			batch = batch[:0]
			s.reportOverflow()
			if s.retention.enabled() && time.Since(lastPrune) >= s.retention.Interval {
				lastPrune = time.Now()
				ctx, cancel := context.WithTimeout(s.baseCtx, s.timeout)
				if _, err := s.Prune(ctx); err != nil {
					s.log.Error("sqlaudit: prune failed", slog.String("table", s.table), slog.Any("error", err))
				}
				cancel()
			}
		case req := <-s.flushCh:
			var errs []error
			for range len(s.ch) {
				batch = append(batch, <-s.ch)
				if len(batch) >= s.batchSize {
					errs = append(errs, s.write(batch))
					batch = batch[:0]
				}
			}
			errs = append(errs, s.write(batch))
			batch = batch[:0]
			s.reportOverflow()
			req <- errors.Join(errs...)
		case <-s.stop:
			// Record holds the lock shared while it sends, and Close set
			// closed under the lock before closing stop: nothing is sent
			// any more, so emptying the channel drains everything.
		drain:
			for {
				select {
				case r := <-s.ch:
					batch = append(batch, r)
					if len(batch) >= s.batchSize {
						_ = s.write(batch)
						batch = batch[:0]
					}
				default:
					break drain
				}
			}
			_ = s.write(batch)
			s.reportOverflow()
			return
		}
	}
}

// reportOverflow logs a warning when records were dropped for a full
// buffer since the last warning. Only the writer calls it.
func (s *Sink) reportOverflow() {
	n := s.overflow.Load()
	if n == s.reported {
		return
	}
	s.log.Warn("sqlaudit: audit buffer full, records dropped",
		slog.String("table", s.table), slog.Int64("dropped", n-s.reported),
		slog.Int64("dropped_total", s.Dropped()), slog.Int("buffer_size", cap(s.ch)))
	s.reported = n
}

// write inserts batch in one transaction. On failure the records are
// counted as dropped and the error is logged and returned.
func (s *Sink) write(batch []runtime.ExecutionRecord) error {
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.baseCtx, s.timeout)
	defer cancel()
	err := s.insert(ctx, batch)
	if err != nil {
		s.failed.Add(int64(len(batch)))
		s.log.Error("sqlaudit: write failed, records dropped",
			slog.String("table", s.table), slog.Int("dropped", len(batch)),
			slog.Int64("dropped_total", s.Dropped()), slog.Any("error", err))
		return fmt.Errorf("sqlaudit: write %d records to %s: %w", len(batch), s.table, err)
	}
	return nil
}

// insert runs the multi-row INSERTs of batch in a transaction.
func (s *Sink) insert(ctx context.Context, batch []runtime.ExecutionRecord) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	args := make([]any, 0, min(len(batch), s.rowsPerInsert)*numColumns)
	for chunk := range slices.Chunk(batch, s.rowsPerInsert) {
		q := s.insertFull
		if len(chunk) < s.rowsPerInsert {
			q = s.insertSQL(len(chunk))
		}
		args = args[:0]
		for i := range chunk {
			args = appendArgs(args, &chunk[i])
		}
		if _, err = tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// appendArgs appends r's column values in columns order.
func appendArgs(args []any, r *runtime.ExecutionRecord) []any {
	var start int64 // 0 for the zero time
	if !r.Start.IsZero() {
		start = r.Start.UnixNano()
	}
	return append(args,
		clean(r.Trigger), clean(r.Model), clean(r.Key), clean(r.Event),
		clean(r.ActorID), clean(r.RequestID), start, int64(r.Duration),
		clean(r.Outcome), clean(r.Error), int64(r.Attempt))
}

// clean returns s as valid UTF-8 without NUL bytes.
func clean(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Logs returns the records that match f, newest first (by Start, then by
// insertion), at most f.Limit when f.Limit > 0. It first flushes the
// buffer so that it sees every record recorded before the call. Start
// comes back in UTC (the zero time stays zero). Errors are
// logged and give an empty result; use Query to get them. The result is
// never nil.
func (s *Sink) Logs(f runtime.LogFilter) []runtime.ExecutionRecord {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	out, err := s.Query(ctx, f)
	if err != nil {
		s.log.Error("sqlaudit: reading logs failed", slog.String("table", s.table), slog.Any("error", err))
	}
	if out == nil {
		out = []runtime.ExecutionRecord{}
	}
	return out
}

// Query is Logs with a context and an error. A failed flush does not fail
// the query (the lost records are counted by Dropped and logged); ctx
// ending does.
func (s *Sink) Query(ctx context.Context, f runtime.LogFilter) ([]runtime.ExecutionRecord, error) {
	if err := s.Flush(ctx); err != nil && ctx.Err() != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
	)
	add := func(col, v string) {
		if v == "" {
			return
		}
		args = append(args, v)
		where = append(where, col+" = "+s.placeholder(len(args)))
	}
	add("trigger_name", f.Trigger)
	add("model", f.Model)
	add("outcome", f.Outcome)
	q := "SELECT " + columns + " FROM " + s.table
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY start_ns DESC, id DESC"
	if f.Limit > 0 {
		args = append(args, int64(f.Limit))
		q += " LIMIT " + s.placeholder(len(args))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlaudit: query %s: %w", s.table, err)
	}
	defer rows.Close()
	out := []runtime.ExecutionRecord{}
	for rows.Next() {
		var (
			r        runtime.ExecutionRecord
			start    int64
			duration int64
			attempt  int64
		)
		if err := rows.Scan(&r.Trigger, &r.Model, &r.Key, &r.Event, &r.ActorID, &r.RequestID,
			&start, &duration, &r.Outcome, &r.Error, &attempt); err != nil {
			return nil, fmt.Errorf("sqlaudit: scan %s: %w", s.table, err)
		}
		if start != 0 {
			r.Start = time.Unix(0, start).UTC()
		}
		r.Duration = time.Duration(duration)
		r.Attempt = int(attempt)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlaudit: query %s: %w", s.table, err)
	}
	return out, nil
}

// Prune applies the retention of Options.Retention now and returns how
// many rows it deleted. Without retention it does nothing.
func (s *Sink) Prune(ctx context.Context) (int64, error) {
	var n int64
	if s.retention.MaxAge > 0 {
		cutoff := time.Now().Add(-s.retention.MaxAge).UnixNano()
		res, err := s.db.ExecContext(ctx, "DELETE FROM "+s.table+" WHERE start_ns < "+s.placeholder(1), cutoff)
		if err != nil {
			return n, fmt.Errorf("sqlaudit: prune %s by age: %w", s.table, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	if s.retention.MaxRows > 0 {
		res, err := s.db.ExecContext(ctx, "DELETE FROM "+s.table+" WHERE id <= (SELECT id FROM "+s.table+
			" ORDER BY id DESC LIMIT 1 OFFSET "+s.placeholder(1)+")", s.retention.MaxRows)
		if err != nil {
			return n, fmt.Errorf("sqlaudit: prune %s by rows: %w", s.table, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}
