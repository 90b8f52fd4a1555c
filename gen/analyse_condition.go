package gen

// The analysis of conditions: a //trigger:when line, parsed by package
// cond, is resolved against the model's fields and the constants in scope
// and type-checked, once, into a test: the typed tree the emit stage
// prints as Go (emit_condition.go).

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triggergen/triggergen/gen/cond"
)

// condition is one //trigger:when line, resolved.
type condition struct {
	Src  string
	Pos  token.Pos
	expr cond.Expr
	// test is the resolved condition; usesC and usesX report whether it
	// reads the change and the context.
	test         test
	usesC, usesX bool
}

// test is a resolved condition expression: one of the types below.
type test interface{ isTest() }

type (
	// testLogic is `x and y` or `x or y`.
	testLogic struct {
		or   bool
		x, y test
	}
	// testNot is `not x`.
	testNot struct{ x test }
	// testParen is `(x)`.
	testParen struct{ x test }
	// testChanged is `F changed [from v] [to w]`: typ is F's type, from and
	// to the resolved values (nil when absent).
	testChanged struct {
		field    string
		typ      types.Type
		from, to *operand
	}
	// testCompare is `x op y`.
	testCompare struct {
		op   string
		x, y operand
	}
	// testIn is `x in (v, ...)`.
	testIn struct {
		x      operand
		values []operand
	}
	// testBool is a bool operand alone.
	testBool struct{ x operand }
	// testRole is `role name`.
	testRole struct{ name string }
	// testTime is `time HH:MM-HH:MM`, in minutes after midnight.
	testTime struct{ start, end int }
	// testWeekday is `weekday from[-to]`.
	testWeekday struct{ from, to time.Weekday }
	// testFunc is `func Name`.
	testFunc struct{ name string }
)

func (testLogic) isTest()   {}
func (testNot) isTest()     {}
func (testParen) isTest()   {}
func (testChanged) isTest() {}
func (testCompare) isTest() {}
func (testIn) isTest()      {}
func (testBool) isTest()    {}
func (testRole) isTest()    {}
func (testTime) isTest()    {}
func (testWeekday) isTest() {}
func (testFunc) isTest()    {}

// condCompiler resolves and type-checks one condition.
type condCompiler struct {
	p     *pkgInfo
	file  *ast.File
	t     *trigger
	c     *condition
	d     *diags
	ok    bool
	usesC bool // the condition reads the change
	usesX bool // the condition reads the context
}

// generatedLocal reports whether a name is one the generated Register and
// condition functions declare, so that a condition cannot refer to a
// package-level declaration of that name.
func generatedLocal(name string) bool { return name == "c" || name == "ctx" || name == "eng" }

// modelPkg returns the model's package as the trigger package sees it.
func (t *trigger) modelPkg() *types.Package {
	if t.pkg.path == t.Model.pkg.path {
		return t.pkg.types
	}
	for _, imp := range t.pkg.types.Imports() {
		if imp.Path() == t.Model.pkg.path {
			return imp
		}
	}
	return t.Model.pkg.types
}

// fieldType returns the type of a tracked field as the trigger package sees it.
func (t *trigger) fieldType(name string) (types.Type, bool) {
	if !slices.ContainsFunc(t.Model.Fields, func(f *field) bool { return f.Name == name }) {
		return nil, false
	}
	mp := t.modelPkg()
	obj := mp.Scope().Lookup(t.Model.Name)
	if obj == nil {
		return nil, false
	}
	v, _, _ := types.LookupFieldOrMethod(obj.Type(), false, mp, name)
	fv, ok := v.(*types.Var)
	if !ok {
		return nil, false
	}
	return fv.Type(), true
}

func (cc *condCompiler) errorf(pos cond.Pos, format string, args ...any) {
	cc.ok = false
	cc.d.errorf(cc.c.Pos+token.Pos(pos), "condition: "+format, args...)
}

