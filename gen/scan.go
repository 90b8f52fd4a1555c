package gen

// The scan stage: it reads the //trigger: directives of a package once,
// declaration by declaration, and reports directives that are misplaced
// or misspelt. The analysis stage reads the directives from what the scan
// found, never from the comments again.

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/triggergen/triggergen/gen/cond"
)

// scanned is what the scan stage found in one package: its annotated type
// and function declarations, each with its directives, in file order.
type scanned struct {
	types []*typeDecl
	funcs []*funcDecl
	// files says, for each user file, whether it declares models and
	// whether it declares triggers (the layout of the generated files).
	files map[*ast.File]fileDecls
}

// fileDecls says what a file declares.
type fileDecls struct{ models, triggers bool }

// typeDecl is a type declaration with directives in its doc comment.
type typeDecl struct {
	file *ast.File
	spec *ast.TypeSpec
	doc  *ast.CommentGroup
	dirs []directive
}

// funcDecl is a function declaration with directives in its doc comment.
type funcDecl struct {
	file *ast.File
	fn   *ast.FuncDecl
	dirs []directive
}

// filename returns the name of the file declaring fd.
func (fd *funcDecl) filename(fset *token.FileSet) string {
	return fset.Position(fd.file.Package).Filename
}

// scan reads the directives of every declaration of p's user files once.
// With report, it also reports the directives that are not in the doc
// comment of a type or function (where they do nothing) and the comments
// that look like directives but are not.
func scan(p *pkgInfo, report bool, d *diags) *scanned {
	sc := &scanned{files: map[*ast.File]fileDecls{}}
	for _, f := range p.userFiles() {
		placed := fileScan(f, sc)
		if report {
			strayDirectives(f, placed, d)
		}
	}
	return sc
}

// fileScan adds the annotated declarations of one file to sc, and returns
// the comments of the doc comments of its types and functions, where
// directives belong.
func fileScan(f *ast.File, sc *scanned) (placed map[token.Pos]bool) {
	placed = map[token.Pos]bool{}
	mark := func(doc *ast.CommentGroup) {
		if doc != nil {
			for _, c := range doc.List {
				placed[c.Slash] = true
			}
		}
	}
	var fd fileDecls
	for _, decl := range f.Decls {
		switch decl := decl.(type) {
		case *ast.FuncDecl:
			mark(decl.Doc)
			if ds := directives(decl.Doc); len(ds) > 0 {
				sc.funcs = append(sc.funcs, &funcDecl{file: f, fn: decl, dirs: ds})
				fd.triggers = true
			}
		case *ast.GenDecl:
			if decl.Tok != token.TYPE {
				continue
			}
			if len(decl.Specs) == 1 {
				mark(decl.Doc)
			}
			for _, spec := range decl.Specs {
				ts := spec.(*ast.TypeSpec)
				mark(ts.Doc)
				doc := ts.Doc
				if doc == nil && len(decl.Specs) == 1 {
					doc = decl.Doc
				}
				ds := directives(doc)
				if len(ds) == 0 {
					continue
				}
				sc.types = append(sc.types, &typeDecl{file: f, spec: ts, doc: doc, dirs: ds})
				if slices.ContainsFunc(ds, func(d directive) bool { return d.Name == "model" }) {
					fd.models = true
				}
			}
		}
	}
	sc.files[f] = fd
	return placed
}

// declaresTriggers reports whether any user file declares triggers.
func (sc *scanned) declaresTriggers() bool { return len(sc.funcs) > 0 }

// strayDirectives reports the directives of f outside the doc comments
// fileScan read (placed), where they would do nothing, and the near misses
// that would be ignored (nearMiss).
func strayDirectives(f *ast.File, placed map[token.Pos]bool, d *diags) {
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, directivePrefix) {
				if !placed[c.Slash] {
					dir, _ := parseDirective(c.Text, c.Slash)
					d.errorf(dir.NamePos, "//trigger:%s does nothing here: directives go in the doc comment of a struct type (//trigger:model) or of a function (the others)", dir.Name)
				}
				continue
			}
			if m, ok := nearMiss(c.Text); ok {
				d.errorf(c.Slash+token.Pos(m.off), "%q is not a directive (%s), so it would be ignored; did you mean //trigger:%s?", c.Text[:m.end], m.why, m.name)
			}
		}
	}
}

// modelRef is a model package a trigger names, and where.
type modelRef struct {
	path string
	pos  token.Pos
}

