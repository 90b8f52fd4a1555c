package cond

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxDepth bounds the nesting of "not" and parentheses.
const maxDepth = 200

// bailout carries a syntax error out of the recursive descent.
type bailout struct{ err *Error }

type parser struct {
	lx    lexer
	tok   token // current token
	prev  token // previous token; kind tNone at the start
	depth int

	// State about the test parsed last, used to explain what may follow it.
	cont      []string // keywords that could have continued the last test
	lastIdent *Operand // the operand of the last test if it was a BoolTest on a plain identifier
	lastCmp   bool     // the last test was a comparison
}

// Parse parses a condition. On failure it returns a nil Expr and an error
// that is always a *Error whose Pos is the byte offset of the offending token
// in src (len(src) for end of input). Empty or all-space input is the error
// "empty condition" at 0. Parse never panics.
func Parse(src string) (e Expr, err error) {
	p := &parser{lx: lexer{src: src}}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			e, err = nil, b.err
		}
	}()
	p.next()
	if p.tok.kind == tEOF {
		return nil, &Error{0, "empty condition"}
	}
	x := p.parseOr()
	if p.tok.kind != tEOF {
		p.unexpected(true)
	}
	return x, nil
}

func (p *parser) fail(pos Pos, format string, args ...any) {
	panic(bailout{&Error{pos, fmt.Sprintf(format, args...)}})
}

// next advances to the next token.
func (p *parser) next() {
	p.prev = p.tok
	tok, err := p.lx.scan()
	if err != nil {
		panic(bailout{err})
	}
	p.tok = tok
}

// resume continues normal scanning at off; cur becomes the previous token.
func (p *parser) resume(off int, cur token) {
	p.lx.off = off
	p.tok = cur
	p.next()
}

func (p *parser) isKw(kw string) bool { return p.tok.kind == tIdent && p.tok.text == kw }

// describe returns a token as used in "found ..." messages.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of condition"
	case tString:
		return "string " + shorten(t.text)
	}
	return strconv.Quote(shorten(t.text))
}

// describeOperand returns an operand as used in error messages.
func describeOperand(o Operand) string {
	if o.Kind == Literal && o.Value.Kind == String {
		return "string " + shorten(o.Value.Text)
	}
	return strconv.Quote(shorten(o.String()))
}

func shorten(s string) string {
	const max = 30
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "..."
}

// describeAt describes the token at offset off without consuming it.
func (p *parser) describeAt(off int) (Pos, string) {
	lx := lexer{src: p.lx.src, off: off}
	t, err := lx.scan()
	if err != nil {
		r, size := utf8.DecodeRuneInString(p.lx.src[err.Pos:])
		if r == utf8.RuneError && size == 1 {
			return err.Pos, fmt.Sprintf("invalid byte 0x%02x", p.lx.src[err.Pos])
		}
		return err.Pos, strconv.Quote(string(r))
	}
	return t.pos, describe(t)
}

func (p *parser) parseOr() Expr {
	x := p.parseAnd()
	for p.isKw("or") {
		pos := p.tok.pos
		p.next()
		y := p.parseAnd()
		x = &Binary{Op: "or", X: x, Y: y, OpPos: pos}
	}
	return x
}

func (p *parser) parseAnd() Expr {
	x := p.parseUnary()
	for p.isKw("and") {
		pos := p.tok.pos
		p.next()
		y := p.parseUnary()
		x = &Binary{Op: "and", X: x, Y: y, OpPos: pos}
	}
	return x
}

func (p *parser) parseUnary() Expr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.fail(p.tok.pos, "condition is nested too deeply (more than %d levels)", maxDepth)
	}
	switch {
	case p.isKw("not"):
		pos := p.tok.pos
		p.next()
		x := p.parseUnary()
		return &Not{NotPos: pos, X: x}
	case p.tok.kind == tLparen:
		lp := p.tok.pos
		p.next()
		x := p.parseOr()
		if p.tok.kind != tRparen {
			p.unexpected(false)
		}
		rp := p.tok.pos
		p.next()
		p.cont, p.lastIdent, p.lastCmp = nil, nil, false
		return &Paren{Lparen: lp, Rparen: rp, X: x}
	}
	return p.parseTest()
}

// unexpected reports the current token, which cannot continue the
// condition parsed so far. top says whether we are outside parentheses.
func (p *parser) unexpected(top bool) {
	t := p.tok
	if t.kind == tIdent {
		cands := append(append([]string(nil), p.cont...), "and", "or")
		if kw := suggest(t.text, cands...); kw != "" && kw != t.text {
			p.fail(t.pos, "unexpected %q; did you mean %q?", t.text, kw)
		}
	}
	if o := p.lastIdent; o != nil {
		if kw := suggest(o.Name, "not", "role", "time", "weekday", "func"); kw != "" {
			p.fail(o.NamePos, "unexpected %q; did you mean %q?", o.Name, kw)
		}
	}
	if t.kind == tOp && p.lastCmp {
		p.fail(t.pos, "unexpected %q; comparisons cannot be chained, combine them with \"and\"", t.text)
	}
	switch {
	case !top:
		p.fail(t.pos, `expected ")" to close "(", found %s`, describe(t))
	case t.kind == tRparen:
		p.fail(t.pos, `unexpected ")"`)
	}
	p.fail(t.pos, "unexpected %s after end of condition", describe(t))
}

