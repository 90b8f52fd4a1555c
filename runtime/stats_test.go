package runtime

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatsRecorderZeroValue(t *testing.T) {
	var s statsRecorder
	assert.Equal(t, Stats{}, s.snapshot())
}

func TestStatsRecorderOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		outcomes  []string
		skips     int
		wantSucc  int64
		wantFail  int64
		wantRate  float64
		wantSkips int64
	}{
		{name: "none", wantRate: 0},
		{name: "only skips", skips: 3, wantSkips: 3, wantRate: 0},
		{name: "success", outcomes: []string{OutcomeSuccess}, wantSucc: 1, wantRate: 100},
		{name: "failure", outcomes: []string{OutcomeFailure}, wantFail: 1, wantRate: 0},
		{name: "timeout", outcomes: []string{OutcomeTimeout}, wantFail: 1},
		{name: "panic", outcomes: []string{OutcomePanic}, wantFail: 1},
		{name: "unknown counts as failure", outcomes: []string{"weird"}, wantFail: 1},
		{
			name:     "mixed",
			outcomes: []string{OutcomeSuccess, OutcomeSuccess, OutcomeSuccess, OutcomeFailure},
			skips:    2, wantSucc: 3, wantFail: 1, wantRate: 75, wantSkips: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s statsRecorder
			for _, o := range tt.outcomes {
				s.record(o, time.Millisecond)
			}
			for range tt.skips {
				s.skip()
			}
			got := s.snapshot()
			assert.Equal(t, int64(len(tt.outcomes)), got.Executions)
			assert.Equal(t, tt.wantSucc, got.Successes)
			assert.Equal(t, tt.wantFail, got.Failures)
			assert.Equal(t, tt.wantSkips, got.Skipped)
			assert.InDelta(t, tt.wantRate, got.SuccessRate, 1e-9)
		})
	}
}

func TestStatsRecorderDurations(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name                       string
		durations                  []time.Duration
		wantMean, wantP50, wantP95 time.Duration
		wantMax                    time.Duration
	}{
		{name: "single", durations: []time.Duration{5 * ms}, wantMean: 5 * ms, wantP50: 5 * ms, wantP95: 5 * ms, wantMax: 5 * ms},
		{name: "two", durations: []time.Duration{1 * ms, 3 * ms}, wantMean: 2 * ms, wantP50: 1 * ms, wantP95: 3 * ms, wantMax: 3 * ms},
		{name: "zero durations", durations: []time.Duration{0, 0}, wantMean: 0, wantP50: 0, wantP95: 0, wantMax: 0},
		{name: "negative is zero", durations: []time.Duration{-ms, 2 * ms}, wantMean: ms, wantP50: 0, wantP95: 2 * ms, wantMax: 2 * ms},
		{name: "1..100 shuffled", durations: shuffledMillis(100), wantMean: 50500 * time.Microsecond, wantP50: 50 * ms, wantP95: 95 * ms, wantMax: 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s statsRecorder
			for _, d := range tt.durations {
				s.record(OutcomeSuccess, d)
			}
			got := s.snapshot()
			assert.Equal(t, tt.wantMean, got.Mean, "mean")
			assert.Equal(t, tt.wantP50, got.P50, "p50")
			assert.Equal(t, tt.wantP95, got.P95, "p95")
			assert.Equal(t, tt.wantMax, got.Max, "max")
		})
	}
}

// shuffledMillis returns 1ms..n ms in a fixed scrambled order.
func shuffledMillis(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range n {
		out[i] = time.Duration((i*37)%n+1) * time.Millisecond
	}
	return out
}

func TestStatsRecorderRingKeepsRecent(t *testing.T) {
	var s statsRecorder
	for range 500 {
		s.record(OutcomeSuccess, time.Hour)
	}
	for range statsRingSize {
		s.record(OutcomeSuccess, time.Millisecond)
	}
	got := s.snapshot()
	assert.Equal(t, int64(500+statsRingSize), got.Executions)
	assert.Equal(t, time.Hour, got.Max, "max covers every run")
	assert.Equal(t, time.Millisecond, got.P50, "percentiles cover the ring only")
	assert.Equal(t, time.Millisecond, got.P95)
	assert.Greater(t, got.Mean, time.Millisecond, "mean covers every run")
}

func TestStatsRecorderReset(t *testing.T) {
	var s statsRecorder
	s.record(OutcomeSuccess, time.Second)
	s.record(OutcomePanic, 2*time.Second)
	s.skip()
	s.reset()
	assert.Equal(t, Stats{}, s.snapshot())
	s.record(OutcomeSuccess, time.Millisecond)
	got := s.snapshot()
	assert.Equal(t, int64(1), got.Executions)
	assert.Equal(t, time.Millisecond, got.P95)
	assert.Equal(t, time.Millisecond, got.Max)
}

func TestStatsRecorderConcurrent(t *testing.T) {
	const goroutines, per = 8, 500
	var s statsRecorder
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range per {
				if i%4 == 0 {
					s.record(OutcomeFailure, time.Duration(g+1)*time.Millisecond)
				} else {
					s.record(OutcomeSuccess, time.Duration(g+1)*time.Millisecond)
				}
				if i%10 == 0 {
					s.skip()
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = s.snapshot()
		}
	})
	wg.Wait()
	got := s.snapshot()
	require.Equal(t, int64(goroutines*per), got.Executions)
	assert.Equal(t, int64(goroutines*per/4), got.Failures)
	assert.Equal(t, got.Executions, got.Successes+got.Failures)
	assert.Equal(t, int64(goroutines*per/10), got.Skipped)
	assert.Equal(t, time.Duration(goroutines)*time.Millisecond, got.Max)
	assert.InDelta(t, 75, got.SuccessRate, 1e-9)
	assert.GreaterOrEqual(t, got.P50, time.Millisecond)
	assert.LessOrEqual(t, got.P95, got.Max)
}

func TestStatsRecorderRecordAllocs(t *testing.T) {
	var s statsRecorder
	allocs := testing.AllocsPerRun(1000, func() {
		s.record(OutcomeSuccess, time.Millisecond)
		s.skip()
	})
	assert.Zero(t, allocs)
}

func BenchmarkStatsRecord(b *testing.B) {
	var s statsRecorder
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.record(OutcomeSuccess, time.Millisecond)
		}
	})
}
