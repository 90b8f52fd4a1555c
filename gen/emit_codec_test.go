package gen

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCodecProblem checks which types have a JSON form, on the types of
// the variables of a small package.
func TestCodecProblem(t *testing.T) {
	const src = `package p

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"time"
	"unsafe"
)

type Enum int

func (e *Enum) MarshalText() ([]byte, error) { return nil, nil }
func (e *Enum) UnmarshalText([]byte) error   { return nil }

// OnlyOut has MarshalText but no UnmarshalText: an int.
type OnlyOut int

func (OnlyOut) MarshalText() ([]byte, error) { return nil, nil }

// WrongSig has an UnmarshalText of another signature: an int.
type WrongSig int

func (WrongSig) MarshalText() ([]byte, error) { return nil, nil }
func (*WrongSig) UnmarshalText(string) error  { return nil }

type Node struct {
	Label string
	Next  *Node
}

type G[T any] struct {
	V    T
	Next *G[T]
}

type local struct{ a, b int }

type Outer struct {
	In struct {
		Deep []map[string]chan int
	}
}

type Point struct{ X, Y int }

var (
	S        string
	D        time.Duration
	At       time.Time
	Addr     netip.Addr
	E        Enum
	Out      OnlyOut
	Wrong    WrongSig
	Raw      json.RawMessage
	Local    local
	Anon     struct{ A int; b string }
	ByEnum   map[Enum]int
	ByInt    map[int8][]*string
	C        complex64
	Seed     rand.PCG
	PSeed    *rand.PCG
	Ch       chan int
	Fn       func()
	Any      any
	Ptr      unsafe.Pointer
	Rec      Node
	Gen      G[int]
	Deep     Outer
	ByPoint  map[Point]int
	ByBool   map[bool]int
	ByFloat  map[float64]int
)
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	require.NoError(t, err)
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	pkg, err := conf.Check("example.com/p", fset, []*ast.File{f}, nil)
	require.NoError(t, err)

	tests := []struct{ name, path, why string }{
		{"S", "", ""},
		{"D", "", ""},
		{"At", "", ""},
		{"Addr", "", ""},
		{"E", "", ""},
		{"Out", "", ""},
		{"Wrong", "", ""},
		{"Raw", "", ""},
		{"Local", "", ""},
		{"Anon", "", ""},
		{"ByEnum", "", ""},
		{"ByInt", "", ""},
		{"C", "", ""},
		{"Seed", "", "rand.PCG has unexported fields and no MarshalText or MarshalJSON method"},
		{"PSeed", "", "rand.PCG has unexported fields and no MarshalText or MarshalJSON method"},
		{"Ch", "", "a chan has no JSON form"},
		{"Fn", "", "a func has no JSON form"},
		{"Any", "", "an interface has no JSON form that can be decoded: its dynamic type is unknown"},
		{"Ptr", "", "an unsafe.Pointer has no JSON form"},
		{"Rec", ".Next", "type Node is recursive"},
		{"Gen", ".Next", "type G[int] is recursive"},
		{"Deep", ".In.Deep", "a chan has no JSON form"},
		{"ByPoint", "", "map key type Point is not a string, an integer or a type with MarshalText and UnmarshalText methods"},
		{"ByBool", "", "map key type bool is not a string, an integer or a type with MarshalText and UnmarshalText methods"},
		{"ByFloat", "", "map key type float64 is not a string, an integer or a type with MarshalText and UnmarshalText methods"},
	}
	for _, tt := range tests {
		obj := pkg.Scope().Lookup(tt.name)
		require.NotNil(t, obj, tt.name)
		path, why := codecProblem(obj.Type(), pkg)
		assert.Equal(t, tt.path, path, tt.name)
		assert.Equal(t, tt.why, why, tt.name)
	}

	kinds := map[string]codecKind{
		"S": codecBasic, "D": codecBasic, "At": codecText, "Addr": codecText, "E": codecText,
		"Out": codecBasic, "Wrong": codecBasic, "Raw": codecJSON, "Local": codecStruct, "ByEnum": codecMap,
		"C": codecBasic, "PSeed": codecPointer, "Ch": codecNone, "Any": codecNone, "Ptr": codecNone,
	}
	for name, want := range kinds {
		assert.Equal(t, want, kindOf(pkg.Scope().Lookup(name).Type()), name)
	}
	_, addr := marshaler(pkg.Scope().Lookup("E").Type(), "Text")
	assert.True(t, addr, "Enum's MarshalText needs a pointer")
	_, addr = marshaler(pkg.Scope().Lookup("At").Type(), "Text")
	assert.False(t, addr, "time.Time's MarshalText does not")
}
