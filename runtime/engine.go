package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures an Engine. The zero value works: every field has a default.
type Config struct {
	// Debug logs each condition's result through Logger at debug level.
	Debug bool
	// MaxWorkers sizes the default in-process async pool (default 10).
	MaxWorkers int
	// DefaultTimeout bounds async runs and Execute (default 30s). A
	// synchronous trigger without its own timeout runs under the caller's
	// context.
	DefaultTimeout time.Duration
	// CacheTimeout is how long Execute may reuse an instance its loader
	// returned (0: no caching). Expired instances are dropped.
	CacheTimeout time.Duration
	// CacheSize bounds how many instances Execute keeps per model while
	// CacheTimeout is set (default 1000); when it is full, the oldest
	// instance makes room.
	CacheSize int
	// MaxDepth limits how deeply triggers may cause further operations
	// (default 8).
	MaxDepth int
	// Clock is the engine's clock (default time.Now); the `time` and
	// `weekday` conditions read it.
	Clock func() time.Time
	// Logger receives the debug logs and a warning for each failed run
	// attempt (default slog.Default()).
	Logger *slog.Logger
	// Audit receives one record per run attempt (default: the last 1000
	// records in memory, see NewMemoryAudit).
	Audit AuditSink
	// Queue runs async triggers. The default is an in-process pool of
	// MaxWorkers goroutines with room for 64 waiting jobs per worker; it
	// never drops a job (Enqueue waits for room until its context ends, then
	// fails), starts its workers on first use, reports QueueStats, and
	// Close drains it.
	Queue Queue
	// Observation is how much of each run the engine records (default
	// ObserveFull: every run timed, counted and audited).
	Observation Observation
	// SampleEvery is N of ObserveSampled: one run in N is timed and audited
	// (default 64).
	SampleEvery int
	// Observer, when set, is told about every operation, run and deferred
	// work, for tracing (see runtime/otel); nil costs nothing but a check.
	Observer Observer
}

// Observation is how much of each trigger run an engine records: its
// statistics (Stats), audit records (Config.Audit) and clock readings.
type Observation uint8

const (
	// ObserveFull times every run (two monotonic clock readings), counts it
	// and audits every attempt: Stats' durations cover every run.
	ObserveFull Observation = iota
	// ObserveSampled counts every run, and times and audits one run in
	// Config.SampleEvery per trigger, plus every failure: the runs between
	// samples read no clock, and their successes leave no record. Stats'
	// durations cover the sampled runs; a failure outside a sample is
	// audited with its end as Start and no Duration.
	ObserveSampled
	// ObserveCounts counts every run and audits and logs every failed
	// attempt (with its end as Start and no Duration), and reads no clock
	// for a success: Stats have counts but no durations.
	ObserveCounts
)

// observationNames are the names parseObservation reads and String writes.
var observationNames = [...]string{ObserveFull: "full", ObserveSampled: "sampled", ObserveCounts: "counts"}

// String returns "full", "sampled" or "counts".
func (o Observation) String() string {
	if int(o) < len(observationNames) {
		return observationNames[o]
	}
	return "observation(" + strconv.Itoa(int(o)) + ")"
}

// parseObservation returns the observation named "full", "sampled" or
// "counts".
func parseObservation(name string) (Observation, bool) {
	for i, n := range observationNames {
		if n == name {
			return Observation(i), true
		}
	}
	return 0, false
}

// defaultSampleEvery is Config.SampleEvery's default.
const defaultSampleEvery = 64

// Environment variables read by ConfigFromEnv.
const (
	envDebug          = "TRIGGER_DEBUG"
	envMaxWorkers     = "TRIGGER_MAX_WORKERS"
	envDefaultTimeout = "TRIGGER_DEFAULT_TIMEOUT"
	envCacheTimeout   = "TRIGGER_CACHE_TIMEOUT"
	envCacheSize      = "TRIGGER_CACHE_SIZE"
	// The observation (Config.Observation: full, sampled or counts) and
	// the sampling interval (Config.SampleEvery).
	envObservation = "TRIGGER_OBSERVATION"
	envSampleEvery = "TRIGGER_SAMPLE_EVERY"
)

