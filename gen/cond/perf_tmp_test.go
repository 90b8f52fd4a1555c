package cond

import ("testing";"strings";"time")

func TestPerfTmp(t *testing.T) {
	for _, s := range []string{strings.Repeat("A and ", 200000) + "A", strings.Repeat("not A or ", 200000) + "A", strings.Repeat("(A) and ", 200000) + "A", "X in (" + strings.Repeat("1,", 100000) + "1)", strings.Repeat("Q ", 10000)} {
		st := time.Now()
		e, err := Parse(s)
		d1 := time.Since(st)
		if err == nil { _ = e.String(); e2, _ := Parse(e.String()); _ = stripPos(e2); checkPositions(t, s, e) }
		t.Log(len(s), d1, time.Since(st), err)
	}
}
