// Package riverqueue runs async triggers as durable jobs on River
// (github.com/riverqueue/river): on an embedded SQLite database by default
// (modernc.org/sqlite, pure Go, no server), or on PostgreSQL to share the
// work between processes and machines.
//
// A Queue is a runtime.DurableQueue. Each run of an async trigger becomes a
// River job that carries the trigger's name, the event, the instance's key,
// the change (old and new values, encoded with the model's generated codec),
// the actor and the request ID. A worker, in this process or another one
// with the same triggers registered, decodes the job into the typed change
// and runs the trigger's actions through runtime.Engine.RunDurable.
//
// Delivery is at least once: a job whose worker dies before it finishes is
// rescued by River and run again, so triggers run through a Queue should be
// idempotent.
//
// Use it in three steps: open the queue, create the engine with it, then
// start the workers once the triggers are registered:
//
//	q, err := riverqueue.OpenSQLite(ctx, db, riverqueue.Config{})
//	eng := runtime.New(runtime.Config{Queue: q})
//	err = triggers.Register(eng)
//	err = q.Start(ctx, eng)
//	defer eng.Close(ctx) // stops fetching and waits for the running jobs
//
// Retries map onto River's: a trigger's `retry N` allows N+1 failed attempts,
// waiting the trigger's backoff (100ms by default) doubling each time, ±20%
// jitter, at most 30s. River's MaxAttempts is set to N+1+Config.CrashAttempts:
// the extra attempts are for deliveries cut short by a crash, which River
// counts as attempts but which are not the trigger's failures. After the
// last failed attempt, or an error marked runtime.Permanent, or a panic,
// the job is cancelled in River (state cancelled, with the error). Every
// attempt is an audit record numbered by River's attempt count; each run
// (its success, or its final failure) is counted once in the statistics.
//
// Transactional outbox: when the context of an operation carries a
// transaction the queue can write to, the job is inserted in that
// transaction, so it exists once the transaction commits and never if it
// rolls back. A queue on database/sql (OpenSQLite, or New with River's
// riverdatabasesql driver) uses the *sql.Tx of the runtime scope
// (sqlscope.InTx, runtime.BeginTxScope); any queue uses a transaction set
// with WithTx (a pgx.Tx for OpenPostgres, most simply through InPgxTx). A
// job that cannot join the transaction of the operation's scope is an
// error (ErrTxMismatch), never a silent insert beside it.
package riverqueue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/triggergen/triggergen/runtime"
)

// Kind is the River job kind of trigger runs.
const Kind = "triggergen_trigger"

// Config configures a Queue. The zero value works.
type Config struct {
	// Workers is how many jobs this process runs at once, per queue
	// (default 10).
	Workers int
	// Queues are the River queues this process works besides
	// river.QueueDefault. A trigger that names a queue (Trigger.Queue) has
	// its jobs inserted into that queue; they wait there until a process
	// that works it runs them.
	Queues []string
	// CrashAttempts is how many deliveries beyond the trigger's own
	// attempts a job may lose to crashed workers before River discards it
	// (default 3).
	CrashAttempts int
	// RescueAfter is how long a job may stay running before River takes it
	// for a crashed worker's and runs it again (default 1 minute). River
	// looks for such jobs every 30 seconds (see RescueInterval), so a
	// crashed worker's job runs again between RescueAfter and
	// RescueAfter+30s after it started. A job is never taken before the
	// engine's DefaultTimeout (which bounds every run) plus a second has
	// passed, whatever RescueAfter says, so a slow but live run is not run
	// twice.
	RescueAfter time.Duration
	// RescueInterval, when set, is how often this process itself looks for
	// trigger jobs that have been running longer than RescueAfter and hands
	// them back to the workers (or discards one that has used up its
	// attempts, as River does). Without it (the default) only River's own
	// rescuer does that: every 30 seconds, and only in the process River
	// elected leader, so when the crashed process was the leader a new
	// leader is elected first (River's leadership lapses within about 15
	// seconds). With it, every started process checks at this interval,
	// leader or not.
	RescueInterval time.Duration
	// ConnWait bounds how long a job insert that is not part of a
	// transaction waits for a connection of a queue opened with OpenSQLite
	// (default 1s). On the one-connection set-up SQLite needs, a connection
	// held by a transaction the operation's scope does not know would
	// otherwise make the insert wait until its context ends (forever with
	// context.Background()); after ConnWait the insert fails with
	// ErrNoConnection, which says why.
	ConnWait time.Duration
	// PollInterval is how often idle workers look for new jobs (default
	// 100ms). On PostgreSQL with OpenPostgres, inserts also wake them at
	// once through LISTEN/NOTIFY.
	PollInterval time.Duration
	// Logger receives River's own logs (default: slog.Default() at warning
	// level and above).
	Logger *slog.Logger
	// SkipMigrate leaves River's tables alone: by default OpenSQLite,
	// OpenPostgres and New create or upgrade them.
	SkipMigrate bool
	// ID names this process among River's clients (default: River's).
	ID string
	// JobContext, when set, decorates the context each job's trigger runs
	// with: bind there what the triggers take from the context (a store, a
	// client), since a worker's context carries none of the values of the
	// operation that queued the job (its actor and request ID excepted).
	JobContext func(ctx context.Context) context.Context
}