// noCondition reports that the current token cannot start a condition.
func (p *parser) noCondition() {
	t := p.tok
	switch {
	case p.prev.kind != tNone:
		p.fail(t.pos, "expected condition after %q, found %s", p.prev.text, describe(t))
	case t.kind == tRparen:
		p.fail(t.pos, `unexpected ")"`)
	}
	p.fail(t.pos, "unexpected %s at start of condition", describe(t))
}

// canStartOperand reports whether the current token can start an operand.
func (p *parser) canStartOperand() bool {
	switch t := p.tok; t.kind {
	case tIdent:
		switch t.text {
		case "old", "new", "true", "false", "nil":
			return true
		}
		return !keywords[t.text]
	case tString, tNumber, tMinus:
		return true
	}
	return false
}

func (p *parser) parseTest() Expr {
	p.cont, p.lastIdent, p.lastCmp = nil, nil, false
	switch {
	case p.isKw("role"):
		return p.parseRole()
	case p.isKw("time"):
		return p.parseTime()
	case p.isKw("weekday"):
		return p.parseWeekday()
	case p.isKw("func"):
		return p.parseFunc()
	}
	if !p.canStartOperand() {
		p.noCondition()
	}
	x := p.parseOperand("")
	switch {
	case p.isKw("changed"):
		return p.parseChanged(x)
	case p.tok.kind == tOp:
		op := p.tok
		p.next()
		y := p.parseOperand(strconv.Quote(op.text))
		p.lastCmp = true
		return &Compare{X: x, Op: op.text, OpPos: op.pos, Y: y}
	case p.isKw("in"):
		return p.parseIn(x)
	}
	if x.Kind == Literal && x.Value.Kind != Bool {
		p.fail(p.tok.pos, `expected comparison operator or "in" after %s, found %s`, describeOperand(x), describe(p.tok))
	}
	p.cont = []string{"in"}
	if x.Kind == NameRef && !strings.Contains(x.Name, ".") {
		p.cont = []string{"changed", "in"}
		p.lastIdent = &x
	}
	return &BoolTest{X: x}
}

func (p *parser) parseChanged(x Operand) Expr {
	if x.Kind != NameRef || strings.Contains(x.Name, ".") {
		p.fail(x.Pos(), `"changed" needs a field name, found %s`, describeOperand(x))
	}
	c := &Changed{Field: x, ChangedPos: p.tok.pos}
	p.next()
	if p.isKw("from") {
		p.next()
		v := p.parseValue(`"from"`)
		c.From = &v
	}
	if p.isKw("to") {
		p.next()
		v := p.parseValue(`"to"`)
		c.To = &v
	}
	switch {
	case p.isKw("from") && c.To != nil:
		p.fail(p.tok.pos, `"from" must come before "to"`)
	case p.isKw("from"):
		p.fail(p.tok.pos, `duplicate "from"`)
	case p.isKw("to") && c.To != nil:
		p.fail(p.tok.pos, `duplicate "to"`)
	case c.From == nil && c.To == nil:
		p.cont = []string{"from", "to"}
	case c.To == nil:
		p.cont = []string{"to"}
	}
	return c
}

func (p *parser) parseIn(x Operand) Expr {
	in := &In{X: x, InPos: p.tok.pos}
	p.next()
	if p.tok.kind != tLparen {
		p.fail(p.tok.pos, `expected "(" after "in", found %s`, describe(p.tok))
	}
	p.next()
	after := `"("`
	for {
		in.Values = append(in.Values, p.parseValue(after))
		switch p.tok.kind {
		case tComma:
			p.next()
			after = `","`
			continue
		case tRparen:
			in.Rparen = p.tok.pos
			p.next()
			return in
		}
		p.fail(p.tok.pos, `expected "," or ")" in value list, found %s`, describe(p.tok))
	}
}

// parseOperand parses an operand; after describes the preceding token for
// error messages.
func (p *parser) parseOperand(after string) Operand {
	t := p.tok
	if t.kind == tIdent {
		switch {
		case t.text == "old" || t.text == "new":
			return p.parseOldNew()
		case !keywords[t.text]:
			name := p.parseName()
			return Operand{Kind: NameRef, Name: name, NamePos: t.pos, StartPos: t.pos}
		}
	}
	if v, ok := p.parseLiteral(); ok {
		return Operand{Kind: Literal, Value: v, NamePos: v.ValuePos, StartPos: v.ValuePos}
	}
	p.fail(t.pos, "expected value after %s, found %s", after, describe(t))
	panic("unreachable")
}

