package runtime_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/triggergen/triggergen/runtime"
)

// field is a generated MField type.
type field uint16

func TestFieldSet(t *testing.T) {
	var s runtime.FieldSet
	assert.True(t, s.Empty())
	s.Add(0)
	s.Add(70)
	s.Add(255)
	s.Add(256) // out of range: ignored
	assert.False(t, s.Empty())
	assert.Equal(t, 3, s.Len())
	assert.True(t, s.Has(70))
	assert.False(t, s.Has(71))
	assert.False(t, s.Has(256))
	assert.Equal(t, []field{0, 70, 255}, runtime.FieldsIn[field](s))
}

func TestFieldSetOf(t *testing.T) {
	s := runtime.FieldSetOf(false, true, false, true)
	assert.Equal(t, []field{1, 3}, runtime.FieldsIn[field](s))
	assert.True(t, runtime.FieldSetOf().Empty())
	assert.True(t, runtime.FieldSetOf(false, false).Empty())
	assert.Nil(t, runtime.FieldsIn[field](runtime.FieldSet{}), "no changed field: a nil slice")
}

func TestAnyIn(t *testing.T) {
	s := runtime.FieldSetOf(false, true)
	assert.True(t, runtime.AnyIn[field](s, nil), "no fields: any field")
	assert.False(t, runtime.AnyIn[field](runtime.FieldSet{}, nil))
	assert.True(t, runtime.AnyIn(s, []field{0, 1}))
	assert.False(t, runtime.AnyIn(s, []field{0, 2}))
}

func BenchmarkFieldSetOf(b *testing.B) {
	b.ReportAllocs()
	var s runtime.FieldSet
	for b.Loop() {
		s = runtime.FieldSetOf(true, false, true, false, true, false, true, false, true, false)
	}
	if s.Len() != 5 {
		b.Fatal(s.Len())
	}
}
