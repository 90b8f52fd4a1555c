package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

func fire[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B], ev Event, old, new M) error {
	if !coreValidEvent(model, ev) {
		return fmt.Errorf("triggergen: %s is not an event of %s", ev, model.name)
	}
	st, v, up, depth, err := begin(ctx, eng, model)
	if err != nil || st == nil || !eng.enabled.Load() {
		return err
	}
	fp := currentPlans(st).fire[ev]
	if fp == nil || (v.skip != nil && v.skip.all) {
		return nil
	}
	if obs := eng.cfg.Observer; obs != nil {
		inst := new
		if ev.IsDelete() || model.isNil(new) {
			inst = old
		}
		info := OperationInfo{Model: model.name, Operation: "fire", Event: coreEventName(model, ev), Items: 1, Depth: depth}
		if !model.isNil(inst) {
			info.Key = model.key(inst)
		}
		return observeOp(ctx, obs, info, func(ctx context.Context) error { return fireRun(ctx, st, v, up, depth, ev, old, new, fp) })
	}
	return fireRun(ctx, st, v, up, depth, ev, old, new, fp)
}

// fireRun runs the triggers of fp, the plan of event ev, for fire.
func fireRun[M, C, B any](ctx context.Context, st *modelState[M, C, B], v *ctxVals, up *opFrame, depth int, ev Event, old, new M, fp *phasePlan[M, C, B]) error {
	eng := st.eng
	o := opState[M, C, B]{st: st, ctx: ctx, vals: v, up: up, depth: depth, debug: eng.debug.Load(), ev: ev}
	o.f = newScratch(st, ev, old, new)
	defer release(&o)
	if len(fp.before) > 0 {
		if _, err := runList(&o, fp.before, fp.tBefore, fp.nBefore, true, nil); err != nil {
			return err
		}
	}
	var errs []error
	if len(fp.after) > 0 {
		errs, _ = runList(&o, fp.after, fp.tAfter, fp.nAfter, false, errs)
	}
	if len(fp.deferred) > 0 {
		errs = deferAll(&o, fp.deferred, fp.tDeferred, fp.nDeferred, errs)
	}
	return errors.Join(errs...)
}

// begin finds the model's state and checks, before anything runs, that the
// operation may start: an engine, a live context, an engine not closed (an
// operation a trigger runs while Close drains the queue is let through) and
// the depth limit. It returns the context's values and the frame of the
// trigger run the operation is nested in, read with one lookup for the
// whole operation. A nil state means no trigger was ever registered for
// the model.
func begin[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B]) (*modelState[M, C, B], *ctxVals, *opFrame, int, error) {
	if eng == nil {
		return nil, nil, nil, 0, fmt.Errorf("%w: %s operation not started", ErrNilEngine, model.name)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, 0, fmt.Errorf("triggergen: %s operation not started: %w", model.name, err)
	}
	v, up := lookupVals(ctx)
	if up == nil && eng.closed.Load() {
		return nil, nil, nil, 0, fmt.Errorf("%w: %s operation not started", ErrClosed, model.name)
	}
	depth := 1
	if up != nil {
		depth = up.depth + 1
	}
	if depth > eng.maxDepth {
		return nil, nil, nil, 0, fmt.Errorf("%w: %s operation at depth %d (limit %d)", ErrMaxDepth, model.name, depth, eng.maxDepth)
	}
	return lookup(eng, model), v, up, depth, nil
}

// opState is one operation, or one item of a bulk operation, on its way
// through its triggers: what it read once from its context, the frame whose
// change the conditions and actions see (a pooled scratch frame for a
// single-instance operation), and the context its triggers get, made when
// the first of them runs.
type opState[M, C, B any] struct {
	st    *modelState[M, C, B]
	ctx   context.Context // the caller's
	vals  *ctxVals        // ctx's values
	up    *opFrame        // the run the operation is nested in, or nil
	depth int
	debug bool
	ev    Event // the event of the change now
	f     *frame[M, C, B]
	op    *opFrame
	// own is whether op is the operation's own frame, made by runOne: its
	// runs leave it naming their trigger, and endRuns clears it.
	own bool
}

// endRuns clears the trigger the operation's own frame names, once its
// triggers have run (see run's keep).
func endRuns[M, C, B any](o *opState[M, C, B]) {
	if o.own {
		o.op.running.Store(nil)
	}
}

