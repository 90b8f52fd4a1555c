package gen

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const depModels = `package models

// Card is a card.
//
//trigger:model
type Card struct {
	ID     string
	Status string
}
`

const depTriggers = `package triggers

import (
	"context"

	"example.com/dep/models"
)

// Blocked runs when a card changes.
//
//trigger:on models.Card after_update
func Blocked(ctx context.Context, c *models.CardChange) error { return nil }
`

// TestDependencyFromModuleCache uses a model package of a module that comes
// from the module cache (through a file proxy): triggergen reads it and
// never writes there. Without its generated code, or with code from
// another version, the run fails and writes nothing anywhere; with the
// code this triggergen generates, only the trigger package is written.
func TestDependencyFromModuleCache(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a module cache")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)

	// The dependency's source, generated in its own module.
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"go.mod":           "module example.com/dep\n\ngo 1.26\n\nrequire github.com/triggergen/triggergen v0.0.0\n\nreplace github.com/triggergen/triggergen => " + root + "\n",
		"models/models.go": depModels,
	})
	copyFile(t, filepath.Join(root, "go.sum"), filepath.Join(src, "go.sum"))
	_, err = Run(Config{Dir: src, Patterns: []string{"./..."}, Env: goEnv()}, RunOptions{}, &bytes.Buffer{})
	require.NoError(t, err)
	generated, err := os.ReadFile(filepath.Join(src, "models", OutputName))
	require.NoError(t, err)

	// Three versions: without generated code, with this triggergen's, with
	// another's.
	proxy := t.TempDir()
	mod := "module example.com/dep\n\ngo 1.26\n\nrequire github.com/triggergen/triggergen v0.0.0\n"
	publish(t, proxy, "v0.1.0", map[string]string{"go.mod": mod, "models/models.go": depModels})
	publish(t, proxy, "v0.2.0", map[string]string{"go.mod": mod, "models/models.go": depModels, "models/triggers_gen.go": string(generated)})
	other := strings.Replace(string(generated), "// CardField names", "// CardField is an older comment.\n// CardField names", 1)
	require.NotEqual(t, string(generated), other)
	publish(t, proxy, "v0.3.0", map[string]string{"go.mod": mod, "models/models.go": depModels, "models/triggers_gen.go": other})

	cache := t.TempDir()
	env := append(goEnv(), "GOMODCACHE="+cache, "GOFLAGS=-mod=mod -modcacherw", "GONOSUMDB=example.com/dep",
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(goEnvValue(t, "GOMODCACHE"), "cache", "download")))
	dir := t.TempDir()
	useVersion := func(v string) {
		writeFiles(t, dir, map[string]string{
			"go.mod": "module example.com/app\n\ngo 1.26\n\nrequire (\n\texample.com/dep " + v + "\n\tgithub.com/triggergen/triggergen v0.0.0\n)\n\n" +
				"replace github.com/triggergen/triggergen => " + root + "\n",
			"triggers/triggers.go": depTriggers,
		})
	}
	copyFile(t, filepath.Join(root, "go.sum"), filepath.Join(dir, "go.sum"))
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Env: env}
	out := filepath.Join(dir, "triggers", OutputName)

	for _, tt := range []struct{ version, want string }{
		{"v0.1.0", "its generated models/triggers_gen.go is missing"},
		{"v0.3.0", "its generated models/triggers_gen.go differs from what this triggergen generates"},
	} {
		useVersion(tt.version)
		_, err = Run(cfg, RunOptions{}, &bytes.Buffer{})
		require.Error(t, err, tt.version)
		assert.Contains(t, err.Error(), "triggers/triggers.go:11:14: model package example.com/dep/models belongs to module example.com/dep "+tt.version+", which triggergen reads but never writes: "+tt.want, tt.version)
		assert.Contains(t, err.Error(), "regenerate it in that module", tt.version)
		assert.NoFileExists(t, out, "%s: nothing is written", tt.version)
		rr, err := Run(cfg, RunOptions{Check: true}, &bytes.Buffer{})
		assert.Error(t, err, "%s: -check fails the same way", tt.version)
		assert.False(t, rr.Stale)
	}
	assert.Equal(t, 1, countFiles(t, cache, OutputName), "the module cache holds only the generated file v0.3.0 was fetched with")

	useVersion("v0.2.0")
	rr, err := Run(cfg, RunOptions{}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, []string{out}, rr.Wrote, "only the trigger package is written")
	depFile := filepath.Join(cache, "example.com", "dep@v0.2.0", "models", OutputName)
	got, err := os.ReadFile(depFile)
	require.NoError(t, err)
	assert.Equal(t, generated, got, "the dependency's file is left as fetched")
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir, cmd.Env = dir, env
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", outb)
}

