package sqlaudit_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/sqlaudit"
)

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("CEST", 2*3600))

// rec returns a record of trigger on model with outcome, started i seconds
// after t0.
func rec(trigger, model, outcome string, i int) runtime.ExecutionRecord {
	r := runtime.ExecutionRecord{
		Trigger: trigger, Model: model, Key: fmt.Sprint("k", i), Event: "after_create",
		Start: t0.Add(time.Duration(i) * time.Second), Duration: time.Millisecond,
		Outcome: outcome, Attempt: 1,
	}
	if outcome != runtime.OutcomeSuccess {
		r.Error = "boom"
	}
	return r
}

// keys returns the records' keys.
func keys(rs []runtime.ExecutionRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		s := newSink(t, d, sqlaudit.Options{})
		assert.Equal(t, d.dialect, s.Dialect(), "detected from the driver")
		assert.Equal(t, d.table, s.Table())
		full := runtime.ExecutionRecord{
			Trigger: "notify_owner", Model: "Card", Key: "c-42", Event: "fraud_review",
			ActorID: "user-7", RequestID: "req-abc", Start: t0,
			Duration: 1234567891 * time.Nanosecond, Outcome: runtime.OutcomeTimeout,
			Error: "context deadline exceeded — ünïcødé ✓ 'quoted' \"double\"", Attempt: 3,
		}
		bare := runtime.ExecutionRecord{Trigger: "t", Model: "M", Outcome: runtime.OutcomeSuccess}
		dirty := runtime.ExecutionRecord{
			Trigger: "t", Model: "M", Start: t0.Add(-time.Hour), Outcome: runtime.OutcomePanic,
			Error: "nul\x00byte and bad \xff utf-8", Attempt: 1,
		}
		s.Record(full)
		s.Record(bare)
		s.Record(dirty)
		got := s.Logs(runtime.LogFilter{})
		require.Len(t, got, 3)

		want := full
		want.Start = full.Start.UTC()
		assert.Equal(t, want, got[0], "every field round-trips; Start in UTC")
		assert.True(t, got[0].Start.Equal(full.Start))
		assert.Equal(t, full.Start.UnixNano(), got[0].Start.UnixNano(), "to the nanosecond")

		wantDirty := dirty
		wantDirty.Start = dirty.Start.UTC()
		wantDirty.Error = "nulbyte and bad \uFFFD utf-8"
		assert.Equal(t, wantDirty, got[1], "NUL removed, invalid UTF-8 replaced")

		assert.Equal(t, bare, got[2], "a zero Start is stored as 0, sorts last and comes back zero")
		assert.Zero(t, s.Dropped())
	})
}

func TestFiltersLimitNewestFirst(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		s := newSink(t, d, sqlaudit.Options{Dialect: d.dialect})
		rs := []runtime.ExecutionRecord{
			rec("a", "Card", runtime.OutcomeSuccess, 1),
			rec("b", "Card", runtime.OutcomeFailure, 2),
			rec("a", "Shop", runtime.OutcomeFailure, 3),
			rec("c", "Shop", runtime.OutcomeSuccess, 4),
			rec("a", "Card", runtime.OutcomeTimeout, 6),
			rec("b", "Shop", runtime.OutcomeSuccess, 5), // older than the one before
			rec("a", "Card", runtime.OutcomeSuccess, 6), // same Start: inserted later, listed first
		}
		rs[6].Key = "k6b"
		for _, r := range rs {
			s.Record(r)
		}
		tests := []struct {
			name string
			f    runtime.LogFilter
			want []string
		}{
			{"all", runtime.LogFilter{}, []string{"k6b", "k6", "k5", "k4", "k3", "k2", "k1"}},
			{"limit", runtime.LogFilter{Limit: 2}, []string{"k6b", "k6"}},
			{"negative limit", runtime.LogFilter{Limit: -1}, []string{"k6b", "k6", "k5", "k4", "k3", "k2", "k1"}},
			{"trigger", runtime.LogFilter{Trigger: "a"}, []string{"k6b", "k6", "k3", "k1"}},
			{"model", runtime.LogFilter{Model: "Shop"}, []string{"k5", "k4", "k3"}},
			{"outcome", runtime.LogFilter{Outcome: runtime.OutcomeFailure}, []string{"k3", "k2"}},
			{"trigger and model", runtime.LogFilter{Trigger: "a", Model: "Card"}, []string{"k6b", "k6", "k1"}},
			{"all three and limit", runtime.LogFilter{Trigger: "a", Model: "Card", Outcome: runtime.OutcomeSuccess, Limit: 1}, []string{"k6b"}},
			{"no match", runtime.LogFilter{Trigger: "zzz"}, []string{}},
			{"injection is a value", runtime.LogFilter{Trigger: "a' OR '1'='1"}, []string{}},
		}
		for _, tt := range tests {
			got := s.Logs(tt.f)
			require.NotNil(t, got, tt.name)
			assert.Equal(t, tt.want, keys(got), tt.name)
		}
		got, err := s.Query(context.Background(), runtime.LogFilter{Outcome: runtime.OutcomeTimeout})
		require.NoError(t, err)
		assert.Equal(t, []string{"k6"}, keys(got))
	})
}

