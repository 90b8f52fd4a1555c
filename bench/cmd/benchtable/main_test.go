package main

import (
	"bytes"
	"os"
	"path/filepath"
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

// rounds is BenchmarkUpdate output of three rounds in which the load
// changed: the medians of the implementations come from different rounds,
// the ratios within a round stay put.
const roundsOut = `goos: linux
BenchmarkUpdate/nop_write-2              	100	2.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/hand-2                   	100	10.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/hand_no_match-2          	100	10.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/handwritten-observed-2   	100	100.0 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/triggergen-2             	100	140.0 ns/op	144 B/op	1 allocs/op
BenchmarkUpdate/triggergen_no_match-2    	100	25.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/ent_nosql-2              	100	1000 ns/op	0 B/op	27 allocs/op
BenchmarkUpdate/ent_nosql_nohooks-2      	100	300.0 ns/op	0 B/op	6 allocs/op
PASS
BenchmarkUpdate/nop_write-2              	100	4.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/hand-2                   	100	20.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/hand_no_match-2          	100	20.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/handwritten-observed-2   	100	200.0 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/triggergen-2             	100	280.0 ns/op	144 B/op	1 allocs/op
BenchmarkUpdate/triggergen_no_match-2    	100	50.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/ent_nosql-2              	100	2000 ns/op	0 B/op	27 allocs/op
BenchmarkUpdate/ent_nosql_nohooks-2      	100	600.0 ns/op	0 B/op	6 allocs/op
PASS
BenchmarkUpdate/nop_write-2              	100	3.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/hand-2                   	100	15.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/hand_no_match-2          	100	15.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/handwritten-observed-2   	100	120.0 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/triggergen-2             	100	300.0 ns/op	144 B/op	1 allocs/op
BenchmarkUpdate/triggergen_no_match-2    	100	60.00 ns/op	0 B/op	0 allocs/op
BenchmarkUpdate/ent_nosql-2              	100	1500 ns/op	0 B/op	27 allocs/op
BenchmarkUpdate/ent_nosql_nohooks-2      	100	450.0 ns/op	0 B/op	6 allocs/op
PASS
`

func TestUpdateReportPerRoundRatios(t *testing.T) {
	res, order, err := parse(strings.NewReader(roundsOut), "Update")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := updateReport(&b, res, order, "hand"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"(median of 3 rounds)",
		// 140/100, 280/200, 300/120: the median of the ratios, 1.40x,
		// not the ratio of the medians, 280/120.
		"| default (full) observation, 2 of 10 match: at most 1.5x `handwritten-observed`, at most 1 allocation | 1.40x (1.40x–2.50x) | 1 | yes |",
		// 25/10, 50/20, 60/15.
		"| no trigger matches: at most 3x the bare ifs (`hand_no_match`), 0 allocations | 2.50x (2.50x–4.00x) | 0 | yes |",
		// ent: 700, 1400, 1050 over triggergen's 138, 276, 297.
		"| at least 5x less overhead than ent hooks on a loaded entity (default observation) | 5.07x (3.54x–5.07x) | — | yes |",
		"| `triggergen` | 280 | 140–300 | 144 | 1 | 14.0x (14.0x–20.0x) |",
		"| ent hooks, loaded entity (no SQL) (`ent_nosql` − `ent_nosql_nohooks`) | 1050 | 700–1400 | 21 | 5.07x (3.54x–5.07x) |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	// A round that lost an implementation is refused, not misaligned.
	res["hand"] = res["hand"][:2]
	if err := updateReport(&b, res, order, "hand"); err == nil {
		t.Error("a report with a missing result succeeded")
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
		"(median of 2 rounds)",
		"| `plain` | 35000 | 30000–40000 | 4878 | 61 | 1.00x (1.00x–1.00x) | 0.77x (0.74x–0.80x) | — | — |",
		// Per round: 80000/40000 and 66000/30000; 80000/50000 and 66000/40500.
		"| `plugin` | 73000 | 66000–80000 | 6844 | 100 | 2.10x (2.00x–2.20x) | 1.61x (1.60x–1.63x) | 38000 (36000–40000) | 39 |",
		"| `hooks` | 45250 | 40500–50000 | 6272 | 82 | 1.30x (1.25x–1.35x) | 1.00x (1.00x–1.00x) | 10250 (10000–10500) | 21 |",
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

func TestCopySummary(t *testing.T) {
	res, order, err := parse(strings.NewReader(roundsOut), "Update")
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	report.WriteString("## Results\n\nsome text\n\n")
	if err := updateReport(&report, res, order, "hand"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "README.md")
	doc := "# Title\n\nbefore\n\n" + summaryBegin + "\nold table\n" + summaryEnd + "\n\nafter\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second copy changes nothing
		if err := copySummary(bytes.NewReader(report.Bytes()), path); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := summaryOf(report.String())
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nbefore\n\n" + summaryBegin + "\n\n" + sum + "\n" + summaryEnd + "\n\nafter\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !strings.HasPrefix(sum, "| implementation, 10 triggers, 2 match |") || !strings.Contains(sum, "| overhead of the ten triggers |") ||
		!strings.Contains(sum, "| target | measured |") || strings.Contains(sum, "###") {
		t.Fatalf("summary %q", sum)
	}
	if err := copySummary(strings.NewReader("no summary"), path); err == nil {
		t.Error("a report without a summary was copied")
	}
}

// TestREADMEsHoldTheResults checks that the READMEs' benchmark tables are
// those of bench/RESULTS.md: run.sh copies them, and a hand edit of either
// side shows here.
func TestREADMEsHoldTheResults(t *testing.T) {
	report, err := os.ReadFile("../../RESULTS.md")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := summaryOf(string(report))
	if err != nil {
		t.Fatal(err)
	}
	block := summaryBegin + "\n\n" + sum + "\n" + summaryEnd
	for _, path := range []string{"../../README.md", "../../../README.md"} {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), block) {
			t.Errorf("%s does not hold the summary of RESULTS.md; run ./run.sh, or copy it with go run ./cmd/benchtable -readme %s <RESULTS.md", path, path)
		}
	}
}
