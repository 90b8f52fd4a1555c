package gen

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// directiveSeeds are directive blocks, one comment a line, valid and not.
var directiveSeeds = []string{
	"//trigger:on SimCard after_update after_create",
	"//trigger:on SimCard after_update after_create\n//trigger:name sim_card_fraud_alert\n//trigger:when FraudFlag changed to true\n" +
		"//trigger:when Status != \"BLOCKED\" and not role auditor\n//trigger:priority high\n//trigger:retry 3 backoff=200ms\n//trigger:timeout 5s",
	"//trigger:on models.Card before_update\n//trigger:when Status changed from StatusNew to models.StatusActive\n//trigger:priority critical\n//trigger:then welcome notify",
	"//trigger:on Card after_save\n//trigger:when Status in (A, B, \"c\")\n//trigger:when time 22:00-06:00\n//trigger:when weekday mon-fri\n//trigger:when func isVIP",
	"//trigger:on Card after_update\n//trigger:async queue=mail\n//trigger:on_commit\n//trigger:disabled\n//trigger:priority -5",
	"//trigger:on Card after_bulk_update\n//trigger:when old.Quality >= 50 and new.Quality < 50 or (not Fraud)",
	"//trigger:model events=fraud_review,port_out",
	"//trigger:prority high",
	"//trigger:on",
	"//trigger:on Card",
	"//trigger:when",
	"//trigger:when   ",
	"//trigger:when Quality >",
	"//trigger:when (((((",
	"//trigger:when Status == \"unterminated",
	"//trigger:when time 25:00-99:99",
	"//trigger:priority hihg\n//trigger:priority 0",
	"//trigger:retry -1 backoff=fast\n//trigger:retry\n//trigger:retry 1 2 3",
	"//trigger:retry 3 backoff=-1s",
	"//trigger:timeout 0s\n//trigger:timeout",
	"//trigger:async later queue=\n//trigger:async queue=a queue=b",
	"//trigger:on_commit now\n//trigger:disabled yes",
	"//trigger:name a\n//trigger:name b\n//trigger:name Bad-Name\n//trigger:name",
	"//trigger:then x.y 1 ok",
	"//trigger:then",
	"//trigger:\t on \t Card \t after_update \t",
	"//trigger:",
	"//trigger:on\u00a0Card\u2003after_update",
	"//trigger:when Name == \"héllo wörld\" and Name != `raw`",
	"//trigger:when \xff\xfe",
	"//trigger:xyzzy",
	"// trigger:on Card after_update",
	"//go:generate triggergen",
	// Near misses: not directives, reported by nearMiss.
	"//triggers:on Card after_update",
	"//Trigger:on Card after_update",
	"//TRIGGER:on Card after_update",
	"//triger:on Card after_update",
	"//trigger.on Card after_update",
	"//trigger;on Card after_update",
	"//trigger :on Card after_update",
	"// trigger: on Card after_update",
	"//trigger: on Card after_update",
	"//trigger on Card after_update",
	"// Trigger: when the card is blocked",
	"//\ttrigger:\ton_commit",
	"//TRIGGER",
	"//trigger:",
}

// FuzzDirective feeds comment lines through parseDirective and parseTrigger:
// they must not panic, every position they record must lie in its comment,
// and every error they report must point into the comment it is about.
func FuzzDirective(f *testing.F) {
	for _, s := range directiveSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		// Each line is one comment; a line that is not a comment becomes a
		// directive, so that most inputs exercise the parser.
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(l, "//") {
				l = directivePrefix + l
			}
			lines = append(lines, l)
		}
		src := strings.Join(lines, "\n")
		fset := token.NewFileSet()
		file := fset.AddFile("fuzz.go", -1, len(src)+1)
		type span struct{ start, end int } // offsets of a comment, end exclusive
		var spans []span
		var ds []directive
		off := 0
		for _, l := range lines {
			checkNearMiss(t, l)
			d, ok := parseDirective(l, file.Pos(off))
			if ok != strings.HasPrefix(l, directivePrefix) {
				t.Fatalf("parseDirective(%q) ok = %v", l, ok)
			}
			if ok {
				checkDirective(t, l, off, file, d)
				ds = append(ds, d)
				spans = append(spans, span{off, off + len(l)})
			}
			off += len(l) + 1
		}
		d := &diags{fset: fset}
		r := parseTrigger(ds, d)
		require.NotNil(t, r)
		for _, e := range d.list {
			require.NotEmpty(t, e.Msg)
			in := false
			for _, s := range spans {
				// The end of a comment is a valid position too ("needs a
				// condition" points just past the line).
				if e.Pos.Offset >= s.start && e.Pos.Offset <= s.end {
					in = true
				}
			}
			if !in {
				t.Fatalf("error %q at offset %d is in no directive comment of %q", e.Msg, e.Pos.Offset, src)
			}
		}
		for _, c := range r.conds {
			require.NotEmpty(t, c.Src)
			require.NotNil(t, c.expr)
		}
	})
}

