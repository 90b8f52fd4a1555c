package riverqueue_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/riverqueue"
)

// workerEnv makes the test binary a worker process instead of running tests:
// "sqlite:<file>" or "postgres:<dsn>".
const workerEnv = "RIVERQUEUE_TEST_WORKER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		if err := workerMain(spec); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// procDB is the database of a multi-process test: River's tables and a
// results table the workers write to.
type procDB struct {
	db      *sql.DB
	rebind  func(string) string
	openQ   func(ctx context.Context, cfg riverqueue.Config) (runtime.DurableQueue, func(*runtime.Engine) error, error)
	cleanup func()
}

func openProcDB(spec string) (*procDB, error) {
	kind, target, _ := strings.Cut(spec, ":")
	switch kind {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+target+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		return &procDB{
			db:     db,
			rebind: func(q string) string { return q },
			openQ: func(ctx context.Context, cfg riverqueue.Config) (runtime.DurableQueue, func(*runtime.Engine) error, error) {
				q, err := riverqueue.OpenSQLite(ctx, db, cfg)
				if err != nil {
					return nil, nil, err
				}
				return q, func(eng *runtime.Engine) error { return q.Start(ctx, eng) }, nil
			},
			cleanup: func() { db.Close() },
		}, nil
	case "postgres":
		db, err := sql.Open("pgx", target)
		if err != nil {
			return nil, err
		}
		pdb := &procDB{db: db, cleanup: func() { db.Close() }}
		pdb.rebind = func(q string) string {
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
			}
			return q
		}
		pdb.openQ = func(ctx context.Context, cfg riverqueue.Config) (runtime.DurableQueue, func(*runtime.Engine) error, error) {
			pool, err := pgxpoolNew(ctx, target)
			if err != nil {
				return nil, nil, err
			}
			prev := pdb.cleanup
			pdb.cleanup = func() { pool.Close(); prev() }
			q, err := riverqueue.OpenPostgres(ctx, pool, cfg)
			if err != nil {
				return nil, nil, err
			}
			return q, func(eng *runtime.Engine) error { return q.Start(ctx, eng) }, nil
		}
		return pdb, nil
	}
	return nil, fmt.Errorf("unknown worker spec %q", spec)
}

func (p *procDB) mark(ctx context.Context, key, phase string) error {
	_, err := p.db.ExecContext(ctx, p.rebind(`INSERT INTO results (key, phase, pid) VALUES (?, ?, ?)`), key, phase, os.Getpid())
	return err
}

// startedElsewhere reports whether another process started the job for key.
func (p *procDB) startedElsewhere(ctx context.Context, key string) (bool, error) {
	var n int
	err := p.db.QueryRowContext(ctx, p.rebind(`SELECT count(*) FROM results WHERE key = ? AND phase = 'started' AND pid <> ?`), key, os.Getpid()).Scan(&n)
	return n > 0, err
}

// registerWork registers the trigger the worker processes run: it records
// each order as done, after blocking forever on the first delivery of an
// order whose ID starts with "crash" (the test kills that process).
func registerWork(eng *runtime.Engine, p *procDB) error {
	return runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
		Name: "work", Events: []runtime.Event{runtime.AfterCreate}, Options: runtime.Options{Async: true, Retries: 3, Backoff: 10 * time.Millisecond},
		Actions: []runtime.Action[OrderChange]{func(ctx context.Context, c *OrderChange) error {
			key := c.New.ID
			if strings.HasPrefix(key, "crash") {
				elsewhere, err := p.startedElsewhere(ctx, key)
				if err != nil {
					return err
				}
				if !elsewhere {
					if err := p.mark(ctx, key, "started"); err != nil {
						return err
					}
					<-ctx.Done() // until the test kills this process
					return ctx.Err()
				}
			}
			time.Sleep(20 * time.Millisecond)
			return p.mark(ctx, key, "done")
		}},
	})
}

// workerCfg is the queue configuration of the worker processes: a short
// rescue delay so that a killed worker's job is taken over quickly.
var workerCfg = riverqueue.Config{Workers: 2, PollInterval: 20 * time.Millisecond, RescueAfter: 4 * time.Second}

const workerTimeout = 2 * time.Second

func workerMain(spec string) error {
	ctx := context.Background()
	p, err := openProcDB(spec)
	if err != nil {
		return err
	}
	defer p.cleanup()
	q, start, err := p.openQ(ctx, workerCfg)
	if err != nil {
		return err
	}
	eng := runtime.New(runtime.Config{Queue: q, DefaultTimeout: workerTimeout})
	if err := registerWork(eng, p); err != nil {
		return err
	}
	if err := start(eng); err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	fmt.Println("ready")
	<-stop
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return eng.Close(cctx)
}

