package cond

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validTests maps inputs to their canonical String() form ("" means the
// input is already canonical).
var validTests = []struct{ in, want string }{
	// bool operands
	{"Active", ""},
	{"  Active  ", "Active"},
	{"old.Active", ""},
	{"new.Active", ""},
	{"true", ""},
	{"false", ""},
	{"pkg.Flag", ""},
	{"Ä_ß1", ""},

	// comparisons
	{`Status == "BLOCKED"`, ""},
	{`Status=="BLOCKED"`, `Status == "BLOCKED"`},
	{"Quality != 3", ""},
	{"Quality < 3", ""},
	{"Quality <= 3", ""},
	{"Quality > 3", ""},
	{"Quality >= 3", ""},
	{"Quality>=-3", "Quality >= -3"},
	{"Quality > -0x1F", ""},
	{"Price >= 1_000.5e-3", ""},
	{"Price < .5", ""},
	{"Price < 1.", ""},
	{"Price < 0x1p-2", ""},
	{"Mask == 0b1010", ""},
	{"Mode == 0o755", ""},
	{"Mode == 0755", ""},
	{"Big == 18446744073709551615", ""},
	{"Small == -9223372036854775808", ""},
	{"Status == StatusActive", ""},
	{"Status == models.StatusActive", ""},
	{"old.Status != new.Status", ""},
	{"old.Amount < Amount", ""},
	{`"x" == Name`, ""},
	{"3 < Count", ""},
	{"Owner == nil", ""},
	{"Flag == true", ""},
	{"Name == `raw\\n`", ""},
	{`Name == "tab\there \"q\" \u00e9 \x41"`, ""},
	{`Name == "é ü 漢字"`, ""},
	{"old.to == new.from", ""},

	// in
	{"Status in (1)", ""},
	{`Status in ("A","B" , "C")`, `Status in ("A", "B", "C")`},
	{"Status in (StatusA, pkg.StatusB, -1, 2.5, nil, true, false, `raw`)", ""},
	{"old.Status in (1, 2)", ""},
	{"new.Status in (1, 2)", ""},
	{"5 in (5, 6)", ""},

	// changed
	{"Status changed", ""},
	{"Status changed from 1", ""},
	{"Status changed to 2", ""},
	{`Status changed from "A" to "B"`, ""},
	{"Status changed from StatusDraft to pkg.StatusLive", ""},
	{"Amount changed from -1 to 1.5", ""},
	{"Ptr changed to nil", ""},

	// role, time, weekday, func
	{"role admin", ""},
	{"role   ops-team_2", "role ops-team_2"},
	{"role ops-", ""},
	{"role time-keeper", ""},
	{"role étoile", ""},
	{"time 9:00-17:30", "time 09:00-17:30"},
	{"time 09:00 - 17:30", "time 09:00-17:30"},
	{"time 22:00-6:00", "time 22:00-06:00"},
	{"time 0:00-23:59", "time 00:00-23:59"},
	{"time 12:00-12:00", ""},
	{"weekday mon", ""},
	{"weekday MON", "weekday mon"},
	{"weekday Mon-Fri", "weekday mon-fri"},
	{"weekday sat - sun", "weekday sat-sun"},
	{"weekday fri-mon", ""},
	{"weekday tue-tue", "weekday tue"},
	{"func IsVIP", ""},
	{"func  _check2", "func _check2"},

	// boolean structure
	{"A and B", ""},
	{"A or B", ""},
	{"A and B or C", ""},
	{"A or B and C", ""},
	{"A or B or C", ""},
	{"A and B and C", ""},
	{"not A", ""},
	{"not not A", ""},
	{"not A and B", ""},
	{"not Status == 1", ""},
	{"not (A or B)", ""},
	{"(A)", ""},
	{"((A))", ""},
	{"( A or B )and C", "(A or B) and C"},
	{"A and (B or C)", ""},
	{"(A and B) or (C and not D)", ""},
	{"Status changed to 1 and role admin or time 8:00-9:00 and weekday mon-fri and not func Holiday",
		"Status changed to 1 and role admin or time 08:00-09:00 and weekday mon-fri and not func Holiday"},
	{"role admin and Status changed", ""},
	{"time 9:00-10:00 or A", "time 09:00-10:00 or A"},
	{"\tA\nand\r\nB\u00a0", "A and B"},
}

func canonical(tc struct{ in, want string }) string {
	if tc.want == "" {
		return tc.in
	}
	return tc.want
}

func TestParseValid(t *testing.T) {
	for _, tc := range validTests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, canonical(tc), e.String())
			checkPositions(t, tc.in, e)
		})
	}
}