// ConfigFromEnv returns a Config read from TRIGGER_DEBUG (a bool),
// TRIGGER_MAX_WORKERS (an int, default 10), TRIGGER_DEFAULT_TIMEOUT (default
// 30s), TRIGGER_CACHE_TIMEOUT (default 0: off), TRIGGER_CACHE_SIZE (an int,
// default 1000), TRIGGER_OBSERVATION (full, sampled or counts; default
// full) and TRIGGER_SAMPLE_EVERY (an int; left 0 when unset, which New
// makes 64). The health thresholds of the operator reports are read by
// report.ThresholdsFromEnv.
//
// A time is a whole number of seconds, as the original framework's
// settings write it ("30"), or a Go duration ("30s", "1m30s", "500ms").
// Unset or empty variables take their defaults; a malformed one is an error
// naming it, and the defaults are returned with it.
func ConfigFromEnv() (Config, error) {
	cfg := Config{MaxWorkers: 10, DefaultTimeout: 30 * time.Second, CacheSize: defaultCacheSize}
	var errs []error
	if v, ok := os.LookupEnv(envDebug); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", envDebug, v))
		}
		cfg.Debug = b
	}
	for _, d := range []struct {
		name string
		dst  *int
	}{{envMaxWorkers, &cfg.MaxWorkers}, {envCacheSize, &cfg.CacheSize}, {envSampleEvery, &cfg.SampleEvery}} {
		if v, ok := os.LookupEnv(d.name); ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive integer", d.name, v))
			} else {
				*d.dst = n
			}
		}
	}
	if v, ok := os.LookupEnv(envObservation); ok && v != "" {
		o, ok := parseObservation(v)
		if !ok {
			errs = append(errs, fmt.Errorf("%s=%q: want full, sampled or counts", envObservation, v))
		}
		cfg.Observation = o
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{envDefaultTimeout, &cfg.DefaultTimeout}, {envCacheTimeout, &cfg.CacheTimeout}} {
		v, ok := os.LookupEnv(d.name)
		if !ok || v == "" {
			continue
		}
		t, err := parseSeconds(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want seconds (30) or a duration (30s, 500ms)", d.name, v))
			continue
		}
		*d.dst = t
	}
	return cfg, errors.Join(errs...)
}

// parseSeconds reads a time setting: a whole number of seconds ("30") or a
// Go duration ("30s"); negative values are errors.
func parseSeconds(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(math.MaxInt64/time.Second) {
			return 0, errors.New("out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, errors.New("negative")
	}
	return d, nil
}

// defaultCacheSize is Config.CacheSize's default.
const defaultCacheSize = 1000

// Engine registers triggers and runs them for the generated lifecycle
// functions. It is safe for concurrent use. Create it with New and stop it
// with Close.
type Engine struct {
	cfg      Config
	started  time.Time
	clock    func() time.Time
	log      *slog.Logger
	audit    AuditSink
	queue    Queue
	maxDepth int

	enabled atomic.Bool
	debug   atomic.Bool
	closed  atomic.Bool
	// wallOffset is the wall clock in Unix nanoseconds at started, as last
	// read at anchoredAt (a mono reading; see wallAt).
	wallOffset, anchoredAt atomic.Int64
	// closeInRun starts, once, the drain that a Close called from inside a
	// trigger run does not wait for.
	closeInRun sync.Once

	mu       sync.Mutex // serialises registration, toggles and plan rebuilds
	triggers map[string]*trig
	states   atomic.Pointer[map[any]modelHandle]
}

// New returns an engine configured by cfg, with defaults for zero fields.
// No goroutine starts until async work is queued.
func New(cfg Config) *Engine {
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 30 * time.Second
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = 8
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = defaultCacheSize
	}
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = defaultSampleEvery
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Audit == nil {
		cfg.Audit = NewMemoryAudit(1000)
	}
	if cfg.Queue == nil {
		cfg.Queue = newPool(cfg.MaxWorkers, 0)
	}
	e := &Engine{
		cfg:      cfg,
		started:  time.Now(),
		clock:    cfg.Clock,
		log:      cfg.Logger,
		audit:    cfg.Audit,
		queue:    cfg.Queue,
		maxDepth: cfg.MaxDepth,
		triggers: map[string]*trig{},
	}
	e.enabled.Store(true)
	e.debug.Store(cfg.Debug)
	empty := map[any]modelHandle{}
	e.states.Store(&empty)
	return e
}

