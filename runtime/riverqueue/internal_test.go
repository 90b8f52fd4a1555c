package riverqueue

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// jobWithFailures returns a job of Args whose trigger failed n attempts
// before, and that a crash cut short once.
func jobWithFailures(backoff time.Duration, n int) *river.Job[Args] {
	row := &rivertype.JobRow{Errors: []rivertype.AttemptError{{Error: rescueMessage}}}
	for range n {
		row.Errors = append(row.Errors, rivertype.AttemptError{Error: failedPrefix + "boom"})
	}
	return &river.Job[Args]{JobRow: row, Args: Args{Backoff: backoff}}
}

func TestNextRetry(t *testing.T) {
	w := &worker[*sql.Tx]{}
	tests := []struct {
		name            string
		backoff         time.Duration
		failures        int
		atLeast, atMost time.Duration
	}{
		{"first retry: the backoff ±20%", time.Second, 0, 800 * time.Millisecond, 1200 * time.Millisecond},
		{"doubled per failure, crashes not counted", time.Second, 2, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{"default backoff", 0, 0, 80 * time.Millisecond, 120 * time.Millisecond},
		{"at most 30s", 20 * time.Second, 3, 24 * time.Second, 30 * time.Second},
		{"at most 30s after many failures", time.Second, 50, 24 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := time.Duration(1<<62), time.Duration(0)
			for range 500 {
				d := time.Until(w.NextRetry(jobWithFailures(tt.backoff, tt.failures)))
				lo, hi = min(lo, d), max(hi, d)
			}
			slack := 50 * time.Millisecond // time.Until runs after NextRetry
			assert.GreaterOrEqual(t, lo, tt.atLeast-slack)
			assert.LessOrEqual(t, hi, tt.atMost)
			assert.Less(t, lo+(tt.atMost-tt.atLeast)/8, hi, "jitter spreads the retries: %s..%s", lo, hi)
		})
	}
}

// stuckQueue returns a queue on a fresh SQLite database, not started, so
// that River's own rescuer does not run, and a function that inserts a
// trigger job already marked running since ago, as a crashed worker leaves
// it, returning its ID.
func stuckQueue(t *testing.T, cfg Config) (*Queue[*sql.Tx], func(kind string, attempt, maxAttempts int, ago time.Duration) int64) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "q.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	q, err := OpenSQLite(context.Background(), db, cfg)
	require.NoError(t, err)
	insert := func(kind string, attempt, maxAttempts int, ago time.Duration) int64 {
		res, err := q.client.Insert(context.Background(), Args{Trigger: "t", Model: "Order"}, &river.InsertOpts{MaxAttempts: maxAttempts})
		require.NoError(t, err)
		_, err = db.Exec(`UPDATE river_job SET state = 'running', kind = ?, attempt = ?,
			attempted_at = strftime('%Y-%m-%d %H:%M:%f', 'now', ?) WHERE id = ?`,
			kind, attempt, fmt.Sprintf("-%d seconds", int(ago.Seconds())), res.Job.ID)
		require.NoError(t, err)
		return res.Job.ID
	}
	return q, insert
}

// jobState returns a job's state and its errors' messages.
func jobState(t *testing.T, q *Queue[*sql.Tx], id int64) (string, []string) {
	t.Helper()
	var state string
	var errs sql.NullString
	require.NoError(t, q.db.QueryRow(`SELECT state, json(errors) FROM river_job WHERE id = ?`, id).Scan(&state, &errs))
	return state, strings.Split(errs.String, `"error":`)[1:]
}

func TestRescue(t *testing.T) {
	q, insert := stuckQueue(t, Config{RescueAfter: time.Minute})
	crashed := insert(Kind, 1, 4, 3600*time.Second)
	spent := insert(Kind, 4, 4, 3600*time.Second)
	recent := insert(Kind, 1, 4, 10*time.Second)
	other := insert("someone_elses_kind", 1, 4, 3600*time.Second)

	require.NoError(t, q.rescue(context.Background()))

	state, errs := jobState(t, q, crashed)
	assert.Equal(t, "available", state, "a crashed worker's job goes back to the workers")
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "worker presumed crashed")
	state, _ = jobState(t, q, spent)
	assert.Equal(t, "discarded", state, "a job without attempts left is discarded, as River does")
	state, _ = jobState(t, q, recent)
	assert.Equal(t, "running", state, "a job running for less than RescueAfter is left alone")
	state, _ = jobState(t, q, other)
	assert.Equal(t, "running", state, "other kinds are River's to rescue")
	assert.Equal(t, 0, failedAttempts(&river.Job[Args]{JobRow: &rivertype.JobRow{Errors: []rivertype.AttemptError{{Error: rescueMessage}}}}),
		"a rescue is not one of the trigger's failures")
}

func TestRescueLoopRunsAtItsInterval(t *testing.T) {
	q, insert := stuckQueue(t, Config{RescueAfter: time.Minute, RescueInterval: 50 * time.Millisecond})
	stop, done := make(chan struct{}), make(chan struct{})
	go q.rescueLoop(stop, done)
	defer func() { close(stop); <-done }()
	time.Sleep(150 * time.Millisecond) // past the loop's first pass
	id := insert(Kind, 1, 4, 3600*time.Second)
	require.Eventually(t, func() bool {
		state, _ := jobState(t, q, id)
		return state == "available"
	}, 5*time.Second, 10*time.Millisecond, "a later pass rescues the job, long before River's 30s")
}
