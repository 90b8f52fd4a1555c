package gen

// The analysis of triggers: the directives the scan found on a function,
// read once (parseTrigger), resolved against the model and the function's
// types, with every condition resolved and type-checked once into the
// trigger the emit stage prints.

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triggergen/triggergen/gen/cond"
	"github.com/triggergen/triggergen/runtime"
)

// trigger is an analysed trigger function.
type trigger struct {
	pkg    *pkgInfo
	file   *ast.File
	Func   string
	Pos    token.Pos
	Name   string
	Doc    string
	Model  *model
	Events []eventRef
	Bulk   bool
	Conds  []*condition
	Then   []string
	// Options are the trigger's execution options, as registration takes
	// them: Source is set, the others as the directives say.
	runtime.Options
}

// eventRef is one event of //trigger:on.
type eventRef struct {
	Name    string
	Builtin runtime.Event // 0 for a custom event
	Custom  customEvent
}

// rawTrigger is what the directives of one function say, before anything
// is resolved against types.
type rawTrigger struct {
	modelRef    word
	events      []word
	onPos       token.Pos
	name        *word
	conds       []*condition
	opts        runtime.Options
	asyncPos    token.Pos
	onCommitPos token.Pos
	then        []word
	hasOn       bool
	directives  int
}

var triggerDirectives = []string{"on", "name", "when", "priority", "async", "on_commit", "retry", "timeout", "then", "disabled"}

// parseTrigger reads the directives of one function. It reports every
// problem to d and never panics, whatever the text.
func parseTrigger(ds []directive, d *diags) *rawTrigger {
	r := &rawTrigger{opts: runtime.Options{Priority: runtime.PriorityNormal}, directives: len(ds)}
	seen := map[string]bool{}
	once := func(dir directive) bool {
		if seen[dir.Name] {
			d.errorf(dir.NamePos, "duplicate //trigger:%s directive", dir.Name)
			return false
		}
		seen[dir.Name] = true
		return true
	}
	noArgs := func(dir directive) {
		if len(dir.Args) > 0 {
			d.errorf(dir.Args[0].Pos, "//trigger:%s takes no arguments", dir.Name)
		}
	}
	for _, dir := range ds {
		switch dir.Name {
		case "on":
			if !once(dir) {
				continue
			}
			r.hasOn, r.onPos = true, dir.NamePos
			if len(dir.Args) < 2 {
				d.errorf(dir.End, "//trigger:on needs a model and at least one event: //trigger:on <Model> <event>...")
				continue
			}
			r.modelRef, r.events = dir.Args[0], dir.Args[1:]
		case "name":
			if !once(dir) {
				continue
			}
			switch {
			case len(dir.Args) != 1:
				d.errorf(dir.RestPos, "//trigger:name needs exactly one snake_case name")
			case !isSnake(dir.Args[0].Text):
				d.errorf(dir.Args[0].Pos, "trigger name %q must be snake_case (like sim_card_fraud_alert)", dir.Args[0].Text)
			default:
				r.name = &dir.Args[0]
			}
		case "when":
			if dir.Rest == "" {
				d.errorf(dir.End, "//trigger:when needs a condition")
				continue
			}
			e, err := cond.Parse(dir.Rest)
			if err != nil {
				pe := err.(*cond.Error)
				d.errorf(dir.RestPos+token.Pos(pe.Pos), "condition: %s", pe.Msg)
				continue
			}
			r.conds = append(r.conds, &condition{Src: dir.Rest, Pos: dir.RestPos, expr: e})
		case "priority":
			if !once(dir) {
				continue
			}
			if len(dir.Args) != 1 {
				d.errorf(dir.RestPos, "//trigger:priority needs one of critical, high, normal, low or an integer")
				continue
			}
			a := dir.Args[0]
			switch a.Text {
			case "critical":
				r.opts.Priority = runtime.PriorityCritical
			case "high":
				r.opts.Priority = runtime.PriorityHigh
			case "normal":
				r.opts.Priority = runtime.PriorityNormal
			case "low":
				r.opts.Priority = runtime.PriorityLow
			default:
				n, err := strconv.Atoi(a.Text)
				if err != nil || n == 0 || n < -1000000 || n > 1000000 {
					msg := fmt.Sprintf("invalid priority %q: want critical, high, normal, low or a non-zero integer", a.Text)
					if s := nearest(a.Text, []string{"critical", "high", "normal", "low"}); s != "" && err != nil {
						msg += fmt.Sprintf(" (did you mean %s?)", s)
					}
					d.errorf(a.Pos, "%s", msg)
					continue
				}
				r.opts.Priority = n
			}
		case "async":
			if !once(dir) {
				continue
			}
			r.opts.Async, r.asyncPos = true, dir.NamePos
			for _, a := range dir.Args {
				q, ok := strings.CutPrefix(a.Text, "queue=")
				if !ok || q == "" || r.opts.Queue != "" {
					d.errorf(a.Pos, "unknown async option %q: want queue=<name>", a.Text)
					continue
				}
				r.opts.Queue = q
			}
		case "on_commit":
			if once(dir) {
				noArgs(dir)
				r.opts.OnCommit, r.onCommitPos = true, dir.NamePos
			}
		case "disabled":
			if once(dir) {
				noArgs(dir)
				r.opts.Disabled = true
			}
		case "retry":
			if !once(dir) {
				continue
			}
			if len(dir.Args) == 0 || len(dir.Args) > 2 {
				d.errorf(dir.RestPos, "//trigger:retry needs a count and an optional backoff: //trigger:retry 3 backoff=200ms")
				continue
			}
			n, err := strconv.Atoi(dir.Args[0].Text)
			if err != nil || n < 0 || n > 100 {
				d.errorf(dir.Args[0].Pos, "invalid retry count %q: want an integer from 0 to 100", dir.Args[0].Text)
			}
			r.opts.Retries = n
			if len(dir.Args) == 2 {
				a := dir.Args[1]
				v, ok := strings.CutPrefix(a.Text, "backoff=")
				if !ok {
					d.errorf(a.Pos, "unknown retry option %q: want backoff=<duration>", a.Text)
					continue
				}
				b, err := time.ParseDuration(v)
				if err != nil || b <= 0 {
					d.errorf(a.Pos+token.Pos(len("backoff=")), "invalid backoff %q: want a positive duration such as 200ms", v)
					continue
				}
				r.opts.Backoff = b
			}
		case "timeout":
			if !once(dir) {
				continue
			}
			if len(dir.Args) != 1 {
				d.errorf(dir.RestPos, "//trigger:timeout needs one duration such as 5s")
				continue
			}
			t, err := time.ParseDuration(dir.Args[0].Text)
			if err != nil || t <= 0 {
				d.errorf(dir.Args[0].Pos, "invalid timeout %q: want a positive duration such as 5s", dir.Args[0].Text)
				continue
			}
			r.opts.Timeout = t
		case "then":
			if len(dir.Args) == 0 {
				d.errorf(dir.End, "//trigger:then needs one or more function names")
				continue
			}
			for _, a := range dir.Args {
				if !token.IsIdentifier(a.Text) {
					d.errorf(a.Pos, "//trigger:then takes function names of this package, not %q", a.Text)
					continue
				}
				r.then = append(r.then, a)
			}
		case "model":
			d.errorf(dir.NamePos, "//trigger:model belongs on a struct type, not a function")
		default:
			if name, ok := spacedName(dir); ok {
				d.errorf(dir.NamePos, "no space goes after the colon of //trigger:; did you mean //trigger:%s?", name)
				continue
			}
			msg := fmt.Sprintf("unknown directive //trigger:%s", dir.Name)
			if s := nearest(dir.Name, triggerDirectives); s != "" {
				msg += fmt.Sprintf("; did you mean //trigger:%s?", s)
			} else {
				msg += "; want one of " + strings.Join(triggerDirectives, ", ")
			}
			d.errorf(dir.NamePos, "%s", msg)
		}
	}
	return r
}

