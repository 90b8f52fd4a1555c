package report

import (
	"time"

	"github.com/triggergen/triggergen/runtime"
)

// MergeStats combines the runtime.Stats of several triggers into one overall figure.
//
// Counts are summed and SuccessRate is recomputed from the sums; Mean is the
// mean of the parts weighted by their Executions (exact, up to rounding);
// Max is the largest Max. P50 and P95 cannot be recovered exactly from
// per-trigger percentiles, so they are approximated by the mean of the
// parts' P50 and P95 weighted by Executions. Parts with no executions
// contribute only their Skipped count.
func MergeStats(all ...runtime.Stats) runtime.Stats {
	var out runtime.Stats
	var mean, p50, p95 float64
	for _, s := range all {
		out.Executions += s.Executions
		out.Successes += s.Successes
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Max = max(out.Max, s.Max)
		if s.Executions > 0 {
			w := float64(s.Executions)
			mean += w * float64(s.Mean)
			p50 += w * float64(s.P50)
			p95 += w * float64(s.P95)
		}
	}
	if out.Executions > 0 {
		n := float64(out.Executions)
		out.SuccessRate = float64(out.Successes) / n * 100
		out.Mean = time.Duration(mean / n)
		out.P50 = time.Duration(p50 / n)
		out.P95 = time.Duration(p95 / n)
	}
	return out
}
