package riverqueue_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/internal/pgtest"
	"github.com/triggergen/triggergen/runtime/riverqueue"
	"github.com/triggergen/triggergen/runtime/sqlscope"
)

// backend is one database the tests run on: a fresh queue and a way to
// count River's jobs by state.
type backend struct {
	name string
	// open returns a queue on the backend's database and the context
	// decorator that binds a transaction begun by begin.
	open func(t *testing.T, cfg riverqueue.Config) runtime.DurableQueue
	// inTx runs fn in a transaction of the database, bound to the context
	// the way the application would, committing when fn returns nil.
	inTx func(ctx context.Context, fn func(ctx context.Context) error) error
	// jobs counts River jobs by state.
	jobs func(t *testing.T) map[string]int
	// start starts the queue's workers.
	start func(t *testing.T, q runtime.DurableQueue, eng *runtime.Engine)
	// db reads the database through database/sql; pool is the pgx pool of
	// the PostgreSQL backend.
	db   *sql.DB
	pool *pgxpool.Pool
}

func sqliteDB(t testing.TB, path string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteBackend(t *testing.T) *backend {
	db := sqliteDB(t, filepath.Join(t.TempDir(), "q.db"))
	return &backend{
		name: "sqlite",
		open: func(t *testing.T, cfg riverqueue.Config) runtime.DurableQueue {
			q, err := riverqueue.OpenSQLite(context.Background(), db, cfg)
			require.NoError(t, err)
			return q
		},
		inTx: func(ctx context.Context, fn func(ctx context.Context) error) error {
			return sqlscope.InTx(ctx, db, nil, func(ctx context.Context, _ *sql.Tx) error { return fn(ctx) })
		},
		jobs: func(t *testing.T) map[string]int { return countJobs(t, db) },
		start: func(t *testing.T, q runtime.DurableQueue, eng *runtime.Engine) {
			require.NoError(t, q.(*riverqueue.Queue[*sql.Tx]).Start(context.Background(), eng))
		},
		db: db,
	}
}

func countJobs(t *testing.T, db *sql.DB) map[string]int {
	rows, err := db.Query(`SELECT state, count(*) FROM river_job GROUP BY state`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		require.NoError(t, rows.Scan(&s, &n))
		out[s] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// pgDatabase creates a fresh database on the server TRIGGERGEN_TEST_POSTGRES
// names, dropped when the test ends, and returns its DSN.
func pgDatabase(t testing.TB) string { return pgtest.DSN(t, "triggergen_rq") }

func pgBackend(t *testing.T) *backend {
	dsn := pgDatabase(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	sqlDB, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { sqlDB.Close() })
	return &backend{
		name: "postgres",
		open: func(t *testing.T, cfg riverqueue.Config) runtime.DurableQueue {
			q, err := riverqueue.OpenPostgres(context.Background(), pool, cfg)
			require.NoError(t, err)
			return q
		},
		inTx: func(ctx context.Context, fn func(ctx context.Context) error) error {
			return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				ctx, scope := runtime.BeginScope(riverqueue.WithTx(ctx, tx))
				defer scope.Rollback()
				if err := fn(ctx); err != nil {
					return err
				}
				return scope.Commit(ctx)
			})
		},
		jobs: func(t *testing.T) map[string]int { return countJobs(t, sqlDB) },
		start: func(t *testing.T, q runtime.DurableQueue, eng *runtime.Engine) {
			require.NoError(t, q.(*riverqueue.Queue[pgx.Tx]).Start(context.Background(), eng))
		},
		db: sqlDB, pool: pool,
	}
}

// eachBackend runs f on SQLite, and on PostgreSQL when it is configured.
func eachBackend(t *testing.T, f func(t *testing.T, b *backend)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteBackend(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, pgBackend(t)) })
}

// fixture is an engine on a started durable queue.
type fixture struct {
	eng *runtime.Engine
	q   runtime.DurableQueue
	b   *backend
}

func newFixture(t *testing.T, b *backend, register func(eng *runtime.Engine)) *fixture {
	q := b.open(t, riverqueue.Config{PollInterval: 20 * time.Millisecond})
	eng := runtime.New(runtime.Config{Queue: q, DefaultTimeout: 5 * time.Second})
	register(eng)
	b.start(t, q, eng)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	return &fixture{eng, q, b}
}

