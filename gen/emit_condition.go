package gen

// The emission of conditions: a resolved test (analyse_condition.go)
// printed as a Go expression over the change c, the context ctx and the
// engine eng.

import (
	"time"

	"github.com/dave/jennifer/jen"
	"github.com/triggergen/triggergen/gen/cond"
)

// testCode returns the Go expression of a resolved condition.
func (e *emitter) testCode(x test) *jen.Statement {
	switch x := x.(type) {
	case testLogic:
		op := "&&"
		if x.or {
			op = "||"
		}
		return e.sub(x.x, x.or).Op(op).Add(e.sub(x.y, x.or))
	case testNot:
		inner := e.testCode(x.x)
		switch y := x.x.(type) {
		case testLogic, testCompare, testIn:
			inner = jen.Parens(inner)
		case testChanged:
			if y.from != nil || y.to != nil {
				inner = jen.Parens(inner)
			}
		}
		return jen.Op("!").Add(inner)
	case testParen:
		return jen.Parens(e.testCode(x.x))
	case testChanged:
		s := jen.Id("c").Dot(x.field + "Changed").Call()
		if x.from != nil {
			s = s.Op("&&").Add(e.eq(operand{kind: "old", typ: x.typ, field: x.field}, *x.from))
		}
		if x.to != nil {
			s = s.Op("&&").Add(e.eq(operand{kind: "new", typ: x.typ, field: x.field}, *x.to))
		}
		return s
	case testCompare:
		switch x.op {
		case "==":
			return e.eq(x.x, x.y)
		case "!=":
			if hasEqual(x.x.typ) && x.y.kind != "nil" || hasEqual(x.y.typ) && x.x.kind != "nil" {
				return jen.Op("!").Add(e.eq(x.x, x.y))
			}
		}
		return e.operandCode(x.x).Op(x.op).Add(e.operandCode(x.y))
	case testIn:
		var s *jen.Statement
		for i, v := range x.values {
			t := e.eq(x.x, v)
			if i == 0 {
				s = t
			} else {
				s = s.Op("||").Add(t)
			}
		}
		return s
	case testBool:
		return e.operandCode(x.x)
	case testRole:
		return e.rt("ActorHasRole").Call(jen.Id("ctx"), jen.Lit(x.name))
	case testTime:
		return e.rt("ClockWindow").Call(jen.Id("eng").Dot("Now").Call(), clockCode(x.start), clockCode(x.end))
	case testWeekday:
		return e.rt("WeekdayIn").Call(jen.Id("eng").Dot("Now").Call(),
			jen.Qual("time", x.from.String()), jen.Qual("time", x.to.String()))
	case testFunc:
		return jen.Id(x.name).Call(jen.Id("ctx"), jen.Id("c"))
	}
	return jen.False()
}

// sub renders a child of an and/or, with parentheses where precedence needs them.
func (e *emitter) sub(x test, parentOr bool) *jen.Statement {
	if b, ok := x.(testLogic); ok && b.or != parentOr {
		return jen.Parens(e.testCode(x))
	}
	if in, ok := x.(testIn); ok && len(in.values) > 1 && !parentOr {
		return jen.Parens(e.testCode(x))
	}
	return e.testCode(x)
}

// eq renders a == b with the field's equality: its Equal method when it
// has one, a bare bool for comparisons with true and false.
func (e *emitter) eq(a, b operand) *jen.Statement {
	switch {
	case hasEqual(a.typ) && b.kind != "nil":
		return e.operandCode(a).Dot("Equal").Call(e.operandCode(b))
	case hasEqual(b.typ) && a.kind != "nil":
		return e.operandCode(b).Dot("Equal").Call(e.operandCode(a))
	case b.kind == "lit" && b.lit.Kind == cond.Bool:
		if b.lit.Text == "true" {
			return e.operandCode(a)
		}
		return jen.Op("!").Add(e.operandCode(a))
	}
	return e.operandCode(a).Op("==").Add(e.operandCode(b))
}

// operandCode renders a resolved operand.
func (e *emitter) operandCode(o operand) *jen.Statement {
	switch o.kind {
	case "field":
		return jen.Id("c").Dot("Instance").Call().Dot(o.field)
	case "old":
		return jen.Id("c").Dot("Old").Dot(o.field)
	case "new":
		return jen.Id("c").Dot("New").Dot(o.field)
	case "const":
		return e.qual(o.pkg, o.obj.Name())
	case "nil":
		return jen.Nil()
	}
	switch o.lit.Kind {
	case cond.String:
		return jen.Lit(o.lit.Str)
	case cond.Bool:
		return jen.Id(o.lit.Text)
	}
	// Numbers: the literal as written, validated by the parser.
	return jen.Op(o.lit.Text)
}

// clockCode renders minutes after midnight as a duration expression.
func clockCode(min int) *jen.Statement {
	h, m := min/60, min%60
	switch {
	case min == 0:
		return jen.Lit(0)
	case m == 0:
		return jen.Lit(h).Op("*").Qual("time", "Hour")
	case h == 0:
		return jen.Lit(m).Op("*").Qual("time", "Minute")
	}
	return jen.Lit(h).Op("*").Qual("time", "Hour").Op("+").Lit(m).Op("*").Qual("time", "Minute")
}

// durationCode renders a duration in its largest whole unit: 200 * time.Millisecond.
func durationCode(d time.Duration) *jen.Statement {
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}}
	for _, u := range units {
		if d%u.d == 0 {
			if d == u.d {
				return jen.Qual("time", u.name)
			}
			return jen.Lit(int(d/u.d)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Lit(int(d)).Op("*").Qual("time", "Nanosecond")
}
