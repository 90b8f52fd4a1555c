package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// maxBackoff is the longest wait between two attempts of a trigger.
const maxBackoff = 30 * time.Second

// run runs e once (with its retries) on c, or on b for a bulk trigger, under
// the frame f: timeouts per attempt, panics recovered, and the run observed
// as Config.Observation says: with ObserveFull (and for the samples of
// ObserveSampled) each attempt timed and audited and the run's duration in
// the statistics; otherwise the run counted and each failed attempt
// audited, without a clock reading for a success. With keep, a frame on
// which nothing ran before is left naming e as its running trigger: the
// next run replaces it, and the operation that owns the frame clears it
// when it ends (see endRuns), one store instead of one per run.
func run[M, C, B any](st *modelState[M, C, B], f *opFrame, e *entry[M, C, B], c C, b B, ev Event, key string, keep bool) (err error) {
	t := e.trig
	// The frame tells CurrentRun and nested operations what runs on it; the
	// stores are skipped when they would not change anything.
	last := f.running.Load()
	prev, prevAttempt := last, f.attempt.Load()
	if keep {
		prev = nil // last is the operation's previous run, finished
	}
	if last != t {
		f.running.Store(t)
	}
	if f.event.Load() != uint32(ev) {
		f.event.Store(uint32(ev))
	}
	timed := timed(st.eng, t)
	var start time.Duration
	for attempt := 1; ; attempt++ {
		if f.attempt.Load() != uint32(attempt) {
			f.attempt.Store(uint32(attempt))
		}
		var outcome string
		var at, end time.Duration
		err, outcome, at, end = observeAttempt(st, f, e, c, b, ev, key, attempt, timed)
		if attempt == 1 {
			start = at
		}
		done := err == nil || attempt > t.retries || outcome == OutcomePanic || f.Err() != nil ||
			IsPermanent(err) || errors.Is(err, ErrMaxDepth)
		if done || !sleep(f, RetryDelay(t.backoff, attempt)) {
			countRun(t, timed, outcome, end-start)
			break
		}
	}
	if prev != nil && f.attempt.Load() != prevAttempt {
		f.attempt.Store(prevAttempt)
	}
	if prev != nil || !keep {
		f.running.Store(prev)
	}
	return err
}

// timed reports whether the next run of t is timed and audited in full.
func timed(eng *Engine, t *trig) bool {
	switch eng.cfg.Observation {
	case ObserveSampled:
		return t.stats.sample(eng.cfg.SampleEvery)
	case ObserveCounts:
		return false
	}
	return true
}

// countRun counts a finished run of t in its statistics, with its duration
// d when it was timed.
func countRun(t *trig, timed bool, outcome string, d time.Duration) {
	if timed {
		t.stats.record(outcome, d)
	} else {
		t.stats.count(outcome)
	}
}

// observeAttempt runs attempt number attempt of e on c or b under f, and
// records it: timed, it reads the monotonic clock before and after (at and
// end) and audits the attempt; otherwise it audits a failure only. The
// observer, if any, sees the attempt.
func observeAttempt[M, C, B any](st *modelState[M, C, B], f *opFrame, e *entry[M, C, B], c C, b B, ev Event, key string, attempt int, timed bool) (err error, outcome string, at, end time.Duration) {
	eng, t := st.eng, e.trig
	if timed {
		at = eng.mono()
	}
	if obs := eng.cfg.Observer; obs != nil {
		actx, endRun := obs.StartRun(f, RunInfo{Trigger: t.name, Model: t.model, Key: key, Event: coreEventName(st.core, ev), Depth: f.depth, Attempt: attempt})
		err, outcome = runAttempt(st, actx, e, c, b)
		endRun(outcome, err)
	} else {
		err, outcome = runAttempt(st, f, e, c, b)
	}
	if timed {
		end = eng.mono()
		recordRun(st, f, f.pvals, t, key, ev, eng.wallAt(at), end-at, outcome, err, attempt)
	} else if err != nil {
		recordRun(st, f, f.pvals, t, key, ev, time.Now(), 0, outcome, err, attempt)
	}
	return err, outcome, at, end
}

// mono returns the time since the engine was created, read from the
// monotonic clock: one clock reading (time.Now reads two clocks).
func (e *Engine) mono() time.Duration { return time.Since(e.started) }

// anchorEvery is how often wallAt reads the wall clock again.
const anchorEvery = time.Second

// wallAt returns the wall-clock time of m, a reading of mono: the wall
// clock is read at most once per anchorEvery, and m placed relative to the
// last reading, so that a record's start costs no clock reading of its own
// and still follows a change of the system's clock within a second.
func (e *Engine) wallAt(m time.Duration) time.Time {
	off := e.wallOffset.Load()
	if off == 0 || m-time.Duration(e.anchoredAt.Load()) > anchorEvery || m < time.Duration(e.anchoredAt.Load()) {
		now := time.Now()
		since := now.Sub(e.started)
		off = now.UnixNano() - int64(since)
		e.wallOffset.Store(off)
		e.anchoredAt.Store(int64(since))
	}
	return time.Unix(0, off+int64(m))
}