func TestConcurrentRecord(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		s := newSink(t, d, sqlaudit.Options{FlushInterval: 2 * time.Millisecond, BatchSize: 37})
		const writers, each = 8, 250
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var readers sync.WaitGroup
		readers.Add(1)
		go func() { // reads concurrently with the writes
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = s.Logs(runtime.LogFilter{Limit: 10})
				time.Sleep(time.Millisecond)
			}
		}()
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					r := rec(fmt.Sprint("w", w), "Card", runtime.OutcomeSuccess, i)
					r.Key = fmt.Sprintf("w%d-%d", w, i)
					s.Record(r)
				}
			})
		}
		wg.Wait()
		close(stop)
		readers.Wait()
		flush(t, s)
		assert.Zero(t, s.Dropped())
		got := s.Logs(runtime.LogFilter{})
		require.Len(t, got, writers*each)
		seen := map[string]bool{}
		for _, r := range got {
			seen[r.Key] = true
		}
		assert.Len(t, seen, writers*each, "every record once")
		assert.Len(t, s.Logs(runtime.LogFilter{Trigger: "w3"}), each)
	})
}

func TestCloseDrains(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		logs := &logBuffer{}
		s, err := sqlaudit.New(context.Background(), d.db, sqlaudit.Options{
			Table: d.table, FlushInterval: time.Hour, BatchSize: 100000, Logger: logs.logger(),
		})
		require.NoError(t, err)
		const n = 1234 // more than one INSERT statement's worth of rows
		for i := range n {
			s.Record(rec("t", "M", runtime.OutcomeSuccess, i))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, s.Close(ctx))
		assert.Equal(t, n, count(t, d), "Close wrote everything before returning")
		require.NoError(t, s.Close(ctx), "Close is idempotent")
		require.NoError(t, s.Flush(ctx), "Flush after Close has nothing to do")
		assert.Len(t, s.Logs(runtime.LogFilter{Limit: 5}), 5, "Logs still reads after Close")

		s.Record(rec("t", "M", runtime.OutcomeSuccess, 0))
		s.Record(rec("t", "M", runtime.OutcomeSuccess, 0))
		assert.Equal(t, int64(2), s.Dropped(), "records after Close are counted")
		assert.Equal(t, 1, strings.Count(logs.String(), "record after Close dropped"), "and logged once")
		assert.Equal(t, n, count(t, d))
	})
}

// lockTable holds a write lock on d's table until the returned function is
// called.
func lockTable(t *testing.T, d testDB) (release func()) {
	t.Helper()
	ctx := context.Background()
	switch d.dialect {
	case sqlaudit.SQLite:
		conn, err := d.db.Conn(ctx)
		require.NoError(t, err)
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		require.NoError(t, err)
		return func() {
			_, err := conn.ExecContext(ctx, "ROLLBACK")
			assert.NoError(t, err)
			_ = conn.Close()
		}
	default:
		tx, err := d.db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, "LOCK TABLE "+d.table+" IN EXCLUSIVE MODE")
		require.NoError(t, err)
		return func() { assert.NoError(t, tx.Rollback()) }
	}
}

