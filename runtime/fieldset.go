package runtime

import (
	"math/bits"
	"strconv"
)

// MaxFields is the largest number of tracked fields a model may have.
const MaxFields = 256

// FieldSet is a set of field numbers (0..255) of one model. The zero value is
// empty. Generated change types report their changed fields as a FieldSet
// without allocating.
type FieldSet [MaxFields / 64]uint64

// Add puts field f in the set.
func (s *FieldSet) Add(f uint16) {
	if f < MaxFields {
		s[f/64] |= 1 << (f % 64)
	}
}

// Has reports whether field f is in the set.
func (s FieldSet) Has(f uint16) bool {
	return f < MaxFields && s[f/64]&(1<<(f%64)) != 0
}

// Len returns the number of fields in the set.
func (s FieldSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// Empty reports whether the set has no fields.
func (s FieldSet) Empty() bool { return s == FieldSet{} }

// FieldSetOf returns the set of the fields whose entry is true: field i is
// in the set when changed[i] is. Generated ChangedSet methods call it with
// each tracked field's comparison, in declaration order.
//
// It is not inlined: each model's ChangedSet stays a list of comparisons
// and one call, which is cheaper to compile.
//
//go:noinline
func FieldSetOf(changed ...bool) FieldSet {
	var s FieldSet
	for i, c := range changed {
		if c {
			s.Add(uint16(i))
		}
	}
	return s
}

// AnyIn reports whether any of fields is in s; with no fields, whether s
// has any field. Generated Changed methods call it.
func AnyIn[F ~uint16](s FieldSet, fields []F) bool {
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

// FieldsIn returns the fields of s in increasing order, as F values.
// Generated ChangedFields methods call it.
func FieldsIn[F ~uint16](s FieldSet) []F {
	var fs []F
	for i, word := range s {
		for word != 0 {
			fs = append(fs, F(i*64+bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	return fs
}

// FieldName returns names[i], or typ(i) when i is out of range: the
// String method of a generated MField type, with names the model's tracked
// fields.
func FieldName(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return typ + "(" + strconv.Itoa(i) + ")"
}