// modelRefs returns the model packages the triggers of a package name,
// from `on pkg.Model` or the change parameter's type, read from the syntax
// alone (the types may not resolve before generation), each with its
// first use.
func modelRefs(p *pkgInfo, sc *scanned) []modelRef {
	var refs []modelRef
	add := func(f *ast.File, qual string, pos token.Pos) {
		if path, ok := importPath(p, f, qual); ok && !slices.ContainsFunc(refs, func(r modelRef) bool { return r.path == path }) {
			refs = append(refs, modelRef{path, pos})
		}
	}
	for _, tf := range sc.funcs {
		for _, dir := range tf.dirs {
			if dir.Name == "on" && len(dir.Args) > 0 {
				if q, _, ok := strings.Cut(dir.Args[0].Text, "."); ok {
					add(tf.file, q, dir.Args[0].Pos)
				}
			}
		}
		if ps := tf.fn.Type.Params; ps != nil && len(ps.List) == 2 {
			if star, ok := ps.List[1].Type.(*ast.StarExpr); ok {
				if se, ok := star.X.(*ast.SelectorExpr); ok {
					if id, ok := se.X.(*ast.Ident); ok {
						add(tf.file, id.Name, id.Pos())
					}
				}
			}
		}
	}
	return refs
}

// importPath resolves a package name used in file to its import path.
func importPath(p *pkgInfo, f *ast.File, name string) (string, bool) {
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		if spec.Name != nil && spec.Name.Name != "_" {
			// A named import; a blank one (import _ "path") names the
			// package by its own name, for conditions that use it alone.
			if spec.Name.Name == name {
				return path, true
			}
			continue
		}
		if imp, ok := p.pkg.Imports[path]; ok && imp.Name != "" {
			if imp.Name == name {
				return path, true
			}
		} else if filepath.Base(path) == name {
			return path, true
		}
	}
	return "", false
}

// directivePrefix starts every triggergen directive, with no space after
// "//", like //go:generate.
const directivePrefix = "//trigger:"

// word is one whitespace-separated word of a directive with its position.
type word struct {
	Text string
	Pos  token.Pos
}

// directive is one //trigger: line.
type directive struct {
	Name    string // "model", "on", "when", ...
	NamePos token.Pos
	Args    []word
	Rest    string    // the text after the name, trimmed
	RestPos token.Pos // position of Rest's first byte
	End     token.Pos // position just past the line
}

// parseDirective parses one comment's text, which starts at pos. It reports
// false for comments that are not directives.
func parseDirective(text string, pos token.Pos) (directive, bool) {
	if !strings.HasPrefix(text, directivePrefix) {
		return directive{}, false
	}
	body := text[len(directivePrefix):]
	off := len(directivePrefix)
	end := strings.IndexFunc(body, unicode.IsSpace)
	if end < 0 {
		end = len(body)
	}
	d := directive{Name: body[:end], NamePos: pos + token.Pos(off), End: pos + token.Pos(len(text))}
	rest := body[end:]
	restOff := off + end
	trimmed := strings.TrimLeftFunc(rest, unicode.IsSpace)
	restOff += len(rest) - len(trimmed)
	d.Rest = strings.TrimRightFunc(trimmed, unicode.IsSpace)
	d.RestPos = pos + token.Pos(restOff)
	d.Args = splitWords(d.Rest, d.RestPos)
	return d, true
}

// splitWords splits s at white space, keeping each word's position.
func splitWords(s string, pos token.Pos) []word {
	var ws []word
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				ws = append(ws, word{s[start:i], pos + token.Pos(start)})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		ws = append(ws, word{s[start:], pos + token.Pos(start)})
	}
	return ws
}

// directives returns the directives of a doc comment group.
func directives(doc *ast.CommentGroup) []directive {
	if doc == nil {
		return nil
	}
	var ds []directive
	for _, c := range doc.List {
		if d, ok := parseDirective(c.Text, c.Slash); ok {
			ds = append(ds, d)
		}
	}
	return ds
}

// docText returns a doc comment without its directive lines.
func docText(doc *ast.CommentGroup) string {
	if doc == nil {
		return ""
	}
	var keep []*ast.Comment
	for _, c := range doc.List {
		if !strings.HasPrefix(c.Text, directivePrefix) {
			keep = append(keep, c)
		}
	}
	return strings.TrimSpace((&ast.CommentGroup{List: keep}).Text())
}

