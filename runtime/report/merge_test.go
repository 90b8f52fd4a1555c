package report_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/report"
)

func TestMergeStats(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   []runtime.Stats
		want runtime.Stats
	}{
		{name: "none", want: runtime.Stats{}},
		{
			name: "one",
			in:   []runtime.Stats{{Executions: 4, Successes: 3, Failures: 1, Skipped: 2, SuccessRate: 75, Mean: 2 * ms, P50: 2 * ms, P95: 3 * ms, Max: 4 * ms}},
			want: runtime.Stats{Executions: 4, Successes: 3, Failures: 1, Skipped: 2, SuccessRate: 75, Mean: 2 * ms, P50: 2 * ms, P95: 3 * ms, Max: 4 * ms},
		},
		{
			name: "weighted",
			in: []runtime.Stats{
				{Executions: 1, Successes: 1, Mean: 10 * ms, P50: 10 * ms, P95: 10 * ms, Max: 10 * ms},
				{Executions: 3, Successes: 1, Failures: 2, Skipped: 5, Mean: 2 * ms, P50: 2 * ms, P95: 6 * ms, Max: 7 * ms},
			},
			want: runtime.Stats{Executions: 4, Successes: 2, Failures: 2, Skipped: 5, SuccessRate: 50, Mean: 4 * ms, P50: 4 * ms, P95: 7 * ms, Max: 10 * ms},
		},
		{
			name: "parts without executions only add skips",
			in: []runtime.Stats{
				{Skipped: 3},
				{Executions: 2, Successes: 2, SuccessRate: 100, Mean: ms, P50: ms, P95: ms, Max: ms},
			},
			want: runtime.Stats{Executions: 2, Successes: 2, Skipped: 3, SuccessRate: 100, Mean: ms, P50: ms, P95: ms, Max: ms},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := report.MergeStats(tt.in...)
			assert.InDelta(t, tt.want.SuccessRate, got.SuccessRate, 1e-9)
			got.SuccessRate = tt.want.SuccessRate
			assert.Equal(t, tt.want, got)
		})
	}
}
