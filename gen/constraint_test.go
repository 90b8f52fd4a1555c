package gen

import (
	"go/build/constraint"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileConstraint(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"a.go", "package a\n", ""},
		{"a_linux.go", "package a\n", "linux"},
		{"a_linux_test.go", "package a\n", "linux"},
		{"a_amd64.go", "package a\n", "amd64"},
		{"a_windows_arm64.go", "package a\n", "windows && arm64"},
		{"linux.go", "package a\n", ""},
		{"a_gen.go", "package a\n", ""},
		{"a.go", "//go:build foo || bar\n\npackage a\n", "foo || bar"},
		{"a_linux.go", "//go:build foo || bar\n\npackage a\n", "(foo || bar) && linux"},
		{"a_linux.go", "//go:build linux\n\npackage a\n", "linux"},
		{"a.go", "// +build foo bar\n// +build !baz\n\npackage a\n", "(foo || bar) && !baz"},
		{"a.go", "// Package a is documented.\npackage a\n", ""},
		{"a.go", "package a\n\n//go:build foo\n", ""},
	}
	for _, tt := range tests {
		f, err := parser.ParseFile(token.NewFileSet(), tt.name, tt.src, parser.ParseComments)
		require.NoError(t, err)
		assert.Equal(t, tt.want, exprKey(fileConstraint(f, tt.name)), "%s: %q", tt.name, tt.src)
	}
}

func TestConstraintSlug(t *testing.T) {
	for in, want := range map[string]string{
		"linux":                  "linux",
		"linux && amd64":         "linux_and_amd64",
		"!windows":               "not_windows",
		"foo && !bar":            "foo_and_not_bar",
		"(foo || bar) && linux":  "foo_or_bar_and_linux",
		"go1.22 && Integration":  "go1_22_and_integration",
		"goexperiment.rangefunc": "goexperiment_rangefunc",
	} {
		x, err := constraint.Parse("//go:build " + in)
		require.NoError(t, err)
		assert.Equal(t, want, constraintSlug(x), in)
	}
}

func TestImplies(t *testing.T) {
	parse := func(s string) constraint.Expr {
		if s == "" {
			return nil
		}
		x, err := constraint.Parse("//go:build " + s)
		require.NoError(t, err)
		return x
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{"linux", "linux", true},
		{"linux && amd64", "linux", true},
		{"linux", "linux && amd64", false},
		{"", "linux", false},
		{"linux", "", true},
		{"foo || bar", "foo", false},
		{"(foo || bar) && linux", "foo || bar", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, implies(parse(tt.a), parse(tt.b)), "%q implies %q", tt.a, tt.b)
	}
}

func TestConfigFor(t *testing.T) {
	cur := buildConfig{goos: "linux", goarch: "amd64", tags: []string{"foo"}}
	tests := []struct {
		expr string
		want string // "" for none
	}{
		{"linux", "GOOS=linux GOARCH=amd64 -tags=foo"},
		{"windows", "GOOS=windows GOARCH=amd64 -tags=foo"},
		{"arm64", "GOOS=linux GOARCH=arm64 -tags=foo"},
		{"darwin && arm64", "GOOS=darwin GOARCH=arm64 -tags=foo"},
		{"!foo", "GOOS=linux GOARCH=amd64"},
		{"bar && !foo", "GOOS=linux GOARCH=amd64 -tags=bar"},
		{"unix && !linux", "GOOS=darwin GOARCH=amd64 -tags=foo"}, // not android, which counts as linux
		{"ios", "GOOS=ios GOARCH=amd64 -tags=foo"},
		{"linux && windows", ""},
		{"cgo && windows", ""},
		{"go1.1", "GOOS=linux GOARCH=amd64 -tags=foo"},
		{"go1.999", ""},
	}
	for _, tt := range tests {
		x, err := constraint.Parse("//go:build " + tt.expr)
		require.NoError(t, err)
		c, ok := configFor(x, cur)
		if tt.want == "" {
			assert.False(t, ok, "%s: got %s", tt.expr, c)
			continue
		}
		if assert.True(t, ok, tt.expr) {
			assert.Equal(t, tt.want, c.String(), tt.expr)
			assert.True(t, c.satisfies(x), tt.expr)
		}
	}
}
