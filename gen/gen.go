// Package gen is the triggergen generator: it loads Go packages, reads their
// //trigger: directives, and renders each package's triggers_gen.go.
//
// Generation is a pure function from packages to files (Generate); writing
// is a separate step (Write), and Check compares without writing.
package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/token"
	"io"
	"maps"
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
	// Commit deletes them.
	Remove []string
	// Catalog describes every model and trigger found.
	Catalog Catalog
}

// Generate loads the packages of cfg and the model packages their triggers
// use, and returns the files to write: for the declarations of files with
// build constraints, files under the same constraints, generated in build
// configurations that include them when cfg's leaves them out. It returns an ErrorList with every
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
	// packages their triggers use, when not named (and the ones that those
	// packages' own triggers use); and the trigger packages again, against
	// the newly generated model code (an overlay), because before
	// generation their change types do not exist yet. That is what lets one
	// run bootstrap a tree with no generated files.
	roots, err := l.load(nil, cfg.Patterns...)
	if err != nil {
		return nil, err
	}
	pkgs := map[string]*pkgInfo{}
	for _, p := range roots {
		pkgs[p.path] = p
	}
	refs := map[string]token.Pos{} // where a trigger first names each model package
	for queue := roots; len(queue) > 0; {
		var extra []string
		for _, p := range queue {
			for _, r := range modelRefs(p) {
				if _, ok := refs[r.path]; !ok {
					refs[r.path] = r.pos
				}
				if _, ok := pkgs[r.path]; !ok && !slices.Contains(extra, r.path) {
					extra = append(extra, r.path)
				}
			}
		}
		if len(extra) == 0 {
			break
		}
		slices.Sort(extra)
		logf("loading model packages %s", strings.Join(extra, " "))
		more, err := l.load(nil, extra...)
		if err != nil {
			return nil, err
		}
		for _, p := range more {
			pkgs[p.path] = p
		}
		queue = more
	}

	// Analyse the models.
	order := slices.Sorted(maps.Keys(pkgs))
	models := map[string][]*model{} // by package path
	failed := map[string]bool{}     // "path.Name" of models with errors
	layouts := map[string][]*group{}
	var triggerPkgs []string // packages whose files in this build declare triggers
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
		layouts[path] = p.layout()
		if hasTriggerFuncs(p) {
			triggerPkgs = append(triggerPkgs, path)
		}
	}
	for _, p := range roots {
		strayDirectives(p, d)
	}
	checkModelNames(pkgs, models, d)

	// The files of the groups this build configuration leaves out are
	// generated in configurations that include them; their errors join
	// this run's.
	var otherFiles []File
	if !cfg.single {
		want := map[string]constraint.Expr{}
		pkgsOf := map[string][]string{}
		for _, path := range order {
			p := pkgs[path]
			if p.readOnly() {
				continue
			}
			for _, g := range layouts[path][1:] {
				if !g.loaded {
					file := filepath.Join(p.dir, g.file)
					want[file], pkgsOf[file] = g.expr, []string{path}
				}
			}
		}
		if len(want) > 0 {
			files, err := otherConfigs(cfg, want, pkgsOf)
			var list ErrorList
			switch {
			case errors.As(err, &list):
				d.list = append(d.list, list...)
			case err != nil:
				return nil, err
			}
			otherFiles = files
		}
	}
	produce := map[string][]string{} // the files each package generates, by package path
	for _, path := range order {
		p, gs := pkgs[path], layouts[path]
		produce[path] = outputs(p, gs)
		if hasTriggers(gs) {
			if pos, ok := p.declared("Register"); ok {
				d.errorf(pos, "Register collides with the function triggergen generates for the triggers of package %s; rename it", p.name)
			}
			for _, g := range gs[1:] {
				if pos, ok := p.declared(g.fn); ok && g.triggers {
					d.errorf(pos, "%s collides with the function triggergen generates for the triggers of package %s with the build constraint %s; rename it", g.fn, p.name, g.key)
				}
			}
		}
		if p.readOnly() {
			continue
		}
		for _, file := range produce[path] {
			if err := checkOwned(file); err != nil {
				d.fileError(file, err)
			}
		}
	}

	emitters := map[string]*emitter{} // by file path
	emitterFor := func(p *pkgInfo, g *group, stub bool) *emitter {
		name, x := g.file, g.expr
		if stub {
			name, x = g.stub, not(g.expr)
		}
		file := filepath.Join(p.dir, name)
		if e, ok := emitters[file]; ok {
			return e
		}
		e := newEmitter(p, x)
		emitters[file] = e
		return e
	}
	groupAt := func(p *pkgInfo, pos token.Pos) *group {
		key := p.groupOf(pos)
		for _, g := range layouts[p.path] {
			if g.key == key {
				return g
			}
		}
		return layouts[p.path][0]
	}
	for _, path := range order {
		for _, m := range models[path] {
			emitterFor(pkgs[path], groupAt(pkgs[path], m.Pos), false).emitModel(m)
		}
	}

	// Reload the trigger packages against the new model code, then analyse
	// their triggers.
	var triggers []*trigger
	byPkg := map[string][]*trigger{}  // the triggers of each package
	analysed := map[string]*pkgInfo{} // trigger packages as loaded against the new code
	// rendered keeps the model code rendered for the overlay, so that it is
	// not rendered again unless Register joins it.
	rendered := map[string][]byte{}
	if len(triggerPkgs) > 0 {
		overlay := map[string][]byte{}
		genFiles := map[string][]string{} // the generated model files of each package
		for _, file := range slices.Sorted(maps.Keys(emitters)) {
			e := emitters[file]
			src, err := render(e)
			if err != nil {
				return nil, fmt.Errorf("%s: rendering model code: %w", e.path, err)
			}
			overlay[file] = src
			rendered[file] = src
			genFiles[e.path] = append(genFiles[e.path], file)
		}
		// Generated files this run does not produce (a stale Register, the
		// code of a model that moved) must not stand in for the new code.
		for _, path := range order {
			p := pkgs[path]
			for _, f := range p.pkg.Syntax {
				name := p.fset.Position(f.Package).Filename
				if _, ok := overlay[name]; !ok && isGeneratedFile(f, filepath.Base(name)) {
					overlay[name] = []byte("package " + p.name + "\n")
				}
			}
		}
		for _, path := range triggerPkgs {
			if _, ok := overlay[pkgs[path].output()]; !ok {
				overlay[pkgs[path].output()] = []byte("package " + pkgs[path].name + "\n")
			}
		}
		modelPaths := slices.Sorted(maps.Keys(models))
		tpkgs, ok := l.checkFromSource(pkgs, overlay, genFiles, modelPaths, triggerPkgs)
		if ok {
			logf("type-checked trigger packages %s against the generated model code", strings.Join(triggerPkgs, " "))
		} else {
			logf("loading trigger packages %s", strings.Join(triggerPkgs, " "))
			tpkgs, err = l.load(overlay, triggerPkgs...)
			if err != nil {
				return nil, err
			}
		}
		byName := map[string]*model{} // "path.Name" -> model
		for path, ms := range models {
			for _, m := range ms {
				byName[path+"."+m.Name] = m
			}
		}
		for _, p := range tpkgs {
			ts := findTriggers(p, byName, failed, d)
			triggers = append(triggers, ts...)
			byPkg[p.path] = ts
			analysed[p.path] = p
			logf("%s: %d triggers", p.path, len(ts))
		}
		checkTriggerNames(triggers, d)
	}
	if err := d.err(); err != nil {
		return nil, err
	}

	// Register, in every package with triggers in any build: the triggers
	// of triggers_gen.go directly, each other group's through its register
	// function, which a stub defines in the builds that leave the group out.
	for _, path := range order {
		gs := layouts[path]
		if !hasTriggers(gs) {
			continue
		}
		p := pkgs[path]
		if a := analysed[path]; a != nil {
			p = a
		}
		var fns []string
		for _, g := range gs[1:] {
			if !g.triggers {
				continue
			}
			fns = append(fns, g.fn)
			if g.loaded {
				var ts []*trigger
				for _, t := range byPkg[path] {
					if p.groupOf(t.Pos) == g.key {
						ts = append(ts, t)
					}
				}
				e := emitterFor(pkgs[path], g, false)
				e.emitGroupRegister(p, g, ts)
				delete(rendered, filepath.Join(p.dir, g.file))
			}
			emitterFor(pkgs[path], g, true).emitRegisterStub(g)
		}
		var ts []*trigger
		for _, t := range byPkg[path] {
			if p.groupOf(t.Pos) == "" {
				ts = append(ts, t)
			}
		}
		emitterFor(pkgs[path], gs[0], false).emitRegister(p, ts, fns)
		delete(rendered, p.output())
	}

	res := &Result{Catalog: buildCatalog(order, models, triggers, d)}
	for _, path := range order {
		p := pkgs[path]
		var stale []string
		for _, file := range produce[path] {
			e := emitters[file]
			if e == nil {
				continue
			}
			src, ok := rendered[file]
			if !ok {
				if src, err = render(e); err != nil {
					return nil, fmt.Errorf("%s: rendering: %w", path, err)
				}
			}
			if !p.readOnly() {
				res.Files = append(res.Files, File{Path: file, Content: src})
			} else if old, err := os.ReadFile(file); err != nil || !bytes.Equal(old, src) {
				stale = append(stale, file)
			}
		}
		if len(stale) > 0 {
			dependencyError(p, refs, stale, d)
		}
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, otherFiles...)
	slices.SortFunc(res.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for _, p := range roots {
		if p.readOnly() {
			continue
		}
		keep := append(slices.Clone(produce[p.path]), kept(p, layouts[p.path])...)
		for _, file := range generatedOnDisk(p.dir) {
			if !slices.Contains(keep, file) {
				res.Remove = append(res.Remove, file)
			}
		}
	}
	return res, nil
}