// release ends the operation's runs and gives its scratch frame back.
func release[M, C, B any](o *opState[M, C, B]) {
	endRuns(o)
	releaseFrame(o.f)
}

// single runs a single-instance operation op on old and m; oldNil and
// newNil say which of them are nil.
func single[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B], op opKind, old, m M, oldNil, newNil bool, persist func(context.Context, M) error) (err error) {
	st, v, up, depth, err := begin(ctx, eng, model)
	if err != nil {
		return err
	}
	var pp *phasePlan[M, C, B]
	if st != nil && eng.enabled.Load() {
		pp = &currentPlans(st).ops[op]
	}
	target := m
	if op == opDelete {
		target = old
	}
	if pp == nil || planEmpty(pp) || (v.skip != nil && v.skip.all) {
		if persist == nil {
			return nil
		}
		return persist(ctx, target)
	}
	if obs := eng.cfg.Observer; obs != nil {
		var end func(error)
		ctx, end = obs.StartOperation(ctx, OperationInfo{Model: model.name, Operation: opNames[op], Key: model.key(target), Items: 1, Depth: depth})
		defer func() { end(err) }()
	}
	oe := &opEvents[op]
	// The fields are set one by one: a composite literal is built on the
	// stack and copied, and the copy reads back what was just written, at a
	// cost that shows in an operation where nothing matches.
	var o opState[M, C, B]
	o.st, o.ctx, o.vals, o.up, o.depth, o.debug, o.ev = st, ctx, v, up, depth, eng.debug.Load(), oe.before
	f := newScratchNils(st, oe.before, old, m, oldNil, newNil)
	o.f = f
	// The scratch frame is given back on each return rather than by a
	// deferred call; a panic out of persist leaves it to the collector.
	if len(pp.before) > 0 {
		if _, err := runList(&o, pp.before, pp.tBefore, pp.nBefore, true, nil); err != nil {
			endRuns(&o)
			releaseFrame(f)
			return err
		}
	}
	if persist != nil {
		if err := persist(ctx, target); err != nil {
			endRuns(&o)
			releaseFrame(f)
			return err
		}
	}
	*frameEvent(f), o.ev = oe.after, oe.after
	var errs []error
	if len(pp.after) > 0 {
		errs, _ = runList(&o, pp.after, pp.tAfter, pp.nAfter, false, errs)
	}
	if len(pp.deferred) > 0 {
		errs = deferAll(&o, pp.deferred, pp.tDeferred, pp.nDeferred, errs)
	}
	endRuns(&o)
	releaseFrame(f)
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// runList runs, in order, the triggers of es (whose tests are ts) whose
// conditions hold for the operation's change. n counts the list's skips
// (nil: each skip is counted on its trigger). With stop, the first error
// ends the list and is returned alone; otherwise the triggers' errors are
// appended to errs.
func runList[M, C, B any](o *opState[M, C, B], es []*entry[M, C, B], ts []func(context.Context, C) bool, n *planCounts, stop bool, errs []error) ([]error, error) {
	if n != nil {
		n.addRun()
	}
	slow := o.debug || o.vals.skip != nil
	for i := 0; i < len(es); {
		var j int
		var perr, err error
		if slow {
			if j, perr = nextSlow(o, es, i, n); j < len(es) && perr == nil {
				err = tryOne(o, es[j], j, n)
			}
		} else {
			j, perr, err = scan(o, es, ts, n, i, stop, &errs)
		}
		if j == len(es) {
			break
		}
		if perr != nil {
			used(n, j)
			err = conditionFailed(o.st, o.ctx, es[j], o.f.instanceKey(), o.ev, perr)
		}
		if err != nil {
			if stop {
				for k := j + 1; n != nil && k < len(es); k++ {
					n.used[k].Add(1) // never considered: not a skip
				}
				return errs, err
			}
			errs = append(errs, err)
		}
		i = j + 1
	}
	return errs, nil
}

// scan runs, from i on, the triggers of es whose tests ts hold, with one
// recover for the whole scan. It returns len(es) when it reached the end;
// otherwise the index of the trigger whose condition panicked, with the
// panic as perr, or, with stop, of the trigger that failed, with its error.
// Without stop, the triggers' errors are appended to errs.
func scan[M, C, B any](o *opState[M, C, B], es []*entry[M, C, B], ts []func(context.Context, C) bool, n *planCounts, i int, stop bool, errs *[]error) (j int, perr, err error) {
	inTest := false
	defer func() {
		if inTest { // a panic elsewhere is not a condition's, and goes on
			if r := recover(); r != nil {
				perr = fmt.Errorf("condition panicked: %v", r)
			}
		}
	}()
	ctx, c := o.ctx, o.f.change
	for j = i; j < len(ts); j++ {
		inTest = true
		ok := ts[j](ctx, c)
		inTest = false
		if !ok {
			if n == nil {
				es[j].stats.skip()
			}
			continue
		}
		if err = tryOne(o, es[j], j, n); err != nil {
			if stop {
				return j, nil, err
			}
			*errs = append(*errs, err)
		}
	}
	return len(es), nil, nil
}

// tryOne runs e, trigger j of its list, whose conditions hold, unless it
// is already running for the same instance further up (a skip).
func tryOne[M, C, B any](o *opState[M, C, B], e *entry[M, C, B], j int, n *planCounts) error {
	if o.up != nil && reentry(o.up, e.trig, o.st.core.name, o.f) {
		if n == nil {
			e.stats.skip()
		}
		return nil
	}
	used(n, j)
	return runOne(o, e)
}

// used counts trigger j of a list as not skipped.
func used(n *planCounts, j int) {
	if n != nil {
		n.used[j].Add(1)
	}
}

// next returns the index of the first trigger of es, from i on, that is not
// skipped by name and whose conditions hold for the operation's change
// (len(es) when there is none), or that of a trigger whose condition
// panicked, with the panic as err: one recover for the whole scan. ts are
// the triggers' tests (entry.test).
func next[M, C, B any](o *opState[M, C, B], es []*entry[M, C, B], ts []func(context.Context, C) bool, i int, n *planCounts) (j int, err error) {
	if o.debug || o.vals.skip != nil {
		return nextSlow(o, es, i, n)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("condition panicked: %v", r)
		}
	}()
	ctx, c := o.ctx, o.f.change
	for j = i; j < len(ts); j++ {
		if ts[j](ctx, c) {
			return j, nil
		}
		if n == nil {
			es[j].stats.skip()
		}
	}
	return len(ts), nil
}