// parseOldNew parses "old.Field" or "new.Field".
func (p *parser) parseOldNew() Operand {
	kw := p.tok
	p.next()
	if p.tok.kind != tDot {
		p.fail(p.tok.pos, `expected "." and a field name directly after %q, found %s`, kw.text, describe(p.tok))
	}
	if p.tok.pos != kw.end {
		p.fail(kw.end, `unexpected space between %q and "."`, kw.text)
	}
	dot := p.tok
	p.next()
	if p.tok.kind != tIdent {
		p.fail(p.tok.pos, `expected field name after "%s.", found %s`, kw.text, describe(p.tok))
	}
	if p.tok.pos != dot.end {
		p.fail(dot.end, `unexpected space after "%s."`, kw.text)
	}
	name := p.tok
	p.next()
	if p.tok.kind == tDot && p.tok.pos == name.end {
		p.fail(p.tok.pos, `unexpected "." after "%s.%s"; "%s." takes a plain field name`, kw.text, name.text, kw.text)
	}
	k := OldRef
	if kw.text == "new" {
		k = NewRef
	}
	return Operand{Kind: k, Name: name.text, NamePos: name.pos, StartPos: kw.pos}
}

// parseName parses Ident [ "." Ident ] starting at the current (non-keyword)
// identifier.
func (p *parser) parseName() string {
	id := p.tok
	p.next()
	if p.tok.kind != tDot || p.tok.pos != id.end {
		return id.text
	}
	dot := p.tok
	p.next()
	if p.tok.kind != tIdent {
		p.fail(p.tok.pos, `expected identifier after "%s.", found %s`, id.text, describe(p.tok))
	}
	if p.tok.pos != dot.end {
		p.fail(dot.end, `unexpected space after "%s."`, id.text)
	}
	sel := p.tok
	p.next()
	name := id.text + "." + sel.text
	if p.tok.kind == tDot && p.tok.pos == sel.end {
		p.fail(p.tok.pos, `unexpected "." after %q; a name can be qualified only once (pkg.Name)`, name)
	}
	return name
}

// parseValue parses a value: a literal or a Name.
func (p *parser) parseValue(after string) Value {
	t := p.tok
	if t.kind == tIdent && !keywords[t.text] {
		name := p.parseName()
		return Value{Kind: Ident, Text: name, ValuePos: t.pos}
	}
	if v, ok := p.parseLiteral(); ok {
		return v
	}
	p.fail(t.pos, "expected value after %s, found %s", after, describe(t))
	panic("unreachable")
}

// parseLiteral parses a string, number, true, false or nil.
func (p *parser) parseLiteral() (Value, bool) {
	t := p.tok
	switch t.kind {
	case tString:
		s, err := strconv.Unquote(t.text)
		if err != nil { // cannot happen: the lexer validated the literal
			p.fail(t.pos, "invalid string literal")
		}
		p.next()
		return Value{Kind: String, Text: t.text, Str: s, ValuePos: t.pos}, true
	case tNumber:
		p.next()
		return p.number(t.pos, t), true
	case tMinus:
		p.next()
		if p.tok.kind != tNumber || p.tok.pos != t.end {
			p.fail(t.pos, `"-" must be directly followed by a number`)
		}
		n := p.tok
		p.next()
		return p.number(t.pos, n), true
	case tIdent:
		switch t.text {
		case "true", "false":
			p.next()
			return Value{Kind: Bool, Text: t.text, ValuePos: t.pos}, true
		case "nil":
			p.next()
			return Value{Kind: Nil, Text: t.text, ValuePos: t.pos}, true
		}
	}
	return Value{}, false
}

// number validates the number token n, optionally preceded by a "-" that
// starts at start, and returns it as a Value.
func (p *parser) number(start Pos, n token) Value {
	text := p.lx.src[start:n.end]
	lower := strings.ToLower(n.text)
	hex := strings.HasPrefix(lower, "0x")
	isFloat := strings.Contains(lower, ".") ||
		hex && strings.Contains(lower, "p") ||
		!hex && strings.Contains(lower, "e")
	var err error
	kind := Int
	if isFloat {
		kind = Float
		_, err = strconv.ParseFloat(text, 64)
	} else if _, err = strconv.ParseInt(text, 0, 64); errors.Is(err, strconv.ErrRange) && start == n.pos {
		_, err = strconv.ParseUint(text, 0, 64)
	}
	switch {
	case errors.Is(err, strconv.ErrRange):
		p.fail(start, "number %q is out of range", shorten(text))
	case err != nil:
		p.fail(n.pos, "invalid number %q", shorten(n.text))
	}
	return Value{Kind: kind, Text: text, ValuePos: start}
}

