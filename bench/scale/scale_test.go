package scale_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	work := t.TempDir()
	bin, err := scale.BuildTriggergen(ctx, "..", work)
	if err != nil {
		t.Fatal(err)
	}
	cfg := scale.Config{RepoRoot: repoRoot(t), Triggergen: bin, WorkDir: work, Sizes: []int{5}, Runs: 1}
	rs, err := cfg.Measure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].Models != 5 || rs[0].GeneratedLines == 0 {
		t.Fatalf("results %+v", rs)
	}
	t.Logf("\n%s", scale.Table(rs))
}
