package gen

// The write stage: everything that reads or writes the generated files on
// disk. Prepare checks what a run may replace and finds stale files, Check
// compares, Commit writes all or nothing.

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// dependency is a model package of another module, which triggergen
// reads and never writes, and the files this run generates for it: they
// must be on disk as they are.
type dependency struct {
	pos    token.Position // where a trigger first names the package
	path   string         // the package's import path
	where  string         // its module, as errors name it
	modDir string         // the module's folder
	files  []File
}

// Prepare reads the disk for res, the first step of the write stage. It
// reports the files res would write that exist without the generated
// header (triggergen never replaces those), then the model packages of
// other modules whose generated files are missing or not what this run
// generates, and fills res.Remove with the generated files in the named
// packages' folders that nothing generates any more. Run calls it between
// Generate and Check or Commit.
func Prepare(res *Result) error { return prepare(res, nil) }

// prepare is Prepare reporting, with the files it may not replace, the
// errors Generate found in the input (genErr, an ErrorList), in one sorted
// list. Another error of Generate is returned as it is.
func prepare(res *Result, genErr error) error {
	var list ErrorList
	if genErr != nil && (!errors.As(genErr, &list) || res == nil) {
		return genErr
	}
	list = slices.Clone(list)
	for _, path := range res.targets {
		if err := checkOwned(path); err != nil {
			list = append(list, fileErr(res.dir, path, err))
		}
	}
	if len(list) > 0 {
		return sortErrors(list)
	}
	for _, dep := range res.deps {
		if e, ok := dep.check(res.dir); !ok {
			list = append(list, e)
		}
	}
	if len(list) > 0 {
		return sortErrors(list)
	}
	res.Remove = nil
	for _, root := range res.roots {
		for _, file := range generatedOnDisk(root.dir) {
			if !slices.Contains(root.keep, file) {
				res.Remove = append(res.Remove, file)
			}
		}
	}
	return nil
}

// check reports, when the dependency's files on disk are not what this
// run generates, the error that says to regenerate them in their module.
func (dep dependency) check(dir string) (Error, bool) {
	var names []string
	missing := true
	for _, f := range dep.files {
		old, err := os.ReadFile(f.Path)
		if err == nil && bytes.Equal(old, f.Content) {
			continue
		}
		name := f.Path
		if rel, err := filepath.Rel(dep.modDir, f.Path); err == nil && !strings.HasPrefix(rel, "..") {
			name = filepath.ToSlash(rel)
		}
		names = append(names, name)
		if exists(f.Path) {
			missing = false
		}
	}
	if len(names) == 0 {
		return Error{}, true
	}
	what := "is missing"
	if len(names) > 1 {
		what = "are missing"
	}
	if !missing {
		what = "differs from what this triggergen generates (another triggergen version wrote it, or it was edited)"
		if len(names) > 1 {
			what = "differ from what this triggergen generates (another triggergen version wrote them, or they were edited)"
		}
	}
	return Error{Pos: dep.pos, Msg: fmt.Sprintf("model package %s belongs to %s, which triggergen reads but never writes: its generated %s %s; regenerate it in that module with the triggergen version this module uses (go generate ./... there), then use that version of it",
		dep.path, dep.where, strings.Join(names, ", "), what)}, false
}

// checkOwned reports an error when path exists and lacks the generated
// header: triggergen never overwrites a file it did not write.
func checkOwned(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // nothing to overwrite (writing may fail still)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s cannot be read: %w", path, err)
	}
	if !isGenerated(data) {
		return fmt.Errorf("%s exists and was not written by triggergen (its first line is not %q): rename or remove it", path, Header)
	}
	return nil
}

func isGenerated(data []byte) bool {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	line := string(bytes.TrimRight(first, "\r"))
	return line == Header || line == "<!-- "+Header[3:]+" -->"
}

