package gen

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
)

// RunOptions selects what Run does besides generating.
type RunOptions struct {
	// Check writes nothing and reports stale files as a unified diff.
	Check bool
	// List prints the catalog and writes no generated file (the catalog
	// of Doc excepted).
	List bool
	// Doc is a Markdown file to write the catalog to ("": none).
	Doc string
	// Verbose reports each file written.
	Verbose bool
}

// RunResult is what Run did.
type RunResult struct {
	// Stale reports, under Check, that some file is not current.
	Stale bool
	// Wrote lists the files written or removed.
	Wrote []string
}

// Run is the triggergen command: Generate, Prepare, then write the files
// (or compare them under Check), the catalog listing and the Markdown
// catalog. Nothing is written when any error is found.
func Run(cfg Config, opts RunOptions, stdout io.Writer) (RunResult, error) {
	var rr RunResult
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return rr, err
	}
	cfg.Dir = abs
	res, err := Generate(cfg)
	if err := prepare(res, err); err != nil {
		return rr, err
	}
	files := res.Files
	if opts.Doc != "" {
		md, err := RenderDoc(res.Catalog)
		if err != nil {
			return rr, err
		}
		path := opts.Doc
		if !filepath.IsAbs(path) {
			path = filepath.Join(cfg.Dir, path)
		}
		files = append(files, File{Path: path, Content: md})
	}
	if opts.List {
		if err := WriteList(stdout, res.Catalog); err != nil {
			return rr, err
		}
	}
	if opts.Check {
		diff, err := Check(files, res.Remove, cfg.Dir)
		if err != nil {
			return rr, err
		}
		if diff != "" {
			fmt.Fprint(stdout, diff)
			rr.Stale = true
		}
		return rr, nil
	}
	remove := res.Remove
	if opts.List {
		// -list only reads: of the files, it writes only the catalog that
		// -doc names.
		files, remove = files[len(res.Files):], nil
	}
	wrote, err := Commit(cfg.Dir, files, remove)
	rr.Wrote = wrote
	if opts.Verbose && cfg.Log != nil {
		for _, w := range wrote {
			verb := "wrote"
			if slices.Contains(remove, w) {
				verb = "removed"
			}
			fmt.Fprintf(cfg.Log, "%s %s\n", verb, relTo(cfg.Dir, w))
		}
	}
	return rr, err
}