// findTriggers analyses the trigger functions the scan found in a
// package; p is the package loaded with the new model code in place.
func findTriggers(p *pkgInfo, sc *scanned, models map[string]*model, failed map[string]bool, d *diags) []*trigger {
	var ts []*trigger
	for _, tf := range sc.funcs {
		file, fd := p.syntaxOf(tf)
		if t := analyseTrigger(p, file, fd, tf.dirs, models, failed, d); t != nil {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *trigger) int { return strings.Compare(a.Name, b.Name) })
	return ts
}

// syntaxOf returns the file and the declaration of a scanned function in
// p's syntax, which is the scanned syntax itself unless the package was
// loaded again since the scan.
func (p *pkgInfo) syntaxOf(tf *funcDecl) (*ast.File, *ast.FuncDecl) {
	name, off := p.fset.Position(tf.file.Package).Filename, p.fset.Position(tf.fn.Pos()).Offset
	for _, f := range p.pkg.Syntax {
		if f == tf.file {
			return f, tf.fn
		}
		if p.fset.Position(f.Package).Filename != name {
			continue
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && p.fset.Position(fd.Pos()).Offset == off {
				return f, fd
			}
		}
	}
	return tf.file, tf.fn
}

// analyseTrigger analyses one trigger function and its directives; it
// returns nil when it reported errors.
func analyseTrigger(p *pkgInfo, file *ast.File, fd *ast.FuncDecl, dirs []directive, models map[string]*model, failed map[string]bool, d *diags) *trigger {
	nerr := len(d.list)
	r := parseTrigger(dirs, d)
	if fd.Recv != nil {
		d.errorf(fd.Name.Pos(), "%s: a trigger must be a function, not a method", fd.Name.Name)
		return nil
	}
	if !r.hasOn {
		d.errorf(fd.Name.Pos(), "%s has //trigger: directives but no //trigger:on <Model> <event>...", fd.Name.Name)
		return nil
	}
	pos := p.fset.Position(fd.Name.Pos())
	t := &trigger{
		pkg: p, file: file, Func: fd.Name.Name, Pos: fd.Name.Pos(), Name: snakeCase(fd.Name.Name),
		Doc: docText(fd.Doc), Conds: r.conds, Options: r.opts,
	}
	t.Source = sourcePath(p, pos.Filename) + ":" + strconv.Itoa(pos.Line)
	if r.name != nil {
		t.Name = r.name.Text
	}
	if r.modelRef.Text == "" {
		return nil
	}
	t.Model = resolveModel(p, file, fd, r.modelRef, models, failed, d)
	if t.Model == nil {
		return nil
	}
	m := t.Model
	var names []string
	for e := runtime.BeforeCreate; e <= runtime.AfterBulkDelete; e++ {
		names = append(names, e.String())
	}
	for _, e := range m.Events {
		names = append(names, e.Name)
	}
	bulk, item := 0, 0
	for _, w := range r.events {
		if ev, ok := runtime.ParseEvent(w.Text); ok {
			if slices.ContainsFunc(t.Events, func(e eventRef) bool { return e.Name == w.Text }) {
				d.errorf(w.Pos, "event %s is listed twice", w.Text)
				continue
			}
			t.Events = append(t.Events, eventRef{Name: w.Text, Builtin: ev})
			if ev.IsBulk() {
				bulk++
			} else {
				item++
			}
			continue
		}
		i := slices.IndexFunc(m.Events, func(e customEvent) bool { return e.Name == w.Text })
		if i >= 0 {
			t.Events = append(t.Events, eventRef{Name: w.Text, Custom: m.Events[i]})
			item++
			continue
		}
		msg := fmt.Sprintf("unknown event %q for model %s", w.Text, m.Name)
		if s := nearest(w.Text, names); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", s)
		} else if isSnake(w.Text) {
			msg += fmt.Sprintf(" (declare custom events with //trigger:model events=%s)", w.Text)
		}
		d.errorf(w.Pos, "%s", msg)
	}
	if bulk > 0 && item > 0 {
		d.errorf(r.events[0].Pos, "%s mixes bulk and per-item events: a bulk trigger takes *%sBatch, a per-item one *%sChange; split it in two", t.Func, m.Name, m.Name)
	}
	t.Bulk = bulk > 0 && item == 0
	for _, ev := range t.Events {
		if !ev.Builtin.IsBefore() {
			continue
		}
		// A before trigger runs before the write and can edit or stop it;
		// deferred work runs after the operation, when it can do neither.
		for _, opt := range []struct {
			on   bool
			name string
			pos  token.Pos
		}{{r.opts.OnCommit, "on_commit", r.onCommitPos}, {r.opts.Async, "async", r.asyncPos}} {
			if opt.on {
				d.errorf(opt.pos, "//trigger:%s cannot apply to %s: a before trigger runs before the write, to edit or stop it, and %s work runs after the operation; use the after event",
					opt.name, ev.Name, opt.name)
			}
		}
		break
	}
	if mx := m.pkg.groups[m.pkg.fset.Position(m.Pos).Filename]; mx != nil && !implies(p.constraintAt(fd.Pos()), mx) {
		d.errorf(r.modelRef.Pos, "model %s is declared in a file with the build constraint %s, which the file of trigger %s does not imply: give the trigger's file that constraint too", m.Name, mx, t.Func)
	}
	checkSignature(p, fd, fd.Name, t, d)
	seenThen := map[string]bool{}
	for _, w := range r.then {
		if w.Text == fd.Name.Name {
			d.errorf(w.Pos, "//trigger:then: %s is the trigger itself, which already runs first", w.Text)
			continue
		}
		if seenThen[w.Text] {
			d.errorf(w.Pos, "//trigger:then: %s is listed twice", w.Text)
			continue
		}
		seenThen[w.Text] = true
		obj := p.types.Scope().Lookup(w.Text)
		fn, ok := obj.(*types.Func)
		if !ok {
			d.errorf(w.Pos, "//trigger:then: %s is not a function of package %s", w.Text, p.name)
			continue
		}
		if !t.signatureOK(fn.Type().(*types.Signature)) {
			d.errorf(w.Pos, "//trigger:then: %s must be %s", w.Text, t.expectedSignature(p))
			continue
		}
		if x := p.groups[p.fset.Position(fn.Pos()).Filename]; x != nil && !implies(p.constraintAt(fd.Pos()), x) {
			d.errorf(w.Pos, "//trigger:then: %s is declared in a file with the build constraint %s, which the file of trigger %s does not imply: the generated registration would not compile without it; give the trigger's file that constraint too", w.Text, x, t.Func)
			continue
		}
		t.Then = append(t.Then, w.Text)
	}
	for _, c := range t.Conds {
		compileCondition(p, file, t, c, d)
	}
	if len(d.list) > nerr {
		return nil
	}
	return t
}