// compileCondition resolves and checks a condition against the model's
// fields and the constants in scope, and sets its test; errors point into
// the comment.
func compileCondition(p *pkgInfo, file *ast.File, t *trigger, c *condition, d *diags) {
	cc := &condCompiler{p: p, file: file, t: t, c: c, d: d, ok: true}
	c.test = cc.check(c.expr)
	c.usesC, c.usesX = cc.usesC, cc.usesX
}

// operand is a resolved operand.
type operand struct {
	kind  string // "field", "old", "new", "lit", "const", "nil"
	typ   types.Type
	field string
	obj   *types.Const
	pkg   *types.Package // of obj
	name  string         // as written
	lit   cond.Value
}

func (cc *condCompiler) check(x cond.Expr) test {
	switch x := x.(type) {
	case *cond.Binary:
		return testLogic{or: x.Op == "or", x: cc.check(x.X), y: cc.check(x.Y)}
	case *cond.Not:
		return testNot{x: cc.check(x.X)}
	case *cond.Paren:
		return testParen{x: cc.check(x.X)}
	case *cond.Changed:
		cc.usesC = true
		ft, ok := cc.t.fieldType(x.Field.Name)
		if !ok {
			cc.unknownField(x.Field.NamePos, x.Field.Name)
			return nil
		}
		tc := testChanged{field: x.Field.Name, typ: ft}
		fo := operand{kind: "field", typ: ft, field: x.Field.Name, name: x.Field.Name}
		var vals []operand
		for i, v := range []*cond.Value{x.From, x.To} {
			if v == nil {
				continue
			}
			vo, ok := cc.value(*v)
			if !ok {
				continue
			}
			if i == 0 {
				tc.from = &vo
			} else {
				tc.to = &vo
			}
			before := cc.ok
			cc.compare(fo, "==", vo, v.Pos())
			if before && cc.ok {
				vals = append(vals, vo)
			}
		}
		if len(vals) == 2 && sameValue(vals[0], vals[1]) {
			cc.errorf(x.To.Pos(), "%s changed from %s to %s can never hold: a field that changed has different old and new values", x.Field.Name, x.From.Text, x.To.Text)
		}
		return tc
	case *cond.Compare:
		a, ok1 := cc.operand(x.X)
		b, ok2 := cc.operand(x.Y)
		if ok1 && ok2 {
			if a.kind != "lit" && a.kind != "const" && a.kind != "nil" || b.kind != "lit" && b.kind != "const" && b.kind != "nil" {
				cc.usesC = true
			}
			cc.compare(a, x.Op, b, x.OpPos)
		}
		return testCompare{op: x.Op, x: a, y: b}
	case *cond.In:
		a, ok := cc.operand(x.X)
		if a.kind != "lit" {
			cc.usesC = true
		}
		ti := testIn{x: a}
		for _, v := range x.Values {
			vo, vok := cc.value(v)
			if ok && vok {
				cc.compare(a, "==", vo, v.Pos())
			}
			ti.values = append(ti.values, vo)
		}
		return ti
	case *cond.BoolTest:
		a, ok := cc.operand(x.X)
		if !ok {
			return nil
		}
		cc.usesC = cc.usesC || a.kind == "field" || a.kind == "old" || a.kind == "new"
		if b, isBasic := a.typ.Underlying().(*types.Basic); !isBasic || b.Info()&types.IsBoolean == 0 {
			cc.errorf(x.Pos(), "%s is %s, not a bool: compare it (%s == ...) or test a bool field", x.X.String(), cc.typeString(a.typ), x.X.String())
		}
		return testBool{x: a}
	case *cond.Role:
		cc.usesX = true
		return testRole{name: x.Name}
	case *cond.TimeWindow:
		if x.StartMin == x.EndMin {
			cc.errorf(x.EndPos, "%s can never hold: a window includes its start and not its end, so one that ends where it starts is empty", x.String())
		}
		return testTime{start: x.StartMin, end: x.EndMin}
	case *cond.Weekday:
		return testWeekday{from: x.From, to: x.To}
	case *cond.Func:
		cc.usesX, cc.usesC = true, true
		if generatedLocal(x.Name) {
			cc.errorf(x.NamePos, "func %s: the generated code uses the name %s itself; rename the function", x.Name, x.Name)
			return nil
		}
		obj := cc.p.types.Scope().Lookup(x.Name)
		fn, ok := obj.(*types.Func)
		want := fmt.Sprintf("func(ctx context.Context, c *%s) bool", cc.changeTypeName())
		if !ok {
			cc.errorf(x.NamePos, "func %s: no function %s in package %s (want %s)", x.Name, x.Name, cc.p.name, want)
			return nil
		}
		sig := fn.Type().(*types.Signature)
		if sig.TypeParams() != nil {
			cc.errorf(x.NamePos, "func %s is generic: a condition's function cannot have type parameters, as nothing would instantiate them; want %s", x.Name, want)
			return nil
		}
		cc.placed(fn, x.NamePos, "func "+x.Name)
		pt := cc.t.paramTypeFor(false)
		if sig.Params().Len() != 2 || sig.Results().Len() != 1 || !isContext(sig.Params().At(0).Type()) ||
			pt == nil || !types.Identical(sig.Params().At(1).Type(), pt) || !types.Identical(sig.Results().At(0).Type(), types.Typ[types.Bool]) {
			cc.errorf(x.NamePos, "func %s must be %s", x.Name, want)
		}
		return testFunc{name: x.Name}
	}
	return nil
}