// generatedOnDisk returns the files triggergen wrote in dir: the output
// names headed by the generated-code line.
func generatedOnDisk(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !isOutputName(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if data, err := os.ReadFile(path); err == nil && isGenerated(data) {
			out = append(out, path)
		}
	}
	return out
}

// dependencyError reports a model package of another module whose
// generated files are missing or not what this triggergen generates: it
// is never written, so it must be regenerated in its own module.
func dependencyError(p *pkgInfo, refs map[string]token.Pos, stale []string, d *diags) {
	mod := p.pkg.Module
	where := "module " + mod.Path
	if mod.Version != "" {
		where += " " + mod.Version
	}
	if mod.Replace != nil {
		where += " (replaced by " + mod.Replace.Path
		if mod.Replace.Version != "" {
			where += " " + mod.Replace.Version
		}
		where += ")"
	}
	var names []string
	missing := true
	for _, file := range stale {
		name := file
		if rel, err := filepath.Rel(mod.Dir, file); err == nil && !strings.HasPrefix(rel, "..") {
			name = filepath.ToSlash(rel)
		}
		names = append(names, name)
		if exists(file) {
			missing = false
		}
	}
	what := "is missing"
	if len(names) > 1 {
		what = "are missing"
	}
	if !missing {
		what = "differs from what this triggergen generates (another triggergen version wrote it, or it was edited)"
		if len(names) > 1 {
			what = "differ from what this triggergen generates (another triggergen version wrote them, or they were edited)"
		}
	}
	pos, ok := refs[p.path]
	if !ok {
		if files := p.userFiles(); len(files) > 0 {
			pos = files[0].Name.Pos()
		}
	}
	d.errorf(pos, "model package %s belongs to %s, which triggergen reads but never writes: its generated %s %s; regenerate it in that module with the triggergen version this module uses (go generate ./... there), then use that version of it",
		p.path, where, strings.Join(names, ", "), what)
}

// render renders a file (jennifer formats it) and groups its imports the
// way goimports does: the standard library first, then the rest.
//
// A file with a build constraint gets its //go:build line after the
// generated-code line.
func render(e *emitter) ([]byte, error) {
	var buf bytes.Buffer
	if err := e.file.Render(&buf); err != nil {
		return nil, err
	}
	src := groupImports(buf.Bytes())
	if e.build != nil {
		first, rest, _ := bytes.Cut(src, []byte("\n"))
		src = slices.Concat(first, []byte("\n\n//go:build "+e.build.String()+"\n"), rest)
	}
	return src, nil
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
// type or function, where they would do nothing, and near misses that
// would be ignored (nearMiss).
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
				if m, ok := nearMiss(c.Text); ok {
					d.errorf(c.Slash+token.Pos(m.off), "%q is not a directive (%s), so it would be ignored; did you mean //trigger:%s?", c.Text[:m.end], m.why, m.name)
				}
			}
		}
	}
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
