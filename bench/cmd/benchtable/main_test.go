package main

import (
	"strings"
	"testing"
)

const out = `goos: linux
BenchmarkUpdate/hand-2         	22336843	        28.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkUpdate/triggergen-2   	  747651	       998.0 ns/op	     288 B/op	       1 allocs/op
BenchmarkUpdate/hand-2         	22221237	        30.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkUpdate/triggergen-2   	  620150	       900.0 ns/op	     288 B/op	       1 allocs/op
BenchmarkUpdate/hand-2         	22221237	        26.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkUpdate/triggergen_no_match-2         	 3392974	       180.3 ns/op	       0 B/op	       0 allocs/op
PASS
`

func TestParseAndMedian(t *testing.T) {
	res, order, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "hand,triggergen,triggergen_no_match" {
		t.Fatalf("order %s", got)
	}
	h := summarize(res["hand"])
	if h.ns != 28 || h.min != 26 || h.max != 30 || h.n != 3 || h.allocs != 0 {
		t.Fatalf("hand %+v", h)
	}
	tg := summarize(res["triggergen"])
	if tg.ns != 949 || tg.allocs != 1 || tg.bytes != 288 {
		t.Fatalf("triggergen %+v", tg)
	}
}
