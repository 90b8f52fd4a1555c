// Package gen is the triggergen generator: it loads Go packages, reads their
// //trigger: directives, and renders each package's triggers_gen.go.
//
// Generation is a pure function from packages to files (Generate); writing
// is a separate step (Write), and Check compares without writing.
package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// Remove lists generated files left in packages that no longer have
	// models or triggers; Write deletes them.
	Remove []string
	// Catalog describes every model and trigger found.
	Catalog Catalog
}

// Generate loads the packages of cfg and the model packages their triggers
// use, and returns the files to write. It returns an ErrorList with every
// problem found in the input, or another error when loading fails; no
// files are returned then.
func Generate(cfg Config) (*Result, error) {
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
	l := &loader{cfg: cfg, fset: fset}
	d := &diags{fset: fset, dir: abs}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}

	// Packages are loaded up to three times: the named ones; the model
	// packages their triggers use, when not named; and the trigger packages
	// again, against the newly generated model code (an overlay), because
	// before generation their change types do not exist yet. That is what
	// lets one run bootstrap a tree with no generated files.
	roots, err := l.load(nil, cfg.Patterns...)
	if err != nil {
		return nil, err
	}
	pkgs := map[string]*pkgInfo{}
	for _, p := range roots {
		pkgs[p.path] = p
	}
	// Model packages that the roots' triggers use but that were not named.
	var extra []string
	for _, p := range roots {
		for _, path := range modelRefs(p) {
			if _, ok := pkgs[path]; !ok && !slices.Contains(extra, path) {
				extra = append(extra, path)
			}
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		logf("loading model packages %s", strings.Join(extra, " "))
		more, err := l.load(nil, extra...)
		if err != nil {
			return nil, err
		}
		for _, p := range more {
			pkgs[p.path] = p
		}
	}

	// Analyse the models.
	var order []string
	for path := range pkgs {
		order = append(order, path)
	}
	slices.Sort(order)
	models := map[string][]*model{} // by package path
	failed := map[string]bool{}     // "path.Name" of models with errors
	var triggerPkgs []string
	for _, path := range order {
		p := pkgs[path]
		ms, bad := findModels(p, d)
		if len(ms) > 0 {
			models[path] = ms
			logf("%s: %d models", path, len(ms))
		}
		for _, name := range bad {
			failed[path+"."+name] = true
		}
		if hasTriggerFuncs(p) && slices.ContainsFunc(roots, func(r *pkgInfo) bool { return r.path == path }) {
			triggerPkgs = append(triggerPkgs, path)
		}
	}
	for _, p := range roots {
		strayDirectives(p, d)
	}
	checkModelNames(pkgs, models, d)
	for _, path := range order {
		if len(models[path]) > 0 || slices.Contains(triggerPkgs, path) {
			if err := checkOwned(pkgs[path].output()); err != nil {
				d.fileError(pkgs[path].output(), err)
			}
		}
	}

	emitters := map[string]*emitter{}
	emitterFor := func(p *pkgInfo) *emitter {
		if e, ok := emitters[p.path]; ok {
			return e
		}
		e := newEmitter(p)
		emitters[p.path] = e
		return e
	}
	for _, path := range order {
		for _, m := range models[path] {
			emitterFor(pkgs[path]).emitModel(m)
		}
	}

	// Reload the trigger packages against the new model code, then analyse
	// and emit their triggers.
	var triggers []*trigger
	// rendered keeps the model code rendered for the overlay, so that it is
	// not rendered again unless Register joins it (models and triggers in
	// one package).
	rendered := map[string][]byte{}
	if len(triggerPkgs) > 0 {
		overlay := map[string][]byte{}
		for path, e := range emitters {
			src, err := render(e)
			if err != nil {
				return nil, fmt.Errorf("%s: rendering model code: %w", path, err)
			}
			overlay[pkgs[path].output()] = src
			rendered[path] = src
		}
		for _, path := range triggerPkgs {
			if _, ok := overlay[pkgs[path].output()]; !ok {
				overlay[pkgs[path].output()] = []byte("package " + pkgs[path].name + "\n")
			}
		}
		var modelPaths []string
		for path := range models {
			modelPaths = append(modelPaths, path)
		}
		slices.Sort(modelPaths)
		tpkgs, ok := l.checkFromSource(pkgs, overlay, modelPaths, triggerPkgs)
		if ok {
			logf("type-checked trigger packages %s against the generated model code", strings.Join(triggerPkgs, " "))
		} else {
			logf("loading trigger packages %s", strings.Join(triggerPkgs, " "))
			tpkgs, err = l.load(overlay, triggerPkgs...)
			if err != nil {
				return nil, err
			}
		}
		byPkg := map[string]*model{} // "path.Name" -> model
		for path, ms := range models {
			for _, m := range ms {
				byPkg[path+"."+m.Name] = m
			}
		}
		for _, p := range tpkgs {
			ts := findTriggers(p, byPkg, failed, d)
			triggers = append(triggers, ts...)
			logf("%s: %d triggers", p.path, len(ts))
			if pos, ok := p.declared("Register"); ok {
				d.errorf(pos, "Register collides with the function triggergen generates for the triggers of package %s; rename it", p.name)
			}
			if len(ts) > 0 {
				emitterFor(p).emitRegister(p, ts)
				delete(rendered, p.path)
			}
		}
		checkTriggerNames(triggers, d)
	}
	if err := d.err(); err != nil {
		return nil, err
	}

	res := &Result{Catalog: buildCatalog(order, models, triggers, d)}
	var paths []string
	for path := range emitters {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	for _, path := range paths {
		src, ok := rendered[path]
		if !ok {
			if src, err = render(emitters[path]); err != nil {
				return nil, fmt.Errorf("%s: rendering: %w", path, err)
			}
		}
		res.Files = append(res.Files, File{Path: pkgs[path].output(), Content: src})
	}
	for _, p := range roots {
		if _, ok := emitters[p.path]; !ok && checkOwned(p.output()) == nil && exists(p.output()) {
			res.Remove = append(res.Remove, p.output())
		}
	}
	return res, nil
}

// render renders a file (jennifer formats it) and groups its imports the
// way goimports does: the standard library first, then the rest.
func render(e *emitter) ([]byte, error) {
	var buf bytes.Buffer
	if err := e.file.Render(&buf); err != nil {
		return nil, err
	}
	return groupImports(buf.Bytes()), nil
}

// groupImports splits the import block of gofmt-ed source into a group of
// standard library packages and a group of the others, each in the order
// it had (jennifer sorts imports by path). The result is still gofmt-clean.
func groupImports(src []byte) []byte {
	open := []byte("\nimport (\n")
	start := bytes.Index(src, open)
	if start < 0 {
		return src
	}
	body := start + len(open)
	n := bytes.Index(src[body:], []byte("\n)\n"))
	if n < 0 {
		return src
	}
	var std, other []string
	for _, line := range strings.Split(string(src[body:body+n]), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		path := line[strings.IndexByte(line, '"')+1:]
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			other = append(other, line)
		} else {
			std = append(std, line)
		}
	}
	var b bytes.Buffer
	b.Write(src[:body])
	for _, l := range std {
		b.WriteString("\t" + l + "\n")
	}
	if len(std) > 0 && len(other) > 0 {
		b.WriteString("\n")
	}
	for _, l := range other {
		b.WriteString("\t" + l + "\n")
	}
	b.Write(src[body+n+1:])
	return b.Bytes()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// strayDirectives reports directives that are not in the doc comment of a
// type or function, where they would do nothing, and directive look-alikes
// with a space after //.
func strayDirectives(p *pkgInfo, d *diags) {
	for _, f := range p.userFiles() {
		placed := map[token.Pos]bool{}
		mark := func(doc *ast.CommentGroup) {
			if doc != nil {
				for _, c := range doc.List {
					placed[c.Slash] = true
				}
			}
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				mark(decl.Doc)
			case *ast.GenDecl:
				if decl.Tok != token.TYPE {
					continue
				}
				if len(decl.Specs) == 1 {
					mark(decl.Doc)
				}
				for _, spec := range decl.Specs {
					mark(spec.(*ast.TypeSpec).Doc)
				}
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if dir, ok := parseDirective(c.Text, c.Slash); ok {
					if !placed[c.Slash] {
						d.errorf(dir.NamePos, "//trigger:%s does nothing here: directives go in the doc comment of a struct type (//trigger:model) or of a function (the others)", dir.Name)
					}
					continue
				}
				if name, ok := spacedDirective(c.Text); ok {
					d.errorf(c.Slash, "a directive has no space after //: write //trigger:%s", name)
				}
			}
		}
	}
}

