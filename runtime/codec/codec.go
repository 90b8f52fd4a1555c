// Package codec is the JSON codec that the generated EncodeM and DecodeM
// functions call: a Writer and a Reader driven by typed code, with no
// reflection. Durable queues store the changes of async triggers with it.
//
// The format is plain JSON with three conventions: a float that is NaN or
// infinite is the string "NaN", "+Inf" or "-Inf"; a complex number is the
// array [re, im]; bytes are a base64 string (standard alphabet, padded).
package codec

import (
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects a Reader accepts.
const maxDepth = 10000

// Error is the error Writer and Reader report: what is wrong,
// where in the input, and in which value.
type Error struct {
	// Op is "encode" or "decode".
	Op string
	// Offset is the byte offset in the input of the value or character at
	// fault when decoding; -1 when encoding.
	Offset int
	// Path names the value at fault from the top-level object, like Status,
	// Tags[2], Meta.A or Attrs["a b"]; "" for the top-level value itself.
	Path string
	// Err says what is wrong; it may wrap the error of a MarshalText,
	// UnmarshalText, MarshalJSON or UnmarshalJSON method.
	Err error
}

// Error returns the error as "decode: offset 42: field Status: want a
// string, got a number".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Offset >= 0 {
		b.WriteString(": offset ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	if e.Path != "" {
		b.WriteString(": field ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// pathElem is one step of a value's path: an object key, or an array index
// when key is not set.
type pathElem struct {
	key    string
	index  int
	hasKey bool
}

// formatPath renders a path as Go-like selectors: A.B for keys that are
// identifiers, ["a b"] for other keys and [2] for indexes.
func formatPath(path []pathElem) string {
	var b strings.Builder
	for _, p := range path {
		switch {
		case !p.hasKey:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(p.index))
			b.WriteByte(']')
		case isIdent(p.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(p.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Writer appends one JSON value to a byte slice. Callers write values in
// order, with Key before each value in an object; the writer places the
// commas and colons itself. The first error is kept: later calls do
// nothing, and Result returns it. The zero value writes to a nil slice.
type Writer struct {
	buf   []byte
	start int // len(dst) when the writer was made
	err   error
	stack []wframe
	key   bool // a key was written and its value not yet
	done  bool // the top-level value is complete
}

// wframe is an open array or object of a Writer.
type wframe struct {
	object bool
	keyed  bool   // Key was called in this object
	key    string // the last key written (objects)
	n      int    // elements or members written so far
}

// NewWriter returns a writer that appends to dst.
func NewWriter(dst []byte) *Writer {
	return &Writer{buf: dst, start: len(dst)}
}

// fail records err, with the path of the value being written, unless an
// error is already recorded.
func (w *Writer) fail(err error) {
	if w.err != nil {
		return
	}
	path := make([]pathElem, 0, len(w.stack))
	for _, f := range w.stack {
		if f.object {
			if f.keyed {
				path = append(path, pathElem{key: f.key, hasKey: true})
			}
		} else {
			path = append(path, pathElem{index: f.n})
		}
	}
	w.err = &Error{Op: "encode", Offset: -1, Path: formatPath(path), Err: err}
}

// beforeValue checks that a value may be written here and writes the comma
// that separates it from the one before; false means write nothing.
func (w *Writer) beforeValue() bool {
	if w.err != nil {
		return false
	}
	if len(w.stack) == 0 {
		if w.done {
			w.fail(errors.New("a second value at the top level"))
			return false
		}
		return true
	}
	f := &w.stack[len(w.stack)-1]
	if f.object {
		if !w.key {
			w.fail(errors.New("a value in an object needs a Key before it"))
			return false
		}
		w.key = false
		return true
	}
	if f.n > 0 {
		w.buf = append(w.buf, ',')
	}
	return true
}

// afterValue counts a complete value.
func (w *Writer) afterValue() {
	if len(w.stack) == 0 {
		w.done = true
		return
	}
	w.stack[len(w.stack)-1].n++
}

// BeginObject starts an object; write its members with Key and a value
// each, then call EndObject.
func (w *Writer) BeginObject() {
	if w.beforeValue() {
		w.buf = append(w.buf, '{')
		w.stack = append(w.stack, wframe{object: true})
	}
}

// EndObject ends the object BeginObject started.
func (w *Writer) EndObject() { w.end(true) }

// BeginArray starts an array; write its elements, then call EndArray.
func (w *Writer) BeginArray() {
	if w.beforeValue() {
		w.buf = append(w.buf, '[')
		w.stack = append(w.stack, wframe{})
	}
}

// EndArray ends the array BeginArray started.
func (w *Writer) EndArray() { w.end(false) }

func (w *Writer) end(object bool) {
	if w.err != nil {
		return
	}
	what, closer := "EndArray", byte(']')
	if object {
		what, closer = "EndObject", '}'
	}
	switch {
	case len(w.stack) == 0 || w.stack[len(w.stack)-1].object != object:
		w.fail(fmt.Errorf("%s without a matching Begin", what))
		return
	case w.key:
		w.fail(fmt.Errorf("key %q has no value", w.stack[len(w.stack)-1].key))
		return
	}
	w.buf = append(w.buf, closer)
	w.stack = w.stack[:len(w.stack)-1]
	w.afterValue()
}

// Key writes the key of the next member of an object, and returns w so
// that the value can follow: w.Key("ID").String(m.ID).
func (w *Writer) Key(name string) *Writer {
	if w.err != nil {
		return w
	}
	if len(w.stack) == 0 || !w.stack[len(w.stack)-1].object {
		w.fail(fmt.Errorf("key %q outside an object", name))
		return w
	}
	f := &w.stack[len(w.stack)-1]
	if w.key {
		w.fail(fmt.Errorf("key %q has no value", f.key))
		return w
	}
	if f.n > 0 {
		w.buf = append(w.buf, ',')
	}
	w.buf = appendString(w.buf, name)
	w.buf = append(w.buf, ':')
	f.key, f.keyed = name, true
	w.key = true
	return w
}

// IntKey writes an integer as the key of the next member, in decimal.
func (w *Writer) IntKey(k int64) { w.Key(strconv.FormatInt(k, 10)) }

// UintKey writes an unsigned integer as the key of the next member, in
// decimal.
func (w *Writer) UintKey(k uint64) { w.Key(strconv.FormatUint(k, 10)) }

// TextKey writes the text of k as the key of the next member.
func (w *Writer) TextKey(k encoding.TextMarshaler) {
	if w.err != nil {
		return
	}
	text, err := k.MarshalText()
	if err != nil {
		w.fail(err)
		return
	}
	w.Key(string(text))
}

// Null writes null.
func (w *Writer) Null() {
	if w.beforeValue() {
		w.buf = append(w.buf, "null"...)
		w.afterValue()
	}
}

// String writes a string. Bytes that are not valid UTF-8 are written as
// U+FFFD, as encoding/json does.
func (w *Writer) String(s string) {
	if w.beforeValue() {
		w.buf = appendString(w.buf, s)
		w.afterValue()
	}
}

// StringPtr writes the string p points to, or null for a nil p.
func (w *Writer) StringPtr(p *string) {
	if p == nil {
		w.Null()
		return
	}
	w.String(*p)
}

// Strings writes an array of strings, or null for a nil slice.
func (w *Writer) Strings(s []string) {
	if s == nil {
		w.Null()
		return
	}
	w.BeginArray()
	for _, v := range s {
		w.String(v)
	}
	w.EndArray()
}

// StringMap writes an object of strings with its keys in order, or null
// for a nil map.
func (w *Writer) StringMap(m map[string]string) {
	if m == nil {
		w.Null()
		return
	}
	w.BeginObject()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.Key(k).String(m[k])
	}
	w.EndObject()
}

// Bool writes true or false.
func (w *Writer) Bool(b bool) {
	if w.beforeValue() {
		w.buf = strconv.AppendBool(w.buf, b)
		w.afterValue()
	}
}

// Int writes an integer.
func (w *Writer) Int(i int64) {
	if w.beforeValue() {
		w.buf = strconv.AppendInt(w.buf, i, 10)
		w.afterValue()
	}
}

// Uint writes an unsigned integer.
func (w *Writer) Uint(u uint64) {
	if w.beforeValue() {
		w.buf = strconv.AppendUint(w.buf, u, 10)
		w.afterValue()
	}
}

// Float writes a float of the given size (32 or 64 bits) in the shortest
// form that reads back as the same value. NaN, +Inf and -Inf, which JSON
// numbers cannot hold, are written as the strings "NaN", "+Inf" and "-Inf".
func (w *Writer) Float(f float64, bits int) {
	if w.err != nil {
		return
	}
	if bits != 32 && bits != 64 {
		w.fail(fmt.Errorf("Float: bits must be 32 or 64, not %d", bits))
		return
	}
	switch {
	case math.IsNaN(f):
		w.String("NaN")
	case math.IsInf(f, 1):
		w.String("+Inf")
	case math.IsInf(f, -1):
		w.String("-Inf")
	default:
		if w.beforeValue() {
			w.buf = appendFloat(w.buf, f, bits)
			w.afterValue()
		}
	}
}

// appendFloat formats f like encoding/json: plain decimals between 1e-6
// and 1e21, exponents outside, always the shortest round-tripping digits.
func appendFloat(b []byte, f float64, bits int) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 -> 1e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// Complex writes a complex number of the given size (64 or 128 bits) as
// the array [re, im], each part as Float writes it.
func (w *Writer) Complex(c complex128, bits int) {
	if w.err != nil {
		return
	}
	if bits != 64 && bits != 128 {
		w.fail(fmt.Errorf("Complex: bits must be 64 or 128, not %d", bits))
		return
	}
	w.BeginArray()
	w.Float(real(c), bits/2)
	w.Float(imag(c), bits/2)
	w.EndArray()
}

// Bytes writes b as a base64 string (standard alphabet, padded), or null
// when b is nil, so that nil and empty read back as they were.
func (w *Writer) Bytes(b []byte) {
	if b == nil {
		w.Null()
		return
	}
	if w.beforeValue() {
		w.buf = append(w.buf, '"')
		w.buf = base64.StdEncoding.AppendEncode(w.buf, b)
		w.buf = append(w.buf, '"')
		w.afterValue()
	}
}

// Text writes the text of v as a string. An error of its MarshalText or
// AppendText method is the writer's error.
func (w *Writer) Text(v encoding.TextMarshaler) {
	if !w.beforeValue() {
		return
	}
	if a, ok := v.(encoding.TextAppender); ok {
		// Append in place, and escape only when needed (rarely).
		start := len(w.buf)
		buf, err := a.AppendText(append(w.buf, '"'))
		if err != nil {
			w.buf = w.buf[:start]
			w.fail(err)
			return
		}
		if text := buf[start+1:]; needsEscape(text) {
			buf = appendString(buf[:start], string(text))
		} else {
			buf = append(buf, '"')
		}
		w.buf = buf
		w.afterValue()
		return
	}
	text, err := v.MarshalText()
	if err != nil {
		w.fail(err)
		return
	}
	w.buf = appendString(w.buf, string(text))
	w.afterValue()
}

// JSON writes what the MarshalJSON method of v returns, after checking
// that it is one valid JSON value.
func (w *Writer) JSON(v interface{ MarshalJSON() ([]byte, error) }) {
	if !w.beforeValue() {
		return
	}
	data, err := v.MarshalJSON()
	if err != nil {
		w.fail(err)
		return
	}
	r := NewReader(data)
	r.Skip()
	if err := r.End(); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			err = fmt.Errorf("offset %d: %w", ce.Offset, ce.Err)
		}
		w.fail(fmt.Errorf("MarshalJSON returned invalid JSON: %w", err))
		return
	}
	w.buf = append(w.buf, trimSpace(data)...)
	w.afterValue()
}

// Result returns the buffer with the value appended, and nil; or, after
// an error, or when the value is incomplete, the buffer as it was given
// to NewWriter and the first error.
func (w *Writer) Result() ([]byte, error) {
	switch {
	case w.err != nil:
	case len(w.stack) > 0:
		w.err = &Error{Op: "encode", Offset: -1, Err: fmt.Errorf("%d arrays or objects are not ended", len(w.stack))}
	case !w.done:
		w.err = &Error{Op: "encode", Offset: -1, Err: errors.New("no value was written")}
	default:
		return w.buf, nil
	}
	return w.buf[:w.start], w.err
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

const hexDigits = "0123456789abcdef"

// needsEscape reports whether text cannot be written between quotes as it
// is.
func needsEscape(text []byte) bool {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size == 1 {
			return true
		}
		i += size
	}
	return false
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Reader reads one JSON value from a byte slice, in the order typed
// code asks for its parts: Object and Array iterate, the other methods
// read one value each. The input is validated as it is read. The first
// error is kept, as a *Error with the offset and path of the value at
// fault: afterwards iterators yield nothing and the other methods return
// zero values. End returns it.
type Reader struct {
	data  []byte
	pos   int
	last  int // offset of the value read last, for Fail
	keyAt int // offset of the object key read last, for IntKey and the like
	err   error
	depth int
	path  []pathElem
	// frames are the objects and arrays being read with BeginObject,
	// BeginArray and More, innermost last.
	frames []rframe
}

// rframe is an object or array that More reads.
type rframe struct {
	object   bool
	ok       bool   // its opening bracket was read
	open     int    // offset of its opening bracket
	start    int    // offset of the current member's value; -1 before the first
	index    int    // of the current element
	key      string // of the current member
	inMember bool   // the current member's path element is pushed
}

// NewReader returns a reader of data.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// peek skips white space and returns the next byte, or 0 at the end.
func (r *Reader) peek() byte {
	for r.pos < len(r.data) && isSpace(r.data[r.pos]) {
		r.pos++
	}
	if r.pos < len(r.data) {
		return r.data[r.pos]
	}
	return 0
}

// failAt records an error at offset off unless one is recorded already.
func (r *Reader) failAt(off int, err error) {
	if r.err == nil {
		r.err = &Error{Op: "decode", Offset: off, Path: formatPath(r.path), Err: err}
	}
}

func (r *Reader) failf(off int, format string, args ...any) {
	if r.err == nil {
		r.failAt(off, fmt.Errorf(format, args...))
	}
}

// want reports that the next token is not what was wanted.
func (r *Reader) want(what string) {
	r.peek()
	r.failf(r.pos, "want %s, got %s", what, r.describe())
}

// describe names the token at the current position.
func (r *Reader) describe() string {
	if r.pos >= len(r.data) {
		return "the end of the input"
	}
	rest := r.data[r.pos:]
	switch c := rest[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == '-' || '0' <= c && c <= '9':
		return "a number"
	case hasPrefix(rest, "true"):
		return "true"
	case hasPrefix(rest, "false"):
		return "false"
	case hasPrefix(rest, "null"):
		return "null"
	case c < utf8.RuneSelf:
		return fmt.Sprintf("the character %q", c)
	default:
		if ch, size := utf8.DecodeRune(rest); ch != utf8.RuneError || size > 1 {
			return fmt.Sprintf("the character %q", ch)
		}
		return fmt.Sprintf("the byte 0x%02x", c)
	}
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

func (r *Reader) enter() bool {
	if r.depth >= maxDepth {
		r.failf(r.pos, "arrays and objects nested deeper than %d levels", maxDepth)
		return false
	}
	r.depth++
	return true
}

// Object iterates over the members of an object, yielding each key; the
// loop body must read the member's value (a body that reads nothing skips
// it). Breaking out of the loop skips the rest of the object. Anything but
// an object is an error.
func (r *Reader) Object() iter.Seq[string] {
	return func(yield func(string) bool) {
		more := true
		for r.BeginObject(); r.More(); {
			if more {
				more = yield(r.Key())
			}
		}
	}
}

// BeginObject starts reading an object with More: call More before each
// member, read the member's key with Key and its value with the other
// methods (reading nothing skips it); More returns false, and ends the
// object, after the last member. Anything but an object is an error.
//
//	for r.BeginObject(); r.More(); {
//		switch r.Key() { ... }
//	}
func (r *Reader) BeginObject() { r.begin(true) }

// BeginArray starts reading an array with More, as BeginObject does an
// object: call More before each element and read it (reading nothing
// skips it).
//
//	for r.BeginArray(); r.More(); {
//		s = append(s, r.String())
//	}
func (r *Reader) BeginArray() { r.begin(false) }

func (r *Reader) begin(object bool) {
	f := rframe{object: object, start: -1}
	open, what := byte('['), "an array"
	if object {
		open, what = '{', "an object"
	}
	if r.err == nil {
		switch {
		case r.peek() != open:
			r.want(what)
		case r.enter():
			f.ok, f.open = true, r.pos
			r.pos++
		}
	}
	r.frames = append(r.frames, f)
}

// More reports whether the object or array begun last has another member
// or element, and moves to it; at the end, or after an error, it ends the
// object or array and returns false.
func (r *Reader) More() bool {
	if len(r.frames) == 0 {
		r.failf(r.pos, "More without BeginObject or BeginArray")
		return false
	}
	f := &r.frames[len(r.frames)-1]
	if !f.ok || r.err != nil {
		return r.leave(f)
	}
	closer, what := byte(']'), "',' or ']' after an array element"
	if f.object {
		closer, what = '}', "',' or '}' after an object member"
	}
	if f.start >= 0 {
		if r.pos == f.start {
			r.skipValue()
			f = &r.frames[len(r.frames)-1] // skipping may have grown r.frames
		}
		r.path = r.path[:len(r.path)-1]
		f.inMember = false
		if r.err != nil {
			return r.leave(f)
		}
		switch r.peek() {
		case ',':
			r.pos++
			f.index++
		case closer:
			r.pos++
			return r.leave(f)
		default:
			r.want(what)
			return r.leave(f)
		}
	} else if r.peek() == closer {
		r.pos++
		return r.leave(f)
	}
	if f.object {
		if r.peek() != '"' {
			r.want("a string key")
			return r.leave(f)
		}
		keyAt := r.pos
		raw, ok := r.readString()
		if !ok {
			return r.leave(f)
		}
		if r.peek() != ':' {
			r.want("':' after the key")
			return r.leave(f)
		}
		r.pos++
		f.key, r.keyAt = string(raw), keyAt
		r.path = append(r.path, pathElem{key: f.key, hasKey: true})
	} else {
		r.path = append(r.path, pathElem{index: f.index})
	}
	r.peek()
	f.inMember, f.start, r.last = true, r.pos, r.pos
	return true
}

// leave ends the frame f, the innermost, and returns false.
func (r *Reader) leave(f *rframe) bool {
	if f.inMember {
		r.path = r.path[:len(r.path)-1]
	}
	if f.ok {
		r.depth--
		// Now the value read last is the whole object or array.
		r.last = f.open
	}
	r.frames = r.frames[:len(r.frames)-1]
	return false
}

// Key returns the key of the object member More moved to.
func (r *Reader) Key() string {
	if len(r.frames) == 0 {
		return ""
	}
	return r.frames[len(r.frames)-1].key
}

// Array iterates over the elements of an array, yielding each index; the
// loop body must read the element (a body that reads nothing skips it).
// Breaking out of the loop skips the rest of the array. Anything but an
// array is an error.
func (r *Reader) Array() iter.Seq[int] {
	return func(yield func(int) bool) {
		more := true
		for r.BeginArray(); r.More(); {
			if more {
				more = yield(r.frames[len(r.frames)-1].index)
			}
		}
	}
}

// FixedArray is Array for an array that must have exactly n elements, as
// a Go array does: it yields the indexes 0 to n-1, and another length is
// an error.
func (r *Reader) FixedArray(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		if r.err != nil {
			return
		}
		r.peek()
		start := r.pos
		count := 0
		for i := range r.Array() {
			count++
			if i >= n {
				continue // skipped: the count is reported below
			}
			if !yield(i) {
				return
			}
		}
		if r.err == nil && count != n {
			r.failf(start, "want an array of %d elements, got %d", n, count)
		}
	}
}

// Null reads null and reports true when it is the next value; otherwise
// it reads nothing and reports false.
func (r *Reader) Null() bool {
	if r.err != nil || r.peek() != 'n' || !hasPrefix(r.data[r.pos:], "null") {
		return false
	}
	r.last = r.pos
	r.pos += 4
	return true
}

// String reads a string.
func (r *Reader) String() string {
	if r.err != nil {
		return ""
	}
	if r.peek() != '"' {
		r.want("a string")
		return ""
	}
	r.last = r.pos
	s, _ := r.readString()
	return string(s)
}

// StringPtr reads null as a nil pointer, and a string as a pointer to it.
func (r *Reader) StringPtr() *string {
	if r.Null() {
		return nil
	}
	s := r.String()
	return &s
}

// Strings reads null as a nil slice, and an array of strings as a slice
// (an empty array as an empty slice).
func (r *Reader) Strings() []string {
	if r.Null() {
		return nil
	}
	s := []string{}
	for r.BeginArray(); r.More(); {
		s = append(s, r.String())
	}
	return s
}

// StringMap reads null as a nil map, and an object of strings as a map
// (an empty object as an empty map).
func (r *Reader) StringMap() map[string]string {
	if r.Null() {
		return nil
	}
	m := map[string]string{}
	for r.BeginObject(); r.More(); {
		m[r.Key()] = r.String()
	}
	return m
}

// Bool reads true or false.
func (r *Reader) Bool() bool {
	if r.err != nil {
		return false
	}
	r.peek()
	r.last = r.pos
	switch rest := r.data[r.pos:]; {
	case hasPrefix(rest, "true"):
		r.pos += 4
		return true
	case hasPrefix(rest, "false"):
		r.pos += 5
	default:
		r.want("true or false")
	}
	return false
}

// validBits reports whether Int, Uint, IntKey and UintKey take bits.
func validBits(bits int) bool {
	return bits == 0 || bits == 8 || bits == 16 || bits == 32 || bits == 64
}

// intType names the Go type of an integer size: int, int8, uint64...
func intType(prefix string, bits int) string {
	if bits == 0 {
		return prefix
	}
	return prefix + strconv.Itoa(bits)
}

// Int reads an integer that fits in bits bits: 0 (an int), 8, 16, 32 or
// 64, as with strconv.ParseInt. A fraction, an exponent or a value out of
// range is an error.
func (r *Reader) Int(bits int) int64 {
	tok, start, ok := r.integer("Int", bits)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(string(tok), 10, bits)
	if err != nil {
		r.failf(start, "%s is out of range for %s", tok, intType("int", bits))
		return 0
	}
	return v
}

// Uint reads an unsigned integer that fits in bits bits: 0 (a uint), 8,
// 16, 32 or 64, as with strconv.ParseUint. A sign, a fraction, an exponent
// or a value out of range is an error.
func (r *Reader) Uint(bits int) uint64 {
	tok, start, ok := r.integer("Uint", bits)
	if !ok {
		return 0
	}
	if tok[0] == '-' {
		if string(tok) == "-0" {
			return 0
		}
		r.failf(start, "%s is out of range for %s", tok, intType("uint", bits))
		return 0
	}
	v, err := strconv.ParseUint(string(tok), 10, bits)
	if err != nil {
		r.failf(start, "%s is out of range for %s", tok, intType("uint", bits))
		return 0
	}
	return v
}

// integer reads a number token that must be an integer.
func (r *Reader) integer(method string, bits int) (tok []byte, start int, ok bool) {
	if r.err != nil {
		return nil, 0, false
	}
	if !validBits(bits) {
		r.failf(r.pos, "%s: bits must be 0, 8, 16, 32 or 64, not %d", method, bits)
		return nil, 0, false
	}
	if c := r.peek(); c != '-' && (c < '0' || c > '9') {
		r.want("an integer")
		return nil, 0, false
	}
	start = r.pos
	r.last = start
	tok, isInt, ok := r.readNumber()
	if !ok {
		return nil, 0, false
	}
	if !isInt {
		r.failf(start, "want an integer, got %s", tok)
		return nil, 0, false
	}
	return tok, start, true
}

// Float reads a float of the given size (32 or 64 bits): a number, or one
// of the strings "NaN", "+Inf" and "-Inf". A number out of range is an
// error.
func (r *Reader) Float(bits int) float64 {
	if r.err != nil {
		return 0
	}
	if bits != 32 && bits != 64 {
		r.failf(r.pos, "Float: bits must be 32 or 64, not %d", bits)
		return 0
	}
	c := r.peek()
	start := r.pos
	r.last = start
	switch {
	case c == '"':
		s, ok := r.readString()
		if !ok {
			return 0
		}
		switch string(s) {
		case "NaN":
			return math.NaN()
		case "+Inf":
			return math.Inf(1)
		case "-Inf":
			return math.Inf(-1)
		}
		r.failf(start, `want a number, "NaN", "+Inf" or "-Inf", got the string %q`, s)
	case c == '-' || '0' <= c && c <= '9':
		tok, _, ok := r.readNumber()
		if !ok {
			return 0
		}
		v, err := strconv.ParseFloat(string(tok), bits)
		if err != nil {
			r.failf(start, "%s is out of range for float%d", tok, bits)
			return 0
		}
		return v
	default:
		r.want("a number")
	}
	return 0
}

// Complex reads a complex number of the given size (64 or 128 bits): the
// array [re, im], each part as Float reads it.
func (r *Reader) Complex(bits int) complex128 {
	if r.err != nil {
		return 0
	}
	if bits != 64 && bits != 128 {
		r.failf(r.pos, "Complex: bits must be 64 or 128, not %d", bits)
		return 0
	}
	var parts [2]float64
	for i := range r.FixedArray(2) {
		parts[i] = r.Float(bits / 2)
	}
	if r.err != nil {
		return 0
	}
	return complex(parts[0], parts[1])
}

// Bytes reads a base64 string (standard alphabet, padded), or null, which
// gives nil.
func (r *Reader) Bytes() []byte {
	if r.Null() {
		return nil
	}
	if r.err != nil {
		return nil
	}
	if r.peek() != '"' {
		r.want("a base64 string")
		return nil
	}
	start := r.pos
	r.last = start
	s, ok := r.readString()
	if !ok {
		return nil
	}
	b, err := base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(s))), s)
	if err != nil {
		r.failf(start, "invalid base64: %w", err)
		return nil
	}
	return b
}

// Text reads a string and sets v from it with its UnmarshalText method,
// whose error is the reader's error.
func (r *Reader) Text(v encoding.TextUnmarshaler) {
	if r.err != nil {
		return
	}
	if r.peek() != '"' {
		r.want("a string")
		return
	}
	start := r.pos
	r.last = start
	s, ok := r.readString()
	if !ok {
		return
	}
	if err := v.UnmarshalText(s); err != nil {
		r.failAt(start, err)
	}
}

// JSON reads any value and sets v from it with its UnmarshalJSON method,
// whose error is the reader's error.
func (r *Reader) JSON(v interface{ UnmarshalJSON([]byte) error }) {
	if r.err != nil {
		return
	}
	r.peek()
	start := r.pos
	r.skipValue()
	if r.err != nil {
		return
	}
	r.last = start
	if err := v.UnmarshalJSON(r.data[start:r.pos]); err != nil {
		r.failAt(start, err)
	}
}

// IntKey parses the key of a map member as an integer of bits bits, as
// Int does; the key must be in decimal.
func (r *Reader) IntKey(key string, bits int) int64 {
	if r.err != nil {
		return 0
	}
	if !validBits(bits) {
		r.failf(r.keyAt, "IntKey: bits must be 0, 8, 16, 32 or 64, not %d", bits)
		return 0
	}
	v, err := strconv.ParseInt(key, 10, bits)
	if err != nil {
		r.keyError(key, "int", bits, err)
		return 0
	}
	return v
}

// UintKey parses the key of a map member as an unsigned integer of bits
// bits, as Uint does; the key must be in decimal.
func (r *Reader) UintKey(key string, bits int) uint64 {
	if r.err != nil {
		return 0
	}
	if !validBits(bits) {
		r.failf(r.keyAt, "UintKey: bits must be 0, 8, 16, 32 or 64, not %d", bits)
		return 0
	}
	v, err := strconv.ParseUint(key, 10, bits)
	if err != nil {
		r.keyError(key, "uint", bits, err)
		return 0
	}
	return v
}

func (r *Reader) keyError(key, prefix string, bits int, err error) {
	if errors.Is(err, strconv.ErrRange) {
		r.failf(r.keyAt, "map key %q is out of range for %s", key, intType(prefix, bits))
	} else {
		r.failf(r.keyAt, "map key %q is not an integer", key)
	}
}

// TextKey sets v from the key of a map member with its UnmarshalText
// method, whose error is the reader's error.
func (r *Reader) TextKey(key string, v encoding.TextUnmarshaler) {
	if r.err != nil {
		return
	}
	if err := v.UnmarshalText([]byte(key)); err != nil {
		r.failAt(r.keyAt, fmt.Errorf("map key %q: %w", key, err))
	}
}

// Skip reads any value and discards it, for members a decoder does not
// know.
func (r *Reader) Skip() {
	if r.err == nil {
		r.peek()
		start := r.pos
		r.skipValue()
		r.last = start
	}
}

func (r *Reader) skipValue() {
	switch c := r.peek(); {
	case c == '{':
		for range r.Object() {
			r.skipValue()
		}
	case c == '[':
		for range r.Array() {
			r.skipValue()
		}
	case c == '"':
		r.readString()
	case c == '-' || '0' <= c && c <= '9':
		r.readNumber()
	case hasPrefix(r.data[r.pos:], "true"):
		r.pos += 4
	case hasPrefix(r.data[r.pos:], "false"):
		r.pos += 5
	case hasPrefix(r.data[r.pos:], "null"):
		r.pos += 4
	default:
		r.want("a value")
	}
}

// Fail records err as the reader's error, at the value read last, unless
// the reader has failed already; a nil err does nothing. Generated code
// uses it for errors of its own.
func (r *Reader) Fail(err error) {
	if err != nil {
		r.failAt(r.last, err)
	}
}

// End checks that nothing but white space follows the value read, and
// returns the first error, or nil.
func (r *Reader) End() error {
	if r.err == nil {
		if r.peek(); r.pos < len(r.data) {
			r.failf(r.pos, "want the end of the input, got %s", r.describe())
		}
	}
	return r.err
}

// readString reads the string at the current position (an opening quote)
// and returns its text, which aliases the input when it has no escapes.
func (r *Reader) readString() ([]byte, bool) {
	start := r.pos
	i := start + 1
	// Fast path: no escapes.
	for i < len(r.data) {
		c := r.data[i]
		switch {
		case c == '"':
			r.pos = i + 1
			return r.data[start+1 : i], true
		case c == '\\':
			return r.readEscaped(start, i)
		case c < 0x20:
			r.failf(i, "control character %q in a string: write it as an escape", c)
			return nil, false
		case c < utf8.RuneSelf:
			i++
		default:
			ch, size := utf8.DecodeRune(r.data[i:])
			if ch == utf8.RuneError && size == 1 {
				r.failf(i, "invalid UTF-8 in a string")
				return nil, false
			}
			i += size
		}
	}
	r.failf(start, "the input ends inside a string")
	return nil, false
}

// readEscaped continues readString from the first backslash at i.
func (r *Reader) readEscaped(start, i int) ([]byte, bool) {
	out := make([]byte, 0, i-start+16)
	out = append(out, r.data[start+1:i]...)
	for i < len(r.data) {
		c := r.data[i]
		switch {
		case c == '"':
			r.pos = i + 1
			return out, true
		case c == '\\':
			if i+1 >= len(r.data) {
				r.failf(start, "the input ends inside a string")
				return nil, false
			}
			switch e := r.data[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				ch, ok := r.hex4(i)
				if !ok {
					return nil, false
				}
				i += 6
				if utf16.IsSurrogate(ch) {
					// A high surrogate followed by a low one is one
					// character; a lone half reads as U+FFFD.
					if lo, ok := r.peekHex4(i); ok {
						if pair := utf16.DecodeRune(ch, lo); pair != utf8.RuneError {
							ch = pair
							i += 6
						} else {
							ch = utf8.RuneError
						}
					} else {
						ch = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, ch)
			default:
				r.failf(i, "invalid escape %q in a string", r.data[i:i+2])
				return nil, false
			}
		case c < 0x20:
			r.failf(i, "control character %q in a string: write it as an escape", c)
			return nil, false
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			ch, size := utf8.DecodeRune(r.data[i:])
			if ch == utf8.RuneError && size == 1 {
				r.failf(i, "invalid UTF-8 in a string")
				return nil, false
			}
			out = append(out, r.data[i:i+size]...)
			i += size
		}
	}
	r.failf(start, "the input ends inside a string")
	return nil, false
}

// hex4 parses the \uXXXX escape at i, reporting a malformed one.
func (r *Reader) hex4(i int) (rune, bool) {
	if ch, ok := r.peekHex4(i); ok {
		return ch, true
	}
	end := min(i+6, len(r.data))
	r.failf(i, "invalid escape %q in a string: want \\u and four hex digits", r.data[i:end])
	return 0, false
}

// peekHex4 parses a \uXXXX escape at i, if there is one.
func (r *Reader) peekHex4(i int) (rune, bool) {
	if i+6 > len(r.data) || r.data[i] != '\\' || r.data[i+1] != 'u' {
		return 0, false
	}
	var ch rune
	for _, c := range r.data[i+2 : i+6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		ch = ch<<4 | rune(c)
	}
	return ch, true
}

// readNumber reads a number per the JSON grammar and reports whether it is
// an integer (no fraction, no exponent).
func (r *Reader) readNumber() (tok []byte, isInt, ok bool) {
	start := r.pos
	i := start
	data := r.data
	digits := func() int {
		n := 0
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	bad := func(what string) ([]byte, bool, bool) {
		r.failf(start, "invalid number %q: %s", data[start:min(i+1, len(data))], what)
		return nil, false, false
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case digits() == 0:
		return bad("want a digit")
	}
	isInt = true
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return bad("want a digit after the decimal point")
		}
		isInt = false
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return bad("want a digit in the exponent")
		}
		isInt = false
	}
	r.pos = i
	return data[start:i], isInt, true
}