// errorTests lists invalid inputs with the expected error position and a
// substring of the message.
var errorTests = []struct {
	in  string
	pos Pos
	msg string
}{
	{"", 0, "empty condition"},
	{"   \t ", 0, "empty condition"},
	{"Status == ", 10, `expected value after "==", found end of condition`},
	{"Status ==", 9, `expected value after "==", found end of condition`},
	{"Quality <> 3", 9, `unknown operator "<>"; did you mean "!="`},
	{"Quality = 3", 8, `unknown operator "="; did you mean "=="?`},
	{"Quality === 3", 10, `unknown operator "==="; did you mean "=="?`},
	{"Quality !== 3", 10, `unknown operator "!=="; did you mean "!="?`},
	{"Quality =< 3", 8, `unknown operator "=<"; did you mean "<="?`},
	{"Quality => 3", 8, `unknown operator "=>"; did you mean ">="?`},
	{"Quality >> 3", 9, `unknown operator ">>"`},
	{"!Active", 0, `unknown operator "!"; did you mean "!=" or "not"?`},
	{"A && B", 2, `unknown operator "&&"; did you mean "and"?`},
	{"A || B", 2, `unknown operator "||"; did you mean "or"?`},
	{"A & B", 2, `unknown operator "&"; did you mean "and"?`},
	{"Status in 1", 10, `expected "(" after "in", found "1"`},
	{"Status in", 9, `expected "(" after "in", found end of condition`},
	{"Status in ()", 11, `expected value after "(", found ")"`},
	{"Status in (1,)", 13, `expected value after ",", found ")"`},
	{"Status in (1 2)", 13, `expected "," or ")" in value list, found "2"`},
	{"Status in (1", 12, `expected "," or ")" in value list, found end of condition`},
	{"Status in (old.X)", 11, `expected value after "(", found "old"`},
	{`Status == "abc`, 10, "unterminated string"},
	{"Status == \"abc\ndef\"", 10, "unterminated string"},
	{"Status == `abc", 10, "unterminated string"},
	{`Status == "a\qb"`, 12, `invalid escape sequence "\q"`},
	{`Status == "\xZZ"`, 11, `invalid escape sequence "\x"`},
	{"Status == \"a\xffb\"", 12, "invalid UTF-8"},
	{"Status == \"a\x00b\"", 12, "NUL"},
	{"Status == 'a'", 10, `unexpected character "'"`},
	{"Status # 1", 7, `unexpected character "#"`},
	{"Status == 1 \xff", 12, "invalid UTF-8"},
	{"time 25:00-26:00", 5, `invalid clock time "25:00": hour must be 0..23`},
	{"time 9:00-24:00", 10, `invalid clock time "24:00": hour must be 0..23`},
	{"time 9:60-10:00", 5, `invalid clock time "9:60": minute must be 00..59`},
	{"time 9:5-10:00", 5, `invalid clock time "9:5": want HH:MM`},
	{"time 9-10", 5, `invalid clock time "9": want HH:MM`},
	{"time 009:00-10:00", 5, `invalid clock time "009:00"`},
	{"time 9am-5pm", 5, `invalid clock time "9am"`},
	{"time", 4, `expected clock time (HH:MM) after "time", found end of condition`},
	{"time x", 5, `expected clock time (HH:MM) after "time", found "x"`},
	{"time :00-1:00", 5, `expected clock time (HH:MM) after "time", found ":"`},
	{"time 9:00", 9, `expected "-" after start time "9:00", found end of condition`},
	{"time 9:00 10:00", 10, `expected "-" after start time "9:00", found "10"`},
	{"time 9:00-", 10, `expected clock time (HH:MM) after "-", found end of condition`},
	{"time 9:00-x", 10, `expected clock time (HH:MM) after "-", found "x"`},
	{"weekday mo", 8, `unknown weekday "mo"; use mon, tue, wed, thu, fri, sat or sun`},
	{"weekday monday", 8, `unknown weekday "monday"`},
	{"weekday mon-xyz", 12, `unknown weekday "xyz"`},
	{"weekday", 7, `expected weekday after "weekday", found end of condition`},
	{"weekday 1", 8, `expected weekday after "weekday", found "1"`},
	{"weekday mon-", 12, `expected weekday after "-", found end of condition`},
	{"weekday and", 8, `expected weekday after "weekday", found "and"`},
	{"role", 4, `expected role name after "role", found end of condition`},
	{"role 1admin", 5, `expected role name after "role", found "1admin"`},
	{"role -x", 5, `expected role name after "role", found "-"`},
	{"role and", 5, `expected role name after "role", found "and"`},
	{"role admin ops", 11, `unexpected "ops" after end of condition`},
	{"func", 4, `expected function name after "func", found end of condition`},
	{"func 1", 5, `expected function name after "func", found "1"`},
	{"func pkg.F", 8, `unexpected "." after "pkg"; "func" takes a plain function name`},
	{"func not", 5, `expected function name after "func", found "not"`},
	{"old.Status changed", 0, `"changed" needs a field name, found "old.Status"`},
	{"new.Status changed", 0, `"changed" needs a field name, found "new.Status"`},
	{"pkg.Status changed", 0, `"changed" needs a field name, found "pkg.Status"`},
	{`"x" changed`, 0, `"changed" needs a field name, found string "x"`},
	{"Status changed from", 19, `expected value after "from", found end of condition`},
	{"Status changed to", 17, `expected value after "to", found end of condition`},
	{"Status changed from old.X", 20, `expected value after "from", found "old"`},
	{"Status changed to 1 from 2", 20, `"from" must come before "to"`},
	{"Status changed from 1 from 2", 22, `duplicate "from"`},
	{"Status changed to 1 to 2", 20, `duplicate "to"`},
	{"and A", 0, `unexpected "and" at start of condition`},
	{"or A", 0, `unexpected "or" at start of condition`},
	{"changed", 0, `unexpected "changed" at start of condition`},
	{"from == 1", 0, `unexpected "from" at start of condition`},
	{")", 0, `unexpected ")"`},
	{"A)", 1, `unexpected ")"`},
	{"(A))", 3, `unexpected ")"`},
	{"A and", 5, `expected condition after "and", found end of condition`},
	{"A or or B", 5, `expected condition after "or", found "or"`},
	{"A and )", 6, `expected condition after "and", found ")"`},
	{"not", 3, `expected condition after "not", found end of condition`},
	{"()", 1, `expected condition after "(", found ")"`},
	{"(A", 2, `expected ")" to close "(", found end of condition`},
	{"(A B)", 3, `expected ")" to close "(", found "B"`},
	{"(A chnaged)", 3, `unexpected "chnaged"; did you mean "changed"?`},
	{"A x", 2, `unexpected "x" after end of condition`},
	{"A == 1 x", 7, `unexpected "x" after end of condition`},
	{"A == 1 2", 7, `unexpected "2" after end of condition`},
	{"A == 1 == 2", 7, `unexpected "=="; comparisons cannot be chained`},
	{"Status chnaged", 7, `unexpected "chnaged"; did you mean "changed"?`},
	{"Status chagned to 1", 7, `unexpected "chagned"; did you mean "changed"?`},
	{"Status Changed", 7, `unexpected "Changed"; did you mean "changed"?`},
	{"Status changed form 1", 15, `unexpected "form"; did you mean "from"?`},
	{"Status changed from 1 ot 2", 22, `unexpected "ot"; did you mean "to"?`},
	{"Status ni (1)", 7, `unexpected "ni"; did you mean "in"?`},
	{"A adn B", 2, `unexpected "adn"; did you mean "and"?`},
	{"A AND B", 2, `unexpected "AND"; did you mean "and"?`},
	{"A == 1 ro B", 7, `unexpected "ro"; did you mean "or"?`},
	{"rol admin", 0, `unexpected "rol"; did you mean "role"?`},
	{"A and tiem 9:00-10:00", 6, `unexpected "tiem"; did you mean "time"?`},
	{"wekday mon", 0, `unexpected "wekday"; did you mean "weekday"?`},
	{"fucn IsVIP", 0, `unexpected "fucn"; did you mean "func"?`},
	{"NOT A", 0, `unexpected "NOT"; did you mean "not"?`},
	{"5", 1, `expected comparison operator or "in" after "5", found end of condition`},
	{`"x" and A`, 4, `expected comparison operator or "in" after string "x", found "and"`},
	{"nil", 3, `expected comparison operator or "in" after "nil"`},
	{"old", 3, `expected "." and a field name directly after "old", found end of condition`},
	{"old Status", 4, `expected "." and a field name directly after "old", found "Status"`},
	{"old .Status", 3, `unexpected space between "old" and "."`},
	{"old. Status", 4, `unexpected space after "old."`},
	{"old.", 4, `expected field name after "old.", found end of condition`},
	{"new.1", 3, `expected "." and a field name directly after "new", found ".1"`},
	{"old.A.B == 1", 5, `unexpected "." after "old.A"; "old." takes a plain field name`},
	{"a.b.c == 1", 3, `unexpected "." after "a.b"`},
	{"a. b == 1", 2, `unexpected space after "a."`},
	{"a.(b)", 2, `expected identifier after "a.", found "("`},
	{"X == -Y", 5, `"-" must be directly followed by a number`},
	{"X == - 5", 5, `"-" must be directly followed by a number`},
	{"X == -", 5, `"-" must be directly followed by a number`},
	{"X == 1.2.3", 5, `invalid number "1.2.3"`},
	{"X == 09", 5, `invalid number "09"`},
	{"X == 1__0", 5, `invalid number "1__0"`},
	{"X == 0x", 5, `invalid number "0x"`},
	{"X == 5abc", 5, `invalid number "5abc"`},
	{"X == 0x1.8", 5, `invalid number "0x1.8"`},
	{"X == 18446744073709551616", 5, `number "18446744073709551616" is out of range`},
	{"X == -9223372036854775809", 5, `number "-9223372036854775809" is out of range`},
	{"X == 1e999", 5, `number "1e999" is out of range`},
	{"X == not Y", 5, `expected value after "==", found "not"`},
	{"X == (1)", 5, `expected value after "==", found "("`},
	{"X == Y.", 7, `expected identifier after "Y.", found end of condition`},
	{"X:Y", 1, `unexpected character ":"`},
	{"A - B", 2, `unexpected "-" after end of condition`},
	{strings.Repeat("(", 300) + "A" + strings.Repeat(")", 300), 200, "nested too deeply"},
	{strings.Repeat("not ", 300) + "A", 800, "nested too deeply"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorTests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			require.Error(t, err, "parsed as %v", e)
			assert.Nil(t, e)
			var perr *Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tc.pos, perr.Pos, "message: %s", perr.Msg)
			assert.Contains(t, perr.Msg, tc.msg)
		})
	}
}