// Args is the River job of one run of an async trigger. Its JSON form is
// what River stores in river_job.args.
type Args struct {
	Trigger    string          `json:"trigger"`
	Model      string          `json:"model"`
	Event      string          `json:"event"`
	Key        string          `json:"key"`
	ActorID    string          `json:"actor_id,omitempty"`
	ActorRoles []string        `json:"actor_roles,omitempty"`
	RequestID  string          `json:"request_id,omitempty"`
	Depth      int             `json:"depth"`
	Retries    int             `json:"retries"`
	Backoff    time.Duration   `json:"backoff"`
	Timeout    time.Duration   `json:"timeout,omitempty"`
	Old        json.RawMessage `json:"old,omitempty"`
	New        json.RawMessage `json:"new,omitempty"`
	Items      []Item          `json:"items,omitempty"`
	// Trace is the trace context of the operation that queued the job
	// (runtime.Job.Trace), so that its run continues the operation's trace.
	Trace map[string]string `json:"trace,omitempty"`
}

// Item is one item of a bulk trigger's job.
type Item struct {
	Event string          `json:"event"`
	Old   json.RawMessage `json:"old"`
	New   json.RawMessage `json:"new"`
}

// Kind returns the River job kind, Kind.
func (Args) Kind() string { return Kind }

// Queue is a runtime.DurableQueue on a River client. TTx is the driver's
// transaction type: *sql.Tx for SQLite, pgx.Tx for PostgreSQL through pgx.
type Queue[TTx any] struct {
	cfg    Config
	client *river.Client[TTx]
	exec   riverdriver.Executor
	db     *sql.DB // the database of OpenSQLite, for ConnWait
	eng    atomic.Pointer[runtime.Engine]

	mu      sync.Mutex
	started bool
	closed  bool
	stopped chan struct{} // closed when River's client has stopped
	stopErr error
	rescuer chan struct{} // closed to stop the RescueInterval loop
	rescued chan struct{} // closed when that loop has ended

	running, completed, failed atomic.Int64
}

// ErrNotStarted is returned by Close and reported by workers of a queue
// whose Start was never called.
var ErrNotStarted = errors.New("riverqueue: queue not started (call Start with the engine)")

// ErrTxMismatch is wrapped by the error of a job insert that cannot join
// the transaction of the operation's scope: the scope holds a *sql.Tx and
// the queue's driver writes through another kind of transaction (pgx), so
// the job would be inserted beside the transaction, kept if it rolled back.
// Bind the driver's transaction with WithTx (InPgxTx does it), or mark the
// context with OutsideTx to insert the job on its own on purpose.
var ErrTxMismatch = errors.New("riverqueue: the job cannot join the scope's transaction")

// ErrNoConnection is wrapped by the error of a job insert that found no
// free connection of the queue's SQLite database within Config.ConnWait.
var ErrNoConnection = errors.New("riverqueue: no free database connection for the job insert")