// TestDependencyFromReplaceFolder uses a model package of a module that a
// replace directive points at a folder beside the main module: its
// generated file is never written, even when the folder is writable.
func TestDependencyFromReplaceFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	base := t.TempDir()
	dep, app := filepath.Join(base, "dep"), filepath.Join(base, "app")
	writeFiles(t, dep, map[string]string{
		"go.mod":           "module example.com/dep\n\ngo 1.26\n\nrequire github.com/triggergen/triggergen v0.0.0\n\nreplace github.com/triggergen/triggergen => " + root + "\n",
		"models/models.go": depModels,
	})
	writeFiles(t, app, map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.26\n\nrequire (\n\texample.com/dep v0.0.0\n\tgithub.com/triggergen/triggergen v0.0.0\n)\n\n" +
			"replace (\n\texample.com/dep => ../dep\n\tgithub.com/triggergen/triggergen => " + root + "\n)\n",
		"triggers/triggers.go": depTriggers,
	})
	for _, d := range []string{dep, app} {
		copyFile(t, filepath.Join(root, "go.sum"), filepath.Join(d, "go.sum"))
	}
	cfg := Config{Dir: app, Patterns: []string{"./..."}, Env: goEnv()}
	_, err = Run(cfg, RunOptions{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "model package example.com/dep/models belongs to module example.com/dep v0.0.0 (replaced by ../dep)")
	assert.NoFileExists(t, filepath.Join(dep, "models", OutputName))
	assert.NoFileExists(t, filepath.Join(app, "triggers", OutputName))

	// Generated in its own module, it is used as it is.
	_, err = Run(Config{Dir: dep, Patterns: []string{"./..."}, Env: goEnv()}, RunOptions{}, &bytes.Buffer{})
	require.NoError(t, err)
	before, err := os.Stat(filepath.Join(dep, "models", OutputName))
	require.NoError(t, err)
	rr, err := Run(cfg, RunOptions{}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(app, "triggers", OutputName)}, rr.Wrote)
	after, err := os.Stat(filepath.Join(dep, "models", OutputName))
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime())
}

// TestCommitAllOrNothing writes two files, one of which cannot be written
// (its folder is a file): neither is written, and the error names the
// file relative to the folder given.
func TestCommitAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "a", OutputName)
	require.NoError(t, os.MkdirAll(filepath.Dir(good), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b"), []byte("a file, not a folder"), 0o644))
	bad := filepath.Join(dir, "b", OutputName)
	old := []byte(Header + "\n\npackage a\n")
	require.NoError(t, os.WriteFile(good, old, 0o644))

	wrote, err := Commit(dir, []File{{Path: good, Content: []byte(Header + "\n\npackage a // new\n")}, {Path: bad, Content: []byte(Header + "\n")}}, nil)
	require.Error(t, err)
	assert.Empty(t, wrote)
	assert.Contains(t, err.Error(), "b/triggers_gen.go: cannot write: ")
	assert.Contains(t, err.Error(), "nothing was written")
	got, err := os.ReadFile(good)
	require.NoError(t, err)
	assert.Equal(t, old, got, "the writable file was not written")
	entries, err := os.ReadDir(filepath.Dir(good))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left")

	// A removal that cannot happen stops the writes too.
	_, err = Commit(dir, []File{{Path: good, Content: []byte(Header + "\n\npackage a // new\n")}}, []string{filepath.Join(dir, "b", "x", OutputName)})
	require.NoError(t, err, "a file that does not exist needs no removal")

	// A file without the header is never overwritten, nor removed: the
	// error is at its first line, relative to dir.
	mine := filepath.Join(dir, "a", "triggers_linux_gen.go")
	require.NoError(t, os.WriteFile(mine, []byte("package a\n"), 0o644))
	_, err = Commit(dir, []File{{Path: good, Content: old}}, []string{mine})
	require.Error(t, err)
	assert.Equal(t, `a/triggers_linux_gen.go:1:1: exists and was not written by triggergen (its first line is not "`+Header+`"): rename or remove it`, err.Error())
	got, err = os.ReadFile(good)
	require.NoError(t, err)
	assert.Contains(t, string(got), "// new", "nothing written by the refused commit")
}

// writeFiles writes files (by slash path) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
}

// publish adds a version of example.com/dep to a file module proxy.
func publish(t *testing.T, proxy, version string, files map[string]string) {
	t.Helper()
	at := filepath.Join(proxy, "example.com", "dep", "@v")
	require.NoError(t, os.MkdirAll(at, 0o755))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create("example.com/dep@" + version + "/" + name)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(at, version+".zip"), buf.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(at, version+".mod"), []byte(files["go.mod"]), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(at, version+".info"), []byte(`{"Version":"`+version+`"}`), 0o644))
	list, _ := os.ReadFile(filepath.Join(at, "list"))
	require.NoError(t, os.WriteFile(filepath.Join(at, "list"), append(list, version+"\n"...), 0o644))
}

func goEnvValue(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// countFiles counts the files named name under dir.
func countFiles(t *testing.T, dir, name string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			n++
		}
		return err
	}))
	return n
}