func noPersist(context.Context, *Order) error { return nil }

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAsyncTriggerRunsAsDurableJob(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		got := make(chan OrderChange, 1)
		var actor runtime.Actor
		var requestID string
		f := newFixture(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
				Name: "ship", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
				Actions: []runtime.Action[OrderChange]{func(ctx context.Context, c *OrderChange) error {
					actor, _ = runtime.ActorFrom(ctx)
					requestID = runtime.RequestIDFrom(ctx)
					got <- *c
					return nil
				}},
			}))
		})
		ctx := runtime.WithRequestID(runtime.WithActor(context.Background(), runtime.Actor{ID: "ana", Roles: []string{"ops"}}), "req-7")
		old := Order{ID: "o1", Status: "new", Amount: 5, Tags: []string{"a"}}
		cur := old
		cur.Status, cur.Tags = "paid", []string{"a", "b"}
		require.NoError(t, UpdateOrder(ctx, f.eng, &old, &cur, noPersist))
		select {
		case c := <-got:
			assert.Equal(t, runtime.AfterUpdate, c.Event)
			assert.Equal(t, old, *c.Old)
			assert.Equal(t, cur, *c.New)
		case <-time.After(20 * time.Second):
			t.Fatal("the job did not run")
		}
		assert.Equal(t, runtime.Actor{ID: "ana", Roles: []string{"ops"}}, actor)
		assert.Equal(t, "req-7", requestID)
		waitFor(t, "the job to complete", func() bool { return b.jobs(t)["completed"] == 1 })
		recs := f.eng.Logs(runtime.LogFilter{Trigger: "ship"})
		require.Len(t, recs, 1)
		assert.Equal(t, runtime.ExecutionRecord{
			Trigger: "ship", Model: "Order", Key: "o1", Event: "after_update", ActorID: "ana", RequestID: "req-7",
			Start: recs[0].Start, Duration: recs[0].Duration, Outcome: runtime.OutcomeSuccess, Attempt: 1,
		}, recs[0])
		info, _ := f.eng.Trigger("ship")
		assert.Equal(t, int64(1), info.Stats.Executions)
		assert.Equal(t, int64(1), info.Stats.Successes)
	})
}

func TestRetriesFailuresAndDiscards(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		var flaky, broken, permanent, panics atomic.Int32
		act := func(n *atomic.Int32, fn func(int32) error) []runtime.Action[OrderChange] {
			return []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { return fn(n.Add(1)) }}
		}
		f := newFixture(t, b, func(eng *runtime.Engine) {
			trig := func(name string, retries int, acts []runtime.Action[OrderChange]) runtime.Trigger[OrderChange] {
				return runtime.Trigger[OrderChange]{
					Name: name, Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true, Retries: retries, Backoff: 10 * time.Millisecond},
					Actions: acts,
				}
			}
			for _, tr := range []runtime.Trigger[OrderChange]{
				trig("flaky", 3, act(&flaky, func(n int32) error {
					if n < 3 {
						return errors.New("not yet")
					}
					return nil
				})),
				trig("broken", 1, act(&broken, func(int32) error { return errors.New("always") })),
				trig("permanent", 5, act(&permanent, func(int32) error { return runtime.Permanent(errors.New("bad input")) })),
				trig("panics", 5, act(&panics, func(int32) error { panic("boom") })),
			} {
				require.NoError(t, runtime.On(eng, OrderModel, tr))
			}
		})
		require.NoError(t, CreateOrder(context.Background(), f.eng, &Order{ID: "o2"}, noPersist))
		waitFor(t, "every job to finish", func() bool {
			j := b.jobs(t)
			return j["completed"] == 1 && j["cancelled"] == 3
		})
		outcomes := func(name string) (out []string) {
			for _, r := range f.eng.Logs(runtime.LogFilter{Trigger: name}) {
				out = append([]string{fmt.Sprintf("%d:%s", r.Attempt, r.Outcome)}, out...)
			}
			return out
		}
		assert.Equal(t, []string{"1:failure", "2:failure", "3:success"}, outcomes("flaky"))
		assert.Equal(t, []string{"1:failure", "2:failure"}, outcomes("broken"))
		assert.Equal(t, []string{"1:failure"}, outcomes("permanent"))
		assert.Equal(t, []string{"1:panic"}, outcomes("panics"))
		stats := func(name string) [3]int64 {
			info, _ := f.eng.Trigger(name)
			return [3]int64{info.Stats.Executions, info.Stats.Successes, info.Stats.Failures}
		}
		assert.Equal(t, [3]int64{1, 1, 0}, stats("flaky"))
		assert.Equal(t, [3]int64{1, 0, 1}, stats("broken"))
		assert.Equal(t, [3]int64{1, 0, 1}, stats("permanent"))
		assert.Equal(t, [3]int64{1, 0, 1}, stats("panics"))
	})
}

func TestOutbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		var mu sync.Mutex
		var ran []string
		f := newFixture(t, b, func(eng *runtime.Engine) {
			for _, onCommit := range []bool{false, true} {
				name := map[bool]string{false: "async", true: "async_on_commit"}[onCommit]
				require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
					Name: name, Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true, OnCommit: onCommit},
					Actions: []runtime.Action[OrderChange]{func(_ context.Context, c *OrderChange) error {
						mu.Lock()
						defer mu.Unlock()
						ran = append(ran, name+":"+c.New.ID)
						return nil
					}},
				}))
			}
		})
		ctx := context.Background()
		errRollback := errors.New("roll back")
		err := b.inTx(ctx, func(ctx context.Context) error {
			require.NoError(t, CreateOrder(ctx, f.eng, &Order{ID: "lost"}, noPersist))
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		assert.Empty(t, b.jobs(t), "a rolled-back transaction leaves no job")
		require.NoError(t, b.inTx(ctx, func(ctx context.Context) error {
			return CreateOrder(ctx, f.eng, &Order{ID: "kept"}, noPersist)
		}))
		waitFor(t, "the committed jobs", func() bool { return b.jobs(t)["completed"] == 2 })
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		assert.ElementsMatch(t, []string{"async:kept", "async_on_commit:kept"}, ran)
		assert.Equal(t, map[string]int{"completed": 2}, b.jobs(t), "the rolled-back jobs never existed")
	})
}

func TestBulkTriggerRunsAsDurableJob(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		got := make(chan OrderBatch, 1)
		f := newFixture(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.OnBatch(eng, OrderModel, runtime.BatchTrigger[OrderChange, OrderBatch]{
				Name: "bulk_paid", Events: []runtime.Event{runtime.AfterBulkUpdate}, Options: runtime.Options{Async: true},
				Conditions: []runtime.Condition[OrderChange]{{Description: "status paid", Test: func(_ context.Context, c *OrderChange) bool {
					return c.New.Status == "paid"
				}}},
				Actions: []runtime.BatchAction[OrderBatch]{func(_ context.Context, b *OrderBatch) error {
					got <- *b
					return nil
				}},
			}))
		})
		olds := []Order{{ID: "a"}, {ID: "b"}, {ID: "c"}}
		ms := []*Order{{ID: "a", Status: "paid"}, {ID: "b"}, {ID: "c", Status: "paid", Amount: 3}}
		require.NoError(t, UpdateOrders(context.Background(), f.eng, olds, ms, func(context.Context, []*Order) error { return nil }))
		select {
		case batch := <-got:
			assert.Equal(t, runtime.AfterBulkUpdate, batch.Event)
			require.Len(t, batch.Items, 2)
			assert.Equal(t, runtime.AfterUpdate, batch.Items[0].Event)
			assert.Equal(t, Order{ID: "a"}, *batch.Items[0].Old)
			assert.Equal(t, *ms[0], *batch.Items[0].New)
			assert.Equal(t, *ms[2], *batch.Items[1].New)
		case <-time.After(20 * time.Second):
			t.Fatal("the bulk job did not run")
		}
		waitFor(t, "the record", func() bool { return len(f.eng.Logs(runtime.LogFilter{Trigger: "bulk_paid"})) == 1 })
		assert.Equal(t, "a,c", f.eng.Logs(runtime.LogFilter{Trigger: "bulk_paid"})[0].Key)
	})
}

func TestCloseWaitsForRunningJobs(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		started, release := make(chan struct{}), make(chan struct{})
		var finished atomic.Bool
		f := newFixture(t, b, func(eng *runtime.Engine) {
			require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
				Name: "slow", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
				Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error {
					close(started)
					<-release
					finished.Store(true)
					return nil
				}},
			}))
		})
		require.NoError(t, CreateOrder(context.Background(), f.eng, &Order{ID: "s"}, noPersist))
		<-started
		closed := make(chan error, 1)
		go func() { closed <- f.eng.Close(context.Background()) }()
		select {
		case <-closed:
			t.Fatal("Close returned while a job was running")
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		require.NoError(t, <-closed)
		assert.True(t, finished.Load())
		assert.Equal(t, map[string]int{"completed": 1}, b.jobs(t))
		err := CreateOrder(context.Background(), f.eng, &Order{ID: "late"}, noPersist)
		require.ErrorIs(t, err, runtime.ErrClosed, "a closed engine takes no async work")
		require.NoError(t, f.eng.Close(context.Background()), "Close is idempotent")
	})
}

