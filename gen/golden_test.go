package gen

// Golden tests, after google/wire's internal/wire/wire_test.go.
//
// Every testdata/*.txtar is one case: the Go files of a small module, then
// either the files triggergen must generate (want/<path>, relative to the
// module root) or the errors it must report (errors.txt, exactly as
// ErrorList.Error() prints them). Sections:
//
//	-- go.mod --        optional; synthesized when absent (module example.com/x,
//	                    replacing github.com/triggergen/triggergen with this module);
//	                    $TRIGGERGEN in any go.mod stands for this module's folder
//	-- args --          optional package patterns, one a line (default ./...);
//	                    a line -tags=a,b sets the build tags
//	-- env --           optional KEY=VALUE lines for the go command (GOOS=linux)
//	-- builds --        optional more configurations to build and vet the output
//	                    in, one a line: KEY=VALUE words and go build flags
//	                    (GOOS=windows -tags=foo)
//	-- want/<path> --   expected generated file
//	-- errors.txt --    expected error output
//
// Any other section is an input file. A *_test.go among them is a behaviour
// test: after the generated files are written into the module, the harness
// runs go build, go vet and go test there (not under -short), so the
// generated code must compile and behave.
//
// go test ./gen -update rewrites the want sections and errors.txt from what
// the generator produces, but a success case is only rewritten after its
// output built, vetted and passed its behaviour test.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want sections and errors.txt of gen/testdata/*.txtar (success cases only after they build and behave)")

const (
	argsSection   = "args"
	envSection    = "env"
	buildsSection = "builds"
	errorsSection = "errors.txt"
	wantPrefix    = "want/"
	// workPlaceholder replaces the temp module's path in error text, so that
	// a leaked absolute path shows in the golden instead of breaking it.
	workPlaceholder = "$WORK"
)

func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	require.NoError(t, err)
	require.NotEmpty(t, cases, "no golden cases in testdata")
	if *update && testing.Short() {
		t.Fatal("-update needs the go build/vet/test checks: run it without -short")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) { runGolden(t, path, root) })
	}
}

// goldenCase is one parsed testdata file.
type goldenCase struct {
	path    string
	archive *txtar.Archive
	inputs  []txtar.File
	args    []string
	tags    []string
	env     []string          // KEY=VALUE for the go command
	builds  [][]string        // more build configurations
	want    map[string][]byte // by path relative to the module root
	errors  *string           // errors.txt, nil when absent
}

// config returns the generator configuration of the case in dir.
func (c *goldenCase) config(dir string) Config {
	return Config{Dir: dir, Patterns: c.args, Env: append(goEnv(), c.env...), Tags: c.tags}
}

func loadCase(t *testing.T, path string) *goldenCase {
	t.Helper()
	a, err := txtar.ParseFile(path)
	require.NoError(t, err)
	c := &goldenCase{path: path, archive: a, want: map[string][]byte{}, args: []string{"./..."}}
	for _, f := range a.Files {
		switch {
		case f.Name == argsSection:
			var args []string
			for _, line := range sectionLines(f.Data) {
				if tags, ok := strings.CutPrefix(line, "-tags="); ok {
					c.tags = strings.Split(tags, ",")
				} else {
					args = append(args, line)
				}
			}
			if len(args) > 0 {
				c.args = args
			}
		case f.Name == envSection:
			c.env = sectionLines(f.Data)
		case f.Name == buildsSection:
			for _, line := range sectionLines(f.Data) {
				c.builds = append(c.builds, strings.Fields(line))
			}
		case f.Name == errorsSection:
			s := string(f.Data)
			c.errors = &s
		case strings.HasPrefix(f.Name, wantPrefix):
			c.want[strings.TrimPrefix(f.Name, wantPrefix)] = f.Data
		default:
			c.inputs = append(c.inputs, f)
		}
	}
	require.False(t, c.errors != nil && len(c.want) > 0, "%s has both errors.txt and want/ sections", path)
	if !*update {
		require.True(t, c.errors != nil || len(c.want) > 0, "%s has neither errors.txt nor want/ sections (run with -update)", path)
	}
	return c
}

// sectionLines returns the lines of a section that are neither blank nor
// comments (#).
func sectionLines(data []byte) []string {
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}

// hasBehaviourTest reports whether the case brings its own *_test.go.
func (c *goldenCase) hasBehaviourTest() bool {
	return slices.ContainsFunc(c.inputs, func(f txtar.File) bool { return strings.HasSuffix(f.Name, "_test.go") })
}

