// Command benchtable reads `go test -bench` output of BenchmarkUpdate on
// stdin, written by rounds: each round one run of the test binary that
// measures every implementation once, so the k-th result of each
// implementation belongs to round k. It prints Markdown: each
// implementation's median with its ratio to the hand-written baseline, the
// trigger overhead of each implementation (with hooks minus the same write
// without hooks) and the targets of the benchmark, met or not.
//
// Every ratio is the median over the rounds of the ratio within a round:
// the implementations of one round ran one after the other, so their ratio
// is less exposed to a load that changes from round to round than the
// ratio of two medians.
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
// order they first appear; the k-th result of each is round k's.
func parse(r io.Reader, name string) (map[string][]sample, []string, error) {
	return parseLines(r, resultLine(name))
}

// parseLines reads the result lines that line matches: the benchmark's
// name, ns/op, B/op and allocs/op.
func parseLines(r io.Reader, line *regexp.Regexp) (map[string][]sample, []string, error) {
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

// perRound is a figure computed within each round: its median and range
// over the rounds.
type perRound struct {
	med, min, max float64
	ok            bool
}

// rounds computes f for every round k in which every named implementation
// has a result, and summarises the values.
func rounds(res map[string][]sample, names []string, f func(k int) float64) perRound {
	n := math.MaxInt
	for _, name := range names {
		n = min(n, len(res[name]))
	}
	if n == 0 || n == math.MaxInt {
		return perRound{}
	}
	vs := make([]float64, n)
	for k := range n {
		vs[k] = f(k)
	}
	return perRound{med: median(vs), min: slices.Min(vs), max: slices.Max(vs), ok: true}
}

// ratioOf is a/b within each round.
func ratioOf(res map[string][]sample, a, b string) perRound {
	return rounds(res, []string{a, b}, func(k int) float64 { return res[a][k].ns / res[b][k].ns })
}

// overhead is one row of the overhead table: the implementation with its
// triggers, and the same write without them.
type overhead struct {
	label, with, without string
}

// overheadOf is with − without within each round.
func overheadOf(res map[string][]sample, o overhead) perRound {
	return rounds(res, []string{o.with, o.without}, func(k int) float64 { return res[o.with][k].ns - res[o.without][k].ns })
}

// overheadRatio is a's overhead over b's within each round.
func overheadRatio(res map[string][]sample, a, b overhead) perRound {
	return rounds(res, []string{a.with, a.without, b.with, b.without}, func(k int) float64 {
		return (res[a.with][k].ns - res[a.without][k].ns) / (res[b.with][k].ns - res[b.without][k].ns)
	})
}

// The overheads: the implementations without a database measure against
// the no-op write, ent and GORM against the same write without hooks.
var (
	ovHand        = overhead{"hand-written ifs", "hand", "nop_write"}
	ovObserved    = overhead{"hand-written ifs, observed", "handwritten-observed", "nop_write"}
	ovCounted     = overhead{"hand-written ifs, counted", "handwritten-counted", "nop_write"}
	ovTriggergen  = overhead{"triggergen (full observation)", "triggergen", "nop_write"}
	ovSampled     = overhead{"triggergen, sampled", "triggergen_sampled", "nop_write"}
	ovCounts      = overhead{"triggergen, counts-only", "triggergen_counts", "nop_write"}
	ovNoMatch     = overhead{"triggergen, no trigger matches", "triggergen_no_match", "nop_write"}
	ovCtx8        = overhead{"triggergen, context with eight values", "triggergen_ctx8", "nop_write"}
	ovReflect     = overhead{"reflection engine", "reflect", "nop_write"}
	ovEnt         = overhead{"ent hooks, loaded entity (no SQL)", "ent_nosql", "ent_nosql_nohooks"}
	ovEntByID     = overhead{"ent hooks, by ID (no SQL but OldX's SELECT)", "ent_by_id_nosql", "ent_nosql_nohooks"}
	ovGORM        = overhead{"GORM hooks (DryRun)", "gorm_dryrun", "gorm_dryrun_nohooks"}
	ovEntSQL      = overhead{"ent hooks, loaded entity, with the SQLite write", "ent", "ent_nohooks"}
	ovEntByIDSQL  = overhead{"ent hooks, by ID, with the SQLite write", "ent_by_id", "ent_nohooks"}
	ovGORMSQL     = overhead{"GORM hooks, with the SQLite write", "gorm", "gorm_nohooks"}
	overheads     = []overhead{ovHand, ovObserved, ovCounted, ovFloorNoMatch, ovFloorAlloc, ovFloorObserved, ovTriggergen, ovSampled, ovCounts, ovNoMatch, ovCtx8, ovReflect, ovEnt, ovEntByID, ovGORM, ovEntSQL, ovEntByIDSQL, ovGORMSQL}
	triggergenOvs = []overhead{ovTriggergen, ovSampled, ovCounts}
	peers         = []overhead{ovReflect, ovEnt, ovEntByID, ovGORM}
)

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
	if v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
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

// ratioRange prints a per-round ratio with its range.
func ratioRange(p perRound) string {
	if !p.ok {
		return "—"
	}
	return fmt.Sprintf("%s (%s–%s)", ratio(p.med), ratio(p.min), ratio(p.max))
}

func main() {
	base := flag.String("base", "hand", "the baseline implementation (BenchmarkUpdate)")
	gorm := flag.Bool("gorm", false, "read BenchmarkGORMUpdate and print the GORM plugin's cost")
	plain := flag.Bool("plain", false, "read any benchmarks and print each one's median")
	readme := flag.String("readme", "", "read a report (RESULTS.md) on stdin and copy its summary tables into the marked block of this `file`")
	flag.Parse()
	if *readme != "" {
		if err := copySummary(os.Stdin, *readme); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(2)
		}
		return
	}
	name := "Update"
	if *gorm {
		name = "GORMUpdate"
	}
	if *plain {
		res, order, err := parseLines(os.Stdin, regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`))
		if err == nil && len(res) == 0 {
			err = fmt.Errorf("no benchmark results on stdin")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(2)
		}
		plainReport(os.Stdout, res, order)
		return
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
	if *gorm {
		err = gormReport(os.Stdout, res, order)
	} else {
		err = updateReport(os.Stdout, res, order, *base)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	}
}

// goal is one target of the benchmark: the ratio of two implementations
// within a round (or of two overheads), at most or at least limit.
type goal struct {
	label    string
	num, den overhead // for a plain ratio, only with is used
	overhead bool
	limit    float64
	atLeast  bool
	// allocs, when >= 0, is the most allocations num may make.
	allocs float64
	// floor is the floor prototype (bench/floor.go) of num: the same
	// ratio for it shows what the design allows.
	floor overhead
}

// The floor prototypes.
var (
	ovFloorNoMatch  = overhead{"floor: the rules through function values, none matches", "floor-funcs_no_match", "nop_write"}
	ovFloorAlloc    = overhead{"floor: function values, a context allocated, run counters", "floor-funcs-alloc", "nop_write"}
	ovFloorObserved = overhead{"floor: function values, a context allocated, observed", "floor-funcs-alloc-observed", "nop_write"}
)

var goals = []goal{
	{label: "default (full) observation, 2 of 10 match: at most 1.5x `handwritten-observed`, at most 1 allocation",
		num: ovTriggergen, den: ovObserved, limit: 1.5, allocs: 1, floor: ovFloorObserved},
	{label: "no trigger matches: at most 3x the bare ifs (`hand_no_match`), 0 allocations",
		num: ovNoMatch, den: overhead{with: "hand_no_match"}, limit: 3, allocs: 0, floor: ovFloorNoMatch},
	{label: "counts-only observation, 2 match: at most 5x the bare ifs (`hand`)",
		num: ovCounts, den: ovHand, limit: 5, allocs: -1, floor: ovFloorAlloc},
	{label: "at least 5x less overhead than ent hooks on a loaded entity (default observation)",
		num: ovEnt, den: ovTriggergen, overhead: true, limit: 5, atLeast: true, allocs: -1, floor: ovFloorObserved},
	{label: "at least 20x less overhead than GORM hooks (default observation)",
		num: ovGORM, den: ovTriggergen, overhead: true, limit: 20, atLeast: true, allocs: -1, floor: ovFloorObserved},
}

// updateReport prints the tables of BenchmarkUpdate.
func updateReport(w io.Writer, res map[string][]sample, order []string, base string) error {
	if _, ok := res[base]; !ok {
		return fmt.Errorf("no results for the baseline %q", base)
	}
	st := map[string]stat{}
	for k, ss := range res {
		st[k] = summarize(ss)
	}
	n := st[order[0]].n
	for _, k := range order {
		if st[k].n != n {
			return fmt.Errorf("%s has %d results and %s %d: every round must measure every implementation once", k, st[k].n, order[0], n)
		}
	}

	fmt.Fprintf(w, "### Summary (copied into the READMEs)\n\n")
	fmt.Fprintf(w, "Medians of %d rounds; each ratio is the median, over the rounds, of the ratio within a round (the targets show its min–max over the rounds in brackets).\n\n", n)
	summary(w, res)
	fmt.Fprintln(w)
	peerSummary(w, res)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | allocs/op | met | the floor prototype's |")
	fmt.Fprintln(w, "|---|---:|---:|---|---:|")
	for _, g := range goals {
		var p, fl perRound
		if g.overhead {
			p = overheadRatio(res, g.num, g.den)
			fl = overheadRatio(res, g.num, g.floor)
		} else {
			p = ratioOf(res, g.num.with, g.den.with)
			fl = ratioOf(res, g.floor.with, g.den.with)
		}
		if !p.ok {
			continue
		}
		met := p.med <= g.limit
		if g.atLeast {
			met = p.med >= g.limit
		}
		allocs := "—"
		if g.allocs >= 0 {
			a := st[g.num.with].allocs
			allocs = fmt.Sprintf("%.0f", a)
			met = met && a <= g.allocs
		}
		mark := "**no**"
		if met {
			mark = "yes"
		}
		floor := "—"
		if fl.ok {
			floor = fmt.Sprintf("%s (`%s`)", ratio(fl.med), g.floor.with)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", g.label, ratioRange(p), allocs, mark, floor)
	}

	fmt.Fprintf(w, "\n### One update, every implementation (median of %d rounds)\n\n", n)
	fmt.Fprintf(w, "| implementation | ns/op (median) | min–max ns/op | B/op | allocs/op | ratio to `%s` (min–max) |\n", base)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, k := range order {
		s := st[k]
		fmt.Fprintf(w, "| `%s` | %s | %s–%s | %.0f | %.0f | %s |\n", k, ns(s.ns), ns(s.min), ns(s.max), s.bytes, s.allocs, ratioRange(ratioOf(res, k, base)))
	}

	fmt.Fprintf(w, "\n### Trigger overhead: with the triggers minus the same write without them\n\n")
	fmt.Fprintln(w, "Medians over the rounds of the difference within a round; \"less overhead than\" divides a peer's overhead by triggergen's, per round.")
	fmt.Fprintln(w)
	head := "| implementation | overhead (ns) | min–max (ns) | overhead allocs |"
	rule := "|---|---:|---:|---:|"
	var tgs []overhead
	for _, t := range triggergenOvs {
		if _, ok := res[t.with]; ok {
			tgs = append(tgs, t)
			head += fmt.Sprintf(" over %s |", t.label)
			rule += "---:|"
		}
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, rule)
	for _, o := range overheads {
		p := overheadOf(res, o)
		if !p.ok {
			continue
		}
		row := fmt.Sprintf("| %s (`%s` − `%s`) | %s | %s–%s | %.0f |", o.label, o.with, o.without, ns(p.med), ns(p.min), ns(p.max), st[o.with].allocs-st[o.without].allocs)
		isPeer := slices.Contains(peers, o) || o.with == "ent" || o.with == "ent_by_id" || o.with == "gorm"
		for _, t := range tgs {
			cell := "—"
			if isPeer {
				cell = ratioRange(overheadRatio(res, o, t))
			}
			row += " " + cell + " |"
		}
		fmt.Fprintln(w, row)
	}
	fmt.Fprintln(w, "\nThe ratios to the peers are judged on the rows without SQL, where the hooks' cost is measured directly; with the SQLite write the write's own run-to-run noise (the min–max of the overhead) is of the order of the overhead itself.")
	return nil
}

// gormReport prints the table of BenchmarkGORMUpdate: each variant with its
// ratios to plain GORM and to the hand-written hooks, and what it adds to
// plain GORM.
func gormReport(w io.Writer, res map[string][]sample, order []string) error {
	st := map[string]stat{}
	for k, ss := range res {
		st[k] = summarize(ss)
	}
	plain, ok1 := st["plain"]
	_, ok2 := st["hooks"]
	if !ok1 || !ok2 {
		return fmt.Errorf("BenchmarkGORMUpdate results need the variants plain and hooks")
	}
	fmt.Fprintf(w, "### GORM update: the plugin against plain GORM and hand-written hooks (median of %d rounds)\n\n", st[order[0]].n)
	fmt.Fprintln(w, "Ratios and added time are medians over the rounds of the figure within a round (min–max over the rounds).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| variant | ns/op (median) | min–max ns/op | B/op | allocs/op | ratio to plain | ratio to hooks | added to plain (ns) | added allocs |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, k := range order {
		s := st[k]
		added, allocs := "—", "—"
		if k != "plain" {
			p := overheadOf(res, overhead{with: k, without: "plain"})
			added = fmt.Sprintf("%s (%s–%s)", ns(p.med), ns(p.min), ns(p.max))
			allocs = fmt.Sprintf("%.0f", s.allocs-plain.allocs)
		}
		fmt.Fprintf(w, "| `%s` | %s | %s–%s | %.0f | %.0f | %s | %s | %s | %s |\n", k, ns(s.ns), ns(s.min), ns(s.max),
			s.bytes, s.allocs, ratioRange(ratioOf(res, k, "plain")), ratioRange(ratioOf(res, k, "hooks")), added, allocs)
	}
	return nil
}

// summaryRows are the rows of the short table the README shows.
var summaryRows = []struct{ impl, what string }{
	{"hand", "hand-written `if`s (the floor)"},
	{"handwritten-counted", "the same `if`s, an atomic run counter per matched action"},
	{"handwritten-observed", "the same `if`s, each matched action timed, counted and audited"},
	{"floor-funcs-alloc-observed", "floor prototype: the rules through function values, a context allocated for the actions, observed"},
	{"floor-funcs-alloc", "floor prototype: the same, with a run counter instead of the observation"},
	{"floor-funcs_no_match", "floor prototype: the rules through function values, none matches"},
	{"triggergen", "triggergen, default (full) observation"},
	{"triggergen_sampled", "triggergen, sampled observation (1 in 64)"},
	{"triggergen_counts", "triggergen, counts-only observation"},
	{"triggergen_no_match", "triggergen, no trigger matches"},
	{"triggergen_ctx8", "triggergen, full observation, context with eight values"},
	{"handwritten-observed_ctx8", "the observed `if`s, context with eight values"},
}

// Summary writes the README's table: the headline rows with their ratios
// to the bare ifs and to the observed ifs.
func summary(w io.Writer, res map[string][]sample) {
	fmt.Fprintln(w, "| implementation, 10 triggers, 2 match | ns/op | allocs/op | × bare `if`s | × observed `if`s |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, r := range summaryRows {
		ss, ok := res[r.impl]
		if !ok {
			continue
		}
		s := summarize(ss)
		base := "hand"
		if strings.HasSuffix(r.impl, "_no_match") {
			base = "hand_no_match"
		}
		obs := "—"
		if base == "hand" && (strings.HasPrefix(r.impl, "handwritten-observed") || strings.HasPrefix(r.impl, "triggergen") || strings.HasPrefix(r.impl, "floor")) {
			observed := "handwritten-observed"
			if strings.HasSuffix(r.impl, "_ctx8") {
				observed += "_ctx8"
			}
			obs = ratio(ratioOf(res, r.impl, observed).med)
		}
		fmt.Fprintf(w, "| %s (`%s`) | %s | %.0f | %s | %s |\n", r.what, r.impl, ns(s.ns), s.allocs,
			ratio(ratioOf(res, r.impl, base).med), obs)
	}
}

// peerSummary writes the README's second table: the trigger overhead of
// triggergen in each observation mode and of the peers, and how many times
// a peer's overhead is triggergen's.
func peerSummary(w io.Writer, res map[string][]sample) {
	var tgs []overhead
	head := "| overhead of the ten triggers | ns/op |"
	rule := "|---|---:|"
	for _, t := range triggergenOvs {
		if _, ok := res[t.with]; ok {
			tgs = append(tgs, t)
			head += " × " + t.label + " |"
			rule += "---:|"
		}
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, rule)
	for _, o := range append(slices.Clone(tgs), ovEnt, ovGORM) {
		p := overheadOf(res, o)
		if !p.ok {
			continue
		}
		row := fmt.Sprintf("| %s (`%s` − `%s`) | %s |", o.label, o.with, o.without, ns(p.med))
		for _, t := range tgs {
			cell := "—"
			if o == ovEnt || o == ovGORM {
				cell = ratio(overheadRatio(res, o, t).med)
			}
			row += " " + cell + " |"
		}
		fmt.Fprintln(w, row)
	}
}

// The markers of the block of a README that holds a copy of a report's
// summary tables.
const (
	summaryBegin = "<!-- bench summary: copied from bench/RESULTS.md by bench/run.sh -->"
	summaryEnd   = "<!-- end of bench summary -->"
)

// summaryOf returns the summary tables of a report: the lines of its
// "### Summary" section from the first table row to the last.
func summaryOf(report string) (string, error) {
	_, sec, ok := strings.Cut(report, "### Summary")
	if !ok {
		return "", fmt.Errorf("the report has no summary section")
	}
	if i := strings.Index(sec, "\n### "); i >= 0 {
		sec = sec[:i]
	}
	first, last := strings.Index(sec, "\n|"), strings.LastIndex(sec, "|\n")
	if first < 0 || last < first {
		return "", fmt.Errorf("the report's summary has no table")
	}
	return sec[first+1 : last+2], nil
}

// copySummary replaces the marked block of the file at path with the
// summary tables of the report read from r.
func copySummary(r io.Reader, path string) error {
	report, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	sum, err := summaryOf(string(report))
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	before, rest, ok1 := strings.Cut(string(doc), summaryBegin)
	_, after, ok2 := strings.Cut(rest, summaryEnd)
	if !ok1 || !ok2 {
		return fmt.Errorf("%s has no block between %q and %q", path, summaryBegin, summaryEnd)
	}
	out := before + summaryBegin + "\n\n" + sum + "\n" + summaryEnd + after
	return os.WriteFile(path, []byte(out), 0o644)
}

// plainReport prints each benchmark's median.
func plainReport(w io.Writer, res map[string][]sample, order []string) {
	fmt.Fprintf(w, "| benchmark | ns/op (median) | min–max ns/op | B/op | allocs/op |\n")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, k := range order {
		s := summarize(res[k])
		fmt.Fprintf(w, "| `%s` | %s | %s–%s | %.0f | %.0f |\n", k, ns(s.ns), ns(s.min), ns(s.max), s.bytes, s.allocs)
	}
}