// checkNearMiss checks what nearMiss reports for the comment l: never a
// directive, and offsets inside the comment.
func checkNearMiss(t *testing.T, l string) {
	t.Helper()
	m, ok := nearMiss(l)
	if !ok {
		return
	}
	if strings.HasPrefix(l, directivePrefix) {
		t.Fatalf("nearMiss(%q) reports a directive", l)
	}
	if m.off < 2 || m.off >= len(l) || m.end < m.off || m.end > len(l) || m.why == "" || !slices.Contains(directiveNames, m.name) {
		t.Fatalf("nearMiss(%q) = %+v", l, m)
	}
}

// checkDirective checks the positions parseDirective records for line l at
// offset off.
func checkDirective(t *testing.T, l string, off int, file *token.File, d directive) {
	t.Helper()
	at := func(p token.Pos) int {
		o := file.Offset(p) - off
		if o < 0 || o > len(l) {
			t.Fatalf("%q: position %d outside the comment", l, o)
		}
		return o
	}
	if n := at(d.NamePos); !strings.HasPrefix(l[n:], d.Name) || n != len(directivePrefix) {
		t.Fatalf("%q: NamePos %d does not point at name %q", l, n, d.Name)
	}
	if r := at(d.RestPos); !strings.HasPrefix(l[r:], d.Rest) {
		t.Fatalf("%q: RestPos %d does not point at rest %q", l, r, d.Rest)
	}
	if e := at(d.End); e != len(l) {
		t.Fatalf("%q: End %d, want %d", l, e, len(l))
	}
	if d.Rest != strings.TrimFunc(d.Rest, unicode.IsSpace) {
		t.Fatalf("%q: Rest %q is not trimmed", l, d.Rest)
	}
	var words []string
	for _, w := range d.Args {
		if o := at(w.Pos); !strings.HasPrefix(l[o:], w.Text) || w.Text == "" || strings.IndexFunc(w.Text, unicode.IsSpace) >= 0 {
			t.Fatalf("%q: word %q at %d", l, w.Text, o)
		}
		words = append(words, w.Text)
	}
	if want := strings.Fields(d.Rest); strings.Join(words, " ") != strings.Join(want, " ") {
		t.Fatalf("%q: Args %q, want the fields of Rest %q", l, words, want)
	}
}

func TestParseDirective(t *testing.T) {
	const base = 100
	tests := []struct {
		text       string
		ok         bool
		name, rest string
		nameOff    int
		restOff    int
		args       []string
		argOffs    []int
	}{
		{text: "//trigger:on SimCard after_update", ok: true, name: "on", rest: "SimCard after_update",
			nameOff: 10, restOff: 13, args: []string{"SimCard", "after_update"}, argOffs: []int{13, 21}},
		{text: "//trigger:when  Quality >  5  ", ok: true, name: "when", rest: "Quality >  5",
			nameOff: 10, restOff: 16, args: []string{"Quality", ">", "5"}, argOffs: []int{16, 24, 27}},
		{text: "//trigger:disabled", ok: true, name: "disabled", rest: "", nameOff: 10, restOff: 18},
		{text: "//trigger:\ton", ok: true, name: "", rest: "on", nameOff: 10, restOff: 11, args: []string{"on"}, argOffs: []int{11}},
		{text: "// trigger:on Card after_update"},
		{text: "//go:generate triggergen ."},
		{text: "/*trigger:on Card after_update*/"},
	}
	for _, tt := range tests {
		d, ok := parseDirective(tt.text, base)
		require.Equal(t, tt.ok, ok, tt.text)
		if !ok {
			continue
		}
		assert.Equal(t, tt.name, d.Name, tt.text)
		assert.Equal(t, tt.rest, d.Rest, tt.text)
		assert.Equal(t, token.Pos(base+tt.nameOff), d.NamePos, "%s: NamePos", tt.text)
		assert.Equal(t, token.Pos(base+tt.restOff), d.RestPos, "%s: RestPos", tt.text)
		assert.Equal(t, token.Pos(base+len(tt.text)), d.End, "%s: End", tt.text)
		var args []string
		var offs []int
		for _, w := range d.Args {
			args = append(args, w.Text)
			offs = append(offs, int(w.Pos)-base)
		}
		assert.Equal(t, tt.args, args, tt.text)
		assert.Equal(t, tt.argOffs, offs, tt.text)
	}
}

func TestDocText(t *testing.T) {
	doc := &ast.CommentGroup{List: []*ast.Comment{
		{Text: "// HandleFraud alerts the fraud team."},
		{Text: "//"},
		{Text: "// It retries."},
		{Text: "//"},
		{Text: "//trigger:on SimCard after_update"},
		{Text: "//trigger:priority high"},
	}}
	assert.Equal(t, "HandleFraud alerts the fraud team.\n\nIt retries.", docText(doc))
	assert.Equal(t, "", docText(nil))
	assert.Len(t, directives(doc), 2)
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"HandleFraud":    "handle_fraud",
		"VIP":            "vip",
		"HTTPRetry":      "http_retry",
		"SimCardID":      "sim_card_id",
		"ID":             "id",
		"handle":         "handle",
		"notifyVIPUsers": "notify_vip_users",
		"Send2FA":        "send2_fa",
		"A":              "a",
		"XMLHTTPRequest": "xmlhttp_request",
		"":               "",
	} {
		assert.Equal(t, want, snakeCase(in), "snakeCase(%q)", in)
	}
}

