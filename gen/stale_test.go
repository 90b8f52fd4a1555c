package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStaleFileRemoved removes the last directive of a package: its
// generated file is reported by -check and deleted by a run.
func TestStaleFileRemoved(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	dir := keysModule(t)
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Env: goEnv()}
	gen := filepath.Join(dir, "models", OutputName)
	var out bytes.Buffer
	_, err := Run(cfg, RunOptions{}, &out)
	require.NoError(t, err)
	require.FileExists(t, gen)

	// Drop every //trigger:model line.
	for _, name := range []string{"a.go", "b.go"} {
		path := filepath.Join(dir, "models", name)
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, bytes.ReplaceAll(src, []byte("//trigger:model"), []byte("// no longer a model")), 0o644))
	}
	out.Reset()
	rr, err := Run(cfg, RunOptions{Check: true}, &out)
	require.NoError(t, err)
	assert.True(t, rr.Stale)
	assert.True(t, strings.HasPrefix(out.String(), "--- a/models/triggers_gen.go\n+++ /dev/null\n"), out.String())
	require.FileExists(t, gen, "-check deletes nothing")

	rr, err = Run(cfg, RunOptions{}, &out)
	require.NoError(t, err)
	assert.Equal(t, []string{gen}, rr.Wrote)
	assert.NoFileExists(t, gen)
	rr, err = Run(cfg, RunOptions{Check: true}, &out)
	require.NoError(t, err)
	assert.False(t, rr.Stale)
}
