// Package triggertest helps test code that uses triggers: an engine that
// closes itself when the test ends, a clock the test sets, an audit sink
// that keeps every record, and assertions on what ran.
package triggertest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/triggergen/triggergen/runtime"
)

// New returns an engine configured by cfg that is closed, its async work
// drained, when the test ends. A nil cfg.Audit becomes a Recorder, which
// Records returns.
func New(tb testing.TB, cfg runtime.Config) *runtime.Engine {
	tb.Helper()
	if cfg.Audit == nil {
		cfg.Audit = &Recorder{}
	}
	eng := runtime.New(cfg)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := eng.Close(ctx); err != nil {
			tb.Errorf("closing the engine: %v", err)
		}
	})
	return eng
}

// Clock is a clock the test sets, for Config.Clock; it is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time; pass the method as Config.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Recorder is an audit sink that keeps every record, oldest first, for
// assertions; it is safe for concurrent use. Unlike the engine's default
// sink it never forgets a record, so use it in tests only.
type Recorder struct {
	mu      sync.Mutex
	records []runtime.ExecutionRecord
}

// Record keeps r.
func (r *Recorder) Record(rec runtime.ExecutionRecord) {
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
}

// Records returns a copy of every record, oldest first.
func (r *Recorder) Records() []runtime.ExecutionRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

// Logs answers Engine.Logs: the matching records, newest first.
func (r *Recorder) Logs(f runtime.LogFilter) []runtime.ExecutionRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []runtime.ExecutionRecord{}
	for i := len(r.records) - 1; i >= 0; i-- {
		rec := r.records[i]
		if (f.Trigger == "" || rec.Trigger == f.Trigger) && (f.Model == "" || rec.Model == f.Model) &&
			(f.Outcome == "" || rec.Outcome == f.Outcome) {
			out = append(out, rec)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out
}

// Reset forgets every record.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.records = nil
	r.mu.Unlock()
}

// Keys returns the keys of the instances trigger ran on, in order, one per
// run (retries are not repeated).
func (r *Recorder) Keys(trigger string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	for _, rec := range r.records {
		if rec.Trigger == trigger && rec.Attempt == 1 {
			keys = append(keys, rec.Key)
		}
	}
	return keys
}

// Records returns the Recorder New installed on eng, or nil when the engine
// has another audit sink.
func Records(eng *runtime.Engine) *Recorder {
	r, _ := eng.Config().Audit.(*Recorder)
	return r
}

// Executions returns how many times the named trigger has run (runs, not
// attempts), failing the test when there is no such trigger.
func Executions(tb testing.TB, eng *runtime.Engine, name string) int64 {
	tb.Helper()
	info, ok := eng.Trigger(name)
	if !ok {
		tb.Fatalf("no trigger %q is registered", name)
	}
	return info.Stats.Executions
}

// AssertRan fails the test unless the named trigger has run exactly n
// times.
func AssertRan(tb testing.TB, eng *runtime.Engine, name string, n int64) {
	tb.Helper()
	if got := Executions(tb, eng, name); got != n {
		tb.Errorf("trigger %s ran %d times, want %d", name, got, n)
	}
}

// AssertNotRan fails the test if the named trigger has run.
func AssertNotRan(tb testing.TB, eng *runtime.Engine, name string) {
	tb.Helper()
	AssertRan(tb, eng, name, 0)
}

// WaitAsync waits, up to 10 seconds, until the engine's async queue has
// finished n jobs since it started (successes and failures alike), and
// fails the test otherwise. The queue must report its figures
// (runtime.QueueStatser), as the default in-process pool does.
func WaitAsync(tb testing.TB, eng *runtime.Engine, n int64) {
	tb.Helper()
	q, ok := eng.Config().Queue.(runtime.QueueStatser)
	if !ok {
		tb.Fatalf("the engine's queue %T does not report QueueStats", eng.Config().Queue)
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := q.QueueStats()
		if done := st.Completed + st.Failed; done >= n {
			return
		} else if time.Now().After(deadline) {
			tb.Fatalf("%d async jobs finished after 10s, want %d", done, n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}
