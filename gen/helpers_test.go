package gen

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

func TestUnifiedDiff(t *testing.T) {
	lines := func(ns ...string) string { return strings.Join(ns, "\n") + "\n" }
	seq := func(from, to int) []string {
		var s []string
		for i := from; i <= to; i++ {
			s = append(s, strconv.Itoa(i))
		}
		return s
	}
	cat := func(parts ...[]string) []string {
		var s []string
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	// The want texts are what GNU diff -u prints for the same inputs.
	tests := []struct {
		name, a, b, want string
	}{
		{name: "equal", a: "x\ny\n", b: "x\ny\n", want: ""},
		{name: "both empty", a: "", b: "", want: ""},
		{
			name: "one line replaced",
			a:    lines(seq(1, 10)...),
			b:    lines(cat(seq(1, 4), []string{"five"}, seq(6, 10))...),
			want: "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
		},
		{
			name: "insertion",
			a:    lines(seq(1, 10)...),
			b:    lines(cat(seq(1, 3), []string{"new"}, seq(4, 10))...),
			want: "@@ -1,6 +1,7 @@\n 1\n 2\n 3\n+new\n 4\n 5\n 6\n",
		},
		{
			name: "deletion",
			a:    lines(seq(1, 10)...),
			b:    lines(cat(seq(1, 2), seq(4, 10))...),
			want: "@@ -1,6 +1,5 @@\n 1\n 2\n-3\n 4\n 5\n 6\n",
		},
		{
			name: "three hunks",
			a:    lines(seq(1, 20)...),
			b:    lines(cat([]string{"0"}, seq(1, 9), []string{"X"}, seq(11, 18))...),
			want: "@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n" +
				"@@ -7,7 +8,7 @@\n 7\n 8\n 9\n-10\n+X\n 11\n 12\n 13\n" +
				"@@ -16,5 +17,3 @@\n 16\n 17\n 18\n-19\n-20\n",
		},
		{
			name: "changes six lines apart share a hunk",
			a:    lines(seq(1, 12)...),
			b:    lines(cat([]string{"1", "B"}, seq(3, 8), []string{"I"}, seq(10, 12))...),
			want: "@@ -1,12 +1,12 @@\n 1\n-2\n+B\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+I\n 10\n 11\n 12\n",
		},
		{
			name: "new file",
			a:    "",
			b:    "x\ny\n",
			want: "@@ -0,0 +1,2 @@\n+x\n+y\n",
		},
		{
			name: "removed file",
			a:    "x\n",
			b:    "",
			want: "@@ -1 +0,0 @@\n-x\n",
		},
		{
			name: "no newline at end",
			a:    "a\nb",
			b:    "a\nc\n",
			want: "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unifiedDiff("a/f", "b/f", tt.a, tt.b)
			if tt.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, "--- a/f\n+++ b/f\n"+tt.want, got)
			// Whatever the hunk layout, applying the diff to a gives b.
			assert.Equal(t, tt.b, applyDiff(t, tt.a, got))
		})
	}
}

// applyDiff applies a unified diff made by unifiedDiff to a.
func applyDiff(t *testing.T, a, diff string) string {
	t.Helper()
	al := strings.SplitAfter(a, "\n")
	if al[len(al)-1] == "" {
		al = al[:len(al)-1]
	}
	var out []string
	next := 0 // index in al of the next line not yet copied
	dl := strings.SplitAfter(diff, "\n")
	for i := 0; i < len(dl); i++ {
		line := dl[i]
		switch {
		case line == "" || strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "+++ "):
		case strings.HasPrefix(line, "@@ "):
			// -S,L: the hunk's old lines start at line S (1-based), or
			// follow line S when L is 0.
			s, l, _ := strings.Cut(strings.Fields(line)[1][1:], ",")
			start, err := strconv.Atoi(s)
			require.NoError(t, err, "hunk header %q", line)
			if l != "0" {
				start--
			}
			for next < start {
				out = append(out, al[next])
				next++
			}
		case strings.HasPrefix(line, "\\ No newline at end of file"):
			// The line before lacks its newline; in b when it was kept or added.
			if i > 0 && (dl[i-1][0] == '+' || dl[i-1][0] == ' ') {
				last := len(out) - 1
				out[last] = strings.TrimSuffix(out[last], "\n")
			}
		case line[0] == ' ':
			out = append(out, line[1:])
			next++
		case line[0] == '-':
			next++
		case line[0] == '+':
			out = append(out, line[1:])
		default:
			t.Fatalf("bad diff line %q", line)
		}
	}
	out = append(out, al[next:]...)
	return strings.Join(out, "")
}

func TestRunCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	dir := keysModule(t)
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Env: goEnv()}
	gen := filepath.Join(dir, "models", OutputName)

	// Missing output: stale, a diff from /dev/null, nothing written.
	var out bytes.Buffer
	rr, err := Run(cfg, RunOptions{Check: true}, &out)
	require.NoError(t, err)
	assert.True(t, rr.Stale)
	assert.True(t, strings.HasPrefix(out.String(), "--- /dev/null\n+++ b/models/triggers_gen.go\n@@ -0,0 +1,"), "diff:\n%s", out.String())
	assert.NoFileExists(t, gen)

	// Write it: the file appears, a second write changes nothing.
	rr, err = Run(cfg, RunOptions{}, &out)
	require.NoError(t, err)
	assert.Equal(t, []string{gen}, rr.Wrote)
	data, err := os.ReadFile(gen)
	require.NoError(t, err)
	rr, err = Run(cfg, RunOptions{}, &out)
	require.NoError(t, err)
	assert.Empty(t, rr.Wrote, "second run rewrote files")

	// An edited file is stale; the diff turns it back.
	edited := bytes.Replace(data, []byte("// AccountField names"), []byte("// edited\n// AccountField names"), 1)
	require.NoError(t, os.WriteFile(gen, edited, 0o644))
	out.Reset()
	rr, err = Run(cfg, RunOptions{Check: true}, &out)
	require.NoError(t, err)
	assert.True(t, rr.Stale)
	assert.Contains(t, out.String(), "--- a/models/triggers_gen.go\n+++ b/models/triggers_gen.go\n")
	assert.Contains(t, out.String(), "\n-// edited\n")
	assert.Equal(t, string(data), applyDiff(t, string(edited), out.String()))
	got, err := os.ReadFile(gen)
	require.NoError(t, err)
	assert.Equal(t, edited, got, "-check wrote the file")

	// A file without the header is never overwritten.
	require.NoError(t, os.WriteFile(gen, []byte("package models\n"), 0o644))
	_, err = Run(cfg, RunOptions{}, &out)
	require.Error(t, err)
	got, err = os.ReadFile(gen)
	require.NoError(t, err)
	assert.Equal(t, "package models\n", string(got))
}

// TestRunCheckRelativeDir runs -check with Config.Dir relative to the
// working directory: the diff must still name the file relative to Dir
// (Check's contract), not by its absolute path.
func TestRunCheckRelativeDir(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	a, err := txtar.ParseFile(filepath.Join("testdata", "keys.txtar"))
	require.NoError(t, err)
	c := &goldenCase{archive: a}
	for _, f := range a.Files {
		if f.Name == "models/a.go" {
			c.inputs = append(c.inputs, f)
		}
	}
	dir := writeModule(t, c, root)
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	var out bytes.Buffer
	rr, err := Run(Config{Dir: rel, Patterns: []string{"./..."}, Env: goEnv()}, RunOptions{Check: true}, &out)
	require.NoError(t, err)
	assert.True(t, rr.Stale)
	assert.True(t, strings.HasPrefix(out.String(), "--- /dev/null\n+++ b/models/triggers_gen.go\n"), "diff header:\n%.200s", out.String())
}

func TestUndocumented(t *testing.T) {
	src := `package p

// A is documented.
type A struct {
	// X is documented.
	X int
	Y int // Y is documented too.
	Z int
	z int
}

type B int

// The constants.
const (
	C1 = 1
	C2 = 2
)

const D = 1

var e = 1

// F is documented.
func F() {}

func (A) G() {}
`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, parser.ParseComments)
	require.NoError(t, err)
	assert.Equal(t, []string{"A.Z", "B", "D", "G"}, undocumented(f))
}

// keysModule writes the inputs of testdata/keys.txtar into a temp module and
// returns its folder.
func keysModule(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	a, err := txtar.ParseFile(filepath.Join("testdata", "keys.txtar"))
	require.NoError(t, err)
	c := &goldenCase{archive: a}
	for _, f := range a.Files {
		if !strings.HasPrefix(f.Name, wantPrefix) && !strings.HasSuffix(f.Name, "_test.go") {
			c.inputs = append(c.inputs, f)
		}
	}
	return writeModule(t, c, root)
}