// OpenSQLite returns a queue on the SQLite database db, opened with
// modernc.org/sqlite. It creates River's tables unless cfg.SkipMigrate.
//
// SQLite allows one writer at a time: open db with
// db.SetMaxOpenConns(1) (as River advises), or expect "database is locked"
// errors under load. Keep the application's tables in the same database so
// that sqlscope.InTx stores the jobs in the application's transaction.
func OpenSQLite(ctx context.Context, db *sql.DB, cfg Config) (*Queue[*sql.Tx], error) {
	q, err := New(ctx, riversqlite.New(db), cfg)
	if err != nil {
		return nil, err
	}
	q.db = db
	return q, nil
}

// OpenPostgres returns a queue on the PostgreSQL database behind pool. It
// creates River's tables unless cfg.SkipMigrate; any number of processes
// may work the same database. Bind a transaction with WithTx to store jobs
// in it.
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Queue[pgx.Tx], error) {
	return New(ctx, riverpgxv5.New(pool), cfg)
}

// New returns a queue on any River driver. It creates River's tables unless
// cfg.SkipMigrate.
func New[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg Config) (*Queue[TTx], error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 10
	}
	if cfg.CrashAttempts <= 0 {
		cfg.CrashAttempts = 3
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	if cfg.ConnWait <= 0 {
		cfg.ConnWait = time.Second
	}
	if cfg.RescueInterval < 0 {
		cfg.RescueInterval = 0
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(warnOnly{slog.Default().Handler()})
	}
	if !cfg.SkipMigrate {
		if err := Migrate(ctx, driver); err != nil {
			return nil, err
		}
	}
	q := &Queue[TTx]{cfg: cfg, exec: driver.GetExecutor()}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker[TTx]{q: q}); err != nil {
		return nil, err
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	for _, name := range cfg.Queues {
		queues[name] = river.QueueConfig{MaxWorkers: cfg.Workers}
	}
	client, err := river.NewClient(driver, &river.Config{
		ID:                   cfg.ID,
		Logger:               cfg.Logger,
		Queues:               queues,
		Workers:              workers,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, 20*time.Millisecond),
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           -1, // each job's Timeout says
	})
	if err != nil {
		return nil, fmt.Errorf("riverqueue: %w", err)
	}
	q.client = client
	return q, nil
}

// Migrate creates or upgrades River's tables through driver.
func Migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(warnOnly{slog.Default().Handler()})})
	if err != nil {
		return fmt.Errorf("riverqueue: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("riverqueue: migrate: %w", err)
	}
	return nil
}

// Client returns the River client, for River's own operations (listing
// jobs, pausing queues, subscribing to events).
func (q *Queue[TTx]) Client() *river.Client[TTx] { return q.client }

// Start starts working jobs through eng, the engine whose Config.Queue is
// q and whose triggers are registered. A process that only enqueues (a web
// front end whose workers run elsewhere) does not call it. ctx is not kept:
// stop the workers with eng.Close or q.Close.
func (q *Queue[TTx]) Start(ctx context.Context, eng *runtime.Engine) error {
	if eng == nil {
		return errors.New("riverqueue: Start needs the engine")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return runtime.ErrQueueClosed
	}
	if q.started {
		return errors.New("riverqueue: already started")
	}
	q.eng.Store(eng)
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("riverqueue: %w", err)
	}
	q.started = true
	if q.cfg.RescueInterval > 0 {
		q.rescuer, q.rescued = make(chan struct{}), make(chan struct{})
		go q.rescueLoop(q.rescuer, q.rescued)
	}
	return nil
}

// Enqueue refuses jobs that hold only a function: a durable queue stores
// jobs, and the engine hands them over through EnqueueDurable.
func (q *Queue[TTx]) Enqueue(ctx context.Context, job runtime.Job) error {
	return fmt.Errorf("riverqueue: trigger %q: a durable queue stores jobs through EnqueueDurable, not functions", job.Trigger)
}