// spacedDirective reports a comment like "// trigger:on ..." that was meant
// as a directive.
func spacedDirective(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "//")
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return "", false
	}
	rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " \t"), "trigger:")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, " ")
	if name == "model" || slices.Contains(triggerDirectives, name) {
		return name, true
	}
	return "", false
}

// hasTriggerFuncs reports whether a package has functions with directives.
func hasTriggerFuncs(p *pkgInfo) bool {
	for _, f := range p.userFiles() {
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && len(directives(fd.Doc)) > 0 {
				return true
			}
		}
	}
	return false
}

// checkModelNames reports generated names that collide with declared ones
// or with each other.
func checkModelNames(pkgs map[string]*pkgInfo, models map[string][]*model, d *diags) {
	for path, ms := range models {
		p := pkgs[path]
		seen := map[string]*model{}
		for _, m := range ms {
			for recv, names := range m.generatedMethods() {
				for _, name := range names {
					if pos, ok := p.declaredMethod(recv, name); ok {
						d.errorf(pos, "method %s.%s collides with the method triggergen generates; rename it", recv, name)
					}
				}
			}
			for _, name := range m.generatedNames() {
				if pos, ok := p.declared(name); ok {
					d.errorf(pos, "%s collides with the name triggergen generates for model %s; rename it", name, m.Name)
				}
				switch other, ok := seen[name]; {
				case ok && other != m:
					d.errorf(m.Pos, "models %s and %s both generate %s; rename one of them", other.Name, m.Name, name)
				case ok:
					d.errorf(m.Pos, "model %s would generate %s twice: a custom event's constant repeats another generated name; rename the event", m.Name, name)
				}
				seen[name] = m
			}
		}
	}
}
