package gen

// The analyse stage: what the scan found becomes the typed intermediate
// form the emit stage prints, models (analyse_model.go) before triggers
// (analyse_trigger.go, with their conditions in analyse_condition.go). Every
// problem is reported to the run's diagnostics; a model or trigger with
// errors is left out of the form.

import (
	"path/filepath"
	"strings"
)

// analyseModels analyses the models of every package loaded, and the
// layout of each package's generated files.
func (g *generation) analyseModels() {
	for _, path := range g.order {
		p, sc := g.pkgs[path], g.scans[path]
		ms, bad := findModels(p, sc, g.d)
		if len(ms) > 0 {
			g.models[path] = ms
			g.logf("%s: %d models", path, len(ms))
		}
		for _, name := range bad {
			g.failed[path+"."+name] = true
		}
		g.layouts[path] = p.layout(sc)
		if sc.declaresTriggers() {
			g.triggerPkgs = append(g.triggerPkgs, path)
		}
	}
	checkModelNames(g.pkgs, g.models, g.d)
}

// analyseTriggers analyses the triggers of the trigger packages, as
// loaded against the generated model code.
func (g *generation) analyseTriggers() {
	if len(g.triggerPkgs) == 0 {
		return
	}
	byName := map[string]*model{} // "path.Name" -> model
	for path, ms := range g.models {
		for _, m := range ms {
			byName[path+"."+m.Name] = m
		}
	}
	for _, p := range g.tpkgs {
		ts := findTriggers(p, g.scans[p.path], byName, g.failed, g.d)
		g.triggers = append(g.triggers, ts...)
		g.byPkg[p.path] = ts
		g.analysed[p.path] = p
		g.logf("%s: %d triggers", p.path, len(ts))
	}
	checkTriggerNames(g.triggers, g.d)
}

// checkModelNames reports generated names that collide with declared ones
// or with each other.
func checkModelNames(pkgs map[string]*pkgInfo, models map[string][]*model, d *diags) {
	for path, ms := range models {
		p := pkgs[path]
		seen := map[string]*model{}
		for _, m := range ms {
			for recv, names := range m.generatedMethods() {
				for _, name := range names {
					if pos, ok := p.declaredMethod(recv, name); ok {
						d.errorf(pos, "method %s.%s collides with the method triggergen generates; rename it", recv, name)
					}
				}
			}
			for _, name := range m.generatedNames() {
				if pos, ok := p.declared(name); ok {
					d.errorf(pos, "%s collides with the name triggergen generates for model %s; rename it", name, m.Name)
				}
				switch other, ok := seen[name]; {
				case ok && other != m:
					d.errorf(m.Pos, "models %s and %s both generate %s; rename one of them", other.Name, m.Name, name)
				case ok:
					d.errorf(m.Pos, "model %s would generate %s twice: a custom event's constant repeats another generated name; rename the event", m.Name, name)
				}
				seen[name] = m
			}
		}
	}
}

// checkTriggerNames reports trigger names used twice in one run.
func checkTriggerNames(ts []*trigger, d *diags) {
	byName := map[string]*trigger{}
	for _, t := range ts {
		if other, ok := byName[t.Name]; ok {
			op := d.fset.Position(other.Pos)
			where := op.Filename
			if rel, err := filepath.Rel(d.dir, where); err == nil && !strings.HasPrefix(rel, "..") {
				where = filepath.ToSlash(rel)
			}
			d.errorf(t.Pos, "trigger name %q is already used by %s at %s:%d", t.Name, other.Func, where, op.Line)
			continue
		}
		byName[t.Name] = t
	}
}

// sourcePath returns a file's path relative to its module, or its base name.
func sourcePath(p *pkgInfo, filename string) string {
	if mod := p.pkg.Module; mod != nil && mod.Dir != "" {
		if rel, err := filepath.Rel(mod.Dir, filename); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.Base(filename)
}