func runGolden(t *testing.T, path, root string) {
	c := loadCase(t, path)
	dir := writeModule(t, c, root)

	res, genErr := Generate(c.config(dir))
	genErr = prepare(res, genErr)
	if genErr != nil {
		got := scrub(genErr.Error(), dir) + "\n"
		var list ErrorList
		if errors.As(genErr, &list) {
			checkErrorList(t, list)
		}
		if *update {
			c.rewrite(t, nil, &got)
			return
		}
		if c.errors == nil {
			t.Fatalf("Generate failed, want success:\n%s", got)
		}
		if got != *c.errors {
			t.Errorf("errors differ (-want +got):\n%s", unifiedDiff("want/errors.txt", "got/errors.txt", *c.errors, got))
		}
		return
	}
	require.NotNil(t, res)
	if c.errors != nil && !*update {
		t.Fatalf("Generate succeeded, want errors:\n%s", *c.errors)
	}

	got := map[string][]byte{}
	for _, f := range res.Files {
		rel, err := filepath.Rel(dir, f.Path)
		require.NoError(t, err)
		require.False(t, strings.HasPrefix(rel, ".."), "generated file %s is outside the module", f.Path)
		rel = filepath.ToSlash(rel)
		checkGenerated(t, rel, f.Content, dir)
		got[rel] = f.Content
	}
	require.NotEmpty(t, got, "Generate succeeded but produced no files")

	// Determinism: the same input gives the same bytes.
	res2, err := Generate(c.config(dir))
	require.NoError(t, err, "second Generate")
	require.Len(t, res2.Files, len(res.Files), "second Generate: number of files")
	for i, f := range res2.Files {
		if assert.Equal(t, res.Files[i].Path, f.Path, "second Generate: file order") {
			assert.True(t, bytes.Equal(res.Files[i].Content, f.Content), "second Generate: %s differs:\n%s",
				f.Path, unifiedDiff("first", "second", string(res.Files[i].Content), string(f.Content)))
		}
	}

	// Write the output into the module, and check that a second run with
	// the generated files in place reports nothing stale (spec section 7:
	// a second run changes nothing).
	for _, f := range res.Files {
		require.NoError(t, os.WriteFile(f.Path, f.Content, 0o644))
	}
	var stdout bytes.Buffer
	rr, err := Run(c.config(dir), RunOptions{Check: true}, &stdout)
	require.NoError(t, err, "Run -check after writing the output")
	assert.False(t, rr.Stale, "Run -check reports stale files right after writing them:\n%s", stdout.String())

	if !*update {
		compareWant(t, c, got)
	}
	if !testing.Short() {
		// Each step only when the one before passed, so that a compile
		// error is reported once.
		ok := goCmd(t, dir, c.env, "build", "./...") && goCmd(t, dir, c.env, "vet", "./...") &&
			(!c.hasBehaviourTest() || goCmd(t, dir, c.env, "test", "-count=1", "./..."))
		for _, b := range c.builds {
			var env, flags []string
			for _, w := range b {
				if strings.HasPrefix(w, "-") {
					flags = append(flags, w)
				} else {
					env = append(env, w)
				}
			}
			ok = ok && goCmd(t, dir, env, slices.Concat([]string{"build"}, flags, []string{"./..."})...) &&
				goCmd(t, dir, env, slices.Concat([]string{"vet"}, flags, []string{"./..."})...)
		}
	}
	if *update && !t.Failed() {
		c.rewrite(t, got, nil)
	}
}

// compareWant reports differences between the generated files and the
// case's want sections.
func compareWant(t *testing.T, c *goldenCase, got map[string][]byte) {
	t.Helper()
	for _, p := range sortedKeys(got) {
		want, ok := c.want[p]
		if !ok {
			t.Errorf("unexpected generated file %s:\n%s", p, got[p])
			continue
		}
		if !bytes.Equal(want, got[p]) {
			t.Errorf("%s differs (-want +got):\n%s", p, unifiedDiff("want/"+p, "got/"+p, string(want), string(got[p])))
		}
	}
	for _, p := range sortedKeys(c.want) {
		if _, ok := got[p]; !ok {
			t.Errorf("%s was not generated", p)
		}
	}
}

// writeModule writes the case's input files to a temp dir, with a go.mod
// that replaces triggergen with this module, and returns the dir.
func writeModule(t *testing.T, c *goldenCase, root string) string {
	t.Helper()
	dir := t.TempDir()
	hasMod := false
	for _, f := range c.inputs {
		if f.Name == "go.mod" {
			hasMod = true
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		data := f.Data
		if filepath.Base(f.Name) == "go.mod" {
			data = bytes.ReplaceAll(data, []byte("$TRIGGERGEN"), []byte(root))
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	if !hasMod {
		mod := fmt.Sprintf("module example.com/x\n\ngo 1.26\n\nrequire github.com/triggergen/triggergen v0.0.0\n\nreplace github.com/triggergen/triggergen => %s\n", root)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644))
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); os.IsNotExist(err) {
		sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	}
	return dir
}

// goEnv is the environment of every go command the tests run: the shared
// build cache (the default), no workspace, and go.mod updated as needed.
func goEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
}

