// Command benchtable reads `go test -bench` output of BenchmarkUpdate (run
// with -count N, so every sub-benchmark appears N times) on stdin and
// prints Markdown: the median of each implementation with its ratio to the
// hand-written baseline, the trigger overhead of each implementation
// (with hooks minus the same write without hooks) and whether the targets
// of the benchmark are met.
//
// With -gorm it reads BenchmarkGORMUpdate instead and prints the cost of
// the GORM plugin: each variant's median with its ratios to plain GORM and
// to the hand-written GORM hooks, and what each adds to plain GORM.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// sample is one result line.
type sample struct{ ns, bytes, allocs float64 }

// resultLine returns the pattern of a result line of benchmark name, e.g.
// "BenchmarkUpdate/sub-2   123   45.6 ns/op   0 B/op   0 allocs/op" for
// "Update".
func resultLine(name string) *regexp.Regexp {
	return regexp.MustCompile(`^Benchmark` + regexp.QuoteMeta(name) + `/(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)
}

// parse reads the results of Benchmark<name>'s sub-benchmarks, in the
// order they first appear.
func parse(r io.Reader, name string) (map[string][]sample, []string, error) {
	line := resultLine(name)
	res := map[string][]sample{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var s sample
		s.ns, _ = strconv.ParseFloat(m[2], 64)
		s.bytes, _ = strconv.ParseFloat(m[3], 64)
		s.allocs, _ = strconv.ParseFloat(m[4], 64)
		if _, ok := res[m[1]]; !ok {
			order = append(order, m[1])
		}
		res[m[1]] = append(res[m[1]], s)
	}
	return res, order, sc.Err()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// stat is the median of one implementation.
type stat struct {
	ns, bytes, allocs float64
	min, max          float64
	n                 int
}

func summarize(ss []sample) stat {
	var ns, bs, as []float64
	for _, s := range ss {
		ns = append(ns, s.ns)
		bs = append(bs, s.bytes)
		as = append(as, s.allocs)
	}
	return stat{ns: median(ns), bytes: median(bs), allocs: median(as), min: slices.Min(ns), max: slices.Max(ns), n: len(ss)}
}

// overhead is one row of the overhead table: the implementation with its
// triggers, and the same write without them.
type overhead struct {
	label, with, without string
	// judged: a row the "35x less overhead" target is checked on. The
	// end-to-end rows are not: their overhead is the difference of two
	// medians dominated by SQLite, and the noise of those medians is as
	// large as the overhead.
	judged bool
}

var overheads = []overhead{
	{"hand-written", "hand", "nop_write", false},
	{"triggergen", "triggergen", "nop_write", false},
	{"triggergen, no trigger matches", "triggergen_no_match", "nop_write", false},
	{"reflection engine", "reflect", "nop_write", false},
	{"ent hooks, loaded entity (no SQL)", "ent_nosql", "ent_nosql_nohooks", true},
	{"ent hooks, by ID (no SQL but OldX's SELECT)", "ent_by_id_nosql", "ent_nosql_nohooks", true},
	{"GORM hooks (DryRun)", "gorm_dryrun", "gorm_dryrun_nohooks", true},
	{"ent hooks, loaded entity, with the SQLite write", "ent", "ent_nohooks", false},
	{"ent hooks, by ID, with the SQLite write", "ent_by_id", "ent_nohooks", false},
	{"GORM hooks, with the SQLite write", "gorm", "gorm_nohooks", false},
}

func ns(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(v float64) string {
	if v < 0 {
		return "n/a"
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fx", v)
	case v >= 10:
		return fmt.Sprintf("%.1fx", v)
	}
	return fmt.Sprintf("%.2fx", v)
}

func main() {
	base := flag.String("base", "hand", "the baseline implementation (BenchmarkUpdate)")
	gorm := flag.Bool("gorm", false, "read BenchmarkGORMUpdate and print the GORM plugin's cost")
	flag.Parse()
	name := "Update"
	if *gorm {
		name = "GORMUpdate"
	}
	res, order, err := parse(os.Stdin, name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	}
	if len(res) == 0 {
		fmt.Fprintf(os.Stderr, "benchtable: no Benchmark%s results on stdin\n", name)
		os.Exit(2)
	}
	st := map[string]stat{}
	for k, ss := range res {
		st[k] = summarize(ss)
	}
	if *gorm {
		err = gormReport(os.Stdout, res, order)
	} else {
		err = updateReport(os.Stdout, st, order, *base)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	}
}

// updateReport prints the tables of BenchmarkUpdate.
func updateReport(w io.Writer, st map[string]stat, order []string, base string) error {
	b, ok := st[base]
	if !ok {
		return fmt.Errorf("no results for the baseline %q", base)
	}

	runs := st[order[0]].n
	fmt.Fprintf(w, "### One update, every implementation (median of %d runs)\n\n", runs)
	fmt.Fprintln(w, "| implementation | ns/op (median) | min–max ns/op | B/op | allocs/op | ratio to hand |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, k := range order {
		s := st[k]
		fmt.Fprintf(w, "| `%s` | %s | %s–%s | %.0f | %.0f | %s |\n", k, ns(s.ns), ns(s.min), ns(s.max), s.bytes, s.allocs, ratio(s.ns/b.ns))
	}

	fmt.Fprintf(w, "\n### Trigger overhead: with the triggers minus the same write without them\n\n")
	fmt.Fprintln(w, "| implementation | with triggers (ns) | without (ns) | overhead (ns) | ± noise (ns) | overhead allocs | overhead ratio to hand | triggergen faster by |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	ov := func(o overhead) (float64, float64, bool) {
		a, ok1 := st[o.with]
		z, ok2 := st[o.without]
		return a.ns - z.ns, a.allocs - z.allocs, ok1 && ok2
	}
	handOv, _, _ := ov(overheads[0])
	tgOv, _, _ := ov(overheads[1])
	for _, o := range overheads {
		d, da, ok := ov(o)
		if !ok {
			continue
		}
		faster := "—"
		if o.with != "triggergen" && o.with != "triggergen_no_match" && o.with != "hand" && tgOv > 0 {
			faster = ratio(d / tgOv)
		}
		a, z := st[o.with], st[o.without]
		noise := (a.max - a.min + z.max - z.min) / 2
		fmt.Fprintf(w, "| %s (`%s` − `%s`) | %s | %s | %s | %s | %.0f | %s | %s |\n",
			o.label, o.with, o.without, ns(a.ns), ns(z.ns), ns(d), ns(noise), da, ratio(d/handOv), faster)
	}
	fmt.Fprintln(w, "\n± noise is half the sum of the two min–max ranges; an overhead smaller than it is not measured, only bounded.")

	fmt.Fprintf(w, "\n### Targets\n\n")
	target := func(ok bool, text string) {
		mark := "not met"
		if ok {
			mark = "met"
		}
		fmt.Fprintf(w, "- **%s**: %s\n", mark, text)
	}
	if tg, ok := st["triggergen"]; ok {
		target(tg.ns <= 3*b.ns, fmt.Sprintf("triggergen at most 3x hand-written: %s ns vs %s ns = %s",
			ns(tg.ns), ns(b.ns), ratio(tg.ns/b.ns)))
		target(tg.allocs <= 1, fmt.Sprintf("triggergen at most 1 allocation when triggers run: %.0f", tg.allocs))
	}
	if nm, ok := st["triggergen_no_match"]; ok {
		target(nm.allocs == 0, fmt.Sprintf("triggergen 0 allocations when nothing matches: %.0f", nm.allocs))
	}
	for _, o := range overheads {
		d, _, ok := ov(o)
		if !o.judged || !ok || tgOv <= 0 {
			continue
		}
		target(d >= 35*tgOv, fmt.Sprintf("at least 35x less overhead than %s: %s ns vs triggergen's %s ns = %s",
			o.label, ns(d), ns(tgOv), ratio(d/tgOv)))
	}
	fmt.Fprintln(w, "\nThe 35x target is checked on the rows without SQL, where the hooks' cost is measured directly; the rows with the SQLite write are shown for completeness: there the write's run-to-run noise (± noise) is of the order of the overhead itself.")
	return nil
}

// gormReport prints the table of BenchmarkGORMUpdate: each variant with its
// ratios to plain GORM and to the hand-written hooks, and what it adds to
// plain GORM; then the ratios within each round.
func gormReport(w io.Writer, res map[string][]sample, order []string) error {
	st := map[string]stat{}
	for k, ss := range res {
		st[k] = summarize(ss)
	}
	plain, ok1 := st["plain"]
	hooks, ok2 := st["hooks"]
	if !ok1 || !ok2 {
		return fmt.Errorf("BenchmarkGORMUpdate results need the variants plain and hooks")
	}
	fmt.Fprintf(w, "### GORM update: the plugin against plain GORM and hand-written hooks (median of %d runs)\n\n", st[order[0]].n)
	fmt.Fprintln(w, "| variant | ns/op (median) | min–max ns/op | B/op | allocs/op | ratio to plain | ratio to hooks | added to plain (ns) | ± noise (ns) | added allocs |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, k := range order {
		s := st[k]
		added, noise, allocs := "—", "—", "—"
		if k != "plain" {
			added = ns(s.ns - plain.ns)
			noise = ns((s.max - s.min + plain.max - plain.min) / 2)
			allocs = fmt.Sprintf("%.0f", s.allocs-plain.allocs)
		}
		fmt.Fprintf(w, "| `%s` | %s | %s–%s | %.0f | %.0f | %s | %s | %s | %s | %s |\n", k, ns(s.ns), ns(s.min), ns(s.max),
			s.bytes, s.allocs, ratio(s.ns/plain.ns), ratio(s.ns/hooks.ns), added, noise, allocs)
	}
	fmt.Fprintln(w, "\n± noise is half the sum of the two min–max ranges (the variant's and plain's).")

	// The variants of one round ran one after the other, so the ratio of
	// two of them within a round is less exposed to a load that changes
	// from round to round than the ratio of their medians.
	var pairs []string
	for _, p := range [][2]string{{"plugin", "plain"}, {"plugin", "hooks"}, {"plugin-by-key", "plain"}, {"hooks", "plain"}} {
		a, b := res[p[0]], res[p[1]]
		if len(a) == 0 || len(a) != len(b) {
			continue
		}
		rs := make([]float64, len(a))
		for i := range a {
			rs[i] = a[i].ns / b[i].ns
		}
		pairs = append(pairs, fmt.Sprintf("%s/%s %s (%s–%s)", p[0], p[1], ratio(median(rs)), ratio(slices.Min(rs)), ratio(slices.Max(rs))))
	}
	if len(pairs) > 0 {
		fmt.Fprintf(w, "\nRatios within a round, median (min–max) over the rounds: %s.\n", strings.Join(pairs, ", "))
	}
	return nil
}