// Config returns the engine's configuration with its defaults filled in:
// its Clock, Logger, Audit sink and Queue are the ones the engine uses.
func (e *Engine) Config() Config { return e.cfg }

// Started returns when the engine was created.
func (e *Engine) Started() time.Time { return e.started }

// Now returns the engine clock's current time (Config.Clock); generated
// `time` and `weekday` conditions read it.
func (e *Engine) Now() time.Time { return e.clock() }

// SetDebug switches the debug logging of condition results on or off.
func (e *Engine) SetDebug(on bool) { e.debug.Store(on) }

// Debug reports whether debug logging is on.
func (e *Engine) Debug() bool { return e.debug.Load() }

// SetEngineEnabled switches every trigger off (false) or back to its own
// state (true). Operations still persist while the engine is off.
func (e *Engine) SetEngineEnabled(on bool) { e.enabled.Store(on) }

// EngineEnabled reports whether the engine runs triggers.
func (e *Engine) EngineEnabled() bool { return e.enabled.Load() }

// SetEnabled switches the named trigger on or off; the plans of its model
// are rebuilt and swapped atomically. Unknown names wrap ErrNotFound.
func (e *Engine) SetEnabled(name string, on bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.triggers[name]
	if !ok {
		return fmt.Errorf("trigger %q: %w", name, ErrNotFound)
	}
	if t.enabled.Load() == on {
		return nil
	}
	t.enabled.Store(on)
	(*e.states.Load())[t.handle].rebuild()
	return nil
}

// ClearCaches drops the instances Execute cached and rebuilds every plan.
func (e *Engine) ClearCaches() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, h := range *e.states.Load() {
		h.clearCache()
		h.rebuild()
	}
}

// Trigger returns the description of the named trigger.
func (e *Engine) Trigger(name string) (TriggerInfo, bool) {
	t, ok := e.findTrigger(name)
	if !ok {
		return TriggerInfo{}, false
	}
	return triggerInfo(t), true
}

// findTrigger returns the registered trigger of that name.
func (e *Engine) findTrigger(name string) (*trig, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.triggers[name]
	return t, ok
}

// ListFilter selects triggers for List; empty fields match all.
type ListFilter struct {
	Model       string
	Event       string
	EnabledOnly bool
}

// List returns the triggers that match f, sorted by name.
func (e *Engine) List(f ListFilter) []TriggerInfo {
	ts := e.snapshotTriggers()
	out := make([]TriggerInfo, 0, len(ts))
	for _, t := range ts {
		if f.Model != "" && t.model != f.Model {
			continue
		}
		if f.Event != "" && !slices.Contains(t.eventNames, f.Event) {
			continue
		}
		if f.EnabledOnly && !t.enabled.Load() {
			continue
		}
		out = append(out, triggerInfo(t))
	}
	return out
}

// snapshotTriggers returns the registered triggers sorted by name.
func (e *Engine) snapshotTriggers() []*trig {
	e.mu.Lock()
	ts := make([]*trig, 0, len(e.triggers))
	for _, t := range e.triggers {
		ts = append(ts, t)
	}
	e.mu.Unlock()
	slices.SortFunc(ts, func(a, b *trig) int { return strings.Compare(a.name, b.name) })
	return ts
}

// TriggerEvent returns the event the named trigger handles under the given
// name: a built-in event's snake_case name or a custom event's declared
// name. It reports false when the trigger is unknown or does not handle an
// event of that name.
func (e *Engine) TriggerEvent(trigger, event string) (Event, bool) {
	t, ok := e.findTrigger(trigger)
	if !ok {
		return 0, false
	}
	if i := slices.Index(t.eventNames, event); i >= 0 && i < len(t.events) {
		return t.events[i], true
	}
	return 0, false
}

// Logs returns audit records matching f, newest first, read from the
// configured sink when it implements LogReader (nil otherwise).
func (e *Engine) Logs(f LogFilter) []ExecutionRecord {
	if r, ok := e.audit.(LogReader); ok {
		return r.Logs(f)
	}
	return nil
}

