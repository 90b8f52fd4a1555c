// Package scale measures the generator on synthetic input: it writes a
// module with a package of N models and a package of 5 triggers per model,
// runs a prebuilt triggergen binary on it, then `go build` and `go vet` on
// the generated packages, and reports wall time, CPU time and peak memory
// of each, and the generated lines per model.
//
// Nothing here asserts a time: the numbers are reported, never tested.
package scale

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// TriggersPerModel is how many triggers the synthetic package declares for
// each model.
const TriggersPerModel = 5

// WriteModule writes a module rooted at dir: go.mod (requiring triggergen
// through a replace directive to repoRoot, whose go.sum it copies), a
// package models with n models and a package triggers with
// TriggersPerModel triggers per model. No generated file is written.
func WriteModule(dir, repoRoot string, n int) error {
	for _, d := range []string{"models", "triggers"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	gomod := fmt.Sprintf("module example.com/synth\n\ngo 1.26.0\n\nrequire github.com/triggergen/triggergen v0.0.0\n\nreplace github.com/triggergen/triggergen => %s\n", repoRoot)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "models", "models.go"), Models(n), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "triggers", "triggers.go"), Triggers(n), 0o644)
}

// Models returns the source of package models with n models of ten
// fields each (strings, a named string type, int, float, bool, a pointer,
// a time, a slice and a map).
func Models(n int) []byte {
	var b bytes.Buffer
	b.WriteString("// Package models is synthetic input for the generator benchmark.\npackage models\n\nimport \"time\"\n\n")
	b.WriteString("// Status is a lifecycle state.\ntype Status string\n\n// The states.\nconst (\n\tDraft  Status = \"DRAFT\"\n\tActive Status = \"ACTIVE\"\n\tClosed Status = \"CLOSED\"\n)\n")
	for i := range n {
		fmt.Fprintf(&b, `
// M%03d is synthetic model %d.
//
//trigger:model
type M%03d struct {
	ID        string
	Name      string
	Status    Status
	Count     int
	Score     float64
	Enabled   bool
	Owner     *string
	UpdatedAt time.Time
	Tags      []string
	Attrs     map[string]string
}
`, i, i, i)
	}
	return b.Bytes()
}

// Triggers returns the source of package triggers: TriggersPerModel
// triggers per model, over several events, with conditions of every kind
// the generator compiles.
func Triggers(n int) []byte {
	var b bytes.Buffer
	b.WriteString("// Package triggers is synthetic input for the generator benchmark.\npackage triggers\n\nimport (\n\t\"context\"\n\n\t\"example.com/synth/models\"\n)\n")
	for i := range n {
		fmt.Fprintf(&b, `
// M%03dActivated runs when model %d is activated.
//
//trigger:on M%03d after_update
//trigger:when Status changed from Draft to Active
func M%03dActivated(context.Context, *models.M%03dChange) error { return nil }

// M%03dBusy runs when model %d gets busy.
//
//trigger:on M%03d after_update after_create
//trigger:when Count > 10 and Enabled
//trigger:priority high
func M%03dBusy(context.Context, *models.M%03dChange) error { return nil }

// M%03dRenamed runs before model %d is saved with a new name.
//
//trigger:on M%03d before_save
//trigger:when Name changed and Name != ""
func M%03dRenamed(context.Context, *models.M%03dChange) error { return nil }

// M%03dRetagged runs when model %d's tags or attributes change.
//
//trigger:on M%03d after_update
//trigger:when Tags changed or Attrs changed
//trigger:priority low
func M%03dRetagged(context.Context, *models.M%03dChange) error { return nil }

// M%03dHandedOver runs when model %d changes owner while enabled.
//
//trigger:on M%03d after_save
//trigger:when Owner changed
//trigger:when Enabled and Score >= 0.5 and Status in (Active, Closed)
func M%03dHandedOver(context.Context, *models.M%03dChange) error { return nil }
`, repeat(i, 25)...)
	}
	return b.Bytes()
}

// repeat returns n copies of i, for Fprintf.
func repeat(i, n int) []any {
	out := make([]any, n)
	for k := range out {
		out[k] = i
	}
	return out
}

// Run is one measured command.
type Run struct {
	Wall   time.Duration
	CPU    time.Duration // user + system, the process and the children it waited for
	MaxRSS int64         // bytes: the largest process of the tree (Linux ru_maxrss)
}

// Measure runs name args in dir and measures it; output is returned only
// when the command fails.
func Measure(ctx context.Context, dir string, env []string, name string, args ...string) (Run, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return Run{}, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	r := Run{Wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.MaxRSS = ru.Maxrss * 1024 // KiB on Linux
	}
	return r, nil
}

