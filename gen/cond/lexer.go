package cond

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a syntax error in a condition.
type Error struct {
	Pos Pos    // byte offset of the offending token (len(src) for end of input)
	Msg string // what is wrong, without position
}

// Error returns "col N: msg" where N is the 1-based byte column in the
// condition text.
func (e *Error) Error() string { return fmt.Sprintf("col %d: %s", int(e.Pos)+1, e.Msg) }

type tokKind int

const (
	tNone   tokKind = iota // no token yet
	tEOF                   // end of input
	tIdent                 // identifier or keyword
	tString                // "..." or `...`
	tNumber                // number without sign, not yet validated
	tLparen                // (
	tRparen                // )
	tComma                 // ,
	tDot                   // .
	tMinus                 // -
	tOp                    // == != < <= > >=
)

type token struct {
	kind     tokKind
	pos, end Pos
	text     string
}

// keywords are reserved: none of them can start a Name.
var keywords = map[string]bool{
	"changed": true, "from": true, "to": true, "in": true, "not": true,
	"and": true, "or": true, "role": true, "time": true, "weekday": true,
	"func": true, "old": true, "new": true, "true": true, "false": true,
	"nil": true,
}

type lexer struct {
	src string
	off int
}

func isOpChar(c byte) bool { return strings.IndexByte("=!<>&|", c) >= 0 }

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipSpace advances over white space (any Unicode space).
func (l *lexer) skipSpace() {
	for l.off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		if !unicode.IsSpace(r) {
			return
		}
		l.off += size
	}
}

// scanIdent returns the end of the identifier starting at off, or off if
// there is none.
func (l *lexer) scanIdent(off int) int {
	i := off
	for i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if i == off && !isIdentStart(r) || !isIdentPart(r) {
			break
		}
		i += size
	}
	return i
}

// scan returns the next token, or an error for text that is no token.
func (l *lexer) scan() (token, *Error) {
	l.skipSpace()
	start := l.off
	src := l.src
	if start >= len(src) {
		return token{kind: tEOF, pos: Pos(len(src)), end: Pos(len(src))}, nil
	}
	tok := func(k tokKind, n int) (token, *Error) {
		l.off = start + n
		return token{kind: k, pos: Pos(start), end: Pos(start + n), text: src[start : start+n]}, nil
	}
	c := src[start]
	switch {
	case isDigit(c) || c == '.' && start+1 < len(src) && isDigit(src[start+1]):
		return tok(tNumber, l.scanNumber(start)-start)
	case c == '"':
		return l.scanString(start)
	case c == '`':
		i := strings.IndexByte(src[start+1:], '`')
		if i < 0 {
			return token{}, &Error{Pos(start), "unterminated string: missing closing backquote"}
		}
		return l.checkString(start, start+1+i+1)
	case c == '(':
		return tok(tLparen, 1)
	case c == ')':
		return tok(tRparen, 1)
	case c == ',':
		return tok(tComma, 1)
	case c == '.':
		return tok(tDot, 1)
	case c == '-':
		return tok(tMinus, 1)
	case isOpChar(c):
		if start > 0 && isOpChar(src[start-1]) {
			return token{}, badOp(src, start)
		}
		next := byte(0)
		if start+1 < len(src) {
			next = src[start+1]
		}
		switch {
		case (c == '=' || c == '!' || c == '<' || c == '>') && next == '=':
			return tok(tOp, 2)
		case c == '<' || c == '>':
			return tok(tOp, 1)
		}
		return token{}, badOp(src, start)
	}
	r, size := utf8.DecodeRuneInString(src[start:])
	switch {
	case r == utf8.RuneError && size == 1:
		return token{}, &Error{Pos(start), "invalid UTF-8 encoding"}
	case isIdentStart(r):
		return tok(tIdent, l.scanIdent(start)-start)
	case r == '\'':
		return token{}, &Error{Pos(start), `unexpected character "'"; strings are written "..." or ` + "`...`"}
	case r == ':' || unicode.IsPrint(r):
		return token{}, &Error{Pos(start), fmt.Sprintf("unexpected character %q", string(r))}
	}
	return token{}, &Error{Pos(start), fmt.Sprintf("unexpected character %U", r)}
}

// scanNumber returns the end of the number-like run starting at start:
// letters, digits, "_", "." and a sign directly after an exponent letter.
// The run is validated by the parser.
func (l *lexer) scanNumber(start int) int {
	src := l.src
	hex := strings.HasPrefix(src[start:], "0x") || strings.HasPrefix(src[start:], "0X")
	i := start
	for i < len(src) {
		c := src[i]
		switch {
		case isDigit(c) || c == '_' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			i++
		case (c == '+' || c == '-') && i > start:
			p := src[i-1]
			if hex && (p == 'p' || p == 'P') || !hex && (p == 'e' || p == 'E') {
				i++
				continue
			}
			return i
		default:
			return i
		}
	}
	return i
}

func (l *lexer) scanString(start int) (token, *Error) {
	src := l.src
	i := start + 1
	for {
		if i >= len(src) || src[i] == '\n' {
			return token{}, &Error{Pos(start), "unterminated string"}
		}
		switch src[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return l.checkString(start, i+1)
		}
		i++
	}
}

// checkString validates the string literal src[start:end] and returns it as
// a token.
func (l *lexer) checkString(start, end int) (token, *Error) {
	text := l.src[start:end]
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return token{}, &Error{Pos(start + i), "invalid UTF-8 encoding in string"}
		case r == 0:
			return token{}, &Error{Pos(start + i), "invalid NUL character in string"}
		}
		i += size
	}
	if text[0] == '"' {
		body := text[1 : len(text)-1]
		for s := body; len(s) > 0; {
			_, _, tail, err := strconv.UnquoteChar(s, '"')
			if err != nil {
				off := len(body) - len(s)
				seq := s[:min(2, len(s))]
				return token{}, &Error{Pos(start + 1 + off), `invalid escape sequence "` + seq + `" in string`}
			}
			s = tail
		}
	}
	if _, err := strconv.Unquote(text); err != nil {
		return token{}, &Error{Pos(start), "invalid string literal"}
	}
	l.off = end
	return token{kind: tString, pos: Pos(start), end: Pos(end), text: text}, nil
}

var opHints = map[string]string{
	"=":   `"=="`,
	"===": `"=="`,
	"<>":  `"!="`,
	"=!":  `"!="`,
	"!==": `"!="`,
	"!":   `"!=" or "not"`,
	"=<":  `"<="`,
	"<==": `"<="`,
	"=>":  `">="`,
	">==": `">="`,
	"&":   `"and"`,
	"&&":  `"and"`,
	"|":   `"or"`,
	"||":  `"or"`,
}

// badOp reports the unknown operator made of the operator characters around
// src[at], positioned at src[at].
func badOp(src string, at int) *Error {
	i, j := at, at
	for i > 0 && isOpChar(src[i-1]) {
		i--
	}
	for j < len(src) && isOpChar(src[j]) {
		j++
	}
	op := src[i:j]
	msg := fmt.Sprintf("unknown operator %q", op)
	if h, ok := opHints[op]; ok {
		msg += "; did you mean " + h + "?"
	}
	return &Error{Pos(at), msg}
}