// EnqueueDurable inserts job as a River job, in the transaction ctx carries
// when there is one (see InTx). It returns an error wrapping ErrTxMismatch
// when the operation's scope holds a transaction the queue cannot write to,
// and one wrapping ErrNoConnection when a SQLite queue finds no free
// connection within Config.ConnWait.
func (q *Queue[TTx]) EnqueueDurable(ctx context.Context, job runtime.Job) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return runtime.ErrQueueClosed
	}
	args := Args{
		Trigger: job.Trigger, Model: job.Model, Event: job.EventName, Key: job.Key,
		ActorID: job.Actor.ID, ActorRoles: job.Actor.Roles, RequestID: job.RequestID,
		Depth: job.Depth, Retries: job.Retries, Backoff: job.Backoff, Timeout: job.Timeout,
		Old: job.Old, New: job.New, Trace: job.Trace,
	}
	for _, it := range job.Items {
		args.Items = append(args.Items, Item{Event: it.Event, Old: it.Old, New: it.New})
	}
	opts := &river.InsertOpts{MaxAttempts: job.Retries + 1 + q.cfg.CrashAttempts, Queue: job.Queue}
	var err error
	if tx, ok := q.txFrom(ctx); ok {
		_, err = q.client.InsertTx(ctx, tx, args, opts)
	} else {
		if s := runtime.ScopeFrom(ctx); s.Tx() != nil && !s.Done() && ctx.Value(outsideTxKey{}) == nil {
			var none TTx
			return fmt.Errorf("%w: trigger %q: the scope holds a %T and this queue writes through a %T, so the job would be inserted outside the transaction; bind the queue's transaction with riverqueue.WithTx (with pgx: riverqueue.InPgxTx), or mark the context with riverqueue.OutsideTx to insert it on its own",
				ErrTxMismatch, job.Trigger, s.Tx(), any(none))
		}
		err = q.insertAlone(ctx, args, opts)
	}
	if err != nil {
		return fmt.Errorf("riverqueue: insert job: %w", err)
	}
	return nil
}