// Result is the measurement of one tool on one synthetic module.
type Result struct {
	Models, Triggers int
	Tool             string
	Runs             []Run
	GeneratedLines   int // lines of the triggers_gen.go files (triggergen rows)
	ModelLines       int // lines of the models package's triggers_gen.go (triggergen rows)
}

// LinesPerModel returns the generated lines of the models package divided
// by the number of models (0 on rows of other tools).
func (r Result) LinesPerModel() float64 {
	if r.Models == 0 {
		return 0
	}
	return float64(r.ModelLines) / float64(r.Models)
}

// Median returns the run with the median wall time, and the largest peak
// memory of all runs.
func (r Result) Median() Run {
	rs := slices.Clone(r.Runs)
	slices.SortFunc(rs, func(a, b Run) int { return int(a.Wall - b.Wall) })
	m := rs[len(rs)/2]
	for _, x := range rs {
		m.MaxRSS = max(m.MaxRSS, x.MaxRSS)
	}
	return m
}

// Config says what to measure.
type Config struct {
	RepoRoot   string // the triggergen repository (for the replace directive)
	Triggergen string // the prebuilt triggergen binary
	WorkDir    string // where the synthetic modules are written
	Sizes      []int  // numbers of models, e.g. 50, 200
	Runs       int    // timed runs per tool and size
	Log        io.Writer
}

// BuildTriggergen builds the triggergen binary into dir from the module in
// modDir (which requires triggergen) and returns its path.
func BuildTriggergen(ctx context.Context, modDir, dir string) (string, error) {
	bin := filepath.Join(dir, "triggergen")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/triggergen/triggergen/cmd/triggergen")
	cmd.Dir = modDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build triggergen: %w\n%s", err, out)
	}
	return bin, nil
}

