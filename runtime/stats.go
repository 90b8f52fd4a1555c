package runtime

import (
	"slices"
	"sync/atomic"
	"time"
	"unsafe"
)

// statsRingSize is how many of the most recent durations a statsRecorder
// keeps for its percentiles.
const statsRingSize = 1024

// Stats summarises a trigger's runs.
//
// Executions counts finished runs (Successes + Failures); Skipped counts
// runs that were not attempted (for example because a condition was false)
// and is not part of Executions. Mean and Max cover every timed execution
// since the last reset (every execution with ObserveFull, the samples with
// ObserveSampled, none with ObserveCounts); P50 and P95 are nearest-rank
// percentiles over the most recent 1024 timed executions.
type Stats struct {
	Executions, Successes, Failures, Skipped int64
	SuccessRate                              float64 // percent, 0..100 (0 when no executions)
	Mean, P50, P95, Max                      time.Duration
}

// statsRecorder collects the figures behind a Stats. Its zero value is ready
// to use, it is safe for concurrent use, record and count never allocate,
// and its memory is bounded (a fixed ring of the last statsRingSize
// durations).
//
// A statsRecorder must not be copied after first use (it holds atomics);
// embed it by value in a struct that is itself used through a pointer.
//
// The counters are updated independently, so a snapshot taken while runs
// are being recorded may see one counter already incremented and another
// not yet; every figure is exact once recording is quiescent.
//
// Skips are counted where they are cheapest: an operation counts itself
// once per list of triggers it considers (planCounts.addRun), and each
// trigger of the list it did not skip (planCounts.used), so that a
// trigger's skips in a list are runs - used and a skipped trigger costs
// nothing. skipped holds the skips counted one by one (bulk operations)
// and those of the lists the trigger was in before its plans were last
// rebuilt.
type statsRecorder struct {
	untimed    atomic.Int64 // runs counted without a duration
	failures   atomic.Int64
	skipped    atomic.Int64
	totalNanos atomic.Int64 // the sum of the durations written to ring
	maxNanos   atomic.Int64

	// pos counts the durations ever written to ring, one per timed run, so
	// that a timed success costs three atomic additions and a store;
	// slot pos%statsRingSize is the next to be written.
	pos atomic.Uint64
	// ring holds duration+1 in nanoseconds so that 0 marks a slot that has
	// been claimed but not yet written (or was cleared by reset).
	ring [statsRingSize]atomic.Int64

	// slots are the trigger's places in the plans in force.
	slots atomic.Pointer[[]skipSlot]
	// ticks counts the runs ObserveSampled chose from.
	ticks atomic.Uint64
}

// sample reports whether the next run is one of the one in every that
// ObserveSampled times: the first, the every+1-th, and so on.
func (s *statsRecorder) sample(every int) bool {
	return (s.ticks.Add(1)-1)%uint64(every) == 0
}

// planCounts counts, for one list of triggers of a dispatch plan, the
// operations that considered the list and, per trigger, those that did not
// skip it.
type planCounts struct {
	runs [runStripes]stripe // summed by runCount
	used []atomic.Int64     // one per trigger of the list
}

// runStripes is how many counters a list's runs are spread over, so that
// operations on one model running at the same time on several processors
// do not all write one cache line (with one counter, two goroutines made
// an operation with no match about four times as slow as one goroutine:
// BenchmarkUpdateNoMatchParallel).
const runStripes = 8

// stripe is a counter alone on its cache line.
type stripe struct {
	n atomic.Int64
	_ [56]byte
}

// newPlanCounts returns the counts of a list of n triggers.
func newPlanCounts(n int) *planCounts { return &planCounts{used: make([]atomic.Int64, n)} }

// addRun counts one operation that considered the list, on the stripe that
// the address of the calling goroutine's stack picks. The address is only a
// number here: goroutines run on stacks of their own, so operations running
// at the same time mostly count on different stripes.
func (c *planCounts) addRun() {
	var local byte
	h := uintptr(unsafe.Pointer(&local)) >> 10
	h ^= h >> 4
	h ^= h >> 9
	c.runs[h%runStripes].n.Add(1)
}

// runCount returns how many operations considered the list.
func (c *planCounts) runCount() int64 {
	var n int64
	for i := range c.runs {
		n += c.runs[i].n.Load()
	}
	return n
}

// skipSlot is a trigger's place in a list of a plan.
type skipSlot struct {
	c *planCounts
	i int
}

// skips returns how many operations skipped the slot's trigger.
func (s skipSlot) skips() int64 { return s.c.runCount() - s.c.used[s.i].Load() }

// setSlots replaces the trigger's places in the plans, when the plans are
// rebuilt, and keeps the skips counted in the old ones. An operation that
// still runs on the old plans after this counts nothing more for the
// trigger there.
func (s *statsRecorder) setSlots(slots []skipSlot) {
	old := s.slots.Swap(&slots)
	if old == nil {
		return
	}
	var n int64
	for _, sl := range *old {
		n += sl.skips()
	}
	s.skipped.Add(n)
}

// record counts one finished run with the given outcome (one of the Outcome
// constants) and duration. OutcomeSuccess counts as a success; every other
// outcome (OutcomeFailure, OutcomeTimeout, OutcomePanic, or anything
// unknown) counts as a failure, so Successes+Failures always equals
// Executions. A negative duration is recorded as 0.
func (s *statsRecorder) record(outcome string, d time.Duration) {
	if outcome != OutcomeSuccess {
		s.failures.Add(1)
	}
	s.time(d)
}

// count counts one finished run with the given outcome whose duration was
// not measured.
func (s *statsRecorder) count(outcome string) {
	if outcome != OutcomeSuccess {
		s.failures.Add(1)
	}
	s.untimed.Add(1)
}

// time records the duration of one run, counting it.
func (s *statsRecorder) time(d time.Duration) {
	n := max(int64(d), 0)
	s.totalNanos.Add(n)
	if n > s.maxNanos.Load() {
		for {
			cur := s.maxNanos.Load()
			if n <= cur || s.maxNanos.CompareAndSwap(cur, n) {
				break
			}
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
	s.untimed.Store(0)
	s.failures.Store(0)
	s.skipped.Store(-s.listSkips())
	s.totalNanos.Store(0)
	s.maxNanos.Store(0)
	s.pos.Store(0)
	for i := range s.ring {
		s.ring[i].Store(0)
	}
}

// listSkips returns the skips counted by the lists the trigger is in.
func (s *statsRecorder) listSkips() int64 {
	var n int64
	if p := s.slots.Load(); p != nil {
		for _, sl := range *p {
			n += sl.skips()
		}
	}
	return n
}

// snapshot returns the current figures. It allocates a copy of the ring to
// compute the percentiles. Mean and Max cover the runs whose duration was
// measured (every run with the full observation).
func (s *statsRecorder) snapshot() Stats {
	timed := s.pos.Load()
	st := Stats{
		Executions: int64(timed) + s.untimed.Load(),
		Failures:   s.failures.Load(),
		Skipped:    max(s.skipped.Load()+s.listSkips(), 0),
		Max:        time.Duration(s.maxNanos.Load()),
	}
	st.Failures = min(st.Failures, st.Executions) // a failure counted before its run
	st.Successes = st.Executions - st.Failures
	if st.Executions > 0 {
		st.SuccessRate = float64(st.Successes) / float64(st.Executions) * 100
	}
	if timed > 0 {
		st.Mean = time.Duration(s.totalNanos.Load() / int64(timed))
	}
	n := min(timed, statsRingSize)
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
