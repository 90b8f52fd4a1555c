package main

import (
	"bytes"
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
	res, order, err := parse(strings.NewReader(out), "Update")
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

const gormOut = `goos: linux
BenchmarkUpdate/hand-2         	22336843	        28.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkGORMUpdate/plain-2         	    9262	     40000 ns/op	    4878 B/op	      61 allocs/op
BenchmarkGORMUpdate/plugin-2        	    6158	     80000 ns/op	    6844 B/op	     100 allocs/op
BenchmarkGORMUpdate/plugin-by-key-2 	    1545	    200000 ns/op	   14375 B/op	     217 allocs/op
BenchmarkGORMUpdate/hooks-2         	   10008	     50000 ns/op	    6272 B/op	      82 allocs/op
PASS
BenchmarkGORMUpdate/plain-2         	    9262	     30000 ns/op	    4878 B/op	      61 allocs/op
BenchmarkGORMUpdate/plugin-2        	    6158	     66000 ns/op	    6844 B/op	     100 allocs/op
BenchmarkGORMUpdate/plugin-by-key-2 	    1545	    150000 ns/op	   14375 B/op	     217 allocs/op
BenchmarkGORMUpdate/hooks-2         	   10008	     40500 ns/op	    6272 B/op	      82 allocs/op
PASS
`

func TestGORMReport(t *testing.T) {
	res, order, err := parse(strings.NewReader(gormOut), "GORMUpdate")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "plain,plugin,plugin-by-key,hooks" {
		t.Fatalf("order %s", got)
	}
	var b bytes.Buffer
	if err := gormReport(&b, res, order); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"(median of 2 runs)",
		"| `plain` | 35000 | 30000–40000 | 4878 | 61 | 1.00x | 0.77x | — | — | — |",
		"| `plugin` | 73000 | 66000–80000 | 6844 | 100 | 2.09x | 1.61x | 38000 | 12000 | 39 |",
		"| `hooks` | 45250 | 40500–50000 | 6272 | 82 | 1.29x | 1.00x | 10250 | 9750 | 21 |",
		"plugin/plain 2.10x (2.00x–2.20x), plugin/hooks 1.61x (1.60x–1.63x), plugin-by-key/plain 5.00x (5.00x–5.00x), hooks/plain 1.30x (1.25x–1.35x).",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	delete(res, "hooks")
	if err := gormReport(&b, res, order); err == nil {
		t.Error("a report without hooks succeeded")
	}
}