// worker is a running worker process.
type worker struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

func startWorker(t *testing.T, spec string) *worker {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+spec)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	w := &worker{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
			}
		}
		w.err = cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-w.done
	})
	select {
	case <-ready:
	case <-w.done:
		t.Fatalf("worker exited before it was ready: %v", w.err)
	case <-time.After(60 * time.Second):
		t.Fatal("worker not ready after 60s")
	}
	return w
}

func TestWorkerProcessesShareJobsAndSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes and waits for River to rescue a killed worker's job (up to a minute)")
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashTest(t, "sqlite:"+filepath.Join(t.TempDir(), "shared.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		crashTest(t, "postgres:"+pgDatabase(t))
	})
}

func crashTest(t *testing.T, spec string) {
	ctx := context.Background()
	p, err := openProcDB(spec)
	require.NoError(t, err)
	t.Cleanup(p.cleanup)
	_, err = p.db.Exec(`CREATE TABLE results (key TEXT NOT NULL, phase TEXT NOT NULL, pid INTEGER NOT NULL)`)
	require.NoError(t, err)

	// This process only writes: its queue is never started.
	q, _, err := p.openQ(ctx, workerCfg)
	require.NoError(t, err)
	eng := runtime.New(runtime.Config{Queue: q})
	require.NoError(t, registerWork(eng, p))
	keys := []string{"crash-1"}
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("job-%02d", i))
	}
	for _, k := range keys {
		require.NoError(t, CreateOrder(ctx, eng, &Order{ID: k}, noPersist))
	}

	workers := map[int]*worker{}
	for range 2 {
		w := startWorker(t, spec)
		workers[w.cmd.Process.Pid] = w
	}

	// Kill the worker that took the crash job in the middle of it, and
	// start another in its place.
	var victim int
	waitForIn(t, 60*time.Second, "a worker to start the crash job", func() bool {
		err := p.db.QueryRow(p.rebind(`SELECT pid FROM results WHERE key = ? AND phase = 'started'`), "crash-1").Scan(&victim)
		return err == nil
	})
	require.Contains(t, workers, victim)
	require.NoError(t, workers[victim].cmd.Process.Signal(syscall.SIGKILL))
	<-workers[victim].done
	delete(workers, victim)
	w := startWorker(t, spec)
	workers[w.cmd.Process.Pid] = w

	done := func() map[string][]int {
		rows, err := p.db.Query(`SELECT key, pid FROM results WHERE phase = 'done'`)
		require.NoError(t, err)
		defer rows.Close()
		out := map[string][]int{}
		for rows.Next() {
			var k string
			var pid int
			require.NoError(t, rows.Scan(&k, &pid))
			out[k] = append(out[k], pid)
		}
		return out
	}
	waitForIn(t, 150*time.Second, "every job to be done", func() bool { return len(done()) == len(keys) })

	got := done()
	pids := map[int]bool{}
	for _, k := range keys {
		by := got[k]
		require.NotEmpty(t, by, "job %s was lost", k)
		pids[by[0]] = true
		// Delivery is at least once: a job the killed worker finished but
		// had not yet reported complete runs again elsewhere. No other
		// job runs twice.
		if len(by) > 1 {
			assert.Len(t, by, 2, "job %s done by %v", k, by)
			assert.Contains(t, by, victim, "job %s ran twice (by %v), and not because of the kill", k, by)
		}
	}
	assert.Equal(t, []int{got["crash-1"][0]}, got["crash-1"])
	assert.NotEqual(t, victim, got["crash-1"][0], "another worker completed the killed worker's job")
	assert.GreaterOrEqual(t, len(pids), 2, "the workers shared the jobs")

	states := func() (out []string) {
		rows, err := p.db.Query(`SELECT DISTINCT state FROM river_job`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			out = append(out, s)
		}
		return out
	}
	waitForIn(t, 30*time.Second, "River to mark every job completed", func() bool {
		st := states()
		return len(st) == 1 && st[0] == "completed"
	})

	for pid, w := range workers {
		require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case <-w.done:
			var exit *exec.ExitError
			if errors.As(w.err, &exit) {
				t.Errorf("worker %d exited with %v", pid, w.err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("worker %d did not stop on SIGTERM", pid)
		}
	}
}

func waitForIn(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pgxpoolNew(ctx context.Context, dsn string) (*pgxpool.Pool, error) { return pgxpool.New(ctx, dsn) }
