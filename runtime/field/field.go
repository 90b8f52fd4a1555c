// Package field is the change tracking that generated code shares: a set of
// changed fields, the helpers that build and read it, the String of a
// generated field type and the float comparison of float fields. Programs
// meet it through the generated ChangedSet, Changed and ChangedFields
// methods; the engine (package runtime) reads a model's ChangedSet to test
// `changed` conditions.
package field

import (
	"math/bits"
	"strconv"
)

// Max is the largest number of tracked fields a model may have.
const Max = 256

// Set is a set of field numbers (0..255) of one model. The zero value is
// empty. Generated change types report their changed fields as a Set
// without allocating.
type Set [Max / 64]uint64

// Add puts field f in the set.
func (s *Set) Add(f uint16) {
	if f < Max {
		s[f/64] |= 1 << (f % 64)
	}
}

// Has reports whether field f is in the set.
func (s Set) Has(f uint16) bool {
	return f < Max && s[f/64]&(1<<(f%64)) != 0
}

// Len returns the number of fields in the set.
func (s Set) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// Empty reports whether the set has no fields.
func (s Set) Empty() bool { return s == Set{} }

// SetOf returns the set of the fields whose entry is true: field i is
// in the set when changed[i] is. Generated ChangedSet methods call it with
// each tracked field's comparison, in declaration order.
//
// It is not inlined: each model's ChangedSet stays a list of comparisons
// and one call, which is cheaper to compile.
//
//go:noinline
func SetOf(changed ...bool) Set {
	var s Set
	for i, c := range changed {
		if c {
			s.Add(uint16(i))
		}
	}
	return s
}

// AnyIn reports whether any of fields is in s; with no fields, whether s
// has any field. Generated Changed methods call it.
func AnyIn[F ~uint16](s Set, fields []F) bool {
	if len(fields) == 0 {
		return !s.Empty()
	}
	for _, f := range fields {
		if s.Has(uint16(f)) {
			return true
		}
	}
	return false
}

// List returns the fields of s in increasing order, as F values.
// Generated ChangedFields methods call it.
func List[F ~uint16](s Set) []F {
	var fs []F
	for i, word := range s {
		for word != 0 {
			fs = append(fs, F(i*64+bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	return fs
}

// Name returns names[i], or typ(i) when i is out of range: the
// String method of a generated MField type, with names the model's tracked
// fields.
func Name(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return typ + "(" + strconv.Itoa(i) + ")"
}

// FloatEqual reports whether a and b are equal, treating NaN as equal to NaN.
// Generated change tracking uses it for float fields.
func FloatEqual[F ~float32 | ~float64](a, b F) bool {
	return a == b || (a != a && b != b)
}
