// Command scaletable measures triggergen on synthetic packages of 50 and
// 200 models (5 triggers each), then `go build` and `go vet` on what it
// generated, and prints a Markdown table. Run it from the bench module: go run ./cmd/scaletable
//
// With -baseline DIR, a checkout of earlier triggergen code (for example
// `git worktree add /tmp/base <commit>`), it measures that code and this
// tree interleaved, each run measuring both, and prints the two side by
// side with the median of the per-run ratios.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/triggergen/triggergen/bench/scale"
)

func main() {
	sizes := flag.String("sizes", "50,200", "numbers of models, comma-separated")
	runs := flag.Int("runs", 3, "timed runs per tool and size")
	goal := flag.Float64("goal", 2, "seconds allowed for triggergen on the largest size (reported, not enforced)")
	baseline := flag.String("baseline", "", "a checkout of earlier triggergen code to measure beside this tree, interleaved")
	flag.Parse()
	if err := run(*sizes, *runs, *goal, *baseline); err != nil {
		fmt.Fprintln(os.Stderr, "scaletable:", err)
		os.Exit(1)
	}
}

func run(sizeList string, runs int, goal float64, baseline string) error {
	ctx := context.Background()
	var sizes []int
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/triggergen/triggergen").Output()
	if err != nil {
		return fmt.Errorf("finding the triggergen module (run from bench/): %w", err)
	}
	root := strings.TrimSpace(string(out))
	work, err := os.MkdirTemp("", "triggergen-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin, err := scale.BuildTriggergen(ctx, ".", work)
	if err != nil {
		return err
	}
	cfg := scale.Config{RepoRoot: root, Triggergen: bin, WorkDir: work, Sizes: sizes, Runs: runs, Log: os.Stderr}
	if baseline != "" {
		return compare(ctx, cfg, baseline)
	}
	rs, err := cfg.Measure(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("### Generator scale (median of %d runs; each run starts without generated files, after an edit of the models package)\n\n", runs)
	fmt.Print(scale.Table(rs))
	largest := rs[len(rs)-3] // the triggergen row of the largest size
	w := largest.Median().Wall.Seconds()
	verdict := "met"
	if w > goal {
		verdict = "not met"
	}
	fmt.Printf("\n- **%s**: %d models in at most %.0f s: triggergen took %.2f s\n", verdict, largest.Models, goal, w)
	return nil
}

// compare measures the checkout in dir beside this tree.
func compare(ctx context.Context, cfg scale.Config, dir string) error {
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	binDir := filepath.Join(cfg.WorkDir, "baseline")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	// The baseline's own bench module requires its triggergen.
	bin, err := scale.BuildTriggergen(ctx, filepath.Join(root, "bench"), binDir)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	cs, err := cfg.Compare(ctx, scale.Baseline{RepoRoot: root, Triggergen: bin})
	if err != nil {
		return err
	}
	fmt.Printf("### Generator scale: %s (before) beside this tree (after), %d interleaved runs\n\n", dir, cfg.Runs)
	fmt.Print(scale.CompareTable(cs))
	return nil
}
