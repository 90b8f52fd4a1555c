package gen

import (
	"bytes"
	"fmt"
	"go/types"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/triggergen/triggergen/gen/cond"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/templates"
)

// Catalog describes every model and trigger of a run, for -list and -doc.
type Catalog struct {
	Models   []CatalogModel
	Triggers []CatalogTrigger
}

// CatalogModel describes one model.
type CatalogModel struct {
	Package, Name, Doc, Key, Source string
	Fields                          []CatalogField
	Events                          []string
}

// CatalogField is a tracked field and its type.
type CatalogField struct{ Name, Type string }

// CatalogTrigger describes one trigger.
type CatalogTrigger struct {
	Package, Name, Func, Model, Description string
	Events, Conditions, Then                []string
	Bulk                                    bool
	// Options are the trigger's execution options, as registration takes
	// them.
	runtime.Options
}

func buildCatalog(order []string, models map[string][]*model, triggers []*trigger, d *diags) Catalog {
	var c Catalog
	for _, path := range order {
		for _, m := range models[path] {
			pos := d.fset.Position(m.Pos)
			cm := CatalogModel{Package: path, Name: m.Name, Doc: m.Doc, Source: sourcePath(m.pkg, pos.Filename) + ":" + itoa(pos.Line)}
			if m.Key != nil {
				cm.Key = m.Key.Name
			}
			for _, f := range m.Fields {
				cm.Fields = append(cm.Fields, CatalogField{f.Name, types.TypeString(f.Type, types.RelativeTo(m.pkg.types))})
			}
			for _, e := range m.Events {
				cm.Events = append(cm.Events, e.Name)
			}
			c.Models = append(c.Models, cm)
		}
	}
	for _, t := range triggers {
		ct := CatalogTrigger{
			Package: t.pkg.path, Name: t.Name, Func: t.Func, Model: t.Model.Name, Description: t.Doc,
			Then: t.Then, Bulk: t.Bulk, Options: t.Options,
		}
		for _, e := range t.Events {
			ct.Events = append(ct.Events, e.Name)
		}
		for _, cd := range t.Conds {
			ct.Conditions = append(ct.Conditions, cd.Src)
		}
		c.Triggers = append(c.Triggers, ct)
	}
	sort.SliceStable(c.Triggers, func(i, j int) bool { return c.Triggers[i].Name < c.Triggers[j].Name })
	return c
}

// RenderDoc renders the catalog as Markdown with a Mermaid diagram, from the
// templates of the templates package.
func RenderDoc(c Catalog) ([]byte, error) {
	t, err := template.New("catalog.md.tmpl").Funcs(template.FuncMap{"flags": flags}).ParseFS(templates.FS, "*.tmpl")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// flags describes a trigger's execution flags in words.
func flags(t CatalogTrigger) string {
	var fs []string
	if t.Bulk {
		fs = append(fs, "bulk")
	}
	if t.Async {
		q := "async"
		if t.Queue != "" {
			q += " (queue " + t.Queue + ")"
		}
		fs = append(fs, q)
	}
	if t.OnCommit {
		fs = append(fs, "on commit")
	}
	if t.Retries > 0 {
		r := fmt.Sprintf("retry %d", t.Retries)
		if t.Backoff > 0 {
			r += " backoff " + t.Backoff.String()
		}
		fs = append(fs, r)
	}
	if t.Timeout > 0 {
		fs = append(fs, "timeout "+t.Timeout.String())
	}
	if t.Disabled {
		fs = append(fs, "disabled")
	}
	if len(fs) == 0 {
		return "none"
	}
	return strings.Join(fs, ", ")
}

// WriteList prints the catalog as plain text, one block per trigger.
func WriteList(w io.Writer, c Catalog) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIGGER\tMODEL\tEVENTS\tPRIORITY\tFLAGS\tCONDITIONS")
	for _, t := range c.Triggers {
		conds := joinConditions(t.Conditions)
		if conds == "" {
			conds = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", t.Name, t.Model, strings.Join(t.Events, ","), t.Priority, flags(t), conds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d models, %d triggers\n", len(c.Models), len(c.Triggers))
	return nil
}

// joinConditions joins a trigger's conditions, which must all hold, with
// "and", putting in parentheses each one whose top level is an "or":
// "A or B" and "C" read (A or B) and C.
func joinConditions(conds []string) string {
	parts := slices.Clone(conds)
	for i, c := range parts {
		if e, err := cond.Parse(c); err == nil && len(conds) > 1 {
			if b, ok := e.(*cond.Binary); ok && b.Op == "or" {
				parts[i] = "(" + c + ")"
			}
		}
	}
	return strings.Join(parts, " and ")
}
