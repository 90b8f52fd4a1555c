package cond

import (
	"errors"
	"reflect"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, tc := range validTests {
		f.Add(tc.in)
	}
	for _, tc := range errorTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("%q: error %v is %T, not *Error", src, err, err)
			}
			if perr.Pos < 0 || int(perr.Pos) > len(src) {
				t.Fatalf("%q: error position %d outside 0..%d: %v", src, perr.Pos, len(src), err)
			}
			if perr.Msg == "" {
				t.Fatalf("%q: empty error message", src)
			}
			if e != nil {
				t.Fatalf("%q: non-nil Expr with error", src)
			}
			return
		}
		if e == nil {
			t.Fatalf("%q: nil Expr without error", src)
		}
		checkPositions(t, src, e)
		s := e.String()
		e2, err := Parse(s)
		if err != nil {
			t.Fatalf("%q: String() = %q does not parse: %v", src, s, err)
		}
		if s2 := e2.String(); s2 != s {
			t.Fatalf("%q: String() = %q, reparsed String() = %q", src, s, s2)
		}
		if !reflect.DeepEqual(stripPos(e), stripPos(e2)) {
			t.Fatalf("%q: reparsing %q gives a different tree", src, s)
		}
	})
}