// runAttempt runs the actions once.
func runAttempt[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], c C, b B) (err error, outcome string) {
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			err, outcome = fmt.Errorf("panic: %v", r), OutcomePanic
		}
	}()
	if e.bulk {
		for _, a := range e.batch {
			if err = a(ctx, b); err != nil {
				break
			}
		}
	} else {
		for _, a := range e.actions {
			if err = a(ctx, c); err != nil {
				break
			}
		}
	}
	switch {
	case err == nil:
		return nil, OutcomeSuccess
	case e.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded):
		if !errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (%w after %s)", err, context.DeadlineExceeded, e.timeout)
		}
		return err, OutcomeTimeout
	case errors.Is(err, context.DeadlineExceeded):
		return err, OutcomeTimeout
	}
	return err, OutcomeFailure
}

// record sends the audit record of one attempt run with ctx, and logs a
// failure.
func record[M, C, B any](st *modelState[M, C, B], ctx context.Context, t *trig, key string, ev Event, start time.Time, d time.Duration, outcome string, err error, attempt int) {
	recordRun(st, ctx, valsFrom(ctx), t, key, ev, start, d, outcome, err, attempt)
}

// recordRun is record with the context's values v read already.
func recordRun[M, C, B any](st *modelState[M, C, B], ctx context.Context, v *ctxVals, t *trig, key string, ev Event, start time.Time, d time.Duration, outcome string, err error, attempt int) {
	r := ExecutionRecord{
		Trigger: t.name, Model: t.model, Key: key, Event: coreEventName(st.core, ev),
		ActorID: v.actor.ID, RequestID: v.requestID,
		Start: start, Duration: d, Outcome: outcome, Attempt: attempt,
	}
	if err != nil {
		r.Error = err.Error()
		st.eng.log.LogAttrs(ctx, slog.LevelWarn, "trigger failed",
			slog.String("trigger", t.name), slog.String("key", key), slog.String("event", r.Event),
			slog.Int("attempt", attempt), slog.String("error", r.Error))
	}
	if m, ok := st.eng.audit.(*memoryAudit); ok {
		m.put(&r) // one copy of the record instead of two
		return
	}
	st.eng.audit.Record(r)
}

// RetryDelay returns how long to wait before retry n (1 for the first) of a
// trigger whose backoff is backoff (100ms when <= 0): backoff doubled n-1
// times, spread by a random ±20% (jitter, so that failing runs do not retry
// in step), and never more than maxBackoff: once the doubling reaches 30s,
// the delay is from 24s to 30s. Durable queues use it too.
func RetryDelay(backoff time.Duration, n int) time.Duration {
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	d := min(backoff, maxBackoff)
	for i := 1; i < n && d < maxBackoff; i++ {
		d = min(2*d, maxBackoff)
	}
	j := jitter(d)
	if j > maxBackoff {
		j = 2*maxBackoff - j // the spread above the cap, folded below it
	}
	return j
}

// jitter spreads d by ±20%.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// sleep waits d or until ctx ends; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// detach returns a context with the values of origin that ends when live
// ends or after timeout (when > 0): deferred work keeps the actor and request
// ID but not the caller's deadline.
func detach(origin, live context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(origin))
	if timeout > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, timeout)
		prev := cancel
		cancel = func() { c2(); prev() }
	}
	stop := context.AfterFunc(live, cancel)
	return ctx, func() { stop(); cancel() }
}

// deferAll queues the async and on_commit triggers of es (whose tests are
// ts) whose conditions
// hold for the operation's change, and appends their errors to errs; n
// counts the list's skips (nil: each skip is counted on its trigger).
func deferAll[M, C, B any](o *opState[M, C, B], es []*entry[M, C, B], ts []func(context.Context, C) bool, n *planCounts, errs []error) []error {
	if n != nil {
		n.addRun()
	}
	st, ctx := o.st, o.ctx
	for i := 0; i < len(es); i++ {
		j, err := next(o, es, ts, i, n)
		if j == len(es) {
			break
		}
		i = j
		e := es[j]
		f := o.f
		if err != nil {
			used(n, j)
			errs = append(errs, conditionFailed(st, ctx, e, f.instanceKey(), o.ev, err))
			continue
		}
		if o.up != nil && reentry(o.up, e.trig, st.core.name, f) {
			if n == nil {
				e.stats.skip()
			}
			continue
		}
		used(n, j)
		if e.bulk {
			errs = append(errs, deferBatch(st, ctx, o.depth, e, []C{f.change}, o.ev))
			continue
		}
		pev, pold, pcur := st.core.view(f.change)
		old, cur := st.core.snapshot(*pold), st.core.snapshot(*pcur)
		ev, depth := *pev, o.depth
		key := st.core.key(frameInstance(f))
		work := func(wctx context.Context) error {
			df := st.core.newFrame()
			df.st = st
			setupFrame(df, wctx, nil, depth, ev, old, cur)
			var zb B
			if err := run(st, &df.op, e, df.change, zb, ev, key, false); err != nil {
				return &TriggerError{Trigger: e.name, Err: err}
			}
			return nil
		}
		encode := func(j *Job) (err error) {
			if j.Old, err = st.core.encode(nil, old); err != nil {
				return err
			}
			j.New, err = st.core.encode(nil, cur)
			return err
		}
		errs = append(errs, schedule(st, ctx, e, ev, key, depth, work, encode))
	}
	return errs
}