func (cc *condCompiler) changeTypeName() string {
	n := cc.t.Model.Name + "Change"
	if cc.t.Model.pkg.path != cc.p.path {
		n = cc.t.Model.pkg.name + "." + n
	}
	return n
}

func (cc *condCompiler) typeString(t types.Type) string {
	return types.TypeString(t, types.RelativeTo(cc.p.types))
}

func (cc *condCompiler) unknownField(pos cond.Pos, name string) {
	var names []string
	for _, f := range cc.t.Model.Fields {
		names = append(names, f.Name)
	}
	msg := fmt.Sprintf("%s is not a tracked field of %s", name, cc.t.Model.Name)
	if s := nearest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	cc.errorf(pos, "%s", msg)
}

// operand resolves an operand: a field, old./new. field, literal or constant.
func (cc *condCompiler) operand(o cond.Operand) (operand, bool) {
	switch o.Kind {
	case cond.OldRef, cond.NewRef:
		ft, ok := cc.t.fieldType(o.Name)
		if !ok {
			cc.unknownField(o.NamePos, o.Name)
			return operand{}, false
		}
		k := "old"
		if o.Kind == cond.NewRef {
			k = "new"
		}
		return operand{kind: k, typ: ft, field: o.Name, name: o.String()}, true
	case cond.NameRef:
		if !strings.Contains(o.Name, ".") {
			if ft, ok := cc.t.fieldType(o.Name); ok {
				return operand{kind: "field", typ: ft, field: o.Name, name: o.Name}, true
			}
		}
		return cc.value(cond.Value{Kind: cond.Ident, Text: o.Name, ValuePos: o.NamePos})
	}
	return cc.value(o.Value)
}

