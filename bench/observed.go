package bench

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/scenario"
)

// The ten triggers of the scenario, as the observed and counted baselines
// number them; Names holds their names (triggergen's).
const (
	TrigActivated = iota
	TrigStatusChanged
	TrigFraud
	TrigQualityChanged
	TrigAssigned
	TrigRegisteredChanged
	TrigTagsChanged
	TrigBlocked
	TrigShopChanged
	TrigActivatedAtChanged
	NumTriggers
)

// Names are the triggers' names, indexed by the Trig constants.
var Names = [NumTriggers]string{
	"activated", "status_changed", "fraud", "quality_changed", "assigned",
	"registered_changed", "tags_changed", "blocked", "shop_changed", "activated_at_changed",
}

// AuditRing is how many audit records an Observation keeps (triggergen's
// default MemoryAudit keeps as many).
const AuditRing = 1000

// LatencyBuckets is the number of buckets of a trigger's latency
// histogram: bucket i counts durations of i significant bits (bucket 0: 0 ns,
// bucket 1: 1 ns, bucket 2: 2–3 ns, ...), the last one everything longer.
const LatencyBuckets = 40

// AuditRecord is one run as the observed baseline records it: every field
// of triggergen's ExecutionRecord, in a fixed-size struct.
type AuditRecord struct {
	Trigger, Model, Key, Event, ActorID, RequestID string
	Start                                          time.Time
	Duration                                       time.Duration
	Outcome                                        string
	Error                                          string
	Attempt                                        int
}

// TriggerStats are one trigger's counters in the observed baseline.
type TriggerStats struct {
	Runs, Failures, TotalNanos atomic.Int64
	Latency                    [LatencyBuckets]atomic.Int64
}

// Observation is what a hand-written application that observes its
// triggers keeps: per trigger, atomic counters of runs, failures and total
// time and a latency histogram; and the last AuditRing audit records in a
// ring allocated up front, written under a mutex.
type Observation struct {
	// anchor is one reading of the wall and monotonic clocks; a run's start
	// is anchor plus the monotonic time since, so that each run reads the
	// clock twice (before and after) and never the wall clock.
	anchor   time.Time
	Triggers [NumTriggers]TriggerStats

	mu   sync.Mutex
	ring [AuditRing]AuditRecord
	next int // the slot the next record goes to
	n    int // records stored, at most AuditRing
}

// NewObservation returns an empty Observation.
func NewObservation() *Observation { return &Observation{anchor: time.Now()} }

// Records returns the stored audit records, newest first.
func (o *Observation) Records() []AuditRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]AuditRecord, 0, o.n)
	for i, j := 0, o.next; i < o.n; i++ {
		j--
		if j < 0 {
			j = AuditRing - 1
		}
		out = append(out, o.ring[j])
	}
	return out
}

// operation is what the observed baseline reads once per update: the
// instance's key, and the actor and request ID from the context.
type operation struct {
	key, actorID, requestID string
}

// observe runs action as trigger i of op: the monotonic clock read before
// and after, a panic recovered as the run's failure, the counters, the
// latency bucket and the audit record.
func (o *Observation) observe(op *operation, i int, action func() error) {
	start := time.Since(o.anchor)
	err, outcome := call(action)
	d := time.Since(o.anchor) - start
	s := &o.Triggers[i]
	s.Runs.Add(1)
	if err != nil {
		s.Failures.Add(1)
	}
	s.TotalNanos.Add(int64(d))
	s.Latency[min(bits.Len64(uint64(d)), LatencyBuckets-1)].Add(1)
	r := AuditRecord{
		Trigger: Names[i], Model: "SimCard", Key: op.key, Event: "after_update",
		ActorID: op.actorID, RequestID: op.requestID,
		Start: o.anchor.Add(start), Duration: d, Outcome: outcome, Attempt: 1,
	}
	if err != nil {
		r.Error = err.Error()
	}
	o.mu.Lock()
	o.ring[o.next] = r
	if o.next++; o.next == AuditRing {
		o.next = 0
	}
	if o.n < AuditRing {
		o.n++
	}
	o.mu.Unlock()
}

// call runs action, recovering a panic as an error.
func call(action func() error) (err error, outcome string) {
	defer func() {
		if r := recover(); r != nil {
			err, outcome = fmt.Errorf("panic: %v", r), "panic"
		}
	}()
	if err = action(); err != nil {
		return err, "failure"
	}
	return nil, "success"
}

type ctxKey uint8

