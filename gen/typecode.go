package gen

import (
	"fmt"
	"go/build/constraint"
	"go/types"
	"path/filepath"

	"github.com/dave/jennifer/jen"
)

const runtimePath = "github.com/triggergen/triggergen/runtime"

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
	for _, path := range []string{runtimePath, "context", "errors", "maps", "slices", "strconv", "time"} {
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
