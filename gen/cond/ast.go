// Package cond lexes and parses triggergen's condition language: the text
// that follows "//trigger:when " in a Go comment.
//
// The grammar is
//
//	cond     = or
//	or       = and { "or" and }
//	and      = unary { "and" unary }
//	unary    = "not" unary | "(" cond ")" | test
//	test     = Name "changed" [ "from" value ] [ "to" value ]
//	         | operand ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand
//	         | operand "in" "(" value { "," value } ")"
//	         | operand
//	         | "role" name
//	         | "time" HH:MM "-" HH:MM
//	         | "weekday" day [ "-" day ]
//	         | "func" Ident
//	operand  = Name | "old." Ident | "new." Ident | value
//	value    = string | number | true | false | nil | Name
//	Name     = Ident [ "." Ident ]
//
// with "not" binding tighter than "and", and "and" tighter than "or"; both
// binary operators are left-associative.
//
// The parser only checks syntax. Names are recorded as written; deciding
// whether a Name is a model field or a constant is left to the caller.
//
// Lexical rules: white space is any Unicode space. The lowercase keywords
// changed, from, to, in, not, and, or, role, time, weekday, func, old, new,
// true, false and nil are reserved and cannot start a Name; the identifier
// after a "." (pkg.X, old.X, new.X) may be any identifier. The parts of a
// qualified name and of old./new. must not be separated by spaces. Strings
// are Go interpreted ("...") or raw (`...`) string literals. Numbers are Go
// integer and floating-point literals, optionally preceded directly by "-"
// in a value position; integers must fit in int64 or uint64 and floats in
// float64. Weekday names are case-insensitive; clock times are H:MM or HH:MM
// on a 24-hour clock. A role name starts with a letter or "_" and may
// contain letters, digits, "_" and "-".
package cond

import (
	"fmt"
	"strings"
	"time"
)

// Pos is a byte offset into the condition text passed to Parse.
type Pos int

// Expr is a node of a parsed condition. The implementations are *Binary,
// *Not, *Paren, *Changed, *Compare, *In, *BoolTest, *Role, *TimeWindow,
// *Weekday and *Func.
type Expr interface {
	// Pos returns the offset of the first byte of the expression.
	Pos() Pos
	// End returns the offset just past the last byte of the expression.
	End() Pos
	// String returns the expression in canonical source form; parsing
	// it yields the same tree apart from positions.
	String() string
	expr()
}

// Binary is "X and Y" or "X or Y".
type Binary struct {
	Op    string // "and" or "or"
	X, Y  Expr
	OpPos Pos // position of Op
}

// Not is "not X".
type Not struct {
	NotPos Pos
	X      Expr
}

// Paren is a parenthesised condition "(X)".
type Paren struct {
	Lparen, Rparen Pos
	X              Expr
}

// Changed is "Field changed [from From] [to To]".
type Changed struct {
	Field      Operand // always Kind NameRef with an unqualified Name
	From, To   *Value  // nil when absent
	ChangedPos Pos     // position of the "changed" keyword
}

// Compare is "X Op Y" with Op one of == != < <= > >=.
type Compare struct {
	X     Operand
	Op    string
	OpPos Pos
	Y     Operand
}

// In is "X in (v1, v2, ...)". Values has at least one element.
type In struct {
	X      Operand
	InPos  Pos
	Values []Value
	Rparen Pos
}

// BoolTest is a lone operand used as a condition, such as "Active" or
// "old.Active". The operand is a Name, an old./new. reference or one of the
// literals true and false.
type BoolTest struct {
	X Operand
}

// Role is "role name". The name may contain letters, digits, "_" and "-".
type Role struct {
	RolePos Pos
	Name    string
	NamePos Pos
}

// TimeWindow is "time HH:MM-HH:MM". StartMin and EndMin are minutes after
// midnight (0..1439). The parser does not interpret the window: EndMin may be
// smaller than StartMin (a window across midnight) or equal to it.
type TimeWindow struct {
	TimePos          Pos // position of the "time" keyword
	StartMin, EndMin int // the two clock times, in minutes after midnight
	StartPos, EndPos Pos // positions of the two clock times
	Stop             Pos // offset just past the second clock time; End() returns it
}

// Weekday is "weekday day" or "weekday day-day". To == From and ToPos ==
// FromPos when no range was written. A range may wrap (e.g. fri-mon).
type Weekday struct {
	WeekdayPos     Pos
	From, To       time.Weekday
	FromPos, ToPos Pos
}

// Func is "func Name": a call of a user-supplied predicate.
type Func struct {
	FuncPos Pos
	Name    string
	NamePos Pos
}

// OperandKind says what an Operand refers to.
type OperandKind int