// nextSlow is next for an operation that skips triggers by name, or with
// each condition's result logged.
func nextSlow[M, C, B any](o *opState[M, C, B], es []*entry[M, C, B], i int, n *planCounts) (j int, err error) {
	for j = i; j < len(es); j++ {
		e := es[j]
		if o.vals.skip.skips(e.name) {
			used(n, j)
			continue
		}
		ok, err := holds(o.st, o.ctx, e, o.f.change)
		if err != nil || ok {
			return j, err
		}
		if n == nil {
			e.stats.skip()
		}
	}
	return len(es), nil
}

// runOne runs e on the operation's change, with the operation's context,
// made for the first trigger that runs.
func runOne[M, C, B any](o *opState[M, C, B], e *entry[M, C, B]) error {
	f := o.f
	if o.op == nil {
		o.op = newOpFrame(o.st.eng, o.ctx, o.vals, o.up, o.depth, o.st.core.name, f.instanceKey())
		o.own = true
	}
	var err error
	if e.bulk {
		err = run(o.st, o.op, e, f.change, o.st.core.batch(o.ev, []C{f.change}), o.ev, o.op.inst.instanceKey(), o.own)
	} else {
		var zb B
		err = run(o.st, o.op, e, f.change, zb, o.ev, o.op.inst.instanceKey(), o.own)
	}
	if err != nil {
		return &TriggerError{Trigger: e.name, Err: err}
	}
	return nil
}

