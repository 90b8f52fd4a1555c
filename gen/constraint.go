package gen

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
)

// Build constraints.
//
// Generated code is constrained like the declarations it is generated
// for: a model or trigger declared in a file with a //go:build line or a
// _GOOS/_GOARCH name gets its code in a file with the same //go:build line,
// so that builds in which the declaration does not exist still compile.
//
// Each package gets triggers_gen.go, which carries the constraint every
// file of the package shares (usually none). The declarations of files
// with another constraint C go to triggers_<slug>_gen.go under
// //go:build C. Register lives in triggers_gen.go; it calls one
// register<Slug> function per constrained group of triggers, defined in
// the group's file, and a stub of it that registers nothing is generated in
// triggers_<slug>_stub_gen.go under //go:build !(C).

// knownOS and knownArch are the GOOS and GOARCH values a file name suffix
// can name (go/build's lists).
var (
	knownOS = map[string]bool{
		"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "hurd": true,
		"illumos": true, "ios": true, "js": true, "linux": true, "nacl": true, "netbsd": true,
		"openbsd": true, "plan9": true, "solaris": true, "wasip1": true, "windows": true, "zos": true,
	}
	knownArch = map[string]bool{
		"386": true, "amd64": true, "amd64p32": true, "arm": true, "armbe": true, "arm64": true,
		"arm64be": true, "loong64": true, "mips": true, "mipsle": true, "mips64": true, "mips64le": true,
		"mips64p32": true, "mips64p32le": true, "ppc": true, "ppc64": true, "ppc64le": true,
		"riscv": true, "riscv64": true, "s390": true, "s390x": true, "sparc": true, "sparc64": true,
		"wasm": true,
	}
)

// fileConstraint returns the build constraint of a Go file: its //go:build
// line (or its // +build lines) and the GOOS and GOARCH its name implies,
// joined with &&; nil when it has none.
func fileConstraint(f *ast.File, filename string) constraint.Expr {
	var lines constraint.Expr
	var plus []constraint.Expr
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			switch {
			case constraint.IsGoBuild(c.Text):
				if x, err := constraint.Parse(c.Text); err == nil && lines == nil {
					lines = x
				}
			case constraint.IsPlusBuild(c.Text):
				if x, err := constraint.Parse(c.Text); err == nil {
					plus = append(plus, x)
				}
			}
		}
	}
	if lines == nil {
		for _, x := range plus {
			lines = and(lines, x)
		}
	}
	return and(lines, nameConstraint(filename))
}

// nameConstraint returns the constraint a file name implies
// (x_linux.go, x_amd64.go, x_linux_amd64.go), or nil.
func nameConstraint(filename string) constraint.Expr {
	name := strings.TrimSuffix(filepath.Base(filename), ".go")
	i := strings.Index(name, "_")
	if i < 0 {
		return nil
	}
	l := strings.Split(name[i:], "_")
	if n := len(l); n > 0 && l[n-1] == "test" {
		l = l[:n-1]
	}
	n := len(l)
	switch {
	case n >= 2 && knownOS[l[n-2]] && knownArch[l[n-1]]:
		return and(tag(l[n-2]), tag(l[n-1]))
	case n >= 1 && (knownOS[l[n-1]] || knownArch[l[n-1]]):
		return tag(l[n-1])
	}
	return nil
}

func tag(name string) constraint.Expr { return &constraint.TagExpr{Tag: name} }

// and joins two constraints, either of which may be nil.
func and(x, y constraint.Expr) constraint.Expr {
	switch {
	case x == nil:
		return y
	case y == nil:
		return x
	case x.String() == y.String():
		return x
	}
	return &constraint.AndExpr{X: x, Y: y}
}

// not negates a constraint, removing a double negation.
func not(x constraint.Expr) constraint.Expr {
	if n, ok := x.(*constraint.NotExpr); ok {
		return n.X
	}
	return &constraint.NotExpr{X: x}
}

// exprKey returns the text of a constraint, "" for none.
func exprKey(x constraint.Expr) string {
	if x == nil {
		return ""
	}
	return x.String()
}

// constraintSlug turns a constraint into a file name part:
// linux -> linux, linux && amd64 -> linux_and_amd64, !foo -> not_foo.
func constraintSlug(x constraint.Expr) string {
	var parts []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			parts = append(parts, strings.ToLower(word.String()))
			word.Reset()
		}
	}
	s := x.String()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '!':
			flush()
			parts = append(parts, "not")
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			flush()
			parts = append(parts, "and")
			i++
		case c == '|' && i+1 < len(s) && s[i+1] == '|':
			flush()
			parts = append(parts, "or")
			i++
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			word.WriteByte(c)
		default:
			flush()
		}
	}
	flush()
	return strings.Join(parts, "_")
}

// ignoredFile is a file of the package that the current build
// configuration leaves out, read only for its constraint and whether it
// declares models or triggers.
type ignoredFile struct {
	path       string
	constraint constraint.Expr
	models     bool
	triggers   bool
}

// readIgnored parses the files a build constraint excludes from p in this
// build configuration, keeping those of p's package that hold directives.
func readIgnored(p *pkgInfo) []ignoredFile {
	var out []ignoredFile
	for _, path := range p.pkg.IgnoredFiles {
		base := filepath.Base(path)
		if !strings.HasSuffix(base, ".go") || strings.HasSuffix(base, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil || f.Name.Name != p.name || isGeneratedFile(f, base) {
			continue
		}
		ig := ignoredFile{path: path, constraint: fileConstraint(f, path)}
		ig.models, ig.triggers = fileDirectives(f)
		out = append(out, ig)
	}
	return out
}

// isOutputName reports whether a file name is one triggergen writes:
// triggers_gen.go or triggers_<slug>_gen.go.
func isOutputName(base string) bool {
	return base == OutputName || strings.HasPrefix(base, "triggers_") && strings.HasSuffix(base, "_gen.go")
}

// isGeneratedFile reports whether a parsed file is one triggergen wrote:
// triggers_gen.go whatever it holds, or another output name headed by the
// generated-code line.
func isGeneratedFile(f *ast.File, base string) bool {
	if base == OutputName {
		return true
	}
	return isOutputName(base) && len(f.Comments) > 0 && f.Comments[0].List[0].Text == Header
}