// The operand kinds.
const (
	NameRef OperandKind = iota // a Name, possibly qualified (pkg.Name); field or constant, unresolved
	OldRef                     // old.Field
	NewRef                     // new.Field
	Literal                    // a literal value (Operand.Value; its Kind is never Ident)
)

// String returns the name of the kind.
func (k OperandKind) String() string {
	switch k {
	case NameRef:
		return "NameRef"
	case OldRef:
		return "OldRef"
	case NewRef:
		return "NewRef"
	case Literal:
		return "Literal"
	}
	return fmt.Sprintf("OperandKind(%d)", int(k))
}

// Operand is one side of a comparison, the left side of "in", the field of
// "changed" or the operand of a BoolTest.
type Operand struct {
	Kind OperandKind
	// Name is the identifier for NameRef, OldRef and NewRef (without the
	// "old."/"new." prefix). Only NameRef names may be qualified ("pkg.X").
	Name string
	// Value is the literal for Kind Literal.
	Value Value
	// NamePos is the position of Name (after "old."/"new."); for a Literal
	// it equals StartPos.
	NamePos Pos
	// StartPos is where the operand starts, including "old."/"new.".
	StartPos Pos
}

// Pos returns the offset where the operand starts.
func (o Operand) Pos() Pos { return o.StartPos }

// End returns the offset just past the operand.
func (o Operand) End() Pos {
	if o.Kind == Literal {
		return o.Value.End()
	}
	return o.NamePos + Pos(len(o.Name))
}

// String returns the operand as written in canonical form.
func (o Operand) String() string {
	switch o.Kind {
	case OldRef:
		return "old." + o.Name
	case NewRef:
		return "new." + o.Name
	case Literal:
		return o.Value.String()
	}
	return o.Name
}

// ValueKind says what kind of literal a Value is.
type ValueKind int

// The value kinds.
const (
	String ValueKind = iota // a double-quoted or raw string; decoded in Value.Str
	Int                     // an integer literal that fits in int64 or uint64
	Float                   // a floating-point literal that fits in float64
	Bool                    // true or false
	Nil                     // nil
	Ident                   // a Name (possibly pkg.Name), e.g. a constant; unresolved
)

// String returns the name of the kind.
func (k ValueKind) String() string {
	switch k {
	case String:
		return "String"
	case Int:
		return "Int"
	case Float:
		return "Float"
	case Bool:
		return "Bool"
	case Nil:
		return "Nil"
	case Ident:
		return "Ident"
	}
	return fmt.Sprintf("ValueKind(%d)", int(k))
}

// Value is a literal or a Name in a value position.
type Value struct {
	Kind ValueKind
	// Text is the source text exactly as written, e.g. `"BLOCKED"`, `-5`,
	// `0x1F`, `true`, `StatusActive` or `pkg.Name`. A leading "-" of a
	// negative number is included.
	Text string
	// Str is the decoded string for Kind String.
	Str string
	// ValuePos is the position of the first byte of Text.
	ValuePos Pos
}

// Pos returns the offset where the value starts.
func (v Value) Pos() Pos { return v.ValuePos }

// End returns the offset just past the value (Pos() + len(Text)).
func (v Value) End() Pos { return v.ValuePos + Pos(len(v.Text)) }

// String returns the value's source text.
func (v Value) String() string { return v.Text }

func (*Binary) expr()     {}
func (*Not) expr()        {}
func (*Paren) expr()      {}
func (*Changed) expr()    {}
func (*Compare) expr()    {}
func (*In) expr()         {}
func (*BoolTest) expr()   {}
func (*Role) expr()       {}
func (*TimeWindow) expr() {}
func (*Weekday) expr()    {}
func (*Func) expr()       {}

// Pos returns the start of the left operand.
func (e *Binary) Pos() Pos {
	x := e.X
	for {
		b, ok := x.(*Binary)
		if !ok || b == nil {
			return x.Pos()
		}
		x = b.X
	}
}

// End returns the end of the right operand.
func (e *Binary) End() Pos { return e.Y.End() }

// Pos returns the position of "not".
func (e *Not) Pos() Pos { return e.NotPos }

// End returns the end of the negated condition.
func (e *Not) End() Pos { return e.X.End() }

// Pos returns the position of "(".
func (e *Paren) Pos() Pos { return e.Lparen }

// End returns the offset just past ")".
func (e *Paren) End() Pos { return e.Rparen + 1 }

// Pos returns the start of the field name.
func (e *Changed) Pos() Pos { return e.Field.Pos() }

// End returns the end of the last value, or of "changed" if there is none.
func (e *Changed) End() Pos {
	switch {
	case e.To != nil:
		return e.To.End()
	case e.From != nil:
		return e.From.End()
	}
	return e.ChangedPos + Pos(len("changed"))
}

// Pos returns the start of the left operand.
func (e *Compare) Pos() Pos { return e.X.Pos() }

// End returns the end of the right operand.
func (e *Compare) End() Pos { return e.Y.End() }