func TestModelWithoutCodec(t *testing.T) {
	b := sqliteBackend(t)
	q := b.open(t, riverqueue.Config{})
	eng := runtime.New(runtime.Config{Queue: q})
	err := runtime.On(eng, NoteModel, runtime.Trigger[NoteChange]{
		Name: "ping", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
		Actions: []runtime.Action[NoteChange]{func(context.Context, *NoteChange) error { return nil }},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `trigger "ping": is async, and the engine's durable queue stores changes with the model's codec, which Note lacks: field Ping: a chan has no JSON form`)
	require.NoError(t, runtime.On(eng, NoteModel, runtime.Trigger[NoteChange]{
		Name: "ping_sync", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[NoteChange]{func(context.Context, *NoteChange) error { return nil }},
	}), "synchronous triggers need no codec")
	err = q.Enqueue(context.Background(), runtime.Job{Trigger: "x", Run: func(context.Context) error { return nil }})
	require.ErrorContains(t, err, "durable queue stores jobs through EnqueueDurable")
}

func TestUnknownTriggerIsRetriedNotLost(t *testing.T) {
	b := sqliteBackend(t)
	// The writer knows the trigger; the worker's engine does not.
	writer := runtime.New(runtime.Config{Queue: b.open(t, riverqueue.Config{})})
	require.NoError(t, runtime.On(writer, OrderModel, runtime.Trigger[OrderChange]{
		Name: "newer", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
		Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { return nil }},
	}))
	require.NoError(t, CreateOrder(context.Background(), writer, &Order{ID: "n"}, noPersist))
	require.Equal(t, map[string]int{"available": 1}, b.jobs(t), "no worker has seen the job yet")
	newFixture(t, b, func(*runtime.Engine) {})
	var attempt int
	var errs string
	waitFor(t, "an attempt of the worker to end", func() bool {
		var state string
		require.NoError(t, b.db.QueryRow(`SELECT state, attempt, coalesce(json(errors), '') FROM river_job`).Scan(&state, &attempt, &errs))
		return attempt >= 1 && state != "running" && strings.Contains(errs, "no trigger of that name")
	})
	assert.GreaterOrEqual(t, attempt, 1) // River may have retried it already: the retry waits are short
	j := b.jobs(t)
	assert.Equal(t, 1, j["retryable"]+j["available"]+j["running"], "the job waits for a worker that knows the trigger: %v", j)
	assert.Zero(t, j["cancelled"]+j["discarded"], "a job the worker does not know is neither cancelled nor discarded after its attempts")
}

// TestSQLScopeOnPgxQueueIsAnError checks that a database/sql transaction
// scope on a pgx queue, which cannot hold its jobs, fails the operation
// instead of inserting the job beside the transaction; that on_commit work,
// inserted after the commit, is not concerned; and that OutsideTx asks for
// the insert on purpose.
func TestSQLScopeOnPgxQueueIsAnError(t *testing.T) {
	dsn := pgDatabase(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	q, err := riverqueue.OpenPostgres(ctx, pool, riverqueue.Config{})
	require.NoError(t, err)
	eng := runtime.New(runtime.Config{Queue: q})
	for _, onCommit := range []bool{false, true} {
		require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
			Name: map[bool]string{false: "ship", true: "ship_after_commit"}[onCommit], Events: []runtime.Event{runtime.AfterCreate},
			Options: runtime.Options{Async: true, OnCommit: onCommit, Disabled: onCommit},
			Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { return nil }},
		}))
	}
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	jobs := func() int { return countJobs(t, db)["available"] }

	var persisted bool
	err = sqlscope.InTx(ctx, db, nil, func(ctx context.Context, _ *sql.Tx) error {
		return CreateOrder(ctx, eng, &Order{ID: "a"}, func(context.Context, *Order) error { persisted = true; return nil })
	})
	require.ErrorIs(t, err, riverqueue.ErrTxMismatch)
	assert.ErrorContains(t, err, "riverqueue.InPgxTx")
	assert.True(t, persisted, "the error comes back inside the transaction, which it rolls back")
	assert.Zero(t, jobs(), "no job beside the transaction")

	require.NoError(t, sqlscope.InTx(ctx, db, nil, func(ctx context.Context, _ *sql.Tx) error {
		return CreateOrder(riverqueue.OutsideTx(ctx), eng, &Order{ID: "b"}, noPersist)
	}))
	assert.Equal(t, 1, jobs(), "OutsideTx inserts on purpose")

	require.NoError(t, eng.SetEnabled("ship", false))
	require.NoError(t, eng.SetEnabled("ship_after_commit", true))
	require.NoError(t, sqlscope.InTx(ctx, db, nil, func(ctx context.Context, _ *sql.Tx) error {
		return CreateOrder(ctx, eng, &Order{ID: "c"}, noPersist)
	}))
	assert.Equal(t, 2, jobs(), "an on_commit job is inserted after the commit, on its own")
}