// value resolves a value: a literal or a constant of the model's or the
// trigger's package (or pkg.Name through the file's imports).
func (cc *condCompiler) value(v cond.Value) (operand, bool) {
	switch v.Kind {
	case cond.Nil:
		return operand{kind: "nil", typ: types.Typ[types.UntypedNil], name: "nil", lit: v}, true
	case cond.String:
		return operand{kind: "lit", typ: types.Typ[types.UntypedString], name: v.Text, lit: v}, true
	case cond.Int:
		return operand{kind: "lit", typ: types.Typ[types.UntypedInt], name: v.Text, lit: v}, true
	case cond.Float:
		return operand{kind: "lit", typ: types.Typ[types.UntypedFloat], name: v.Text, lit: v}, true
	case cond.Bool:
		return operand{kind: "lit", typ: types.Typ[types.UntypedBool], name: v.Text, lit: v}, true
	}
	name := v.Text
	var scopes []*types.Package
	if q, n, ok := strings.Cut(name, "."); ok {
		path, found := importPath(cc.p, cc.file, q)
		if !found {
			cc.errorf(v.Pos(), "unknown package %q in %s: import it in this file (a blank import, import _ \"path\", is enough when only conditions use it)", q, name)
			return operand{}, false
		}
		for _, imp := range cc.p.types.Imports() {
			if imp.Path() == path {
				scopes = append(scopes, imp)
			}
		}
		if !cc.fileUses(path) {
			cc.errorf(v.Pos(), "package %s is imported for this condition only, and Go rejects an import its file does not use: import it as _ %q (the generated code imports it itself)", q, path)
			return operand{}, false
		}
		name = n
	} else {
		scopes = []*types.Package{cc.t.modelPkg(), cc.p.types}
	}
	for _, pkg := range scopes {
		obj := pkg.Scope().Lookup(name)
		if obj == nil {
			continue
		}
		c, ok := obj.(*types.Const)
		if !ok {
			cc.errorf(v.Pos(), "%s is not a constant (a condition compares with constants of the model's or the trigger's package)", v.Text)
			return operand{}, false
		}
		if pkg.Path() == cc.p.path && generatedLocal(name) {
			cc.errorf(v.Pos(), "constant %s cannot be used in a condition: the generated code uses the name %s itself; rename the constant", name, name)
			return operand{}, false
		}
		if pkg != cc.p.types && !c.Exported() {
			cc.errorf(v.Pos(), "constant %s is not exported from package %s", v.Text, pkg.Name())
			return operand{}, false
		}
		cc.placed(c, v.Pos(), "constant "+v.Text)
		return operand{kind: "const", typ: c.Type(), obj: c, pkg: pkg, name: v.Text, lit: v}, true
	}
	var known []string
	for _, f := range cc.t.Model.Fields {
		known = append(known, f.Name)
	}
	for _, pkg := range []*types.Package{cc.t.modelPkg(), cc.p.types} {
		for _, n := range pkg.Scope().Names() {
			if _, isConst := pkg.Scope().Lookup(n).(*types.Const); isConst && (pkg == cc.p.types || token.IsExported(n)) {
				known = append(known, n)
			}
		}
	}
	msg := fmt.Sprintf("unknown identifier %s: not a tracked field of %s nor a constant of package %s or %s", v.Text, cc.t.Model.Name, cc.t.Model.pkg.name, cc.p.name)
	if s := nearest(v.Text, known); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	cc.errorf(v.Pos(), "%s", msg)
	return operand{}, false
}

// fileUses reports whether the trigger's file imports path with a blank
// name or uses the package it imports, so that the import compiles.
func (cc *condCompiler) fileUses(path string) bool {
	for _, spec := range cc.file.Imports {
		if p, err := strconv.Unquote(spec.Path.Value); err != nil || p != path {
			continue
		}
		if spec.Name != nil && (spec.Name.Name == "_" || spec.Name.Name == ".") {
			return true
		}
	}
	used := false
	ast.Inspect(cc.file, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && !used {
			if pn, ok := cc.p.info.Uses[id].(*types.PkgName); ok && pn.Imported().Path() == path {
				used = true
			}
		}
		return !used
	})
	return used
}

// placed reports a declaration the condition uses whose file has a build
// constraint that the trigger's file does not imply: the generated
// registration, which has the trigger's constraint, would not compile in
// the builds that leave the declaration out.
func (cc *condCompiler) placed(obj types.Object, pos cond.Pos, what string) {
	if x := cc.t.pkg.groups[cc.d.fset.Position(obj.Pos()).Filename]; x != nil && !implies(cc.t.pkg.constraintAt(cc.t.Pos), x) {
		cc.errorf(pos, "%s is declared in a file with the build constraint %s, which the trigger's file does not imply: the generated registration would not compile without it; give the trigger's file that constraint too", what, x)
	}
}

