package gen_test

import (
	"fmt"
	"os"

	"github.com/triggergen/triggergen/gen"
)

// Generate returns the files without reading or writing the disk; Prepare
// checks what they would replace and finds the stale ones; Commit writes
// them and removes the stale ones, all or nothing. This is what
// `triggergen ./...` does.
func ExampleGenerate() {
	res, err := gen.Generate(gen.Config{Dir: ".", Patterns: []string{"./..."}})
	if err == nil {
		err = gen.Prepare(res)
	}
	if err != nil {
		// An ErrorList prints one file:line:col: message per line.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, t := range res.Catalog.Triggers {
		fmt.Println(t.Name, t.Model, t.Events)
	}
	if _, err := gen.Commit(".", res.Files, res.Remove); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// Run is the whole command: with Check it writes nothing and reports a
// unified diff of what would change.
func ExampleRun() {
	rr, err := gen.Run(gen.Config{Patterns: []string{"./..."}}, gen.RunOptions{Check: true}, os.Stdout)
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	case rr.Stale:
		os.Exit(1)
	}
}