// TestInPgxTx checks the one-call pgx transaction: the jobs of a committed
// transaction exist, those of a rolled-back one never do, and a persist
// function finds the transaction in its context.
func TestInPgxTx(t *testing.T) {
	b := pgBackend(t)
	var ran atomic.Int32
	f := newFixture(t, b, func(eng *runtime.Engine) {
		require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
			Name: "ship", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
			Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { ran.Add(1); return nil }},
		}))
	})
	ctx := context.Background()
	persist := func(ctx context.Context, o *Order) error {
		tx, ok := riverqueue.TxFrom[pgx.Tx](ctx)
		if !ok {
			return errors.New("no transaction in the context")
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY); INSERT INTO orders VALUES ('`+o.ID+`')`)
		return err
	}
	errRollback := errors.New("roll back")
	err := riverqueue.InPgxTx(ctx, b.pool, pgx.TxOptions{}, func(ctx context.Context, _ pgx.Tx) error {
		require.NoError(t, CreateOrder(ctx, f.eng, &Order{ID: "lost"}, persist))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	assert.Empty(t, b.jobs(t), "a rolled-back transaction leaves no job")
	require.NoError(t, riverqueue.InPgxTx(ctx, b.pool, pgx.TxOptions{}, func(ctx context.Context, _ pgx.Tx) error {
		return CreateOrder(ctx, f.eng, &Order{ID: "kept"}, persist)
	}))
	waitFor(t, "the committed job", func() bool { return b.jobs(t)["completed"] == 1 })
	var ids []string
	rows, err := b.pool.Query(ctx, `SELECT id FROM orders`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"kept"}, ids)
	assert.Equal(t, int32(1), ran.Load())
}

// TestSQLiteInsertWithoutAFreeConnectionFails checks the one-connection
// SQLite set-up: a job insert outside the transaction that holds the only
// connection fails after ConnWait, saying why, instead of waiting until its
// context ends; inside that transaction's scope it works.
func TestSQLiteInsertWithoutAFreeConnectionFails(t *testing.T) {
	db := sqliteDB(t, filepath.Join(t.TempDir(), "q.db"))
	ctx := context.Background()
	q, err := riverqueue.OpenSQLite(ctx, db, riverqueue.Config{ConnWait: 200 * time.Millisecond})
	require.NoError(t, err)
	eng := runtime.New(runtime.Config{Queue: q})
	require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
		Name: "ship", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
		Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { return nil }},
	}))
	tx, err := db.BeginTx(ctx, nil) // takes the only connection
	require.NoError(t, err)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- CreateOrder(ctx, eng, &Order{ID: "a"}, noPersist) }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the insert is still waiting for a connection")
	}
	require.ErrorIs(t, err, riverqueue.ErrNoConnection)
	assert.ErrorContains(t, err, "1 of 1 connections in use")
	assert.ErrorContains(t, err, "sqlscope.InTx")
	assert.Less(t, time.Since(start), 5*time.Second)

	sctx, scope := runtime.BeginTxScope(ctx, tx)
	require.NoError(t, CreateOrder(sctx, eng, &Order{ID: "b"}, noPersist), "bound to the scope, the job joins the transaction")
	require.NoError(t, tx.Commit())
	require.NoError(t, scope.Commit(ctx))
	assert.Equal(t, map[string]int{"available": 1}, countJobs(t, db))
	require.NoError(t, CreateOrder(ctx, eng, &Order{ID: "c"}, noPersist), "with the connection free, an insert on its own works")
	assert.Equal(t, map[string]int{"available": 2}, countJobs(t, db))
}

// TestDurableRunsKnowTheirAttempt checks runtime.CurrentRun in a durable
// job: the attempt is River's count of deliveries.
func TestDurableRunsKnowTheirAttempt(t *testing.T) {
	b := sqliteBackend(t)
	var mu sync.Mutex
	var attempts []int
	f := newFixture(t, b, func(eng *runtime.Engine) {
		require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
			Name: "flaky", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true, Retries: 2, Backoff: 10 * time.Millisecond},
			Actions: []runtime.Action[OrderChange]{func(ctx context.Context, _ *OrderChange) error {
				ri, _ := runtime.CurrentRun(ctx)
				mu.Lock()
				defer mu.Unlock()
				attempts = append(attempts, ri.Attempt)
				if len(attempts) < 3 {
					return errors.New("not yet")
				}
				return nil
			}},
		}))
	})
	require.NoError(t, CreateOrder(context.Background(), f.eng, &Order{ID: "a"}, noPersist))
	waitFor(t, "the job to complete", func() bool { return b.jobs(t)["completed"] == 1 })
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int{1, 2, 3}, attempts)
}

// TestCloseFromInsideADurableTrigger checks that a trigger run from a
// durable job can close the engine: Close returns instead of waiting for
// the job that called it, and the job still completes.
func TestCloseFromInsideADurableTrigger(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		closed := make(chan error, 1)
		var took atomic.Int64
		var eng *runtime.Engine
		f := newFixture(t, b, func(e *runtime.Engine) {
			eng = e
			require.NoError(t, runtime.On(e, OrderModel, runtime.Trigger[OrderChange]{
				Name: "shutdown", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true},
				Actions: []runtime.Action[OrderChange]{func(ctx context.Context, _ *OrderChange) error {
					start := time.Now()
					err := eng.Close(ctx)
					took.Store(int64(time.Since(start)))
					closed <- err
					return nil
				}},
			}))
		})
		require.NoError(t, CreateOrder(context.Background(), f.eng, &Order{ID: "a"}, noPersist))
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("Close from inside the durable trigger did not return")
		}
		assert.Less(t, time.Duration(took.Load()), 2*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, f.eng.Close(ctx), "a Close from outside waits for the stop")
		assert.Equal(t, map[string]int{"completed": 1}, b.jobs(t))
	})
}

// TestRunDurableRejectsBadJobs checks the stored jobs a worker cannot run:
// they fail at once, marked Permanent, and leave an audit record.
func TestRunDurableRejectsBadJobs(t *testing.T) {
	eng := runtime.New(runtime.Config{})
	require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
		Name: "ship", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
		Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { return nil }},
	}))
	good := runtime.Job{Trigger: "ship", Model: "Order", Key: "o", EventName: "after_update", Old: []byte(`{"ID":"o"}`), New: []byte(`{"ID":"o"}`)}
	require.NoError(t, eng.RunDurable(context.Background(), good, 1, true))
	for _, tc := range []struct {
		name string
		edit func(j *runtime.Job)
		want string
	}{
		{"unknown event", func(j *runtime.Job) { j.EventName = "shipped" }, `model Order has no event "shipped"`},
		{"bad change", func(j *runtime.Job) { j.New = []byte(`{"Amount":"ten"}`) }, `decode Order new of Order "o"`},
		{"other model", func(j *runtime.Job) { j.Model = "Invoice" }, "the job is for model Invoice, the trigger for Order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := good
			tc.edit(&j)
			err := eng.RunDurable(context.Background(), j, 2, false)
			require.ErrorContains(t, err, tc.want)
			assert.True(t, runtime.IsPermanent(err), "retrying cannot help: %v", err)
		})
	}
	recs := eng.Logs(runtime.LogFilter{Trigger: "ship", Outcome: runtime.OutcomeFailure})
	assert.Len(t, recs, 2, "the undecodable jobs of a known model leave a record")
	err := eng.RunDurable(context.Background(), runtime.Job{Trigger: "gone", Model: "Order"}, 1, false)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	assert.False(t, runtime.IsPermanent(err), "a newer worker may know the trigger")
}
