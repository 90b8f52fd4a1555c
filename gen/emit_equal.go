package gen

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/dave/jennifer/jen"
)

// expr builds a fresh copy of an expression each time it is called, so that
// one operand can appear several times in the output.
type expr func() *jen.Statement

func sel(base string, names ...string) expr {
	return func() *jen.Statement {
		s := jen.Id(base)
		for _, n := range names {
			s = s.Dot(n)
		}
		return s
	}
}

func deref(x expr) expr { return func() *jen.Statement { return jen.Op("*").Add(x()) } }

// receiver renders x for a method call, in parentheses when it is a
// dereference (*p).Equal(...).
func receiver(x expr) *jen.Statement {
	s := x()
	if strings.HasPrefix(fmt.Sprintf("%#v", s), "*") {
		return jen.Parens(s)
	}
	return s
}

// simpleEq reports whether == is the right equality for t.
func simpleEq(t types.Type) bool {
	if hasEqual(t) {
		return false
	}
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Slice, *types.Map:
		return false
	}
	return !hasFloat(t, 0)
}

// hasFloat reports whether values of t hold a float that == would compare
// without NaN equal to NaN.
func hasFloat(t types.Type, depth int) bool {
	if depth > 8 || (depth > 0 && hasEqual(t)) {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsFloat != 0
	case *types.Array:
		return hasFloat(u.Elem(), depth+1)
	case *types.Struct:
		for i := range u.NumFields() {
			if hasFloat(u.Field(i).Type(), depth+1) {
				return true
			}
		}
	}
	return false
}

// accessible reports whether generated code in the emitter's package can
// read every field of struct type st.
func (e *emitter) accessible(st *types.Struct) bool {
	for i := range st.NumFields() {
		f := st.Field(i)
		if !f.Exported() && (f.Pkg() == nil || f.Pkg().Path() != e.path) {
			return false
		}
	}
	return true
}

// equal returns an expression that reports whether a and b are equal under
// triggergen's rules; compound reports whether it needs parentheses inside
// a larger expression.
func (e *emitter) equal(t types.Type, a, b expr, depth int) (code *jen.Statement, compound bool) {
	if hasEqual(t) {
		call := receiver(a).Dot("Equal").Call(b())
		if _, isPtr := t.Underlying().(*types.Pointer); isPtr {
			// The method is on the pointer type: nil pointers must not reach it.
			return a().Op("==").Add(b()).Op("||").Add(a()).Op("!=").Nil().Op("&&").Add(b()).Op("!=").Nil().Op("&&").Add(call), true
		}
		return call, false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Info()&types.IsFloat != 0 {
			return e.field("FloatEqual").Call(a(), b()), false
		}
	case *types.Pointer:
		inner, c := e.equal(u.Elem(), deref(a), deref(b), depth+1)
		if c {
			inner = jen.Parens(inner)
		}
		return a().Op("==").Add(b()).Op("||").Add(a()).Op("!=").Nil().Op("&&").Add(b()).Op("!=").Nil().Op("&&").Add(inner), true
	case *types.Slice:
		if simpleEq(u.Elem()) {
			return jen.Qual("slices", "Equal").Call(a(), b()), false
		}
		return jen.Qual("slices", "EqualFunc").Call(a(), b(), e.equalFunc(u.Elem(), depth)), false
	case *types.Map:
		if simpleEq(u.Elem()) {
			return jen.Qual("maps", "Equal").Call(a(), b()), false
		}
		return jen.Qual("maps", "EqualFunc").Call(a(), b(), e.equalFunc(u.Elem(), depth)), false
	case *types.Array:
		if hasFloat(t, 0) {
			slice := func(x expr) *jen.Statement { return receiver(x).Index(jen.Op(":")) }
			return jen.Qual("slices", "EqualFunc").Call(slice(a), slice(b), e.equalFunc(u.Elem(), depth)), false
		}
	case *types.Struct:
		if hasFloat(t, 0) && e.accessible(u) {
			var code *jen.Statement
			for i := range u.NumFields() {
				name := u.Field(i).Name()
				fa := func() *jen.Statement { return receiver(a).Dot(name) }
				fb := func() *jen.Statement { return receiver(b).Dot(name) }
				part, compound := e.equal(u.Field(i).Type(), fa, fb, depth+1)
				if compound {
					part = jen.Parens(part)
				}
				if code == nil {
					code = part
				} else {
					code = code.Op("&&").Add(part)
				}
			}
			return code, u.NumFields() > 1
		}
	}
	return a().Op("==").Add(b()), false
}

