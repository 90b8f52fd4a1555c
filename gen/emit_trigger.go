package gen

// The emission of registration: Register and the register functions of
// constrained groups, one runtime.On or runtime.OnBatch call per analysed
// trigger.

import (
	"github.com/dave/jennifer/jen"
	"github.com/triggergen/triggergen/runtime"
)

// emitRegister writes Register for a trigger package: it registers ts and
// calls fns, the register functions of the package's constrained groups.
func (e *emitter) emitRegister(ts []*trigger, fns []string) {
	var calls []jen.Code
	for _, t := range ts {
		calls = append(calls, e.registration(t))
	}
	for _, fn := range fns {
		calls = append(calls, jen.Id(fn).Call(jen.Id("eng")))
	}
	e.file.Comment("Register registers the triggers of this package with eng. It registers")
	e.file.Comment("nothing twice: a second call reports every name as already registered.")
	e.file.Func().Id("Register").Params(jen.Id("eng").Op("*").Add(e.rt("Engine"))).Error().Block(joinCalls(calls))
}

// emitGroupRegister writes the register function of a constrained group.
func (e *emitter) emitGroupRegister(g *group, ts []*trigger) {
	var calls []jen.Code
	for _, t := range ts {
		calls = append(calls, e.registration(t))
	}
	e.file.Commentf("%s registers the triggers of this package whose files have the", g.fn)
	e.file.Commentf("build constraint %s; Register calls it.", g.key)
	e.file.Func().Id(g.fn).Params(jen.Id("eng").Op("*").Add(e.rt("Engine"))).Error().Block(joinCalls(calls))
}

// emitRegisterStub writes the register function of a constrained group for
// the builds that leave the group out: it registers nothing.
func (e *emitter) emitRegisterStub(g *group) {
	e.file.Commentf("%s registers nothing: the triggers whose files have the build", g.fn)
	e.file.Commentf("constraint %s are not part of this build.", g.key)
	e.file.Func().Id(g.fn).Params(jen.Op("*").Add(e.rt("Engine"))).Error().Block(jen.Return(jen.Nil()))
}

// joinCalls returns the body returning one call's error, or all of them
// joined.
func joinCalls(calls []jen.Code) *jen.Statement {
	if len(calls) == 1 {
		return jen.Return(calls[0])
	}
	var lines []jen.Code
	for _, c := range calls {
		lines = append(lines, jen.Line().Add(c))
	}
	lines = append(lines, jen.Line())
	return jen.Return(jen.Qual("errors", "Join").Custom(jen.Options{Open: "(", Close: ")", Separator: ","}, lines...))
}

// registration returns runtime.On(eng, M Model, runtime.Trigger[...]{...}) for t.
func (e *emitter) registration(t *trigger) jen.Code {
	m := t.Model
	mp := t.modelPkg()
	change := e.qual(mp, m.Name+"Change")
	d := []jen.Code{kv("Name", jen.Lit(t.Name))}
	if t.Doc != "" {
		d = append(d, kv("Description", jen.Lit(t.Doc)))
	}
	var evs []jen.Code
	for _, ev := range t.Events {
		if ev.Builtin != 0 {
			evs = append(evs, e.rt(camelCase(ev.Name)))
		} else {
			evs = append(evs, e.qual(mp, m.eventConst(ev.Custom)))
		}
	}
	d = append(d, kv("Events", jen.Index().Add(e.rt("Event")).Values(evs...)))
	if len(t.Conds) > 0 {
		var cs []jen.Code
		for _, c := range t.Conds {
			ctxName, cName := "_", "_"
			if c.usesX {
				ctxName = "ctx"
			}
			if c.usesC {
				cName = "c"
			}
			body := e.testCode(c.test)
			cs = append(cs, literal([]jen.Code{
				kv("Description", jen.Lit(c.Src)),
				kv("Test", jen.Func().Params(jen.Id(ctxName).Qual("context", "Context"), jen.Id(cName).Op("*").Add(change.Clone())).Bool().Block(
					jen.Return(body))),
			}))
		}
		d = append(d, kv("Conditions", jen.Index().Add(e.rt("Condition")).Types(change.Clone()).Add(literal(cs))))
	}
	actions := []jen.Code{jen.Id(t.Func)}
	for _, f := range t.Then {
		actions = append(actions, jen.Id(f))
	}
	actionType := e.rt("Action").Types(change.Clone())
	kind := "Trigger"
	on := "On"
	var typeArgs []jen.Code
	typeArgs = append(typeArgs, change.Clone())
	if t.Bulk {
		batch := e.qual(mp, m.Name+"Batch")
		actionType = e.rt("BatchAction").Types(batch.Clone())
		kind, on = "BatchTrigger", "OnBatch"
		typeArgs = append(typeArgs, batch)
	}
	d = append(d, kv("Actions", jen.Index().Add(actionType).Values(actions...)))
	d = append(d, kv("Options", e.rt("Options").Add(literal(e.options(t.Options)))))
	return e.rt(on).Call(jen.Id("eng"), e.qual(mp, m.Name+"Model"), e.rt(kind).Types(typeArgs...).Add(literal(d)))
}

// options returns the elements of a runtime.Options literal for o: the
// options that differ from their defaults, and Source.
func (e *emitter) options(o runtime.Options) []jen.Code {
	var d []jen.Code
	switch o.Priority {
	case runtime.PriorityNormal:
	case runtime.PriorityCritical:
		d = append(d, kv("Priority", e.rt("PriorityCritical")))
	case runtime.PriorityHigh:
		d = append(d, kv("Priority", e.rt("PriorityHigh")))
	case runtime.PriorityLow:
		d = append(d, kv("Priority", e.rt("PriorityLow")))
	default:
		d = append(d, kv("Priority", jen.Lit(o.Priority)))
	}
	if o.Async {
		d = append(d, kv("Async", jen.True()))
	}
	if o.Queue != "" {
		d = append(d, kv("Queue", jen.Lit(o.Queue)))
	}
	if o.OnCommit {
		d = append(d, kv("OnCommit", jen.True()))
	}
	if o.Retries > 0 {
		d = append(d, kv("Retries", jen.Lit(o.Retries)))
	}
	if o.Backoff > 0 {
		d = append(d, kv("Backoff", durationCode(o.Backoff)))
	}
	if o.Timeout > 0 {
		d = append(d, kv("Timeout", durationCode(o.Timeout)))
	}
	if o.Disabled {
		d = append(d, kv("Disabled", jen.True()))
	}
	return append(d, kv("Source", jen.Lit(o.Source)))
}
