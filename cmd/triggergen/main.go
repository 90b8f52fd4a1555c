// Command triggergen generates typed change tracking and trigger
// registration from //trigger: directives.
//
// Usage:
//
//	triggergen [flags] [packages]
//
// It generates triggers_gen.go for the named packages (default ".") and for
// the model packages their triggers use. See go.generate.md for every flag.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/triggergen/triggergen/gen"
)

// Exit codes.
const (
	exitOK    = 0
	exitStale = 1 // -check found files to update
	exitError = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("triggergen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "write nothing; print a unified diff of what would change and exit 1 if anything is stale")
	list := fs.Bool("list", false, "print the trigger catalog")
	doc := fs.String("doc", "", "write the trigger catalog as Markdown to `FILE`")
	verbose := fs.Bool("v", false, "print what is loaded and written")
	version := fs.Bool("version", false, "print the version and exit")
	tags := fs.String("tags", "", "comma-separated build `tags`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: triggergen [flags] [packages]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if *version {
		fmt.Fprintln(stdout, "triggergen", moduleVersion())
		return exitOK
	}
	cfg := gen.Config{Patterns: fs.Args()}
	if *tags != "" {
		cfg.Tags = strings.Split(*tags, ",")
	}
	if *verbose {
		cfg.Log = stderr
	}
	opts := gen.RunOptions{Check: *check, List: *list, Doc: *doc, Verbose: *verbose}
	res, err := gen.Run(cfg, opts, stdout)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if res.Stale {
		return exitStale
	}
	return exitOK
}

func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
