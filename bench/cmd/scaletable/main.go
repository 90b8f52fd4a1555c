// Command scaletable measures triggergen on synthetic packages of 50 and
// 200 models (5 triggers each), then `go build` and `go vet` on what it
// generated, and prints a Markdown table. Run it from the bench module: go run ./cmd/scaletable
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/triggergen/triggergen/bench/scale"
)

func main() {
	sizes := flag.String("sizes", "50,200", "numbers of models, comma-separated")
	runs := flag.Int("runs", 3, "timed runs per tool and size")
	goal := flag.Float64("goal", 2, "seconds allowed for triggergen on the largest size (reported, not enforced)")
	flag.Parse()
	if err := run(*sizes, *runs, *goal); err != nil {
		fmt.Fprintln(os.Stderr, "scaletable:", err)
		os.Exit(1)
	}
}

func run(sizeList string, runs int, goal float64) error {
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