// insertAlone inserts a job in a transaction of its own. On a SQLite queue
// it takes a connection first, waiting at most Config.ConnWait.
func (q *Queue[TTx]) insertAlone(ctx context.Context, args Args, opts *river.InsertOpts) error {
	if q.db == nil {
		_, err := q.client.Insert(ctx, args, opts)
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, q.cfg.ConnWait)
	conn, err := q.db.Conn(wctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			st := q.db.Stats()
			return fmt.Errorf("%w within %s (%d of %d connections in use): the insert would wait until its context ends. Most likely the operation runs inside a transaction its scope does not know, which holds the connection: run it in sqlscope.InTx(ctx, db, nil, fn) with the ctx fn receives, or in runtime.BeginTxScope(ctx, tx), so that the job is inserted in that transaction",
				ErrNoConnection, q.cfg.ConnWait, st.InUse, st.MaxOpenConnections)
		}
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ttx, _ := any(tx).(TTx)
	if _, err := q.client.InsertTx(ctx, ttx, args, opts); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// InTx reports whether ctx carries a transaction that EnqueueDurable
// writes to: one set with WithTx, or, for a queue on database/sql, the
// *sql.Tx of the runtime scope.
func (q *Queue[TTx]) InTx(ctx context.Context) bool {
	_, ok := q.txFrom(ctx)
	return ok
}

func (q *Queue[TTx]) txFrom(ctx context.Context) (TTx, bool) {
	if tx, ok := ctx.Value(txKey{}).(TTx); ok {
		return tx, true
	}
	if s := runtime.ScopeFrom(ctx); s != nil && s.Tx() != nil {
		if tx, ok := s.Tx().(TTx); ok {
			return tx, true
		}
	}
	var none TTx
	return none, false
}

type (
	txKey        struct{}
	outsideTxKey struct{}
)

// WithTx returns a context in which the queue stores async jobs in tx: they
// exist once tx commits, and never if it rolls back. Use it with a
// runtime.BeginScope context for drivers whose transactions are not
// *sql.Tx (a pgx.Tx for OpenPostgres), or let InPgxTx do both; a
// database/sql scope needs no call.
func WithTx[TTx any](ctx context.Context, tx TTx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// TxFrom returns the transaction WithTx (or InPgxTx) bound to ctx, for a
// persist function that writes in it:
//
//	tx, ok := riverqueue.TxFrom[pgx.Tx](ctx)
func TxFrom[TTx any](ctx context.Context) (TTx, bool) {
	tx, ok := ctx.Value(txKey{}).(TTx)
	return tx, ok
}

// OutsideTx returns a context in which the queue inserts jobs on their own
// even though the operation's scope holds a transaction the queue cannot
// write to (a database/sql transaction on another database than River's):
// the jobs then exist at once, whether that transaction commits or not.
func OutsideTx(ctx context.Context) context.Context {
	return context.WithValue(ctx, outsideTxKey{}, true)
}

// PgxBeginner begins pgx transactions; *pgxpool.Pool and *pgx.Conn are
// ones.
type PgxBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// InPgxTx is sqlscope.InTx for pgx: it runs fn in a transaction begun on db
// and in a runtime scope bound to it, so that the async jobs of the
// operations fn runs with its ctx are inserted in that transaction (see
// WithTx). When fn returns nil the transaction commits and then the
// scope's on_commit work runs; otherwise, or when the commit fails, both
// roll back and fn's error is returned.
func InPgxTx(ctx context.Context, db PgxBeginner, opts pgx.TxOptions, fn func(ctx context.Context, tx pgx.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	sctx, scope := runtime.BeginScope(WithTx(ctx, tx))
	if err := fn(sctx, tx); err != nil {
		scope.Rollback()
		if rerr := tx.Rollback(ctx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		scope.Rollback()
		return err
	}
	return scope.Commit(ctx)
}

// Close stops fetching jobs and waits until the running ones finish, or ctx
// ends (the stop then goes on, and a later Close waits for it again). Jobs
// not yet started stay in the database for the next worker. It is
// idempotent; the engine's Close calls it.
func (q *Queue[TTx]) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	if !q.started {
		q.mu.Unlock()
		return nil
	}
	if q.stopped == nil {
		q.stopped = make(chan struct{})
		if q.rescuer != nil {
			close(q.rescuer)
		}
		// Owned by the queue: it ends when River's client has stopped,
		// which every Close waits for.
		go func(rescued chan struct{}) {
			err := q.client.Stop(context.Background())
			if rescued != nil {
				<-rescued
			}
			q.mu.Lock()
			q.stopErr = err
			q.mu.Unlock()
			close(q.stopped)
		}(q.rescued)
	}
	stopped := q.stopped
	q.mu.Unlock()
	select {
	case <-stopped:
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.stopErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rescueMessage is the error a rescued job's attempt is recorded with.
const rescueMessage = "worker presumed crashed: the job ran longer than RescueAfter without reporting; rescued by riverqueue"

// rescueLoop runs rescue every Config.RescueInterval until stop is closed.
func (q *Queue[TTx]) rescueLoop(stop, done chan struct{}) {
	defer close(done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(q.cfg.RescueInterval)
	defer t.Stop()
	for {
		if err := q.rescue(ctx); err != nil && ctx.Err() == nil {
			q.cfg.Logger.WarnContext(ctx, "riverqueue: rescue of crashed workers' jobs failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rescue hands the trigger jobs that have been running longer than
// RescueAfter (and than their own time limit) back to the workers, or
// discards those that have used up their attempts, as River's rescuer does.
// Its updates only touch jobs still running since before the horizon, so
// that processes rescuing at the same time do not step on each other.
func (q *Queue[TTx]) rescue(ctx context.Context) error {
	now := time.Now().UTC()
	horizon := now.Add(-q.cfg.RescueAfter)
	limit := q.jobTimeout()
	var after int64
	for {
		jobs, err := q.exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{AfterID: after, Max: 100, StuckHorizon: horizon})
		if err != nil {
			return err
		}
		p := &riverdriver.JobRescueManyParams{StuckHorizon: horizon}
		for _, j := range jobs {
			after = j.ID
			if j.Kind != Kind || (j.AttemptedAt != nil && now.Sub(*j.AttemptedAt) < limit) {
				continue
			}
			data, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(j.Attempt, 0), Error: rescueMessage})
			if err != nil {
				return err
			}
			state, finalized, at := rivertype.JobStateAvailable, (*time.Time)(nil), now
			if j.Attempt >= j.MaxAttempts {
				state, finalized, at = rivertype.JobStateDiscarded, &now, j.ScheduledAt
			}
			p.ID = append(p.ID, j.ID)
			p.Error = append(p.Error, data)
			p.FinalizedAt = append(p.FinalizedAt, finalized)
			p.ScheduledAt = append(p.ScheduledAt, at)
			p.State = append(p.State, string(state))
		}
		if len(p.ID) > 0 {
			if _, err := q.exec.JobRescueMany(ctx, p); err != nil {
				return err
			}
		}
		if len(jobs) < 100 {
			return nil
		}
	}
}

// jobTimeout is how long a job may run before River gives up on it: the
// engine's DefaultTimeout and a second (see worker.Timeout).
func (q *Queue[TTx]) jobTimeout() time.Duration {
	d := 30 * time.Second
	if eng := q.eng.Load(); eng != nil {
		d = eng.Config().DefaultTimeout
	}
	return d + time.Second
}

// QueueStats returns this process's figures: its workers per queue, the
// jobs running now and the attempts that succeeded or failed since Start.
// Jobs waiting in the database are not counted (River's client lists them).
func (q *Queue[TTx]) QueueStats() runtime.QueueStats {
	return runtime.QueueStats{
		Workers:   q.cfg.Workers,
		Running:   int(q.running.Load()),
		Completed: q.completed.Load(),
		Failed:    q.failed.Load(),
	}
}

// worker runs trigger jobs through the queue's engine.
type worker[TTx any] struct {
	river.WorkerDefaults[Args]
	q *Queue[TTx]
}

// failedPrefix starts the error a worker returns for a failed attempt; the
// attempts River records with it are the trigger's own failures, as
// opposed to deliveries cut short by a crash.
const failedPrefix = "trigger attempt failed: "

func (w *worker[TTx]) Work(ctx context.Context, job *river.Job[Args]) error {
	eng := w.q.eng.Load()
	if eng == nil {
		return ErrNotStarted
	}
	w.q.running.Add(1)
	defer w.q.running.Add(-1)
	a := job.Args
	rj := runtime.Job{
		Trigger: a.Trigger, Model: a.Model, Key: a.Key, Queue: job.Queue, EventName: a.Event,
		Actor: runtime.Actor{ID: a.ActorID, Roles: a.ActorRoles}, RequestID: a.RequestID,
		Retries: a.Retries, Backoff: a.Backoff, Timeout: a.Timeout, Depth: a.Depth,
		Old: a.Old, New: a.New, Trace: a.Trace,
	}
	for _, it := range a.Items {
		rj.Items = append(rj.Items, runtime.JobItem{Event: it.Event, Old: it.Old, New: it.New})
	}
	if w.q.cfg.JobContext != nil {
		ctx = w.q.cfg.JobContext(ctx)
	}
	failures := failedAttempts(job)
	last := failures >= a.Retries || job.Attempt >= job.MaxAttempts
	err := eng.RunDurable(ctx, rj, job.Attempt, last)
	if err == nil {
		w.q.completed.Add(1)
		return nil
	}
	w.q.failed.Add(1)
	if runtime.IsPermanent(err) || (last && !errors.Is(err, runtime.ErrNotFound)) {
		return river.JobCancel(fmt.Errorf("%s%w", failedPrefix, err))
	}
	return fmt.Errorf("%s%w", failedPrefix, err)
}

// NextRetry waits the trigger's backoff, doubled for each failure before,
// ±20% jitter, at most 30s (runtime.RetryDelay).
func (w *worker[TTx]) NextRetry(job *river.Job[Args]) time.Time {
	return time.Now().Add(runtime.RetryDelay(job.Args.Backoff, failedAttempts(job)+1))
}

// Timeout lets the engine bound the run (the trigger's timeout and
// DefaultTimeout); River's limit only backs it up, a little later.
func (w *worker[TTx]) Timeout(*river.Job[Args]) time.Duration { return w.q.jobTimeout() }

// failedAttempts counts the job's earlier attempts that the trigger failed.
func failedAttempts(job *river.Job[Args]) int {
	n := 0
	for _, e := range job.Errors {
		if strings.HasPrefix(e.Error, failedPrefix) {
			n++
		}
	}
	return n
}

// warnOnly passes on records at warning level and above.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(name string) slog.Handler    { return warnOnly{h.Handler.WithGroup(name)} }