// nearest returns the candidate closest to s by edit distance when it is
// close enough to be a likely misspelling.
func nearest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	for _, c := range candidates {
		// pre_save -> before_save: same suffix, synonym prefix.
		for _, syn := range [][2]string{{"pre_", "before_"}, {"post_", "after_"}, {"on_", "after_"}} {
			if strings.HasPrefix(s, syn[0]) && syn[1]+s[len(syn[0]):] == c {
				return c
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// snakeCase converts a Go name to snake_case, keeping acronyms whole:
// HandleFraud -> handle_fraud, VIP -> vip, HTTPRetry -> http_retry.
func snakeCase(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			// A plural acronym stays whole: IDs -> ids.
			plural := i+1 < len(rs) && rs[i+1] == 's' && (i+2 == len(rs) || unicode.IsUpper(rs[i+2]))
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]) && !plural)) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// camelCase converts a snake_case name to CamelCase: fraud_review -> FraudReview.
func camelCase(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isSnake reports whether s is a snake_case identifier.
func isSnake(s string) bool {
	if s == "" || !unicode.IsLower(rune(s[0])) {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return !strings.HasSuffix(s, "_") && !strings.Contains(s, "__")
}

// spacedName reports a directive written with a space after the colon,
// "//trigger: on ...", and the name meant.
func spacedName(d directive) (string, bool) {
	if d.Name != "" || len(d.Args) == 0 || !slices.Contains(directiveNames, d.Args[0].Text) {
		return "", false
	}
	return d.Args[0].Text, true
}

// directiveNames are the names after //trigger:, the model's first.
var directiveNames = append([]string{"model"}, triggerDirectives...)

// miss is a near miss of a directive (nearMiss).
type miss struct {
	off  int    // offset in the comment of the first thing that differs from a directive
	end  int    // offset just past the directive name
	why  string // what makes it no directive
	name string // the directive meant
}

// nearMiss reports a line comment shaped like a directive that is not one,
// such as //triggers:on, //Trigger:on, //trigger.on, //trigger :on or
// // trigger: on, which would otherwise be ignored without a word. A
// comment with a space after // (a sentence of a doc comment, often) only
// counts when what follows the name reads as that directive's arguments.
func nearMiss(text string) (miss, bool) {
	if !strings.HasPrefix(text, "//") || strings.HasPrefix(text, directivePrefix) {
		return miss{}, false
	}
	blank := func(i int) int {
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		return i
	}
	letters := func(i int, extra byte) int {
		for i < len(text) && ('a' <= text[i]|0x20 && text[i]|0x20 <= 'z' || text[i] == extra) {
			i++
		}
		return i
	}
	wordStart := blank(2)
	spaced := wordStart > 2
	wordEnd := letters(wordStart, 0)
	word := strings.ToLower(text[wordStart:wordEnd])
	if word != "trigger" && (len(word) < 5 || word[0] != 't' || editDistance(word, "trigger") > 2) {
		return miss{}, false
	}
	sep := blank(wordEnd)
	nameStart := sep
	switch {
	case sep < len(text) && strings.IndexByte(":.;,=", text[sep]) >= 0:
		nameStart = blank(sep + 1)
	case !spaced && sep > wordEnd:
		// //trigger on Card after_update
	default:
		return miss{}, false
	}
	nameEnd := letters(nameStart, '_')
	if nameEnd < len(text) && text[nameEnd] != ' ' && text[nameEnd] != '\t' {
		return miss{}, false
	}
	m := miss{end: nameEnd, name: strings.ToLower(text[nameStart:nameEnd])}
	if !slices.Contains(directiveNames, m.name) {
		return miss{}, false
	}
	if spaced && !directiveShaped(m.name, strings.TrimSpace(text[nameEnd:])) {
		return miss{}, false
	}
	switch {
	case spaced:
		m.off, m.why = 2, "a directive has no space after //"
	case text[wordStart:wordEnd] != "trigger":
		m.off, m.why = wordStart, "directives start with //trigger:"
	case sep > wordEnd:
		m.off, m.why = wordEnd, "no space goes before the colon"
	case text[sep] != ':':
		m.off, m.why = sep, "a colon follows //trigger"
	case nameStart > sep+1:
		m.off, m.why = sep+1, "no space goes after the colon"
	default:
		m.off, m.why = nameStart, "directive names are lower case"
	}
	return m, true
}

// directiveShaped reports whether args read as the arguments of the
// directive name, so that a sentence such as "// Trigger: when the card is
// blocked" is not taken for a directive.
func directiveShaped(name, rest string) bool {
	args := strings.Fields(rest)
	if len(args) == 0 {
		return true
	}
	switch name {
	case "on":
		if len(args) < 2 || !token.IsExported(args[0][strings.LastIndexByte(args[0], '.')+1:]) {
			return false
		}
		builtin := false
		for _, a := range args[1:] {
			if !isSnake(a) {
				return false
			}
			builtin = builtin || isBuiltinEvent(a)
		}
		return builtin
	case "model":
		return len(args) == 1 && strings.HasPrefix(args[0], "events=")
	case "name":
		return len(args) == 1 && isSnake(args[0]) && strings.Contains(args[0], "_")
	case "when":
		_, err := cond.Parse(rest)
		return err == nil
	case "priority":
		_, err := strconv.Atoi(args[0])
		return len(args) == 1 && (err == nil || slices.Contains([]string{"critical", "high", "normal", "low"}, args[0]))
	case "async":
		return len(args) == 1 && strings.HasPrefix(args[0], "queue=")
	case "retry":
		_, err := strconv.Atoi(args[0])
		return len(args) <= 2 && err == nil
	case "timeout":
		_, err := time.ParseDuration(args[0])
		return len(args) == 1 && err == nil
	case "then":
		for _, a := range args {
			if !token.IsIdentifier(a) {
				return false
			}
		}
		return true
	}
	return false // on_commit, disabled: no arguments
}
