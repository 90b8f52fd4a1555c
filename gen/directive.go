package gen

import (
	"go/ast"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/triggergen/triggergen/gen/cond"
)

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