func TestErrorString(t *testing.T) {
	_, err := Parse("Status == ")
	require.Error(t, err)
	assert.Equal(t, `col 11: expected value after "==", found end of condition`, err.Error())
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range validTests {
		t.Run(tc.in, func(t *testing.T) {
			e1, err := Parse(tc.in)
			require.NoError(t, err)
			s := e1.String()
			e2, err := Parse(s)
			require.NoError(t, err, "reparsing %q", s)
			assert.Equal(t, s, e2.String())
			assert.Equal(t, stripPos(e1), stripPos(e2))
		})
	}
}

func TestNodes(t *testing.T) {
	t.Run("compare", func(t *testing.T) {
		e, err := Parse(`  old.Status != "BLOCKED"`)
		require.NoError(t, err)
		c := e.(*Compare)
		assert.Equal(t, Operand{Kind: OldRef, Name: "Status", NamePos: 6, StartPos: 2}, c.X)
		assert.Equal(t, "!=", c.Op)
		assert.Equal(t, Pos(13), c.OpPos)
		assert.Equal(t, Operand{Kind: Literal, Value: Value{Kind: String, Text: `"BLOCKED"`, Str: "BLOCKED", ValuePos: 16}, NamePos: 16, StartPos: 16}, c.Y)
		assert.Equal(t, Pos(2), e.Pos())
		assert.Equal(t, Pos(25), e.End())
	})
	t.Run("numbers", func(t *testing.T) {
		e, err := Parse("X in (-5, 0x1F, 1.5, 1e3, 0x1p2, 07, pkg.C, C, nil, false, `a\\b`)")
		require.NoError(t, err)
		in := e.(*In)
		var kinds []ValueKind
		var texts []string
		for _, v := range in.Values {
			kinds = append(kinds, v.Kind)
			texts = append(texts, v.Text)
		}
		assert.Equal(t, []ValueKind{Int, Int, Float, Float, Float, Int, Ident, Ident, Nil, Bool, String}, kinds)
		assert.Equal(t, []string{"-5", "0x1F", "1.5", "1e3", "0x1p2", "07", "pkg.C", "C", "nil", "false", "`a\\b`"}, texts)
		assert.Equal(t, `a\b`, in.Values[10].Str)
		assert.Equal(t, Pos(6), in.Values[0].Pos())
		assert.Equal(t, Pos(8), in.Values[0].End())
		assert.Equal(t, Pos(2), in.InPos)
		assert.Equal(t, Pos(len(e.String())-1), in.Rparen)
	})
	t.Run("changed", func(t *testing.T) {
		e, err := Parse(`Status changed from "A" to StatusB`)
		require.NoError(t, err)
		c := e.(*Changed)
		assert.Equal(t, Operand{Kind: NameRef, Name: "Status", NamePos: 0, StartPos: 0}, c.Field)
		assert.Equal(t, Pos(7), c.ChangedPos)
		require.NotNil(t, c.From)
		assert.Equal(t, Value{Kind: String, Text: `"A"`, Str: "A", ValuePos: 20}, *c.From)
		require.NotNil(t, c.To)
		assert.Equal(t, Value{Kind: Ident, Text: "StatusB", ValuePos: 27}, *c.To)

		e, err = Parse("Status changed")
		require.NoError(t, err)
		c = e.(*Changed)
		assert.Nil(t, c.From)
		assert.Nil(t, c.To)
		assert.Equal(t, Pos(14), c.End())
	})
	t.Run("bool", func(t *testing.T) {
		e, err := Parse("pkg.Flag")
		require.NoError(t, err)
		assert.Equal(t, &BoolTest{X: Operand{Kind: NameRef, Name: "pkg.Flag"}}, e)
		e, err = Parse(" true")
		require.NoError(t, err)
		assert.Equal(t, &BoolTest{X: Operand{Kind: Literal, Value: Value{Kind: Bool, Text: "true", ValuePos: 1}, NamePos: 1, StartPos: 1}}, e)
	})
	t.Run("role", func(t *testing.T) {
		e, err := Parse("role  ops-team")
		require.NoError(t, err)
		assert.Equal(t, &Role{RolePos: 0, Name: "ops-team", NamePos: 6}, e)
		assert.Equal(t, Pos(14), e.End())
	})
	t.Run("time", func(t *testing.T) {
		e, err := Parse("time 9:05 - 17:30")
		require.NoError(t, err)
		assert.Equal(t, &TimeWindow{TimePos: 0, StartMin: 9*60 + 5, EndMin: 17*60 + 30, StartPos: 5, EndPos: 12, Stop: 17}, e)
	})
	t.Run("weekday", func(t *testing.T) {
		e, err := Parse("weekday Sat-sun")
		require.NoError(t, err)
		assert.Equal(t, &Weekday{WeekdayPos: 0, From: time.Saturday, To: time.Sunday, FromPos: 8, ToPos: 12}, e)
		e, err = Parse("weekday wed")
		require.NoError(t, err)
		assert.Equal(t, &Weekday{WeekdayPos: 0, From: time.Wednesday, To: time.Wednesday, FromPos: 8, ToPos: 8}, e)
		assert.Equal(t, Pos(11), e.End())
	})
	t.Run("func", func(t *testing.T) {
		e, err := Parse("func IsVIP")
		require.NoError(t, err)
		assert.Equal(t, &Func{FuncPos: 0, Name: "IsVIP", NamePos: 5}, e)
	})
	t.Run("precedence", func(t *testing.T) {
		e, err := Parse("not A and B or C and D")
		require.NoError(t, err)
		or := e.(*Binary)
		assert.Equal(t, "or", or.Op)
		assert.Equal(t, Pos(12), or.OpPos)
		l := or.X.(*Binary)
		assert.Equal(t, "and", l.Op)
		assert.IsType(t, &Not{}, l.X)
		r := or.Y.(*Binary)
		assert.Equal(t, "and", r.Op)
		assert.Equal(t, "C", r.X.String())

		e, err = Parse("A or B or C")
		require.NoError(t, err)
		assert.Equal(t, "A or B", e.(*Binary).X.String(), "left associative")
	})
	t.Run("paren", func(t *testing.T) {
		e, err := Parse("not (A)")
		require.NoError(t, err)
		n := e.(*Not)
		p := n.X.(*Paren)
		assert.Equal(t, Pos(4), p.Lparen)
		assert.Equal(t, Pos(6), p.Rparen)
		assert.Equal(t, Pos(7), e.End())
	})
}

