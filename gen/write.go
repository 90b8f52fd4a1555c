package gen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// Write writes the files that differ from what is on disk, each through a
// temporary file in the same folder and a rename. It refuses, before writing
// anything, when a target exists without the generated header. It returns
// the paths it wrote.
func Write(files []File) ([]string, error) {
	for _, f := range files {
		if err := checkOwned(f.Path); err != nil {
			return nil, err
		}
	}
	var wrote []string
	for _, f := range files {
		old, err := os.ReadFile(f.Path)
		if err == nil && bytes.Equal(old, f.Content) {
			continue
		}
		if err := writeAtomic(f.Path, f.Content); err != nil {
			return wrote, err
		}
		wrote = append(wrote, f.Path)
	}
	return wrote, nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// Remove deletes generated files that have nothing left to generate; it
// never deletes a file without the generated header.
func Remove(paths []string) error {
	for _, path := range paths {
		if err := checkOwned(path); err != nil {
			return err
		}
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// Check compares the files with what is on disk and returns a unified diff
// of every difference, relative to dir, including the removal of stale
// files; an empty diff means all are current.
func Check(files []File, remove []string, dir string) (string, error) {
	var out bytes.Buffer
	for _, path := range remove {
		old, err := os.ReadFile(path)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return "", err
		}
		name := path
		if rel, err := filepath.Rel(dir, path); err == nil {
			name = filepath.ToSlash(rel)
		}
		out.WriteString(unifiedDiff("a/"+name, "/dev/null", string(old), ""))
	}
	for _, f := range files {
		old, err := os.ReadFile(f.Path)
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		if bytes.Equal(old, f.Content) {
			continue
		}
		name := f.Path
		if rel, err := filepath.Rel(dir, f.Path); err == nil {
			name = filepath.ToSlash(rel)
		}
		oldName := "a/" + name
		if old == nil {
			oldName = "/dev/null"
		}
		out.WriteString(unifiedDiff(oldName, "b/"+name, string(old), string(f.Content)))
	}
	return out.String(), nil
}
