package scale_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triggergen/triggergen/bench/scale"
)

// repoRoot is the triggergen repository: bench/scale is two levels below.
func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestSyntheticModuleGenerates checks the helper end to end on a small
// module: triggergen accepts the synthetic package, the result builds and
// registers every trigger. It measures nothing.
func TestSyntheticModuleGenerates(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	bin, err := scale.BuildTriggergen(ctx, "..", work)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "synth")
	const n = 3
	if err := scale.WriteModule(dir, repoRoot(t), n); err != nil {
		t.Fatal(err)
	}
	if _, err := scale.Measure(ctx, dir, nil, bin, "./triggers"); err != nil {
		t.Fatal(err)
	}
	if _, err := scale.Measure(ctx, dir, nil, "go", "vet", "./..."); err != nil {
		t.Fatal(err)
	}
	gen, err := os.ReadFile(filepath.Join(dir, "triggers", "triggers_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(gen), "runtime.On("); got != n*scale.TriggersPerModel {
		t.Fatalf("%d triggers registered, want %d", got, n*scale.TriggersPerModel)
	}
	// A program registering them all runs.
	main := `package main

import (
	"example.com/synth/triggers"
	"github.com/triggergen/triggergen/runtime"
)

func main() {
	if err := triggers.Register(runtime.New(runtime.Config{})); err != nil {
		panic(err)
	}
}
`
	if err := os.MkdirAll(filepath.Join(dir, "cmd"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cmd", "main.go"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./cmd")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestScaleShort is the generator measurement of cmd/scaletable on a
// small size, so that `go test -short` (CI) runs it end to end: a warm-up
// module, then triggergen, go build and go vet on 5 models, once each. It
// logs the table and asserts nothing about the times.
func TestScaleShort(t *testing.T) {
	ctx := context.Background()
	cfg := shortConfig(t, 5)
	rs, err := cfg.Measure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].Models != 5 || rs[0].GeneratedLines == 0 {
		t.Fatalf("results %+v", rs)
	}
	t.Logf("\n%s", scale.Table(rs))
}

// TestCompareShort runs the interleaved comparison with this tree as its
// own baseline, on 3 models: both sides measure every tool in every run,
// and the table has a row per tool.
func TestCompareShort(t *testing.T) {
	ctx := context.Background()
	cfg := shortConfig(t, 3)
	cs, err := cfg.Compare(ctx, scale.Baseline{RepoRoot: cfg.RepoRoot, Triggergen: cfg.Triggergen})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("%d comparisons, want 3 (triggergen, go build, go vet)", len(cs))
	}
	for _, c := range cs {
		if len(c.Before.Runs) != 1 || len(c.After.Runs) != 1 {
			t.Fatalf("%s: %d runs before, %d after; want 1 each", c.After.Tool, len(c.Before.Runs), len(c.After.Runs))
		}
		if w, cpu := c.Ratio(); w <= 0 || cpu <= 0 {
			t.Fatalf("%s: ratios %v, %v", c.After.Tool, w, cpu)
		}
	}
	if cs[0].Before.ModelLines != cs[0].After.ModelLines || cs[0].After.ModelLines == 0 {
		t.Fatalf("the same tree generated %d and %d lines", cs[0].Before.ModelLines, cs[0].After.ModelLines)
	}
	t.Logf("\n%s", scale.CompareTable(cs))
}

func TestComparisonRatio(t *testing.T) {
	run := func(wall, cpu time.Duration) scale.Run { return scale.Run{Wall: wall, CPU: cpu} }
	tests := []struct {
		name          string
		before, after []scale.Run
		wall, cpu     float64
	}{
		{name: "one run", before: []scale.Run{run(10, 20)}, after: []scale.Run{run(5, 5)}, wall: 0.5, cpu: 0.25},
		{
			name:   "the median of the per-run ratios, not the ratio of the medians",
			before: []scale.Run{run(10, 10), run(20, 20), run(40, 40)},
			after:  []scale.Run{run(9, 9), run(12, 12), run(30, 30)},
			wall:   0.75, cpu: 0.75,
		},
		{name: "an even number of runs", before: []scale.Run{run(10, 10), run(10, 10)}, after: []scale.Run{run(5, 5), run(7, 7)}, wall: 0.6, cpu: 0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := scale.Comparison{Before: scale.Result{Runs: tt.before}, After: scale.Result{Runs: tt.after}}
			wall, cpu := c.Ratio()
			if math.Abs(wall-tt.wall) > 1e-9 || math.Abs(cpu-tt.cpu) > 1e-9 {
				t.Fatalf("Ratio() = %v, %v; want %v, %v", wall, cpu, tt.wall, tt.cpu)
			}
		})
	}
}

// shortConfig builds triggergen from this tree and returns a Config of one
// run on n models in a temporary folder.
func shortConfig(t *testing.T, n int) scale.Config {
	t.Helper()
	work := t.TempDir()
	bin, err := scale.BuildTriggergen(context.Background(), "..", work)
	if err != nil {
		t.Fatal(err)
	}
	return scale.Config{RepoRoot: repoRoot(t), Triggergen: bin, WorkDir: work, Sizes: []int{n}, Runs: 1}
}