// Measure writes one synthetic module per size and measures triggergen,
// then go build and go vet on its output, after one warm-up on a tiny module (which fills the
// build cache with the runtime package and the standard library). Before
// every timed run a comment in models changes, so neither tool can answer
// from the build cache: each run does the work of the first run after an
// edit, and the generated files are deleted first, as on a fresh checkout.
func (c Config) Measure(ctx context.Context) ([]Result, error) {
	if _, err := c.measure(ctx, 2, 1, "warmup"); err != nil {
		return nil, err
	}
	var out []Result
	for _, n := range c.Sizes {
		rs, err := c.measure(ctx, n, c.Runs, fmt.Sprintf("synth%d", n))
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func (c Config) measure(ctx context.Context, n, runs int, name string) ([]Result, error) {
	m, err := newModule(filepath.Join(c.WorkDir, name), c.RepoRoot, c.Triggergen, n)
	if err != nil {
		return nil, err
	}
	for i := 1; i <= runs; i++ {
		if c.Log != nil {
			fmt.Fprintf(c.Log, "scale: %s, %d models, run %d/%d\n", name, n, i, runs)
		}
		if err := m.run(ctx); err != nil {
			return nil, err
		}
	}
	return m.results()
}

// module is one synthetic module and what its runs measured.
type module struct {
	dir, triggergen string
	edit            int
	rs              [3]Result // triggergen, go build, go vet
}

func newModule(dir, repoRoot, triggergen string, n int) (*module, error) {
	if err := WriteModule(dir, repoRoot, n); err != nil {
		return nil, err
	}
	m := &module{dir: dir, triggergen: triggergen}
	for i, tool := range []string{"triggergen ./triggers", "go build ./...", "go vet ./..."} {
		m.rs[i] = Result{Models: n, Triggers: n * TriggersPerModel, Tool: tool}
	}
	return m, nil
}

// generated are the files triggergen writes.
func (m *module) generated() []string {
	return []string{filepath.Join(m.dir, "models", "triggers_gen.go"), filepath.Join(m.dir, "triggers", "triggers_gen.go")}
}

// run measures each tool once: triggergen on the module without generated
// files, then go build and go vet, each after an edit of a comment in
// models, so that no tool can answer from the build cache.
func (m *module) run(ctx context.Context) error {
	for _, f := range m.generated() {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	cmds := [][]string{{m.triggergen, "./triggers"}, {"go", "build", "./..."}, {"go", "vet", "./..."}}
	for i, cmd := range cmds {
		m.edit++
		if err := os.WriteFile(filepath.Join(m.dir, "models", "edit.go"), fmt.Appendf(nil, "package models\n\n// edit %d\n", m.edit), 0o644); err != nil {
			return err
		}
		r, err := Measure(ctx, m.dir, nil, cmd[0], cmd[1:]...)
		if err != nil {
			return err
		}
		m.rs[i].Runs = append(m.rs[i].Runs, r)
	}
	return nil
}

// results returns the three tools' results, with the generated lines.
func (m *module) results() ([]Result, error) {
	tg := m.rs[0]
	for i, f := range m.generated() {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		lines := bytes.Count(b, []byte("\n"))
		tg.GeneratedLines += lines
		if i == 0 {
			tg.ModelLines = lines
		}
	}
	return []Result{tg, m.rs[1], m.rs[2]}, nil
}

// Baseline is an earlier checkout of triggergen to compare with.
type Baseline struct {
	RepoRoot   string // its repository
	Triggergen string // its triggergen binary
}

// Comparison is one tool on one size, measured on the baseline and on the
// current tree in the same runs.
type Comparison struct {
	Before, After Result
}

// Ratio returns the median, over the runs, of the after/before ratio of
// each run's wall time and of its CPU time.
func (c Comparison) Ratio() (wall, cpu float64) {
	var ws, cs []float64
	for i := range min(len(c.Before.Runs), len(c.After.Runs)) {
		b, a := c.Before.Runs[i], c.After.Runs[i]
		ws = append(ws, a.Wall.Seconds()/b.Wall.Seconds())
		cs = append(cs, a.CPU.Seconds()/b.CPU.Seconds())
	}
	return median(ws), median(cs)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// Compare measures the baseline and the current tree interleaved: each run
// measures every tool on the baseline's module, then on the current one, so
// that both see the same load, and each ratio is the median of the
// per-run ratios. One warm-up run of each on a 2-model module fills the
// build cache first.
func (c Config) Compare(ctx context.Context, base Baseline) ([]Comparison, error) {
	var out []Comparison
	sizes := append([]int{2}, c.Sizes...)
	for k, n := range sizes {
		runs := c.Runs
		if k == 0 {
			runs = 1 // the warm-up
		}
		before, err := newModule(filepath.Join(c.WorkDir, fmt.Sprintf("before%d", n)), base.RepoRoot, base.Triggergen, n)
		if err != nil {
			return nil, err
		}
		after, err := newModule(filepath.Join(c.WorkDir, fmt.Sprintf("after%d", n)), c.RepoRoot, c.Triggergen, n)
		if err != nil {
			return nil, err
		}
		for i := 1; i <= runs; i++ {
			if c.Log != nil {
				fmt.Fprintf(c.Log, "scale: %d models, run %d/%d, before and after\n", n, i, runs)
			}
			if err := before.run(ctx); err != nil {
				return nil, fmt.Errorf("baseline: %w", err)
			}
			if err := after.run(ctx); err != nil {
				return nil, err
			}
		}
		if k == 0 {
			continue
		}
		bs, err := before.results()
		if err != nil {
			return nil, err
		}
		as, err := after.results()
		if err != nil {
			return nil, err
		}
		for i := range bs {
			out = append(out, Comparison{Before: bs[i], After: as[i]})
		}
	}
	return out, nil
}

// CompareTable renders comparisons as Markdown.
func CompareTable(cs []Comparison) string {
	var b strings.Builder
	b.WriteString("| models | triggers | command | before: wall (median) | before: CPU | after: wall (median) | after: CPU | after / before: wall | after / before: CPU | peak RSS before → after | lines per model before → after |\n")
	b.WriteString("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range cs {
		bm, am := c.Before.Median(), c.After.Median()
		w, cpu := c.Ratio()
		lines := ""
		if c.Before.GeneratedLines > 0 {
			lines = fmt.Sprintf("%.0f → %.0f", c.Before.LinesPerModel(), c.After.LinesPerModel())
		}
		fmt.Fprintf(&b, "| %d | %d | `%s` | %.2f s | %.2f s | %.2f s | %.2f s | %.0f%% | %.0f%% | %.0f → %.0f MiB | %s |\n",
			c.After.Models, c.After.Triggers, c.After.Tool, bm.Wall.Seconds(), bm.CPU.Seconds(), am.Wall.Seconds(), am.CPU.Seconds(),
			100*w, 100*cpu, float64(bm.MaxRSS)/(1<<20), float64(am.MaxRSS)/(1<<20), lines)
	}
	return b.String()
}

// Table renders results as Markdown.
func Table(rs []Result) string {
	var b strings.Builder
	b.WriteString("| models | triggers | command | wall (median) | CPU user+sys | peak RSS | generated lines | lines per model (models package) |\n")
	b.WriteString("|---:|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		m := r.Median()
		lines, per := "—", "—"
		if r.GeneratedLines > 0 {
			lines = fmt.Sprint(r.GeneratedLines)
			per = fmt.Sprintf("%.0f", r.LinesPerModel())
		}
		fmt.Fprintf(&b, "| %d | %d | `%s` | %.2f s | %.2f s | %.0f MiB | %s | %s |\n",
			r.Models, r.Triggers, r.Tool, m.Wall.Seconds(), m.CPU.Seconds(), float64(m.MaxRSS)/(1<<20), lines, per)
	}
	return b.String()
}