func TestCamelCase(t *testing.T) {
	for in, want := range map[string]string{
		"fraud_review":      "FraudReview",
		"port_out":          "PortOut",
		"after_bulk_update": "AfterBulkUpdate",
		"x":                 "X",
		"a1_b2":             "A1B2",
		"":                  "",
	} {
		assert.Equal(t, want, camelCase(in), "camelCase(%q)", in)
	}
}

func TestIsSnake(t *testing.T) {
	for in, want := range map[string]bool{
		"fraud_review":         true,
		"sim_card_fraud_alert": true,
		"x":                    true,
		"a1":                   true,
		"step_2":               true,
		"":                     false,
		"FraudReview":          false,
		"fraud-review":         false,
		"_fraud":               false,
		"fraud_":               false,
		"fraud__review":        false,
		"1fraud":               false,
		"fraud review":         false,
		"fraud_Review":         false,
		"frâud":                false,
	} {
		assert.Equal(t, want, isSnake(in), "isSnake(%q)", in)
	}
}

func TestNearest(t *testing.T) {
	events := []string{"before_create", "after_create", "before_update", "after_update", "before_save", "after_save",
		"before_delete", "after_delete", "before_bulk_create", "after_bulk_create", "before_bulk_update",
		"after_bulk_update", "before_bulk_delete", "after_bulk_delete"}
	tests := []struct {
		in         string
		candidates []string
		want       string
	}{
		{"pre_save", events, "before_save"},
		{"post_delete", events, "after_delete"},
		{"on_update", events, "after_update"},
		{"after_updat", events, "after_update"},
		{"befor_create", events, "before_create"},
		{"prority", triggerDirectives, "priority"},
		{"timout", triggerDirectives, "timeout"},
		{"oncommit", triggerDirectives, "on_commit"},
		{"xyzzy", triggerDirectives, ""},
		{"hihg", []string{"critical", "high", "normal", "low"}, "high"},
		{"escalate", events, ""},
		{"Qualty", []string{"ID", "Quality", "Status"}, "Quality"},
		{"anything", nil, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, nearest(tt.in, tt.candidates), "nearest(%q)", tt.in)
	}
}

func TestNearMiss(t *testing.T) {
	tests := []struct {
		text string
		off  int // -1: not a near miss
		name string
	}{
		{"//triggers:on Card after_update", 2, "on"},
		{"//Trigger:on Card after_update", 2, "on"},
		{"//TRIGGER:on Card after_update", 2, "on"},
		{"//triger:on Card after_update", 2, "on"},
		{"//trigger.on Card after_update", 9, "on"},
		{"//trigger;on Card after_update", 9, "on"},
		{"//trigger :on Card after_update", 9, "on"},
		{"// trigger: on Card after_update", 2, "on"},
		{"// trigger:on", 2, "on"},
		{"//trigger on Card after_update", 9, "on"},
		{"//trigger:\ton Card", -1, ""}, // a directive (with an empty name)
		{"//Trigger:ON_COMMIT", 2, "on_commit"},
		{"// trigger: model events=a,b", 2, "model"},
		{"//\ttrigger:when Status changed", 2, "when"},
		// Directives, and prose.
		{"//trigger:on Card after_update", -1, ""},
		{"//go:generate triggergen", -1, ""},
		{"// Trigger: on every update we send a mail.", -1, ""},
		{"// Trigger: when the card is blocked, nothing happens.", -1, ""},
		{"// trigger.on() was the old API.", -1, ""},
		{"// Triggers: none.", -1, ""},
		{"// Trigger names are snake_case.", -1, ""},
		{"// trigger: name of the thing", -1, ""},
		{"//tiger:on Card after_update", 2, "on"},
		{"//bigger:on Card after_update", -1, ""},
		{"//triggered:online", -1, ""},
		{"/* trigger:on Card after_update */", -1, ""},
		{"//", -1, ""},
		{"", -1, ""},
	}
	for _, tt := range tests {
		m, ok := nearMiss(tt.text)
		if tt.off < 0 {
			assert.False(t, ok, "nearMiss(%q) = %+v, want none", tt.text, m)
			continue
		}
		if assert.True(t, ok, "nearMiss(%q)", tt.text) {
			assert.Equal(t, tt.off, m.off, "nearMiss(%q): offset", tt.text)
			assert.Equal(t, tt.name, m.name, "nearMiss(%q): name", tt.text)
		}
	}
}