// generatedOnDisk returns the files triggergen wrote in dir: the output
// names headed by the generated-code line.
func generatedOnDisk(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !isOutputName(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if data, err := os.ReadFile(path); err == nil && isGenerated(data) {
			out = append(out, path)
		}
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Commit writes the files that differ from what is on disk and removes the
// files in remove, all or nothing: it refuses, before touching anything,
// when a target exists without the generated header, and it writes every
// new content to a temporary file in the target's folder before it
// replaces any file, so that a folder it cannot write to (a read-only
// module cache, a permission error) stops the run with nothing written.
// Each file is then replaced by a rename; should a rename fail, the files
// already replaced are put back. Errors name files relative to dir. It
// returns the paths it wrote or removed.
func Commit(dir string, files []File, remove []string) ([]string, error) {
	var errs ErrorList
	for _, f := range files {
		if err := checkOwned(f.Path); err != nil {
			errs = append(errs, fileErr(dir, f.Path, err))
		}
	}
	for _, path := range remove {
		if err := checkOwned(path); err != nil {
			errs = append(errs, fileErr(dir, path, err))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}

	// Stage every change.
	type staged struct {
		path, tmp string
		old       []byte // nil: the file did not exist
	}
	var work []staged
	cleanup := func() {
		for _, s := range work {
			os.Remove(s.tmp)
		}
	}
	for _, f := range files {
		old, err := os.ReadFile(f.Path)
		switch {
		case err == nil && bytes.Equal(old, f.Content):
			continue
		case err != nil && !os.IsNotExist(err):
			cleanup()
			return nil, ErrorList{cannotWrite(dir, f.Path, err)}
		}
		tmp, err := stage(f.Path, f.Content)
		if err != nil {
			cleanup()
			return nil, ErrorList{cannotWrite(dir, f.Path, err)}
		}
		work = append(work, staged{path: f.Path, tmp: tmp, old: old})
	}
	var removals []string
	for _, path := range remove {
		if !exists(path) {
			continue
		}
		removals = append(removals, path)
		// Removing needs a writable folder, like writing.
		probe, err := os.CreateTemp(filepath.Dir(path), ".triggergen.tmp*")
		if err != nil {
			cleanup()
			return nil, ErrorList{cannotWrite(dir, path, err)}
		}
		probe.Close()
		os.Remove(probe.Name())
	}

	// Replace.
	var wrote []string
	for i, s := range work {
		if err := os.Rename(s.tmp, s.path); err != nil {
			cleanup()
			for _, done := range work[:i] {
				restore(done.path, done.old)
			}
			return nil, ErrorList{cannotWrite(dir, s.path, err)}
		}
		wrote = append(wrote, s.path)
	}
	for _, path := range removals {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return wrote, ErrorList{cannotWrite(dir, path, err)}
		}
		wrote = append(wrote, path)
	}
	return wrote, nil
}

// stage writes data to a temporary file beside path and returns its name.
func stage(path string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(data)
	err = errors.Join(err, tmp.Chmod(0o644), tmp.Close())
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// restore puts a replaced file back as it was (old nil: it did not exist).
func restore(path string, old []byte) {
	if old == nil {
		os.Remove(path)
		return
	}
	if tmp, err := stage(path, old); err == nil {
		if os.Rename(tmp, path) != nil {
			os.Remove(tmp)
		}
	}
}

// fileErr reports a problem with a whole file, at its first line.
func fileErr(dir, path string, err error) Error {
	msg := strings.TrimPrefix(err.Error(), path+" ")
	return Error{Pos: token.Position{Filename: relTo(dir, path), Line: 1, Column: 1}, Msg: msg}
}

// cannotWrite reports a file that cannot be written or removed.
func cannotWrite(dir, path string, err error) Error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return Error{Pos: token.Position{Filename: relTo(dir, path)}, Msg: fmt.Sprintf("cannot write: %v; nothing was written", err)}
}

// relTo returns path relative to dir when it lies inside it.
func relTo(dir, path string) string {
	if dir == "" {
		return path
	}
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

// Write writes the files that differ from what is on disk, all or nothing,
// as Commit does. It returns the paths it wrote.
func Write(files []File) ([]string, error) { return Commit("", files, nil) }

// Remove deletes generated files that have nothing left to generate, all
// or nothing, as Commit does; it never deletes a file without the generated
// header.
func Remove(paths []string) error {
	_, err := Commit("", nil, paths)
	return err
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
		out.WriteString(unifiedDiff("a/"+diffName(dir, path), "/dev/null", string(old), ""))
	}
	for _, f := range files {
		old, err := os.ReadFile(f.Path)
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		if bytes.Equal(old, f.Content) {
			continue
		}
		name := diffName(dir, f.Path)
		oldName := "a/" + name
		if old == nil {
			oldName = "/dev/null"
		}
		out.WriteString(unifiedDiff(oldName, "b/"+name, string(old), string(f.Content)))
	}
	return out.String(), nil
}

// diffName names a file in a diff: relative to dir, even outside it.
func diffName(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return path
}
