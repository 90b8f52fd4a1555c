package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGoGenerateBootstrap copies this repository, deletes every generated
// file of the example, and runs `go generate ./...` there: one run restores
// them all byte for byte, and a second run changes nothing.
func TestGoGenerateBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go generate on a copy of the repository")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	out, err := exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dir := t.TempDir()
	want := map[string][]byte{}
	for _, name := range strings.Fields(string(out)) {
		if strings.HasPrefix(name, "bench/") {
			continue // a module of its own
		}
		data, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		if strings.HasPrefix(name, "example/") && (filepath.Base(name) == "triggers_gen.go" || name == "example/CATALOG.md") {
			want[name] = data
			continue // deleted
		}
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	require.NotEmpty(t, want)

	generate := func() {
		cmd := exec.Command("go", "generate", "./example/...")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Run(), stderr.String())
	}
	generate()
	stat := map[string]os.FileInfo{}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, "%s was not restored", name)
		assert.Equal(t, string(data), string(got), "%s differs from the committed one", name)
		stat[name], _ = os.Stat(filepath.Join(dir, name))
	}
	generate()
	for name, before := range stat {
		after, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, before.ModTime(), after.ModTime(), "%s was rewritten by the second run", name)
	}
}
