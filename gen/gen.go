// Package gen is the triggergen generator: it loads Go packages, reads their
// //trigger: directives, and renders each package's triggers_gen.go.
//
// Generation is one linear pipeline, a file per stage:
//
//	load.go     load the named packages and the model packages their
//	            triggers use (go/packages)
//	scan.go     read the directives of every declaration, once
//	analyse.go  turn models, triggers and conditions into the typed
//	            intermediate form (analyse_model.go, analyse_trigger.go,
//	            analyse_condition.go), conditions resolved and type-checked
//	            once
//	emit.go     print that form as Go with jennifer (emit_model.go,
//	            emit_trigger.go, emit_condition.go, emit_codec.go,
//	            emit_equal.go) and render the files
//	write.go    compare with the disk, check what may be replaced, write
//
// The trigger packages are type-checked against the model code the run
// generates, so the models are analysed and emitted before the triggers are
// loaded against that code and analysed; a trigger's change type does not
// exist before generation.
//
// Generate is a pure function from packages to files: it reads nothing from
// the disk but the packages it loads. The write stage (Prepare, Commit,
// Check) reads the files on disk: Run does all of it, as the command does.
package gen

import (
	"fmt"
	"go/token"
	"io"
	"path/filepath"
	"slices"
)

// Config says what to generate for.
type Config struct {
	// Dir is the directory patterns are resolved in (default: the current one).
	Dir string
	// Patterns are go/packages patterns (default ".").
	Patterns []string
	// Tags are build tags.
	Tags []string
	// Env is the environment of the go command (default: the process's).
	Env []string
	// Log, when set, receives a line per step (-v).
	Log io.Writer

	// single generates in this build configuration only, leaving the
	// files of the others as they are (otherConfigs).
	single bool
}

// File is one generated file.
type File struct {
	Path    string
	Content []byte
}

// Result is what Generate produced.
type Result struct {
	// Files are the generated files, sorted by path.
	Files []File
	// Remove lists generated files that nothing generates any more (a
	// package without models or triggers, a constraint no file has);
	// Prepare fills it from the disk and Commit deletes them.
	Remove []string
	// Catalog describes every model and trigger found.
	Catalog Catalog

	// dir is the run's folder, which errors are relative to.
	dir string
	// targets are the files the run writes in this and in other build
	// configurations; Prepare checks that it may replace them.
	targets []string
	// roots are the folders of the named packages, where Prepare looks for
	// stale generated files, with the generated files they keep.
	roots []rootDir
	// deps are the generated files of model packages that the run reads
	// and never writes; Prepare checks that they are current.
	deps []dependency
}

// rootDir is the folder of a named package and the generated files it
// keeps: the ones the run produces, and those of the build configurations
// it leaves as they are.
type rootDir struct {
	dir  string
	keep []string
}

// Generate loads the packages of cfg and the model packages their triggers
// use, and returns the files to write: for the declarations of files with
// build constraints, files under the same constraints, generated in build
// configurations that include them when cfg's leaves them out. It returns
// an ErrorList with every problem found in the input, or another error
// when loading fails; no files are returned then (with an ErrorList, the
// Result still names the files the run would write, for Prepare).
//
// Generate reads nothing from the disk but the packages it loads: whether
// the files may be replaced, which stale files to remove and whether the
// generated files of read-only dependencies are current is for Prepare.
func Generate(cfg Config) (*Result, error) {
	g, err := newGeneration(cfg)
	if err != nil {
		return nil, err
	}
	if err := g.load(); err != nil { // load.go, with scan.go
		return nil, err
	}
	g.analyseModels()                                // analyse.go
	if err := g.generateOtherConfigs(); err != nil { // configs.go
		return nil, err
	}
	g.planFiles()                          // output.go
	if err := g.emitModels(); err != nil { // emit.go
		return nil, err
	}
	if err := g.loadTriggers(); err != nil { // load.go
		return nil, err
	}
	g.analyseTriggers() // analyse.go
	if err := g.d.err(); err != nil {
		return g.withErrors(), err
	}
	g.emitRegistration() // emit.go
	return g.result()    // emit.go
}

// generation is the state of one Generate call, stage by stage.
type generation struct {
	cfg  Config
	fset *token.FileSet
	l    *loader
	d    *diags

	// load and scan
	roots []*pkgInfo
	pkgs  map[string]*pkgInfo  // every package loaded, by path
	order []string             // their paths, sorted
	scans map[string]*scanned  // by package path
	refs  map[string]token.Pos // where a trigger first names each model package

	// analyse models
	models      map[string][]*model // by package path
	failed      map[string]bool     // "path.Name" of models with errors
	layouts     map[string][]*group // by package path
	triggerPkgs []string            // packages whose files in this build declare triggers

	// other build configurations
	otherFiles   []File
	otherTargets []string

	// plan
	produce map[string][]string // the files each package generates, by package path

	// emit models
	emitters map[string]*emitter // by file path
	// rendered keeps the model code rendered for the overlay, so that it
	// is not rendered again unless Register joins it.
	rendered map[string][]byte
	overlay  map[string][]byte
	genFiles map[string][]string // the generated model files of each package

	// load and analyse triggers
	tpkgs    []*pkgInfo            // trigger packages as loaded against the new code
	analysed map[string]*pkgInfo   // the same, by path
	triggers []*trigger            // every trigger
	byPkg    map[string][]*trigger // the triggers of each package
}

func newGeneration(cfg Config) (*generation, error) {
	if len(cfg.Patterns) == 0 {
		cfg.Patterns = []string{"."}
	}
	dir := cfg.Dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cfg.Dir = abs
	fset := token.NewFileSet()
	return &generation{
		cfg: cfg, fset: fset, l: &loader{cfg: cfg, fset: fset}, d: &diags{fset: fset, dir: abs},
		pkgs: map[string]*pkgInfo{}, scans: map[string]*scanned{}, refs: map[string]token.Pos{},
		models: map[string][]*model{}, failed: map[string]bool{}, layouts: map[string][]*group{},
		produce: map[string][]string{}, emitters: map[string]*emitter{}, rendered: map[string][]byte{},
		analysed: map[string]*pkgInfo{}, byPkg: map[string][]*trigger{},
	}, nil
}

func (g *generation) logf(format string, args ...any) {
	if g.cfg.Log != nil {
		fmt.Fprintf(g.cfg.Log, format+"\n", args...)
	}
}

// withErrors returns the Result of a run whose input has errors: no files,
// but the files it would write, so that Prepare can report those it may
// not replace along with the input's errors.
func (g *generation) withErrors() *Result {
	return &Result{dir: g.cfg.Dir, targets: g.targets()}
}

// targets returns every file the run writes, in this build configuration
// and the others.
func (g *generation) targets() []string {
	var out []string
	for _, path := range g.order {
		if !g.pkgs[path].readOnly() {
			out = append(out, g.produce[path]...)
		}
	}
	out = append(out, g.otherTargets...)
	slices.Sort(out)
	return slices.Compact(out)
}
