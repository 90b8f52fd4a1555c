package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RunDurable runs one attempt of a job that a DurableQueue stored, perhaps
// in another process: it decodes the change with the model's codec and runs
// the trigger's actions (its conditions held when the job was queued) with
// the job's actor and request ID, under the trigger's timeout and
// Config.DefaultTimeout. The attempt is one audit record numbered attempt
// (1, 2, ...: the queue's count of deliveries), which the trigger reads
// through CurrentRun(ctx).Attempt. A success is counted in the
// statistics; a failure is counted only when last is true (no retry
// follows) or when retrying cannot help.
//
// It returns nil on success, or a *TriggerError. The error is marked
// Permanent (see IsPermanent) when retrying cannot help: the action
// panicked or returned a Permanent error, the depth limit was hit, or the
// job names an event the model lacks or holds a change that does not
// decode. A trigger this engine does not know is an error wrapping
// ErrNotFound, not marked Permanent: a worker of a newer release may know it.
func (e *Engine) RunDurable(ctx context.Context, job Job, attempt int, last bool) error {
	t, ok := e.findTrigger(job.Trigger)
	if !ok {
		return &TriggerError{Trigger: job.Trigger, Err: fmt.Errorf("%w: no trigger of that name in this engine", ErrNotFound)}
	}
	if t.model != job.Model {
		return &TriggerError{Trigger: job.Trigger, Err: Permanent(fmt.Errorf("the job is for model %s, the trigger for %s", job.Model, t.model))}
	}
	return t.durable(ctx, job, attempt, last)
}

// runDurable is RunDurable for a trigger of a known model.
func runDurable[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], job Job, attempt int, last bool) error {
	if obs := st.eng.cfg.Observer; obs != nil && job.Trace != nil {
		ctx = obs.Extract(ctx, job.Trace)
	}
	ctx = WithActor(ctx, job.Actor)
	if job.RequestID != "" {
		ctx = WithRequestID(ctx, job.RequestID)
	}
	ctx, cancel := context.WithTimeout(ctx, st.eng.cfg.DefaultTimeout)
	defer cancel()
	var (
		f   *opFrame
		c   C
		b   B
		key string
		err error
	)
	ev, ok := coreEvent(st.core, job.EventName)
	if ok {
		f, c, b, key, err = decodeJob(st, ctx, e, job, ev)
	} else {
		err = fmt.Errorf("model %s has no event %q", st.core.name, job.EventName)
	}
	if err != nil {
		err = Permanent(fmt.Errorf("cannot run the stored job: %w", err))
		record(st, ctx, e.trig, job.Key, ev, time.Now(), 0, OutcomeFailure, err, attempt)
		e.stats.record(OutcomeFailure, 0)
		return &TriggerError{Trigger: e.name, Err: err}
	}
	prev := f.running.Swap(e.trig)
	defer f.running.Store(prev)
	f.event.Store(uint32(ev))
	f.attempt.Store(uint32(max(attempt, 1)))
	timed := timed(st.eng, e.trig)
	err, outcome, at, end := observeAttempt(st, f, e, c, b, ev, key, attempt, timed)
	if err == nil {
		countRun(e.trig, timed, OutcomeSuccess, end-at)
		return nil
	}
	final := outcome == OutcomePanic || IsPermanent(err) || errors.Is(err, ErrMaxDepth)
	if last || final {
		countRun(e.trig, timed, outcome, end-at)
	}
	if final && !IsPermanent(err) {
		err = Permanent(err)
	}
	return &TriggerError{Trigger: e.name, Err: err}
}

// decodeJob rebuilds the frame, change or batch, and key of a stored job.
func decodeJob[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], job Job, ev Event) (f *opFrame, c C, b B, key string, err error) {
	c0 := st.core
	if c0.decode == nil {
		return nil, c, b, "", fmt.Errorf("model %s has no codec: %s", c0.name, c0.noCodec)
	}
	decode := func(what string, data []byte) (M, error) {
		m, err := c0.decode(data)
		if err != nil {
			err = fmt.Errorf("decode %s %s of %s %q: %w", c0.name, what, c0.name, job.Key, err)
		}
		return m, err
	}
	if !e.bulk {
		old, err := decode("old", job.Old)
		if err != nil {
			return nil, c, b, "", err
		}
		cur, err := decode("new", job.New)
		if err != nil {
			return nil, c, b, "", err
		}
		df := c0.newFrame()
		df.st = st
		setupFrame(df, ctx, nil, job.Depth, ev, old, cur)
		return &df.op, df.change, b, df.instanceKey(), nil
	}
	cs := make([]C, len(job.Items))
	keys := make([]M, len(job.Items))
	for i, it := range job.Items {
		iev, ok := coreEvent(c0, it.Event)
		if !ok {
			return nil, c, b, "", fmt.Errorf("item %d: model %s has no event %q", i, c0.name, it.Event)
		}
		old, err := decode("old", it.Old)
		if err != nil {
			return nil, c, b, "", fmt.Errorf("item %d: %w", i, err)
		}
		cur, err := decode("new", it.New)
		if err != nil {
			return nil, c, b, "", fmt.Errorf("item %d: %w", i, err)
		}
		cs[i] = c0.newChange()
		pev, pold, pcur := c0.view(cs[i])
		*pev, *pold, *pcur = iev, old, cur
		keys[i] = cur
		if iev.IsDelete() {
			keys[i] = old
		}
	}
	f = &opFrame{Context: ctx, eng: st.eng, depth: job.Depth, model: c0.name, inst: batchKeyer[M]{c0.key, keys}}
	f.setVals(ctx)
	return f, c, c0.batch(ev, cs), batchKey(c0.key, keys), nil
}