// holds reports whether all of e's conditions hold for c. A panicking
// condition is the trigger's failure: holds recovers it and returns it as err.
func holds[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], c C) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("condition panicked: %v", r)
		}
	}()
	if !st.eng.debug.Load() {
		for _, test := range e.tests {
			if !test(ctx, c) {
				return false, nil
			}
		}
		return true, nil
	}
	for i, test := range e.tests {
		ok := test(ctx, c)
		st.eng.log.LogAttrs(ctx, slog.LevelDebug, "trigger condition",
			slog.String("trigger", e.name), slog.String("condition", e.conds[i]), slog.Bool("result", ok))
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// conditionFailed records a run whose condition panicked and returns the
// trigger's error.
func conditionFailed[M, C, B any](st *modelState[M, C, B], ctx context.Context, e *entry[M, C, B], key string, ev Event, err error) error {
	record(st, ctx, e.trig, key, ev, time.Now(), 0, OutcomePanic, err, 1)
	if st.eng.cfg.Observation == ObserveFull {
		e.stats.record(OutcomePanic, 0)
	} else {
		e.stats.count(OutcomePanic)
	}
	return &TriggerError{Trigger: e.name, Err: err}
}

// batchKeyer names the instances of a bulk operation.
type batchKeyer[M any] struct {
	key   func(M) string
	items []M
}

func (b batchKeyer[M]) instanceKey() string { return batchKey(b.key, b.items) }

func bulk[M, C, B any](ctx context.Context, eng *Engine, model *core[M, C, B], op opKind, old []M, ms []M, persist func(context.Context, []M) error) error {
	st, v, up, depth, err := begin(ctx, eng, model)
	if err != nil {
		return err
	}
	var p *plans[M, C, B]
	if st != nil && eng.enabled.Load() {
		p = currentPlans(st)
	}
	skip := v.skip
	if p == nil || (planEmpty(&p.ops[op]) && planEmpty(&p.bulk[op])) || (skip != nil && skip.all) || len(ms) == 0 {
		if persist == nil {
			return nil
		}
		return persist(ctx, ms)
	}
	item, bp := &p.ops[op], &p.bulk[op]
	if bulkQuiet(st, ctx, skip, op, old, ms, item, bp) {
		if persist == nil {
			return nil
		}
		return persist(ctx, ms)
	}
	if obs := eng.cfg.Observer; obs != nil {
		info := OperationInfo{Model: model.name, Operation: opNames[op] + "_many", Key: batchKey(model.key, ms), Items: len(ms), Depth: depth}
		return observeOp(ctx, obs, info, func(ctx context.Context) error {
			return bulkRun(ctx, st, v, up, depth, op, old, ms, item, bp, persist)
		})
	}
	return bulkRun(ctx, st, v, up, depth, op, old, ms, item, bp, persist)
}

// bulkRun runs the triggers of a bulk operation around persist for bulk.
func bulkRun[M, C, B any](ctx context.Context, st *modelState[M, C, B], v *ctxVals, up *opFrame, depth int, op opKind, old []M, ms []M, item, bp *phasePlan[M, C, B], persist func(context.Context, []M) error) error {
	eng, model, skip, oe := st.eng, st.core, v.skip, opEvents[op]
	var none M
	debug := eng.debug.Load()
	ist := make([]opState[M, C, B], len(ms))
	for i, m := range ms {
		f := newFrame(st)
		switch op {
		case opCreate:
			setupFrameVals(f, ctx, v, up, depth, oe.before, none, m)
		case opUpdate:
			setupFrameVals(f, ctx, v, up, depth, oe.before, old[i], m)
		case opDelete:
			setupFrameVals(f, ctx, v, up, depth, oe.before, m, none)
		}
		ist[i] = opState[M, C, B]{st: st, ctx: ctx, vals: v, up: up, depth: depth, debug: debug, ev: oe.before, f: f, op: &f.op}
	}
	fs := make([]*frame[M, C, B], len(ms))
	for i := range ist {
		fs[i] = ist[i].f
	}
	bf := &opFrame{Context: ctx, eng: eng, up: up, depth: depth, model: model.name, inst: batchKeyer[M]{model.key, ms}}
	bf.pvals = v

	for _, e := range bp.before {
		if err := tryBatch(st, ctx, bf, fs, e, oe.bulkBefore, skip); err != nil {
			return err
		}
	}
	for i := range ist {
		if _, err := runList(&ist[i], item.before, item.tBefore, nil, true, nil); err != nil {
			return err
		}
	}
	if persist != nil {
		if err := persist(ctx, ms); err != nil {
			return err
		}
	}
	var errs []error
	for i := range ist {
		*frameEvent(ist[i].f), ist[i].ev = oe.after, oe.after
		errs, _ = runList(&ist[i], item.after, item.tAfter, nil, false, errs)
	}
	for _, e := range bp.after {
		if err := tryBatch(st, ctx, bf, fs, e, oe.bulkAfter, skip); err != nil {
			errs = append(errs, err)
		}
	}
	for i := range ist {
		errs = deferAll(&ist[i], item.deferred, item.tDeferred, nil, errs)
	}
	for _, e := range bp.deferred {
		if skip.skips(e.name) {
			continue
		}
		items, err := matching(st, ctx, fs, e)
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(items) > 0:
			errs = append(errs, deferBatch(st, ctx, depth, e, items, bulkEventOf(e, oe.bulkBefore, oe.bulkAfter)))
		default:
			e.stats.skip()
		}
	}
	return errors.Join(errs...)
}

