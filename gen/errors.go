package gen

import (
	"cmp"
	"fmt"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
)

// Error is one problem found in the input, at a position in a Go file.
type Error struct {
	Pos token.Position
	Msg string
}

// Error returns the error as file:line:col: message.
func (e Error) Error() string {
	if !e.Pos.IsValid() {
		if e.Pos.Filename != "" {
			return e.Pos.Filename + ": " + e.Msg
		}
		return e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Pos.Filename, e.Pos.Line, e.Pos.Column, e.Msg)
}

// ErrorList is every problem found, sorted by position; Generate returns it
// whole so that all errors can be fixed at once.
type ErrorList []Error

// Error returns every error, one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// diags collects errors during a run.
type diags struct {
	fset *token.FileSet
	dir  string
	list ErrorList
}

func (d *diags) errorf(pos token.Pos, format string, args ...any) {
	d.list = append(d.list, Error{Pos: d.position(pos), Msg: fmt.Sprintf(format, args...)})
}

// position returns pos with its file named relative to the run's folder.
func (d *diags) position(pos token.Pos) token.Position {
	p := d.fset.Position(pos)
	if d.dir != "" && p.Filename != "" {
		if rel, err := filepath.Rel(d.dir, p.Filename); err == nil && !strings.HasPrefix(rel, "..") {
			p.Filename = filepath.ToSlash(rel)
		}
	}
	return p
}

// err returns the sorted, de-duplicated list, or nil.
func (d *diags) err() error {
	if len(d.list) == 0 {
		return nil
	}
	d.list = sortErrors(d.list)
	return d.list
}

// sortErrors sorts a list by position and message and drops duplicates.
func sortErrors(list ErrorList) ErrorList {
	slices.SortStableFunc(list, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Filename, b.Pos.Filename), cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column), cmp.Compare(a.Msg, b.Msg))
	})
	return slices.CompactFunc(list, func(a, b Error) bool { return a == b })
}

func itoa(n int) string { return fmt.Sprint(n) }