func TestStringOfBuiltTrees(t *testing.T) {
	a := &BoolTest{X: Operand{Kind: NameRef, Name: "A"}}
	b := &BoolTest{X: Operand{Kind: NameRef, Name: "B"}}
	c := &BoolTest{X: Operand{Kind: NameRef, Name: "C"}}
	// Trees not produced by Parse get the parentheses they need.
	assert.Equal(t, "(A or B) and C", (&Binary{Op: "and", X: &Binary{Op: "or", X: a, Y: b}, Y: c}).String())
	assert.Equal(t, "A and (B and C)", (&Binary{Op: "and", X: a, Y: &Binary{Op: "and", X: b, Y: c}}).String())
	assert.Equal(t, "not (A or B)", (&Not{X: &Binary{Op: "or", X: a, Y: b}}).String())
	assert.Equal(t, "NameRef", NameRef.String())
	assert.Equal(t, "Float", Float.String())
}

func TestWalk(t *testing.T) {
	e, err := Parse("(A and not B) or role x")
	require.NoError(t, err)
	var got []string
	Walk(e, func(e Expr) bool {
		got = append(got, reflect.TypeOf(e).Elem().Name())
		return true
	})
	assert.Equal(t, []string{"Binary", "Paren", "Binary", "BoolTest", "Not", "BoolTest", "Role"}, got)

	got = nil
	Walk(e, func(e Expr) bool {
		got = append(got, reflect.TypeOf(e).Elem().Name())
		_, isParen := e.(*Paren)
		return !isParen
	})
	assert.Equal(t, []string{"Binary", "Paren", "Role"}, got)
	Walk(nil, func(Expr) bool { t.Fatal("called for nil"); return true })
}