// sameValue reports whether two resolved values are the same constant.
func sameValue(a, b operand) bool {
	x, y := constValue(a), constValue(b)
	if a.kind == "nil" || b.kind == "nil" {
		return a.kind == b.kind
	}
	if x == nil || y == nil {
		return false
	}
	numeric := func(v constant.Value) bool {
		k := v.Kind()
		return k == constant.Int || k == constant.Float || k == constant.Complex
	}
	if x.Kind() != y.Kind() && !(numeric(x) && numeric(y)) {
		return false
	}
	return constant.Compare(x, token.EQL, y)
}

// constValue returns the value of a literal or constant operand, or nil.
func constValue(o operand) constant.Value {
	switch o.kind {
	case "const":
		return o.obj.Val()
	case "lit":
		switch o.lit.Kind {
		case cond.String:
			return constant.MakeString(o.lit.Str)
		case cond.Int, cond.Float:
			tok := token.INT
			if o.lit.Kind == cond.Float {
				tok = token.FLOAT
			}
			if digits, neg := strings.CutPrefix(o.lit.Text, "-"); neg {
				return constant.UnaryOp(token.SUB, constant.MakeFromLiteral(digits, tok, 0), 0)
			}
			return constant.MakeFromLiteral(o.lit.Text, tok, 0)
		case cond.Bool:
			return constant.MakeBool(o.lit.Text == "true")
		}
	}
	return nil
}

// compare type-checks `a op b` with go/types.
func (cc *condCompiler) compare(a operand, op string, b operand, pos cond.Pos) {
	pkg := types.NewPackage("triggergen.check", "check")
	src := make([]string, 2)
	for i, o := range []operand{a, b} {
		name := fmt.Sprintf("_%c", 'a'+i)
		switch o.kind {
		case "field", "old", "new":
			pkg.Scope().Insert(types.NewVar(token.NoPos, pkg, name, o.typ))
			src[i] = name
		case "const":
			pkg.Scope().Insert(types.NewConst(token.NoPos, pkg, name, o.obj.Type(), o.obj.Val()))
			src[i] = name
		default:
			src[i] = o.lit.Text
		}
	}
	if a.kind != "field" && a.kind != "old" && a.kind != "new" && b.kind != "field" && b.kind != "old" && b.kind != "new" {
		cc.errorf(pos, "%s %s %s compares no field", a.name, op, b.name)
		return
	}
	if op != "==" && op != "!=" && (hasEqual(a.typ) && a.kind != "lit") {
		cc.errorf(pos, "%s is %s, which has no order: use == or !=", a.name, cc.typeString(a.typ))
		return
	}
	text := src[0] + " " + op + " " + src[1]
	if (op == "==" || op == "!=") && b.kind != "nil" {
		switch {
		case hasEqual(a.typ):
			text = src[0] + ".Equal(" + src[1] + ")"
		case hasEqual(b.typ) && a.kind != "nil":
			text = src[1] + ".Equal(" + src[0] + ")"
		}
	}
	x, err := parser.ParseExpr(text)
	if err != nil {
		cc.errorf(pos, "cannot compare %s %s %s: %v", a.name, op, b.name, err)
		return
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	if err := types.CheckExpr(token.NewFileSet(), pkg, token.NoPos, x, info); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "-") {
			msg = msg[i+2:]
		}
		msg = strings.NewReplacer("_a", a.name, "_b", b.name, "triggergen.check.", "", "check.", "").Replace(msg)
		cc.errorf(pos, "%s", msg)
	}
}

// paramTypeFor is paramType for a bulk or per-item trigger.
func (t *trigger) paramTypeFor(bulk bool) types.Type {
	saved := t.Bulk
	t.Bulk = bulk
	defer func() { t.Bulk = saved }()
	return t.paramType()
}