func (p *parser) parseRole() Expr {
	kw := p.tok
	src := p.lx.src
	p.lx.off = int(kw.end)
	p.lx.skipSpace()
	start := p.lx.off
	i := start
	for i < len(src) {
		r, size := utf8.DecodeRuneInString(src[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if i == start && !isIdentStart(r) || !isIdentPart(r) && r != '-' {
			break
		}
		i += size
	}
	name := src[start:i]
	if name == "" {
		pos, found := p.describeAt(start)
		p.fail(pos, `expected role name after "role", found %s`, found)
	}
	if keywords[name] {
		p.fail(Pos(start), `expected role name after "role", found %q`, name)
	}
	p.resume(i, token{kind: tIdent, pos: Pos(start), end: Pos(i), text: name})
	return &Role{RolePos: kw.pos, Name: name, NamePos: Pos(start)}
}

func (p *parser) parseTime() Expr {
	kw := p.tok
	w := &TimeWindow{TimePos: kw.pos}
	p.lx.off = int(kw.end)
	var first token
	w.StartMin, first = p.clock(`"time"`)
	p.lx.skipSpace()
	if off := p.lx.off; off >= len(p.lx.src) || p.lx.src[off] != '-' {
		pos, found := p.describeAt(off)
		p.fail(pos, `expected "-" after start time %q, found %s`, first.text, found)
	}
	p.lx.off++
	var second token
	w.EndMin, second = p.clock(`"-"`)
	w.StartPos, w.EndPos, w.Stop = first.pos, second.pos, second.end
	p.resume(int(second.end), second)
	return w
}

// clock scans a clock time HH:MM at the lexer's offset (after white space)
// and returns it in minutes after midnight.
func (p *parser) clock(after string) (int, token) {
	src := p.lx.src
	p.lx.skipSpace()
	start := p.lx.off
	if start >= len(src) || !isDigit(src[start]) {
		pos, found := p.describeAt(start)
		p.fail(pos, "expected clock time (HH:MM) after %s, found %s", after, found)
	}
	i := start
	for i < len(src) {
		c := src[i]
		if !isDigit(c) && c != ':' && c != '.' && c != '_' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') {
			break
		}
		i++
	}
	text := src[start:i]
	hh, mm, ok := strings.Cut(text, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || !allDigits(hh) || !allDigits(mm) {
		p.fail(Pos(start), "invalid clock time %q: want HH:MM (24-hour clock)", shorten(text))
	}
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	if h > 23 {
		p.fail(Pos(start), "invalid clock time %q: hour must be 0..23", text)
	}
	if m > 59 {
		p.fail(Pos(start), "invalid clock time %q: minute must be 00..59", text)
	}
	p.lx.off = i
	return h*60 + m, token{kind: tNumber, pos: Pos(start), end: Pos(i), text: text}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday,
	"sat": time.Saturday,
}

func (p *parser) parseWeekday() Expr {
	w := &Weekday{WeekdayPos: p.tok.pos}
	p.next()
	w.From, w.FromPos = p.day(`"weekday"`)
	w.To, w.ToPos = w.From, w.FromPos
	if p.tok.kind == tMinus {
		p.next()
		w.To, w.ToPos = p.day(`"-"`)
	}
	return w
}

func (p *parser) day(after string) (time.Weekday, Pos) {
	t := p.tok
	if t.kind != tIdent || keywords[t.text] {
		p.fail(t.pos, "expected weekday after %s, found %s", after, describe(t))
	}
	d, ok := weekdays[strings.ToLower(t.text)]
	if !ok {
		p.fail(t.pos, "unknown weekday %q; use mon, tue, wed, thu, fri, sat or sun", shorten(t.text))
	}
	p.next()
	return d, t.pos
}

func (p *parser) parseFunc() Expr {
	f := &Func{FuncPos: p.tok.pos}
	p.next()
	t := p.tok
	if t.kind != tIdent || keywords[t.text] {
		p.fail(t.pos, `expected function name after "func", found %s`, describe(t))
	}
	f.Name, f.NamePos = t.text, t.pos
	p.next()
	if p.tok.kind == tDot && p.tok.pos == t.end {
		p.fail(p.tok.pos, `unexpected "." after %q; "func" takes a plain function name`, t.text)
	}
	return f
}

// suggest returns the candidate keyword closest to word (ignoring case) if
// it is close enough to be a likely misspelling, or "".
func suggest(word string, cands ...string) string {
	w := strings.ToLower(word)
	if len(w) > 12 {
		return ""
	}
	best, bestD := "", 100
	for _, c := range cands {
		limit := 1
		if len(c) > 4 {
			limit = 2
		}
		if d := editDistance(w, c); d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