// deferBatch queues bulk trigger e for items, copied deeply now.
func deferBatch[M, C, B any](st *modelState[M, C, B], ctx context.Context, depth int, e *entry[M, C, B], items []C, ev Event) error {
	olds, news := make([]M, len(items)), make([]M, len(items))
	evs := make([]Event, len(items))
	keys := make([]M, len(items))
	for i, c := range items {
		pev, pold, pcur := st.core.view(c)
		olds[i], news[i], evs[i] = st.core.snapshot(*pold), st.core.snapshot(*pcur), *pev
		keys[i] = news[i]
		if pev.IsDelete() {
			keys[i] = olds[i]
		}
	}
	key := batchKey(st.core.key, keys)
	work := func(wctx context.Context) error {
		cs := make([]C, len(items))
		for i := range cs {
			cs[i] = st.core.newChange()
			pev, pold, pcur := st.core.view(cs[i])
			*pev, *pold, *pcur = evs[i], olds[i], news[i]
		}
		df := &opFrame{Context: wctx, eng: st.eng, depth: depth, model: st.core.name, inst: batchKeyer[M]{st.core.key, keys}}
		df.setVals(wctx)
		var zc C
		if err := run(st, df, e, zc, st.core.batch(ev, cs), ev, key, false); err != nil {
			return &TriggerError{Trigger: e.name, Err: err}
		}
		return nil
	}
	encode := func(j *Job) error {
		j.Items = make([]JobItem, len(items))
		for i := range items {
			it := &j.Items[i]
			it.Event = coreEventName(st.core, evs[i])
			var err error
			if it.Old, err = st.core.encode(nil, olds[i]); err != nil {
				return err
			}
			if it.New, err = st.core.encode(nil, news[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return schedule(st, ctx, e, ev, key, depth, work, encode)
}

// schedule hands deferred work to the queue (async) or the scope (on_commit),
// or runs it now when it is on_commit and no scope is open. A durable queue
// gets the change encoded by encode instead of work; it stores an on_commit
// trigger's job at once when it can write to the scope's transaction.
func schedule[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], ev Event, key string, depth int, work func(context.Context) error, encode func(*Job) error) error {
	eng := st.eng
	obs := eng.cfg.Observer
	run := work
	deferToScope := e.onCommit
	if e.async {
		v := valsFrom(ctx)
		job := Job{
			Trigger: e.name, Model: e.model, Key: key, Queue: e.queue, Event: ev, EventName: coreEventName(st.core, ev),
			Actor: v.actor, RequestID: v.requestID,
			Retries: e.retries, Backoff: e.backoff, Timeout: e.timeout, Depth: depth,
		}
		var enqueue func(context.Context, Job) error
		durable := false
		if dq, ok := eng.queue.(DurableQueue); ok {
			if st.core.encode == nil {
				return &TriggerError{Trigger: e.name, Err: fmt.Errorf("cannot store the job: model %s has no codec: %s", st.core.name, st.core.noCodec)}
			}
			if err := encode(&job); err != nil {
				return &TriggerError{Trigger: e.name, Err: fmt.Errorf("encode the change of %s %q: %w", st.core.name, key, err)}
			}
			enqueue, durable = dq.EnqueueDurable, true
			if dq.InTx(ctx) {
				deferToScope = false // stored in the transaction: it commits or rolls back with it
			}
		} else {
			enqueue = eng.queue.Enqueue
		}
		run = func(ectx context.Context) error {
			if eng.closed.Load() {
				return &TriggerError{Trigger: e.name, Err: ErrClosed}
			}
			// The job continues from ectx: the operation's context, or the
			// scope's commit of its on_commit work, with the operation's
			// values either way.
			j := job
			if durable {
				if obs != nil {
					j.Trace = map[string]string{}
					obs.Inject(ectx, j.Trace)
				}
			} else {
				j.Run = func(qctx context.Context) error {
					rctx, cancel := detach(ectx, qctx, eng.cfg.DefaultTimeout)
					defer cancel()
					return work(rctx)
				}
			}
			if err := enqueue(ectx, j); err != nil {
				return &TriggerError{Trigger: e.name, Err: err}
			}
			return nil
		}
	}
	if deferToScope && obs != nil {
		run = observeDeferred(obs, RunInfo{Trigger: e.name, Model: e.model, Key: key, Event: coreEventName(st.core, ev), Depth: depth}, run)
	}
	if deferToScope {
		if s := ScopeFrom(ctx); s != nil {
			return s.add(ctx, run)
		}
	}
	return run(ctx)
}
