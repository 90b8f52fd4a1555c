package field_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/triggergen/triggergen/runtime/field"
)

// fieldT is a generated MField type.
type fieldT uint16

func TestFieldSet(t *testing.T) {
	var s field.Set
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
	assert.Equal(t, []fieldT{0, 70, 255}, field.List[fieldT](s))
}

func TestFieldSetOf(t *testing.T) {
	s := field.SetOf(false, true, false, true)
	assert.Equal(t, []fieldT{1, 3}, field.List[fieldT](s))
	assert.True(t, field.SetOf().Empty())
	assert.True(t, field.SetOf(false, false).Empty())
	assert.Nil(t, field.List[fieldT](field.Set{}), "no changed field: a nil slice")
}

func TestAnyIn(t *testing.T) {
	s := field.SetOf(false, true)
	assert.True(t, field.AnyIn[fieldT](s, nil), "no fields: any field")
	assert.False(t, field.AnyIn[fieldT](field.Set{}, nil))
	assert.True(t, field.AnyIn(s, []fieldT{0, 1}))
	assert.False(t, field.AnyIn(s, []fieldT{0, 2}))
}

func BenchmarkFieldSetOf(b *testing.B) {
	b.ReportAllocs()
	var s field.Set
	for b.Loop() {
		s = field.SetOf(true, false, true, false, true, false, true, false, true, false)
	}
	if s.Len() != 5 {
		b.Fatal(s.Len())
	}
}

func TestName(t *testing.T) {
	names := []string{"ID", "Status"}
	tests := []struct {
		i    int
		want string
	}{{0, "ID"}, {1, "Status"}, {2, "CardField(2)"}, {-1, "CardField(-1)"}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, field.Name(names, tt.i, "CardField"))
	}
}

func TestFloatEqual(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		a, b float64
		want bool
	}{{1, 1, true}, {1, 2, false}, {nan, nan, true}, {nan, 1, false}, {0, math.Copysign(0, -1), true}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, field.FloatEqual(tt.a, tt.b), "%v == %v", tt.a, tt.b)
	}
	assert.True(t, field.FloatEqual(float32(nan), float32(nan)))
}
