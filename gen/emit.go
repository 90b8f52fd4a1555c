package gen

// The emit stage: the analysed models and triggers printed as Go with
// jennifer (emit_model.go, emit_codec.go, emit_equal.go, emit_trigger.go,
// emit_condition.go), one emitter per generated file, and the files
// rendered. Emission prints what the analysis decided; it checks nothing.

import (
	"bytes"
	"fmt"
	"go/build/constraint"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"
)

// emitterFor returns the emitter of a group's file (its stub's with stub).
func (g *generation) emitterFor(p *pkgInfo, gr *group, stub bool) *emitter {
	name, x := gr.file, gr.expr
	if stub {
		name, x = gr.stub, not(gr.expr)
	}
	file := filepath.Join(p.dir, name)
	if e, ok := g.emitters[file]; ok {
		return e
	}
	e := newEmitter(p, x)
	g.emitters[file] = e
	return e
}

// emitModels emits the code of every model, and, when there are triggers
// to analyse, renders it as the overlay the trigger packages are
// type-checked against (loadTriggers).
func (g *generation) emitModels() error {
	for _, path := range g.order {
		for _, m := range g.models[path] {
			g.emitterFor(g.pkgs[path], g.groupAt(g.pkgs[path], m.Pos), false).emitModel(m)
		}
	}
	if len(g.triggerPkgs) == 0 {
		return nil
	}
	g.overlay = map[string][]byte{}
	g.genFiles = map[string][]string{}
	for _, file := range slices.Sorted(maps.Keys(g.emitters)) {
		e := g.emitters[file]
		src, err := render(e)
		if err != nil {
			return fmt.Errorf("%s: rendering model code: %w", e.path, err)
		}
		g.overlay[file] = src
		g.rendered[file] = src
		g.genFiles[e.path] = append(g.genFiles[e.path], file)
	}
	// Generated files this run does not produce (a stale Register, the
	// code of a model that moved) must not stand in for the new code.
	for _, path := range g.order {
		p := g.pkgs[path]
		for _, f := range p.pkg.Syntax {
			name := p.fset.Position(f.Package).Filename
			if _, ok := g.overlay[name]; !ok && isGeneratedFile(f, filepath.Base(name)) {
				g.overlay[name] = []byte("package " + p.name + "\n")
			}
		}
	}
	for _, path := range g.triggerPkgs {
		if _, ok := g.overlay[g.pkgs[path].output()]; !ok {
			g.overlay[g.pkgs[path].output()] = []byte("package " + g.pkgs[path].name + "\n")
		}
	}
	return nil
}

// emitRegistration emits Register in every package with triggers in any
// build: the triggers of triggers_gen.go directly, each other group's
// through its register function, which a stub defines in the builds that
// leave the group out.
func (g *generation) emitRegistration() {
	for _, path := range g.order {
		gs := g.layouts[path]
		if !hasTriggers(gs) {
			continue
		}
		p := g.pkgs[path]
		if a := g.analysed[path]; a != nil {
			p = a
		}
		var fns []string
		for _, gr := range gs[1:] {
			if !gr.triggers {
				continue
			}
			fns = append(fns, gr.fn)
			if gr.loaded {
				var ts []*trigger
				for _, t := range g.byPkg[path] {
					if p.groupOf(t.Pos) == gr.key {
						ts = append(ts, t)
					}
				}
				g.emitterFor(g.pkgs[path], gr, false).emitGroupRegister(gr, ts)
				delete(g.rendered, filepath.Join(p.dir, gr.file))
			}
			g.emitterFor(g.pkgs[path], gr, true).emitRegisterStub(gr)
		}
		var ts []*trigger
		for _, t := range g.byPkg[path] {
			if p.groupOf(t.Pos) == "" {
				ts = append(ts, t)
			}
		}
		g.emitterFor(g.pkgs[path], gs[0], false).emitRegister(ts, fns)
		delete(g.rendered, p.output())
	}
}