func TestOverflowCountedAndLogged(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		logs := &logBuffer{}
		s := newSink(t, d, sqlaudit.Options{BufferSize: 4, FlushInterval: 5 * time.Millisecond, Logger: logs.logger()})
		release := lockTable(t, d)

		// The writer takes the first record and blocks on the lock.
		s.Record(rec("t", "M", runtime.OutcomeSuccess, 0))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := s.Flush(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded, "the writer is blocked")

		const more = 50
		done := make(chan struct{})
		go func() { // Record never blocks, even with the writer stuck
			defer close(done)
			for i := 1; i <= more; i++ {
				s.Record(rec("t", "M", runtime.OutcomeSuccess, i))
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Record blocked")
		}
		dropped := s.Dropped()
		assert.GreaterOrEqual(t, dropped, int64(more-4-1), "at most the buffer's 4 (and one the writer took) fit")

		release()
		flush(t, s)
		stored := count(t, d)
		assert.Equal(t, int64(1+more), int64(stored)+s.Dropped(), "every record is stored or counted")
		assert.Equal(t, dropped, s.Dropped(), "nothing more dropped once the writer moves")
		assert.Contains(t, logs.String(), "audit buffer full, records dropped")
		assert.Contains(t, logs.String(), fmt.Sprintf("dropped=%d", dropped))
		assert.Contains(t, logs.String(), "level=WARN")
	})
}

func TestWriteFailureCountedAndLogged(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		logs := &logBuffer{}
		s := newSink(t, d, sqlaudit.Options{FlushInterval: time.Hour, Logger: logs.logger()})
		_, err := d.db.Exec("DROP TABLE " + d.table)
		require.NoError(t, err)
		s.Record(rec("t", "M", runtime.OutcomeSuccess, 0))
		s.Record(rec("t", "M", runtime.OutcomeSuccess, 1))
		err = s.Flush(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "write 2 records")
		assert.Equal(t, int64(2), s.Dropped())
		assert.Contains(t, logs.String(), "write failed, records dropped")
		assert.Empty(t, s.Logs(runtime.LogFilter{}), "a failing query gives an empty result")
		assert.Contains(t, logs.String(), "reading logs failed")
		_, err = s.Query(context.Background(), runtime.LogFilter{})
		assert.Error(t, err)
	})
}

func TestCloseGivesUpWhenContextEnds(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		s, err := sqlaudit.New(context.Background(), d.db, sqlaudit.Options{
			Table: d.table, FlushInterval: time.Hour, Logger: slog.New(slog.DiscardHandler),
		})
		require.NoError(t, err)
		release := lockTable(t, d)
		defer release()
		for i := range 3 {
			s.Record(rec("t", "M", runtime.OutcomeSuccess, i))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, s.Close(ctx), context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 10*time.Second, "the write in progress is aborted")
		assert.Equal(t, int64(3), s.Dropped(), "what was not written is counted")
		require.NoError(t, s.Close(context.Background()), "a later Close returns at once")
	})
}