// Close stops the engine and waits until the queued async work is done or
// ctx ends. It is idempotent. After Close, lifecycle operations and Execute
// are refused with ErrClosed before they call persist or load anything;
// operations that triggers run while the queue drains still run (their own
// async work is refused).
//
// Called with the context a trigger received (from inside a run:
// synchronous, async or durable), Close cannot wait for the drain, since
// the run that called it is part of it: it stops the engine, starts the
// drain and returns nil at once. A later Close from outside waits for it.
func (e *Engine) Close(ctx context.Context) error {
	if e == nil {
		return ErrNilEngine
	}
	e.closed.Store(true)
	if f := frameFrom(ctx); f != nil && f.eng == e {
		e.closeInRun.Do(func() {
			// Owned by the queue's drain: it ends when the last job does.
			go func() { _ = e.queue.Close(context.Background()) }()
		})
		return nil
	}
	return e.queue.Close(ctx)
}

// TriggerInfo describes a registered trigger.
type TriggerInfo struct {
	// Name, Model and Description name the trigger, its model and what it
	// does.
	Name, Model, Description string
	// Events and Conditions are the names of its events and the
	// descriptions of its conditions.
	Events, Conditions []string
	// Enabled reports whether it is switched on now (Options.Disabled is
	// how it was registered).
	Enabled bool
	// Stats are its run figures.
	Stats Stats
	// Bulk reports a trigger on bulk events.
	Bulk bool
	// Options are how it runs, as registered, with the defaults filled in
	// (Priority, Backoff).
	Options
}

// trig is the untyped part of a registered trigger.
type trig struct {
	name, model, description, source, queue string
	events                                  []Event
	eventNames, conds                       []string
	priority                                int
	async, onCommit, bulk                   bool
	retries                                 int
	backoff, timeout                        time.Duration
	disabled                                bool // registered switched off

	handle  any // the model's key in Engine.states
	enabled atomic.Bool
	stats   statsRecorder
	exec    func(ctx context.Context, key string, ev Event) error
	durable func(ctx context.Context, job Job, attempt int, last bool) error
}

func triggerInfo(t *trig) TriggerInfo {
	return TriggerInfo{
		Name: t.name, Model: t.model, Description: t.description,
		Events: slices.Clone(t.eventNames), Conditions: slices.Clone(t.conds),
		Enabled: t.enabled.Load(), Stats: t.stats.snapshot(), Bulk: t.bulk,
		Options: Options{
			Priority: t.priority, Async: t.async, Queue: t.queue, OnCommit: t.onCommit,
			Retries: t.retries, Backoff: t.backoff, Timeout: t.timeout, Disabled: t.disabled, Source: t.source,
		},
	}
}

func isDeferred(t *trig) bool { return t.async || t.onCommit }

func hasEvent(t *trig, evs ...Event) bool {
	for _, e := range evs {
		if slices.Contains(t.events, e) {
			return true
		}
	}
	return false
}

// modelHandle is the untyped view of a model's state in one engine.
type modelHandle interface {
	rebuild()
	clearCache()
}

// stateFor returns the model's state in eng, creating it.
func stateFor[M, C, B any](eng *Engine, model *core[M, C, B]) *modelState[M, C, B] {
	if st := lookup(eng, model); st != nil {
		return st
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	old := *eng.states.Load()
	if h, ok := old[model]; ok {
		return h.(*modelState[M, C, B])
	}
	st := &modelState[M, C, B]{eng: eng, core: model}
	setPlans(st, &plans[M, C, B]{})
	next := make(map[any]modelHandle, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[model] = st
	eng.states.Store(&next)
	return st
}

// lookup returns the model's state in eng, or nil when nothing was
// registered for it.
func lookup[M, C, B any](eng *Engine, model *core[M, C, B]) *modelState[M, C, B] {
	if b := model.last.Load(); b != nil {
		if st := b.p.(*modelState[M, C, B]); st.eng == eng {
			return st
		}
	}
	if h, ok := (*eng.states.Load())[model]; ok {
		st := h.(*modelState[M, C, B])
		model.last.Store(&box{st})
		return st
	}
	return nil
}

// priorityOrder sorts higher priority first, then by name.
func priorityOrder(a, b *trig) int {
	if c := cmp.Compare(b.priority, a.priority); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}