// goCmd runs the go command in dir, with env added to goEnv, and reports
// whether it succeeded.
func goCmd(t *testing.T, dir string, env []string, args ...string) bool {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(goEnv(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s go %s in the temp module: %v\n%s", strings.Join(env, " "), strings.Join(args, " "), err, scrub(string(out), dir))
		return false
	}
	return true
}

// checkGenerated asserts what every generated file must be: headed by the
// generated-code line, recognised by ast.IsGenerated, gofmt-clean, and free
// of absolute paths.
func checkGenerated(t *testing.T, name string, src []byte, dir string) {
	t.Helper()
	first, _, _ := bytes.Cut(src, []byte("\n"))
	assert.Equal(t, Header, string(first), "%s: first line", name)
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ParseComments)
	if assert.NoError(t, err, "%s: parse", name) {
		assert.True(t, ast.IsGenerated(f), "%s: ast.IsGenerated is false", name)
		for _, n := range undocumented(f) {
			t.Errorf("%s: exported %s has no doc comment (STYLE item 12)", name, n)
		}
	}
	formatted, err := format.Source(src)
	if assert.NoError(t, err, "%s: go/format", name) {
		assert.True(t, bytes.Equal(formatted, src), "%s is not gofmt-clean:\n%s", name,
			unifiedDiff("got", "gofmt", string(src), string(formatted)))
	}
	assert.NotContains(t, string(src), dir, "%s mentions the temp module's absolute path", name)
}

// undocumented returns the exported top-level names, methods and struct
// fields of f that have no doc comment. A group's doc covers its specs.
func undocumented(f *ast.File) []string {
	var out []string
	fields := func(typeName string, st *ast.StructType) {
		for _, fl := range st.Fields.List {
			for _, id := range fl.Names {
				if id.IsExported() && fl.Doc == nil && fl.Comment == nil {
					out = append(out, typeName+"."+id.Name)
				}
			}
		}
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && d.Doc == nil {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch sp := spec.(type) {
				case *ast.TypeSpec:
					if sp.Name.IsExported() && sp.Doc == nil && d.Doc == nil {
						out = append(out, sp.Name.Name)
					}
					if st, ok := sp.Type.(*ast.StructType); ok && sp.Name.IsExported() {
						fields(sp.Name.Name, st)
					}
				case *ast.ValueSpec:
					for _, id := range sp.Names {
						if id.IsExported() && sp.Doc == nil && d.Doc == nil {
							out = append(out, id.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// checkErrorList asserts the properties every reported error list has:
// sorted, positioned in files relative to the module, with a message.
func checkErrorList(t *testing.T, list ErrorList) {
	t.Helper()
	for i, e := range list {
		assert.NotEmpty(t, e.Msg, "error %d has no message", i)
		if e.Pos.IsValid() {
			assert.False(t, filepath.IsAbs(e.Pos.Filename), "error %q: filename is absolute", e.Error())
		}
		if i > 0 {
			p, q := list[i-1].Pos, e.Pos
			assert.False(t, p.Filename > q.Filename || p.Filename == q.Filename && (p.Line > q.Line || p.Line == q.Line && p.Column > q.Column),
				"errors not sorted by position: %q before %q", list[i-1].Error(), e.Error())
		}
	}
}

// scrub replaces the temp module's path in text.
func scrub(text, dir string) string {
	text = strings.ReplaceAll(text, dir, workPlaceholder)
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		text = strings.ReplaceAll(text, real, workPlaceholder)
	}
	return text
}

// rewrite replaces the case's want sections and errors.txt, keeping its
// comment, inputs and args.
func (c *goldenCase) rewrite(t *testing.T, files map[string][]byte, errText *string) {
	t.Helper()
	var out []txtar.File
	for _, f := range c.archive.Files {
		if f.Name != errorsSection && !strings.HasPrefix(f.Name, wantPrefix) {
			out = append(out, f)
		}
	}
	for _, p := range sortedKeys(files) {
		out = append(out, txtar.File{Name: wantPrefix + p, Data: files[p]})
	}
	if errText != nil {
		out = append(out, txtar.File{Name: errorsSection, Data: []byte(*errText)})
	}
	a := &txtar.Archive{Comment: c.archive.Comment, Files: out}
	require.NoError(t, os.WriteFile(c.path, txtar.Format(a), 0o644))
	t.Logf("updated %s", c.path)
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