func TestRetention(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		t.Run("max rows", func(t *testing.T) {
			d := d
			d.table += "_rows"
			if d.dialect == sqlaudit.Postgres {
				t.Cleanup(func() { _, _ = d.db.Exec("DROP TABLE IF EXISTS " + d.table) })
			}
			s := newSink(t, d, sqlaudit.Options{Retention: sqlaudit.Retention{MaxRows: 3, Interval: time.Hour}})
			for i := range 10 {
				s.Record(rec("t", "M", runtime.OutcomeSuccess, i))
			}
			flush(t, s)
			n, err := s.Prune(context.Background())
			require.NoError(t, err)
			assert.Equal(t, int64(7), n)
			assert.Equal(t, []string{"k9", "k8", "k7"}, keys(s.Logs(runtime.LogFilter{})))
			n, err = s.Prune(context.Background())
			require.NoError(t, err)
			assert.Zero(t, n)
		})
		t.Run("max age", func(t *testing.T) {
			d := d
			d.table += "_age"
			if d.dialect == sqlaudit.Postgres {
				t.Cleanup(func() { _, _ = d.db.Exec("DROP TABLE IF EXISTS " + d.table) })
			}
			s := newSink(t, d, sqlaudit.Options{Retention: sqlaudit.Retention{MaxAge: time.Hour, Interval: time.Hour}})
			old, fresh, zero := rec("t", "M", runtime.OutcomeSuccess, 1), rec("t", "M", runtime.OutcomeSuccess, 2), rec("t", "M", runtime.OutcomeSuccess, 3)
			old.Start = time.Now().Add(-2 * time.Hour)
			fresh.Start = time.Now()
			zero.Start = time.Time{}
			s.Record(old)
			s.Record(fresh)
			s.Record(zero)
			flush(t, s)
			n, err := s.Prune(context.Background())
			require.NoError(t, err)
			assert.Equal(t, int64(2), n, "the old record and the one with a zero Start")
			assert.Equal(t, []string{"k2"}, keys(s.Logs(runtime.LogFilter{})))
		})
		t.Run("by the writer", func(t *testing.T) {
			d := d
			d.table += "_auto"
			if d.dialect == sqlaudit.Postgres {
				t.Cleanup(func() { _, _ = d.db.Exec("DROP TABLE IF EXISTS " + d.table) })
			}
			s := newSink(t, d, sqlaudit.Options{
				FlushInterval: 5 * time.Millisecond,
				Retention:     sqlaudit.Retention{MaxRows: 2, Interval: 10 * time.Millisecond},
			})
			for i := range 5 {
				s.Record(rec("t", "M", runtime.OutcomeSuccess, i))
			}
			flush(t, s)
			require.Eventually(t, func() bool { return count(t, d) == 2 }, 10*time.Second, 10*time.Millisecond)
		})
		t.Run("none", func(t *testing.T) {
			s := newSink(t, d, sqlaudit.Options{})
			s.Record(rec("t", "M", runtime.OutcomeSuccess, 1))
			flush(t, s)
			n, err := s.Prune(context.Background())
			require.NoError(t, err)
			assert.Zero(t, n)
		})
	})
}

func TestNewValidates(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		for _, name := range []string{
			"x; DROP TABLE y", "1abc", "a-b", "public.audit", `"quoted"`, "a b",
			strings.Repeat("a", 41), "ünï",
		} {
			_, err := sqlaudit.New(ctx, d.db, sqlaudit.Options{Table: name})
			require.Error(t, err, "table %q", name)
			assert.Contains(t, err.Error(), "invalid table name")
		}
		_, err := sqlaudit.New(ctx, d.db, sqlaudit.Options{Table: d.table, Dialect: sqlaudit.Dialect(9)})
		assert.ErrorContains(t, err, "unknown dialect")

		wrong := d.table + "_wrong"
		_, err = d.db.Exec("CREATE TABLE " + wrong + " (a INTEGER)")
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = d.db.Exec("DROP TABLE IF EXISTS " + wrong) })
		_, err = sqlaudit.New(ctx, d.db, sqlaudit.Options{Table: wrong})
		assert.ErrorContains(t, err, "lacks the expected columns")

		// A second sink on an existing table is fine (IF NOT EXISTS).
		a := newSink(t, d, sqlaudit.Options{})
		b := newSink(t, d, sqlaudit.Options{})
		a.Record(rec("t", "M", runtime.OutcomeSuccess, 1))
		flush(t, a)
		assert.Len(t, b.Logs(runtime.LogFilter{}), 1)
	})
	_, err := sqlaudit.New(context.Background(), nil, sqlaudit.Options{})
	assert.Error(t, err)
}

// fakeDriver is a driver New cannot recognise.
type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return nil, errors.New("fake") }