// differ returns an expression that reports whether a and b differ.
func (e *emitter) differ(t types.Type, a, b expr) *jen.Statement {
	if simpleEq(t) {
		return a().Op("!=").Add(b())
	}
	eq, compound := e.equal(t, a, b, 0)
	if compound {
		return jen.Op("!").Parens(eq)
	}
	return jen.Op("!").Add(eq)
}

// equalFunc returns func(x, y T) bool { return <equal> }.
func (e *emitter) equalFunc(t types.Type, depth int) *jen.Statement {
	if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&types.IsFloat != 0 && !hasEqual(t) {
		return e.field("FloatEqual").Types(e.typ(t))
	}
	x, y := fmt.Sprintf("x%d", depth), fmt.Sprintf("y%d", depth)
	if depth == 0 {
		x, y = "x", "y"
	}
	body, _ := e.equal(t, sel(x), sel(y), depth+1)
	return jen.Func().Params(jen.List(jen.Id(x), jen.Id(y)).Add(e.typ(t))).Bool().Block(jen.Return(body))
}

// needsDeepCopy reports whether copying a value of t by assignment would
// share memory that in-place edits can change.
func needsDeepCopy(t types.Type) bool {
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Slice, *types.Map:
		return true
	}
	return false
}

// deepCopy returns statements that, given that x already holds a shallow
// copy, replace its shared parts with copies.
func (e *emitter) deepCopy(t types.Type, x expr, depth int) []jen.Code {
	v := fmt.Sprintf("v%d", depth)
	if depth == 0 {
		v = "v"
	}
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		inner := e.deepCopy(u.Elem(), sel(v), depth+1)
		body := append([]jen.Code{jen.Id(v).Op(":=").Op("*").Add(x())}, inner...)
		body = append(body, x().Op("=").Op("&").Id(v))
		return []jen.Code{jen.If(x().Op("!=").Nil()).Block(body...)}
	case *types.Slice:
		if !needsDeepCopy(u.Elem()) {
			return []jen.Code{x().Op("=").Qual("slices", "Clone").Call(x())}
		}
		i := fmt.Sprintf("i%d", depth)
		inner := e.deepCopy(u.Elem(), func() *jen.Statement { return x().Index(jen.Id(i)) }, depth+1)
		return []jen.Code{jen.If(x().Op("!=").Nil()).Block(
			x().Op("=").Qual("slices", "Clone").Call(x()),
			jen.For(jen.Id(i).Op(":=").Range().Add(x())).Block(inner...),
		)}
	case *types.Map:
		if !needsDeepCopy(u.Elem()) {
			return []jen.Code{x().Op("=").Qual("maps", "Clone").Call(x())}
		}
		k, m := fmt.Sprintf("k%d", depth), fmt.Sprintf("m%d", depth)
		inner := e.deepCopy(u.Elem(), sel(v), depth+1)
		loop := append(inner, jen.Id(m).Index(jen.Id(k)).Op("=").Id(v))
		return []jen.Code{jen.If(x().Op("!=").Nil()).Block(
			jen.Id(m).Op(":=").Make(e.typ(t), jen.Len(x())),
			jen.For(jen.List(jen.Id(k), jen.Id(v)).Op(":=").Range().Add(x())).Block(loop...),
			x().Op("=").Id(m),
		)}
	}
	return nil
}
