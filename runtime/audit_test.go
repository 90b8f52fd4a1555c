package runtime

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func auditRec(trigger, model, outcome string, attempt int) ExecutionRecord {
	return ExecutionRecord{Trigger: trigger, Model: model, Outcome: outcome, Attempt: attempt}
}

func recAttempts(rs []ExecutionRecord) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Attempt
	}
	return out
}

func TestNewMemoryAuditCapacity(t *testing.T) {
	tests := []struct {
		in, want int
	}{{-1, 1000}, {0, 1000}, {1, 1}, {7, 7}}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.in), func(t *testing.T) {
			m := newMemoryAudit(tt.in)
			assert.Len(t, m.buf, tt.want)
			assert.Zero(t, m.Len())
			assert.NotNil(t, m.Logs(LogFilter{}))
			assert.Empty(t, m.Logs(LogFilter{}))
		})
	}
}

func TestMemoryAuditRing(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		records  int
		wantLen  int
		want     []int // attempts, newest first
	}{
		{name: "empty", capacity: 3, records: 0, wantLen: 0, want: []int{}},
		{name: "partial", capacity: 3, records: 2, wantLen: 2, want: []int{2, 1}},
		{name: "exactly full", capacity: 3, records: 3, wantLen: 3, want: []int{3, 2, 1}},
		{name: "wrapped", capacity: 3, records: 5, wantLen: 3, want: []int{5, 4, 3}},
		{name: "wrapped twice", capacity: 3, records: 7, wantLen: 3, want: []int{7, 6, 5}},
		{name: "capacity one", capacity: 1, records: 4, wantLen: 1, want: []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemoryAudit(tt.capacity)
			for i := 1; i <= tt.records; i++ {
				m.Record(auditRec("t", "m", OutcomeSuccess, i))
			}
			assert.Equal(t, tt.wantLen, m.Len())
			assert.Equal(t, tt.want, recAttempts(m.Logs(LogFilter{})))
		})
	}
}

func TestMemoryAuditLogsFilter(t *testing.T) {
	m := newMemoryAudit(10)
	m.Record(auditRec("a", "User", OutcomeSuccess, 1))
	m.Record(auditRec("b", "User", OutcomeFailure, 2))
	m.Record(auditRec("a", "Order", OutcomeTimeout, 3))
	m.Record(auditRec("a", "User", OutcomeFailure, 4))
	m.Record(auditRec("c", "Order", OutcomePanic, 5))
	m.Record(auditRec("a", "User", OutcomeSuccess, 6))

	tests := []struct {
		name string
		f    LogFilter
		want []int
	}{
		{name: "all", f: LogFilter{}, want: []int{6, 5, 4, 3, 2, 1}},
		{name: "trigger", f: LogFilter{Trigger: "a"}, want: []int{6, 4, 3, 1}},
		{name: "model", f: LogFilter{Model: "Order"}, want: []int{5, 3}},
		{name: "outcome", f: LogFilter{Outcome: OutcomeFailure}, want: []int{4, 2}},
		{name: "trigger and model", f: LogFilter{Trigger: "a", Model: "User"}, want: []int{6, 4, 1}},
		{name: "all three", f: LogFilter{Trigger: "a", Model: "User", Outcome: OutcomeSuccess}, want: []int{6, 1}},
		{name: "limit", f: LogFilter{Limit: 2}, want: []int{6, 5}},
		{name: "limit with filter", f: LogFilter{Trigger: "a", Limit: 3}, want: []int{6, 4, 3}},
		{name: "limit above matches", f: LogFilter{Model: "Order", Limit: 10}, want: []int{5, 3}},
		{name: "negative limit", f: LogFilter{Outcome: OutcomePanic, Limit: -1}, want: []int{5}},
		{name: "no match", f: LogFilter{Trigger: "zzz"}, want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, recAttempts(m.Logs(tt.f)))
		})
	}
}

func TestMemoryAuditLogsIsACopy(t *testing.T) {
	m := newMemoryAudit(2)
	m.Record(auditRec("a", "m", OutcomeSuccess, 1))
	got := m.Logs(LogFilter{})
	got[0].Trigger = "changed"
	assert.Equal(t, "a", m.Logs(LogFilter{})[0].Trigger)
}

func TestMemoryAuditConcurrent(t *testing.T) {
	const goroutines, per = 8, 200
	m := newMemoryAudit(64)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range per {
				m.Record(auditRec("t"+strconv.Itoa(g), "m", OutcomeSuccess, i))
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = m.Logs(LogFilter{Trigger: "t1", Limit: 5})
			_ = m.Len()
		}
	})
	wg.Wait()
	assert.Equal(t, 64, m.Len())
	assert.Len(t, m.Logs(LogFilter{}), 64)
}

func TestMemoryAuditRecordAllocs(t *testing.T) {
	m := newMemoryAudit(16)
	r := ExecutionRecord{
		Trigger: "notify", Model: "User", Key: "42", Event: "after_update",
		ActorID: "u1", RequestID: "req-1", Start: time.Now(), Duration: time.Millisecond,
		Outcome: OutcomeFailure, Error: "boom", Attempt: 2,
	}
	var sink AuditSink = m
	allocs := testing.AllocsPerRun(1000, func() {
		m.Record(r)
		sink.Record(r)
	})
	assert.Zero(t, allocs)
}