func TestUnknownDriverNeedsDialect(t *testing.T) {
	db := sql.OpenDB(fakeConnector{})
	defer db.Close()
	_, err := sqlaudit.New(context.Background(), db, sqlaudit.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set Options.Dialect")
}

type fakeConnector struct{}

func (fakeConnector) Connect(context.Context) (driver.Conn, error) { return nil, errors.New("fake") }
func (fakeConnector) Driver() driver.Driver                        { return fakeDriver{} }

func TestDialectString(t *testing.T) {
	assert.Equal(t, "detect", sqlaudit.Detect.String())
	assert.Equal(t, "sqlite", sqlaudit.SQLite.String())
	assert.Equal(t, "postgres", sqlaudit.Postgres.String())
	assert.Equal(t, "Dialect(7)", sqlaudit.Dialect(7).String())
}

func TestEngineEndToEnd(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		sink := newSink(t, d, sqlaudit.Options{FlushInterval: time.Hour})
		eng := runtime.New(runtime.Config{Audit: sink, Logger: slog.New(slog.DiscardHandler)})
		t.Cleanup(func() { _ = eng.Close(context.Background()) })
		errBoom := errors.New("boom")
		require.NoError(t, runtime.On(eng, noteModel, runtime.Trigger[noteChange]{
			Name: "note_stamp", Events: []runtime.Event{runtime.AfterCreate},
			Actions: []runtime.Action[noteChange]{func(context.Context, *noteChange) error { return nil }},
		}))
		require.NoError(t, runtime.On(eng, noteModel, runtime.Trigger[noteChange]{
			Name: "note_fail", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Retries: 1, Backoff: time.Millisecond},
			Actions: []runtime.Action[noteChange]{func(context.Context, *noteChange) error { return errBoom }},
		}))
		require.NoError(t, runtime.On(eng, noteModel, runtime.Trigger[noteChange]{
			Name: "note_async", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
			Actions: []runtime.Action[noteChange]{func(context.Context, *noteChange) error { return nil }},
		}))

		ctx := runtime.WithRequestID(runtime.WithActor(context.Background(), runtime.Actor{ID: "ann"}), "req-1")
		before := time.Now()
		n := &note{ID: "n1", Body: "hello"}
		err := runtime.Do(ctx, eng, noteModel, runtime.OpCreate, nil, n, func(context.Context, *note) error { return nil })
		require.ErrorIs(t, err, errBoom)
		old := *n
		n.Body = "bye"
		require.NoError(t, runtime.Do(ctx, eng, noteModel, runtime.OpUpdate, &old, n, func(context.Context, *note) error { return nil }))
		require.NoError(t, eng.Close(context.Background()), "drains the async run")

		got := eng.Logs(runtime.LogFilter{Trigger: "note_stamp"})
		require.Len(t, got, 1, "read from the database through Engine.Logs")
		r := got[0]
		assert.Equal(t, "note_stamp", r.Trigger)
		assert.Equal(t, "Note", r.Model)
		assert.Equal(t, "n1", r.Key)
		assert.Equal(t, "after_create", r.Event)
		assert.Equal(t, "ann", r.ActorID)
		assert.Equal(t, "req-1", r.RequestID)
		assert.Equal(t, runtime.OutcomeSuccess, r.Outcome)
		assert.Empty(t, r.Error)
		assert.Equal(t, 1, r.Attempt)
		assert.False(t, r.Start.Before(before.Add(-time.Millisecond)), "start %v after %v", r.Start, before)

		fails := eng.Logs(runtime.LogFilter{Outcome: runtime.OutcomeFailure})
		require.Len(t, fails, 2, "one record per attempt")
		assert.Equal(t, []int{2, 1}, []int{fails[0].Attempt, fails[1].Attempt}, "newest first")
		assert.Equal(t, "boom", fails[0].Error)

		async := eng.Logs(runtime.LogFilter{Trigger: "note_async"})
		require.Len(t, async, 1)
		assert.Equal(t, "after_update", async[0].Event)
		assert.Equal(t, "ann", async[0].ActorID, "the actor is carried into async runs")

		assert.Len(t, eng.Logs(runtime.LogFilter{Model: "Note"}), 4)
		assert.Len(t, eng.Logs(runtime.LogFilter{Limit: 2}), 2)
		assert.Equal(t, 4, count(t, d), "the rows are in the table")
	})
}
