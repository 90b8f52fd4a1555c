package gen

// The plan of the output files: which generated files each package gets in
// this build configuration (triggers_gen.go and one file per build
// constraint, see constraint.go), and which of them a declaration's code
// goes to.

import (
	"go/ast"
	"go/build/constraint"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
)

// group is the generated code of one build constraint of a package (see
// constraint.go): triggers_gen.go for the key "", else
// triggers_<slug>_gen.go, plus a stub file when it has triggers.
type group struct {
	key  string          // constraint text; "" for triggers_gen.go
	expr constraint.Expr // the file's //go:build expression; nil for none
	file string          // base name of its generated file
	stub string          // base name of its stub file ("" for the key "")
	fn   string          // its register function ("" for the key "")
	// loaded reports that its declarations are part of this build, so
	// its file can be generated; the file of a group that is not loaded is
	// left as it is.
	loaded   bool
	models   bool // some file of the group declares models
	triggers bool // some file of the group declares triggers
}

// planFiles decides the files each package generates in this build
// configuration, and reports the register functions it would generate
// that collide with declared names.
func (g *generation) planFiles() {
	for _, path := range g.order {
		p, gs := g.pkgs[path], g.layouts[path]
		g.produce[path] = outputs(p, gs)
		if !hasTriggers(gs) {
			continue
		}
		if pos, ok := p.declared("Register"); ok {
			g.d.errorf(pos, "Register collides with the function triggergen generates for the triggers of package %s; rename it", p.name)
		}
		for _, gr := range gs[1:] {
			if pos, ok := p.declared(gr.fn); ok && gr.triggers {
				g.d.errorf(pos, "%s collides with the function triggergen generates for the triggers of package %s with the build constraint %s; rename it", gr.fn, p.name, gr.key)
			}
		}
	}
}

// groupAt returns the group of p that the declaration at pos belongs to.
func (g *generation) groupAt(p *pkgInfo, pos token.Pos) *group {
	key := p.groupOf(pos)
	for _, gr := range g.layouts[p.path] {
		if gr.key == key {
			return gr
		}
	}
	return g.layouts[p.path][0]
}

// layout returns the groups of a package with directives, the group ""
// first and the others by key.
func (p *pkgInfo) layout(sc *scanned) []*group {
	byKey := map[string]*group{"": {key: "", expr: p.base, file: OutputName}}
	add := func(x constraint.Expr, loaded, models, triggers bool) {
		key := exprKey(x)
		if key == exprKey(p.base) {
			key = ""
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key, expr: x}
			byKey[key] = g
		}
		g.loaded = g.loaded || loaded
		g.models = g.models || models
		g.triggers = g.triggers || triggers
	}
	for _, f := range p.userFiles() {
		fd := sc.files[f]
		name := p.fset.Position(f.Package).Filename
		x := p.groups[name]
		if x == nil {
			x = p.base
		}
		add(x, true, fd.models, fd.triggers)
	}
	for _, ig := range p.ignored {
		if ig.models || ig.triggers {
			add(ig.constraint, false, ig.models, ig.triggers)
		}
	}
	gs := []*group{byKey[""]}
	var keys []string
	for key, g := range byKey {
		if key != "" && (g.models || g.triggers) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	used := map[string]bool{OutputName: true}
	for _, key := range keys {
		g := byKey[key]
		slug := constraintSlug(g.expr)
		for i := 2; used["triggers_"+slug+"_gen.go"] || used["triggers_"+slug+"_stub_gen.go"] || used["register"+camelCase(slug)]; i++ {
			slug = constraintSlug(g.expr) + "_" + strconv.Itoa(i)
		}
		g.file, g.stub, g.fn = "triggers_"+slug+"_gen.go", "triggers_"+slug+"_stub_gen.go", "register"+camelCase(slug)
		used[g.file], used[g.stub], used[g.fn] = true, true, true
		gs = append(gs, g)
	}
	return gs
}

// fileDirectives reports whether a file declares models and whether it
// declares triggers.
func fileDirectives(f *ast.File) (models, triggers bool) {
	sc := &scanned{files: map[*ast.File]fileDecls{}}
	fileScan(f, sc)
	return sc.files[f].models, sc.files[f].triggers
}

// hasTriggers reports whether any group of the package, in any build,
// declares triggers: then the package gets Register.
func hasTriggers(gs []*group) bool {
	return slices.ContainsFunc(gs, func(g *group) bool { return g.triggers })
}

// outputs returns the files a package's groups generate in this build, by
// path: the group "" when it has models or the package has triggers, every
// loaded group's file, and the stub of every group with triggers.
func outputs(p *pkgInfo, gs []*group) []string {
	var out []string
	reg := hasTriggers(gs)
	for _, g := range gs {
		switch {
		case g.key == "":
			if g.models || reg {
				out = append(out, filepath.Join(p.dir, g.file))
			}
			continue
		case g.loaded:
			out = append(out, filepath.Join(p.dir, g.file))
		}
		if g.triggers {
			out = append(out, filepath.Join(p.dir, g.stub))
		}
	}
	return out
}

// kept returns the generated files of groups this build leaves out: they
// stay as they are.
func kept(p *pkgInfo, gs []*group) []string {
	var out []string
	for _, g := range gs {
		if g.key != "" && !g.loaded {
			out = append(out, filepath.Join(p.dir, g.file))
		}
	}
	return out
}

// implies reports whether a build satisfying a always satisfies b, as far
// as their && terms show: every term of b is a term of a.
func implies(a, b constraint.Expr) bool {
	have := map[string]bool{}
	for _, t := range andTerms(a) {
		have[t] = true
	}
	for _, t := range andTerms(b) {
		if !have[t] {
			return false
		}
	}
	return true
}

func andTerms(x constraint.Expr) []string {
	switch x := x.(type) {
	case nil:
		return nil
	case *constraint.AndExpr:
		return append(andTerms(x.X), andTerms(x.Y)...)
	}
	return []string{x.String()}
}