// resolveModel finds the model named by //trigger:on.
func resolveModel(p *pkgInfo, file *ast.File, fd *ast.FuncDecl, ref word, models map[string]*model, failed map[string]bool, d *diags) *model {
	qual, name, qualified := strings.Cut(ref.Text, ".")
	if !qualified {
		name, qual = qual, ""
	}
	var candidates []string
	if qualified {
		path, ok := importPath(p, file, qual)
		if !ok {
			d.errorf(ref.Pos, "unknown package %q in //trigger:on %s: import it in this file", qual, ref.Text)
			return nil
		}
		candidates = []string{path}
	} else {
		candidates = []string{p.path}
		// The packages of the parameters' types.
		if obj, ok := p.info.Defs[fd.Name].(*types.Func); ok {
			sig := obj.Type().(*types.Signature)
			for i := range sig.Params().Len() {
				t := sig.Params().At(i).Type()
				if ptr, ok := t.(*types.Pointer); ok {
					t = ptr.Elem()
				}
				if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil {
					candidates = append(candidates, n.Obj().Pkg().Path())
				}
			}
		}
	}
	for _, path := range candidates {
		if failed[path+"."+name] {
			return nil // its own errors are reported
		}
		if m, ok := models[path+"."+name]; ok {
			return m
		}
	}
	for key := range failed {
		if strings.HasSuffix(key, "."+name) && (!qualified || key == candidates[0]+"."+name) {
			return nil // its own errors are reported
		}
	}
	if !qualified {
		// A model of that name in exactly one of the packages loaded.
		var found []*model
		for _, m := range models {
			if m.Name == name {
				found = append(found, m)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
	}
	var known []string
	for _, m := range models {
		known = append(known, m.Name)
	}
	slices.Sort(known)
	msg := fmt.Sprintf("unknown model %q in //trigger:on", ref.Text)
	if s := nearest(name, known); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	} else if len(known) > 0 {
		msg += "; models found: " + strings.Join(known, ", ")
	} else {
		msg += "; no //trigger:model struct was found in the packages it could be in"
	}
	d.errorf(ref.Pos, "%s", msg)
	return nil
}

// paramType returns the type the trigger's second parameter must have.
func (t *trigger) paramType() types.Type {
	suffix := "Change"
	if t.Bulk {
		suffix = "Batch"
	}
	// The trigger package sees the generated code through the overlay, so
	// look the type up from there.
	var obj types.Object
	if t.pkg.path == t.Model.pkg.path {
		obj = t.pkg.types.Scope().Lookup(t.Model.Name + suffix)
	}
	for _, imp := range t.pkg.types.Imports() {
		if imp.Path() == t.Model.pkg.path {
			obj = imp.Scope().Lookup(t.Model.Name + suffix)
		}
	}
	if obj == nil {
		return nil
	}
	return types.NewPointer(obj.Type())
}

func (t *trigger) signatureOK(sig *types.Signature) bool {
	want := t.paramType()
	if want == nil || sig.Params().Len() != 2 || sig.Results().Len() != 1 || sig.Variadic() || sig.TypeParams() != nil {
		return false
	}
	return isContext(sig.Params().At(0).Type()) && types.Identical(sig.Params().At(1).Type(), want) &&
		types.Identical(sig.Results().At(0).Type(), types.Universe.Lookup("error").Type())
}

func (t *trigger) expectedSignature(p *pkgInfo) string {
	suffix := "Change"
	if t.Bulk {
		suffix = "Batch"
	}
	name := t.Model.Name + suffix
	if t.Model.pkg.path != p.path {
		name = t.Model.pkg.name + "." + name
	}
	arg := "c"
	if t.Bulk {
		arg = "b"
	}
	return fmt.Sprintf("func(ctx context.Context, %s *%s) error", arg, name)
}

func checkSignature(p *pkgInfo, fd *ast.FuncDecl, id *ast.Ident, t *trigger, d *diags) {
	obj, ok := p.info.Defs[id].(*types.Func)
	if !ok {
		d.errorf(id.Pos(), "%s: cannot resolve its type", id.Name)
		return
	}
	if fd.Type.TypeParams != nil || !t.signatureOK(obj.Type().(*types.Signature)) {
		d.errorf(id.Pos(), "trigger %s must be %s", id.Name, t.expectedSignature(p))
	}
}

// isContext reports whether t is context.Context, also through an alias.
func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}