// result renders the files not rendered yet and returns the run's result:
// the files of the writable packages; those of read-only model packages
// become dependencies that Prepare compares with the disk.
func (g *generation) result() (*Result, error) {
	res := &Result{Catalog: buildCatalog(g.order, g.models, g.triggers, g.d), dir: g.cfg.Dir, targets: g.targets()}
	for _, path := range g.order {
		p := g.pkgs[path]
		var dep []File
		for _, file := range g.produce[path] {
			e := g.emitters[file]
			if e == nil {
				continue
			}
			src, ok := g.rendered[file]
			if !ok {
				var err error
				if src, err = render(e); err != nil {
					return nil, fmt.Errorf("%s: rendering: %w", path, err)
				}
			}
			if p.readOnly() {
				dep = append(dep, File{Path: file, Content: src})
			} else {
				res.Files = append(res.Files, File{Path: file, Content: src})
			}
		}
		if len(dep) > 0 {
			res.deps = append(res.deps, g.dependency(p, dep))
		}
	}
	res.Files = append(res.Files, g.otherFiles...)
	slices.SortFunc(res.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for _, p := range g.roots {
		if !p.readOnly() {
			keep := append(slices.Clone(g.produce[p.path]), kept(p, g.layouts[p.path])...)
			res.roots = append(res.roots, rootDir{dir: p.dir, keep: keep})
		}
	}
	return res, nil
}

// dependency describes a model package of another module, which the run
// reads and never writes, with the files this run generates for it.
func (g *generation) dependency(p *pkgInfo, files []File) dependency {
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
	pos, ok := g.refs[p.path]
	if !ok {
		if files := p.userFiles(); len(files) > 0 {
			pos = files[0].Name.Pos()
		}
	}
	return dependency{pos: g.d.position(pos), path: p.path, where: where, modDir: mod.Dir, files: files}
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

const (
	runtimePath = "github.com/triggergen/triggergen/runtime"
	codecPath   = runtimePath + "/codec"
	fieldPath   = runtimePath + "/field"
)

// emitter writes Go code for one package with jennifer, qualifying names
// from other packages and fixing their import names.
type emitter struct {
	path string // the package being generated
	file *jen.File
	pkg  *pkgInfo
	// build is the file's //go:build expression, nil for none.
	build constraint.Expr
}

func newEmitter(p *pkgInfo, build constraint.Expr) *emitter {
	f := jen.NewFilePathName(p.path, p.name)
	f.HeaderComment(Header[3:])
	e := &emitter{path: p.path, file: f, pkg: p, build: build}
	// The packages generated code may use; the others are imported by qual.
	for _, path := range []string{runtimePath, codecPath, fieldPath, "context", "errors", "maps", "slices", "strconv", "time"} {
		e.importAs(path, filepath.Base(path))
	}
	return e
}

// importAs fixes the import name of path: name, or an alias when the
// package declares name itself.
func (e *emitter) importAs(path, name string) {
	if _, taken := e.pkg.declared(name); !taken {
		e.file.ImportName(path, name)
		return
	}
	alias := name + "pkg"
	for i := 2; ; i++ {
		if _, taken := e.pkg.declared(alias); !taken {
			break
		}
		alias = fmt.Sprintf("%spkg%d", name, i)
	}
	e.file.ImportAlias(path, alias)
}

// qual returns a reference to name in package path.
func (e *emitter) qual(pkg *types.Package, name string) *jen.Statement {
	if pkg == nil || pkg.Path() == e.path {
		return jen.Id(name)
	}
	e.importAs(pkg.Path(), pkg.Name())
	return jen.Qual(pkg.Path(), name)
}

// rt returns a reference to a name of the runtime package.
func (e *emitter) rt(name string) *jen.Statement { return jen.Qual(runtimePath, name) }

// field returns a reference to a name of the field package.
func (e *emitter) field(name string) *jen.Statement { return jen.Qual(fieldPath, name) }

// codec returns a reference to a name of the codec package.
func (e *emitter) codec(name string) *jen.Statement { return jen.Qual(codecPath, name) }

// typ returns the Go code of a type.
func (e *emitter) typ(t types.Type) *jen.Statement {
	switch t := t.(type) {
	case *types.Alias:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return jen.Id(obj.Name())
		}
		return e.withArgs(e.qual(obj.Pkg(), obj.Name()), t.TypeArgs())
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return jen.Id(obj.Name()) // error, comparable
		}
		return e.withArgs(e.qual(obj.Pkg(), obj.Name()), t.TypeArgs())
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return jen.Qual("unsafe", "Pointer")
		}
		return jen.Id(t.Name())
	case *types.Pointer:
		return jen.Op("*").Add(e.typ(t.Elem()))
	case *types.Slice:
		return jen.Index().Add(e.typ(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(e.typ(t.Elem()))
	case *types.Map:
		return jen.Map(e.typ(t.Key())).Add(e.typ(t.Elem()))
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			return jen.Chan().Op("<-").Add(e.typ(t.Elem()))
		case types.RecvOnly:
			return jen.Op("<-").Chan().Add(e.typ(t.Elem()))
		}
		return jen.Chan().Add(e.typ(t.Elem()))
	case *types.Struct:
		var fields []jen.Code
		for i := range t.NumFields() {
			f := t.Field(i)
			var c *jen.Statement
			if f.Embedded() {
				c = e.typ(f.Type())
			} else {
				c = jen.Id(f.Name()).Add(e.typ(f.Type()))
			}
			if tag := t.Tag(i); tag != "" {
				c.Op("`" + tag + "`")
			}
			fields = append(fields, c)
		}
		return jen.Struct(fields...)
	case *types.Interface:
		if t.Empty() {
			return jen.Any()
		}
		return jen.Interface() // only reached for rejected fields
	case *types.Signature:
		var ps, rs []jen.Code
		for i := range t.Params().Len() {
			ps = append(ps, e.typ(t.Params().At(i).Type()))
		}
		for i := range t.Results().Len() {
			rs = append(rs, e.typ(t.Results().At(i).Type()))
		}
		return jen.Func().Params(ps...).Params(rs...)
	}
	return jen.Id(types.TypeString(t, nil))
}

func (e *emitter) withArgs(s *jen.Statement, args *types.TypeList) *jen.Statement {
	if args == nil || args.Len() == 0 {
		return s
	}
	var cs []jen.Code
	for i := range args.Len() {
		cs = append(cs, e.typ(args.At(i)))
	}
	return s.Types(cs...)
}
