package runtime

import "math/bits"

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