// bulkQuiet reports whether no trigger of a bulk operation would run, so
// that it can persist without allocating; it counts the skips then. It tests
// the conditions on a pooled scratch frame, one item at a time.
func bulkQuiet[M, C, B any](st *modelState[M, C, B], ctx context.Context, skip *skipSet, op opKind, old []M, ms []M, item, bp *phasePlan[M, C, B]) bool {
	oe := opEvents[op]
	lists := [...]struct {
		es []*entry[M, C, B]
		ev Event
	}{{bp.before, oe.before}, {item.before, oe.before}, {item.after, oe.after}, {bp.after, oe.after}, {item.deferred, oe.after}, {bp.deferred, oe.after}}
	var none M
	f := newScratch(st, oe.before, none, none)
	defer releaseFrame(f)
	for i, m := range ms {
		for _, l := range lists {
			switch op {
			case opCreate:
				setChange(f, l.ev, none, m)
			case opUpdate:
				setChange(f, l.ev, old[i], m)
			case opDelete:
				setChange(f, l.ev, m, none)
			}
			for _, e := range l.es {
				if skip.skips(e.name) {
					continue
				}
				if ok, err := holds(st, ctx, e, f.change); ok || err != nil {
					return false
				}
			}
		}
	}
	for _, l := range lists {
		for _, e := range l.es {
			if skip.skips(e.name) {
				continue
			}
			if e.bulk {
				e.stats.skip()
				continue
			}
			for range ms {
				e.stats.skip()
			}
		}
	}
	return true
}

func bulkEventOf[M, C, B any](e *entry[M, C, B], before, after Event) Event {
	if hasEvent(e.trig, after) {
		return after
	}
	return before
}

// matching returns the changes of the items for which e's conditions hold.
func matching[M, C, B any](st *modelState[M, C, B], ctx context.Context, fs []*frame[M, C, B], e *entry[M, C, B]) ([]C, error) {
	var items []C
	for _, f := range fs {
		ok, err := holds(st, ctx, e, f.change)
		if err != nil {
			return nil, conditionFailed(st, ctx, e, f.instanceKey(), *frameEvent(f), err)
		}
		if ok {
			items = append(items, f.change)
		}
	}
	return items, nil
}

// itemsKeyer names the instances of a batch's items.
type itemsKeyer[M, C, B any] struct {
	st    *modelState[M, C, B]
	items []C
}

func (k itemsKeyer[M, C, B]) instanceKey() string {
	ms := make([]M, len(k.items))
	for i, c := range k.items {
		ev, old, cur := k.st.core.view(c)
		ms[i] = *cur
		if ev.IsDelete() {
			ms[i] = *old
		}
	}
	return batchKey(k.st.core.key, ms)
}

// tryBatch runs bulk trigger e once with the items whose conditions hold.
func tryBatch[M, C, B any](st *modelState[M, C, B], ctx context.Context, bf *opFrame, fs []*frame[M, C, B], e *entry[M, C, B], ev Event, skip *skipSet) error {
	if skip.skips(e.name) {
		return nil
	}
	items, err := matching(st, ctx, fs, e)
	if err != nil {
		return err
	}
	k := itemsKeyer[M, C, B]{st, items}
	if len(items) == 0 || (bf.up != nil && reentry(bf.up, e.trig, bf.model, k)) {
		e.stats.skip()
		return nil
	}
	bf.inst = k
	var zc C
	if err := run(st, bf, e, zc, st.core.batch(ev, items), ev, k.instanceKey(), false); err != nil {
		return &TriggerError{Trigger: e.name, Err: err}
	}
	return nil
}