const (
	actorKey ctxKey = iota + 1
	requestIDKey
)

// WithActor returns a context carrying the acting user's ID for the
// observed baseline's audit records.
func WithActor(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, actorKey, id)
}

// WithRequestID returns a context carrying a request ID for the observed
// baseline's audit records.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// HandWrittenObserved is HandWritten with the observation a hand-written
// application would add to match what triggergen records by default: each
// matched action runs through Observation.observe (two monotonic clock
// readings, a deferred recover, counters, a latency bucket, an audit
// record), and the actor and request ID are read from the context once per
// update.
func HandWrittenObserved(ctx context.Context, old, c *models.SimCard, n *scenario.Counters, o *Observation, persist func(context.Context, *models.SimCard) error) error {
	if err := persist(ctx, c); err != nil {
		return err
	}
	op := operation{key: c.ID}
	op.actorID, _ = ctx.Value(actorKey).(string)
	op.requestID, _ = ctx.Value(requestIDKey).(string)
	if old.Status != c.Status && old.Status == models.SimInactive && c.Status == models.SimActive {
		o.observe(&op, TrigActivated, func() error { n.Activated++; return nil })
	}
	if old.Status != c.Status {
		o.observe(&op, TrigStatusChanged, func() error { n.StatusChanged++; return nil })
	}
	if old.FraudFlag != c.FraudFlag && c.FraudFlag {
		o.observe(&op, TrigFraud, func() error { n.Other++; return nil })
	}
	if old.Quality != c.Quality {
		o.observe(&op, TrigQualityChanged, func() error { n.Other++; return nil })
	}
	if (old.AssignedTo == nil) != (c.AssignedTo == nil) || old.AssignedTo != nil && *old.AssignedTo != *c.AssignedTo {
		o.observe(&op, TrigAssigned, func() error { n.Other++; return nil })
	}
	if old.Registered != c.Registered {
		o.observe(&op, TrigRegisteredChanged, func() error { n.Other++; return nil })
	}
	if !slices.Equal(old.Tags, c.Tags) {
		o.observe(&op, TrigTagsChanged, func() error { n.Other++; return nil })
	}
	if c.Status == models.SimBlocked {
		o.observe(&op, TrigBlocked, func() error { n.Other++; return nil })
	}
	if old.ShopID != c.ShopID {
		o.observe(&op, TrigShopChanged, func() error { n.Other++; return nil })
	}
	if !old.ActivatedAt.Equal(c.ActivatedAt) {
		o.observe(&op, TrigActivatedAtChanged, func() error { n.Other++; return nil })
	}
	return nil
}

// RunCounts are the counted baseline's counters: one per trigger.
type RunCounts [NumTriggers]atomic.Int64

// HandWrittenCounted is HandWritten with an atomic run counter per matched
// action: the least observation there is.
func HandWrittenCounted(ctx context.Context, old, c *models.SimCard, n *scenario.Counters, runs *RunCounts, persist func(context.Context, *models.SimCard) error) error {
	if err := persist(ctx, c); err != nil {
		return err
	}
	if old.Status != c.Status && old.Status == models.SimInactive && c.Status == models.SimActive {
		n.Activated++
		runs[TrigActivated].Add(1)
	}
	if old.Status != c.Status {
		n.StatusChanged++
		runs[TrigStatusChanged].Add(1)
	}
	if old.FraudFlag != c.FraudFlag && c.FraudFlag {
		n.Other++
		runs[TrigFraud].Add(1)
	}
	if old.Quality != c.Quality {
		n.Other++
		runs[TrigQualityChanged].Add(1)
	}
	if (old.AssignedTo == nil) != (c.AssignedTo == nil) || old.AssignedTo != nil && *old.AssignedTo != *c.AssignedTo {
		n.Other++
		runs[TrigAssigned].Add(1)
	}
	if old.Registered != c.Registered {
		n.Other++
		runs[TrigRegisteredChanged].Add(1)
	}
	if !slices.Equal(old.Tags, c.Tags) {
		n.Other++
		runs[TrigTagsChanged].Add(1)
	}
	if c.Status == models.SimBlocked {
		n.Other++
		runs[TrigBlocked].Add(1)
	}
	if old.ShopID != c.ShopID {
		n.Other++
		runs[TrigShopChanged].Add(1)
	}
	if !old.ActivatedAt.Equal(c.ActivatedAt) {
		n.Other++
		runs[TrigActivatedAtChanged].Add(1)
	}
	return nil
}
