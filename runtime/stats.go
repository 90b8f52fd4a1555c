package runtime

import (
	"slices"
	"sync/atomic"
	"time"
)

// statsRingSize is how many of the most recent durations a statsRecorder
// keeps for its percentiles.
const statsRingSize = 1024

// Stats summarises a trigger's runs.
//
// Executions counts finished runs (Successes + Failures); Skipped counts
// runs that were not attempted (for example because a condition was false)
// and is not part of Executions. Mean and Max cover every execution since
// the last reset; P50 and P95 are nearest-rank percentiles over the most
// recent 1024 executions.
type Stats struct {
	Executions, Successes, Failures, Skipped int64
	SuccessRate                              float64 // percent, 0..100 (0 when no executions)
	Mean, P50, P95, Max                      time.Duration
}

// statsRecorder collects the figures behind a Stats. Its zero value is ready
// to use, it is safe for concurrent use, record and skip never allocate, and
// its memory is bounded (a fixed ring of the last statsRingSize durations).
//
// A statsRecorder must not be copied after first use (it holds atomics);
// embed it by value in a struct that is itself used through a pointer.
//
// The counters are updated independently, so a snapshot taken while runs
// are being recorded may see one counter already incremented and another
// not yet; every figure is exact once recording is quiescent.
type statsRecorder struct {
	executions atomic.Int64
	successes  atomic.Int64
	failures   atomic.Int64
	skipped    atomic.Int64
	totalNanos atomic.Int64
	maxNanos   atomic.Int64

	// pos counts the durations ever written to ring; slot pos%statsRingSize
	// is the next to be written.
	pos atomic.Uint64
	// ring holds duration+1 in nanoseconds so that 0 marks a slot that has
	// been claimed but not yet written (or was cleared by reset).
	ring [statsRingSize]atomic.Int64
}

// record counts one finished run with the given outcome (one of the Outcome
// constants) and duration. OutcomeSuccess counts as a success; every other
// outcome (OutcomeFailure, OutcomeTimeout, OutcomePanic, or anything
// unknown) counts as a failure, so Successes+Failures always equals
// Executions. A negative duration is recorded as 0.
func (s *statsRecorder) record(outcome string, d time.Duration) {
	if d < 0 {
		d = 0
	}
	n := int64(d)
	s.executions.Add(1)
	if outcome == OutcomeSuccess {
		s.successes.Add(1)
	} else {
		s.failures.Add(1)
	}
	s.totalNanos.Add(n)
	for {
		cur := s.maxNanos.Load()
		if n <= cur || s.maxNanos.CompareAndSwap(cur, n) {
			break
		}
	}
	i := (s.pos.Add(1) - 1) % statsRingSize
	enc := n + 1
	if enc <= 0 { // n == MaxInt64
		enc = n
	}
	s.ring[i].Store(enc)
}

// skip counts one run that was not attempted.
func (s *statsRecorder) skip() { s.skipped.Add(1) }

// reset clears every counter and the duration ring.
func (s *statsRecorder) reset() {
	s.executions.Store(0)
	s.successes.Store(0)
	s.failures.Store(0)
	s.skipped.Store(0)
	s.totalNanos.Store(0)
	s.maxNanos.Store(0)
	s.pos.Store(0)
	for i := range s.ring {
		s.ring[i].Store(0)
	}
}

// snapshot returns the current figures. It allocates a copy of the ring to
// compute the percentiles.
func (s *statsRecorder) snapshot() Stats {
	st := Stats{
		Executions: s.executions.Load(),
		Successes:  s.successes.Load(),
		Failures:   s.failures.Load(),
		Skipped:    s.skipped.Load(),
		Max:        time.Duration(s.maxNanos.Load()),
	}
	if st.Executions > 0 {
		st.SuccessRate = float64(st.Successes) / float64(st.Executions) * 100
		st.Mean = time.Duration(s.totalNanos.Load() / st.Executions)
	}
	n := s.pos.Load()
	if n > statsRingSize {
		n = statsRingSize
	}
	if n == 0 {
		return st
	}
	ds := make([]int64, 0, n)
	for i := range n {
		if v := s.ring[i].Load(); v > 0 {
			ds = append(ds, v-1)
		}
	}
	if len(ds) == 0 {
		return st
	}
	slices.Sort(ds)
	st.P50 = time.Duration(nearestRank(ds, 50))
	st.P95 = time.Duration(nearestRank(ds, 95))
	return st
}

// nearestRank returns the p-th percentile (0 < p <= 100) of the sorted,
// non-empty slice by the nearest-rank method: the smallest value such that
// at least p percent of the values are less than or equal to it.
func nearestRank(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// MergeStats combines the Stats of several triggers into one overall figure.
//
// Counts are summed and SuccessRate is recomputed from the sums; Mean is the
// mean of the parts weighted by their Executions (exact, up to rounding);
// Max is the largest Max. P50 and P95 cannot be recovered exactly from
// per-trigger percentiles, so they are approximated by the mean of the
// parts' P50 and P95 weighted by Executions. Parts with no executions
// contribute only their Skipped count.
func MergeStats(all ...Stats) Stats {
	var out Stats
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