// Pos returns the start of the left operand.
func (e *In) Pos() Pos { return e.X.Pos() }

// End returns the offset just past the closing ")".
func (e *In) End() Pos { return e.Rparen + 1 }

// Pos returns the start of the operand.
func (e *BoolTest) Pos() Pos { return e.X.Pos() }

// End returns the end of the operand.
func (e *BoolTest) End() Pos { return e.X.End() }

// Pos returns the position of "role".
func (e *Role) Pos() Pos { return e.RolePos }

// End returns the end of the role name.
func (e *Role) End() Pos { return e.NamePos + Pos(len(e.Name)) }

// Pos returns the position of "time".
func (e *TimeWindow) Pos() Pos { return e.TimePos }

// End returns the offset just past the second clock time.
func (e *TimeWindow) End() Pos { return e.Stop }

// Pos returns the position of "weekday".
func (e *Weekday) Pos() Pos { return e.WeekdayPos }

// End returns the end of the last day name.
func (e *Weekday) End() Pos { return e.ToPos + 3 }

// Pos returns the position of "func".
func (e *Func) Pos() Pos { return e.FuncPos }

// End returns the end of the function name.
func (e *Func) End() Pos { return e.NamePos + Pos(len(e.Name)) }

// precedence of a node when printed: or < and < everything else.
func prec(e Expr) int {
	if b, ok := e.(*Binary); ok {
		if b.Op == "or" {
			return 1
		}
		return 2
	}
	return 3
}

// format writes the canonical form of e to b. Composite nodes are written
// into one builder so that printing a long chain is linear in its length.
func format(b *strings.Builder, e Expr) {
	switch n := e.(type) {
	case *Binary:
		p := prec(n)
		formatWrapped(b, n.X, prec(n.X) < p)
		b.WriteString(" ")
		b.WriteString(n.Op)
		b.WriteString(" ")
		formatWrapped(b, n.Y, prec(n.Y) <= p)
	case *Not:
		b.WriteString("not ")
		formatWrapped(b, n.X, prec(n.X) < 3)
	case *Paren:
		formatWrapped(b, n.X, true)
	case nil:
		b.WriteString("<nil>")
	default:
		b.WriteString(e.String())
	}
}

func formatWrapped(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteString("(")
	}
	format(b, e)
	if paren {
		b.WriteString(")")
	}
}

func formatString(e Expr) string {
	var b strings.Builder
	format(&b, e)
	return b.String()
}

// String returns "X and Y" or "X or Y". Parentheses are only added if the
// tree was not built by Parse and would otherwise print ambiguously.
func (e *Binary) String() string { return formatString(e) }

// String returns "not X".
func (e *Not) String() string { return formatString(e) }

// String returns "(X)".
func (e *Paren) String() string { return formatString(e) }

// String returns "Field changed [from V] [to V]".
func (e *Changed) String() string {
	s := e.Field.String() + " changed"
	if e.From != nil {
		s += " from " + e.From.String()
	}
	if e.To != nil {
		s += " to " + e.To.String()
	}
	return s
}

// String returns "X op Y".
func (e *Compare) String() string { return e.X.String() + " " + e.Op + " " + e.Y.String() }

// String returns "X in (v1, v2, ...)".
func (e *In) String() string {
	var b strings.Builder
	b.WriteString(e.X.String())
	b.WriteString(" in (")
	for i, v := range e.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	b.WriteString(")")
	return b.String()
}

// String returns the operand.
func (e *BoolTest) String() string { return e.X.String() }

// String returns "role name".
func (e *Role) String() string { return "role " + e.Name }

// String returns "time HH:MM-HH:MM" with two-digit hours.
func (e *TimeWindow) String() string {
	return fmt.Sprintf("time %s-%s", clock(e.StartMin), clock(e.EndMin))
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// String returns "weekday day" or "weekday day-day" with lowercase days.
func (e *Weekday) String() string {
	if e.To == e.From {
		return "weekday " + dayName(e.From)
	}
	return "weekday " + dayName(e.From) + "-" + dayName(e.To)
}

// String returns "func Name".
func (e *Func) String() string { return "func " + e.Name }

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func dayName(d time.Weekday) string {
	if d >= 0 && int(d) < len(dayNames) {
		return dayNames[d]
	}
	return fmt.Sprintf("Weekday(%d)", int(d))
}

// Walk traverses e in pre-order: it calls fn(e) and, if that returns true,
// walks the sub-conditions of e (X and Y of Binary, X of Not and Paren).
// Operands and values are not Exprs and are not visited separately.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch n := e.(type) {
	case *Binary:
		Walk(n.X, fn)
		Walk(n.Y, fn)
	case *Not:
		Walk(n.X, fn)
	case *Paren:
		Walk(n.X, fn)
	}
}