// stripPos returns e with every field of type Pos set to zero.
func stripPos(e Expr) Expr {
	zeroPos(reflect.ValueOf(e))
	return e
}

var posType = reflect.TypeOf(Pos(0))

func zeroPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			zeroPos(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if f.Type() == posType {
				f.SetInt(0)
				continue
			}
			zeroPos(f)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			zeroPos(v.Index(i))
		}
	}
}

// checkPositions verifies that the positions recorded in e match src.
func checkPositions(t testing.TB, src string, e Expr) {
	t.Helper()
	at := func(p Pos, s string) {
		t.Helper()
		if p < 0 || int(p)+len(s) > len(src) || src[p:int(p)+len(s)] != s {
			t.Errorf("%q: want %q at %d", src, s, p)
		}
	}
	atFold := func(p Pos, s string) {
		t.Helper()
		if p < 0 || int(p)+len(s) > len(src) || !strings.EqualFold(src[p:int(p)+len(s)], s) {
			t.Errorf("%q: want %q at %d", src, s, p)
		}
	}
	value := func(v Value) { t.Helper(); at(v.Pos(), v.Text) }
	operand := func(o Operand) {
		t.Helper()
		switch o.Kind {
		case Literal:
			value(o.Value)
			if o.NamePos != o.StartPos || o.Pos() != o.Value.Pos() || o.End() != o.Value.End() {
				t.Errorf("%q: inconsistent literal operand %+v", src, o)
			}
		case NameRef:
			at(o.StartPos, o.Name)
		default:
			at(o.StartPos, o.String())
			at(o.NamePos, o.Name)
		}
	}
	trimmed := strings.TrimRightFunc(src, unicode.IsSpace)
	start := len(src) - len(strings.TrimLeftFunc(src, unicode.IsSpace))
	if e.Pos() != Pos(start) || e.End() != Pos(len(trimmed)) {
		t.Errorf("%q: root spans %d..%d, want %d..%d", src, e.Pos(), e.End(), start, len(trimmed))
	}
	Walk(e, func(e Expr) bool {
		if e.Pos() < 0 || e.Pos() > e.End() || int(e.End()) > len(src) {
			t.Errorf("%q: bad span %d..%d for %s", src, e.Pos(), e.End(), e)
		}
		switch n := e.(type) {
		case *Binary:
			at(n.OpPos, n.Op)
			if n.X.End() > n.OpPos || n.OpPos > n.Y.Pos() {
				t.Errorf("%q: operands of %q out of order", src, n.Op)
			}
		case *Not:
			at(n.NotPos, "not")
		case *Paren:
			at(n.Lparen, "(")
			at(n.Rparen, ")")
		case *Changed:
			operand(n.Field)
			at(n.ChangedPos, "changed")
			if n.From != nil {
				value(*n.From)
			}
			if n.To != nil {
				value(*n.To)
			}
		case *Compare:
			operand(n.X)
			at(n.OpPos, n.Op)
			operand(n.Y)
		case *In:
			operand(n.X)
			at(n.InPos, "in")
			for _, v := range n.Values {
				value(v)
			}
			at(n.Rparen, ")")
		case *BoolTest:
			operand(n.X)
		case *Role:
			at(n.RolePos, "role")
			at(n.NamePos, n.Name)
		case *TimeWindow:
			at(n.TimePos, "time")
			if n.StartPos <= n.TimePos || n.EndPos <= n.StartPos || n.Stop <= n.EndPos {
				t.Errorf("%q: bad time positions %+v", src, n)
			}
		case *Weekday:
			at(n.WeekdayPos, "weekday")
			atFold(n.FromPos, dayName(n.From))
			atFold(n.ToPos, dayName(n.To))
		case *Func:
			at(n.FuncPos, "func")
			at(n.NamePos, n.Name)
		default:
			t.Errorf("unknown node %T", e)
		}
		return true
	})
}

func TestLongChain(t *testing.T) {
	// Printing must stay linear in the length of long and/or chains.
	src := strings.Repeat("A and B or ", 50000) + "C"
	e, err := Parse(src)
	require.NoError(t, err)
	assert.Equal(t, src, e.String())
	assert.Equal(t, Pos(0), e.Pos())
	assert.Equal(t, Pos(len(src)), e.End())
}
