package runtime_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"
)

// maxExported is the budget of the core's exported names: package-level
// constants, variables, types and functions, plus the methods of exported
// types, each counted once. What is not the engine, models, triggers,
// dispatch, scopes, statistics or the audit interface belongs in a
// subpackage (see doc.go), not here.
const maxExported = 140

// TestExportedNames keeps the core small and documented: at most
// maxExported exported names, each with a doc comment (a name in a
// documented const or var group counts as documented).
func TestExportedNames(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var names, undocumented []string
	add := func(name string, doc *ast.CommentGroup, pos token.Pos) {
		names = append(names, name)
		if doc == nil {
			undocumented = append(undocumented, fset.Position(pos).String()+": "+name)
		}
	}
	for _, f := range pkgs["runtime"].Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				name := d.Name.Name
				if d.Recv != nil {
					recv := receiverName(d.Recv.List[0].Type)
					if !ast.IsExported(recv) {
						continue
					}
					name = recv + "." + name
				}
				add(name, d.Doc, d.Pos())
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							add(s.Name.Name, firstDoc(s.Doc, d.Doc), s.Pos())
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								add(n.Name, firstDoc(s.Doc, d.Doc), n.Pos())
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(names)
	if len(names) > maxExported {
		t.Errorf("package runtime exports %d names, more than its budget of %d: move what is not the core into a subpackage\n%s",
			len(names), maxExported, strings.Join(names, " "))
	}
	for _, u := range undocumented {
		t.Errorf("%s has no doc comment", u)
	}
}

func receiverName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

func firstDoc(docs ...*ast.CommentGroup) *ast.CommentGroup {
	for _, d := range docs {
		if d != nil {
			return d
		}
	}
	return nil
}