func TestSlogAudit(t *testing.T) {
	start := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		outcome, err string
		wantLevel    string
	}{
		{OutcomeSuccess, "", "INFO"},
		{OutcomeFailure, "boom", "WARN"},
		{OutcomeTimeout, "context deadline exceeded", "WARN"},
		{OutcomePanic, "panic: oops", "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			var buf bytes.Buffer
			next := newMemoryAudit(4)
			sink := NewSlogAudit(slog.New(slog.NewJSONHandler(&buf, nil)), next)
			r := ExecutionRecord{
				Trigger: "notify", Model: "User", Key: "42", Event: "after_update",
				ActorID: "u1", RequestID: "req-1", Start: start, Duration: 1500 * time.Millisecond,
				Outcome: tt.outcome, Error: tt.err, Attempt: 3,
			}
			sink.Record(r)

			var got map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
			assert.Equal(t, tt.wantLevel, got["level"])
			assert.Equal(t, "trigger run", got["msg"])
			assert.Equal(t, "notify", got["trigger"])
			assert.Equal(t, "User", got["model"])
			assert.Equal(t, "42", got["key"])
			assert.Equal(t, "after_update", got["event"])
			assert.Equal(t, "u1", got["actor_id"])
			assert.Equal(t, "req-1", got["request_id"])
			assert.Equal(t, tt.outcome, got["outcome"])
			assert.Equal(t, "2024-05-06T07:08:09Z", got["start"])
			assert.EqualValues(t, 1500*time.Millisecond, got["duration"])
			assert.EqualValues(t, 3, got["attempt"])
			if tt.err == "" {
				assert.NotContains(t, got, "error")
			} else {
				assert.Equal(t, tt.err, got["error"])
			}

			assert.Equal(t, []ExecutionRecord{r}, next.Logs(LogFilter{}), "forwarded to next")
			lr, ok := sink.(LogReader)
			require.True(t, ok, "implements LogReader when next does")
			assert.Equal(t, []ExecutionRecord{r}, lr.Logs(LogFilter{}))
		})
	}
}

func TestSlogAuditWithoutReader(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))

	sink := NewSlogAudit(l, nil)
	_, ok := sink.(LogReader)
	assert.False(t, ok, "no LogReader without next")
	sink.Record(auditRec("quiet", "m", OutcomeSuccess, 1))
	assert.Empty(t, buf.String(), "below the handler's level")
	sink.Record(auditRec("loud", "m", OutcomeFailure, 1))
	assert.Contains(t, buf.String(), "trigger=loud")

	var calls countingSink
	sink = NewSlogAudit(l, &calls)
	_, ok = sink.(LogReader)
	assert.False(t, ok, "no LogReader when next is not one")
	sink.Record(auditRec("x", "m", OutcomeSuccess, 1))
	assert.Equal(t, 1, calls.n)
}

// countingSink is an AuditSink that is not a LogReader.
type countingSink struct{ n int }

func (c *countingSink) Record(ExecutionRecord) { c.n++ }

func TestTee(t *testing.T) {
	t.Run("records to all, logs from first reader", func(t *testing.T) {
		var c countingSink
		first, second := newMemoryAudit(4), newMemoryAudit(4)
		sink := Tee(&c, nil, first, second)
		sink.Record(auditRec("a", "m", OutcomeSuccess, 1))
		second.Record(auditRec("only-second", "m", OutcomeSuccess, 2))

		assert.Equal(t, 1, c.n)
		assert.Equal(t, 1, first.Len())
		assert.Equal(t, 2, second.Len())
		lr, ok := sink.(LogReader)
		require.True(t, ok)
		assert.Equal(t, []int{1}, recAttempts(lr.Logs(LogFilter{})))
	})
	t.Run("no reader", func(t *testing.T) {
		var a, b countingSink
		sink := Tee(&a, &b)
		_, ok := sink.(LogReader)
		assert.False(t, ok)
		sink.Record(ExecutionRecord{})
		assert.Equal(t, 1, a.n)
		assert.Equal(t, 1, b.n)
	})
	t.Run("single sink is returned as is", func(t *testing.T) {
		m := newMemoryAudit(1)
		assert.Same(t, m, Tee(nil, m))
	})
	t.Run("empty is a no-op", func(t *testing.T) {
		sink := Tee()
		require.NotNil(t, sink)
		sink.Record(ExecutionRecord{})
		sink = Tee(nil, nil)
		sink.Record(ExecutionRecord{})
	})
}

func BenchmarkMemoryAuditRecord(b *testing.B) {
	m := newMemoryAudit(1000)
	r := ExecutionRecord{
		Trigger: "notify", Model: "User", Key: "42", Event: "after_update",
		Start: time.Now(), Duration: time.Millisecond, Outcome: OutcomeSuccess, Attempt: 1,
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Record(r)
	}
}
