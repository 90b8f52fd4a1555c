package gen

// The analysis of models: a //trigger:model struct becomes a model, the
// typed description of its tracked fields, key and custom events that the
// emit stage prints.

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"slices"
	"strings"

	"github.com/triggergen/triggergen/runtime"
	runtimefield "github.com/triggergen/triggergen/runtime/field"
)

// model is an analysed //trigger:model struct.
type model struct {
	pkg    *pkgInfo
	Name   string
	Doc    string
	Pos    token.Pos
	named  *types.Named
	Fields []*field
	Key    *field // nil: no key
	Events []customEvent
	// NoCodec says why the model has no JSON codec (EncodeM, DecodeM); ""
	// when it has one.
	NoCodec string
}

// field is a tracked field, possibly promoted from an embedded struct.
type field struct {
	Name string
	Type types.Type
	Pos  token.Pos
	Path []string // selector path from the model, Name last
	Doc  string
}

// customEvent is one name of `events=`.
type customEvent struct {
	Name string
	Pos  token.Pos
}

// Event returns the constant name of a custom event: M + CamelCase(name).
func (m *model) eventConst(e customEvent) string { return m.Name + camelCase(e.Name) }

// findModels analyses the //trigger:model structs the scan found in a
// package, and returns them and the names of those with errors.
func findModels(p *pkgInfo, sc *scanned, d *diags) (ms []*model, failed []string) {
	for _, td := range sc.types {
		var md *directive
		for _, dir := range td.dirs {
			if dir.Name == "model" {
				if md != nil {
					d.errorf(dir.NamePos, "duplicate //trigger:model directive")
				}
				md = &dir
			} else {
				if name, ok := spacedName(dir); ok {
					d.errorf(dir.NamePos, "no space goes after the colon of //trigger:; did you mean //trigger:%s?", name)
					continue
				}
				d.errorf(dir.NamePos, "//trigger:%s is not a model directive (models take only //trigger:model [events=a,b])", dir.Name)
			}
		}
		if md == nil {
			continue
		}
		if m := analyseModel(p, td.spec, td.doc, *md, d); m != nil {
			ms = append(ms, m)
		} else {
			failed = append(failed, td.spec.Name.Name)
		}
	}
	slices.SortFunc(ms, func(a, b *model) int { return strings.Compare(a.Name, b.Name) })
	return ms, failed
}

func analyseModel(p *pkgInfo, ts *ast.TypeSpec, doc *ast.CommentGroup, md directive, d *diags) *model {
	m := &model{pkg: p, Name: ts.Name.Name, Doc: docText(doc), Pos: ts.Name.Pos()}
	ok := true
	if ts.TypeParams != nil {
		d.errorf(ts.Name.Pos(), "model %s: generic types cannot be models", m.Name)
		return nil
	}
	if !ast.IsExported(m.Name) {
		d.errorf(ts.Name.Pos(), "model %s: the type must be exported", m.Name)
		ok = false
	}
	if ts.Assign.IsValid() {
		d.errorf(ts.Name.Pos(), "model %s: a type alias cannot be a model: annotate the struct type it names", m.Name)
		return nil
	}
	if _, isStruct := ts.Type.(*ast.StructType); !isStruct {
		d.errorf(ts.Name.Pos(), "model %s: //trigger:model needs a struct type", m.Name)
		return nil
	}
	for _, a := range md.Args {
		name, val, found := strings.Cut(a.Text, "=")
		if !found || name != "events" {
			d.errorf(a.Pos, "unknown model option %q: want events=name,name", a.Text)
			ok = false
			continue
		}
		off := len(name) + 1
		for _, ev := range strings.Split(val, ",") {
			pos := a.Pos + token.Pos(off)
			off += len(ev) + 1
			switch {
			case !isSnake(ev):
				d.errorf(pos, "custom event %q must be snake_case (like fraud_review)", ev)
				ok = false
			case isBuiltinEvent(ev):
				d.errorf(pos, "custom event %q is a built-in event", ev)
				ok = false
			case slices.ContainsFunc(m.Events, func(e customEvent) bool { return e.Name == ev }):
				d.errorf(pos, "custom event %q is declared twice", ev)
				ok = false
			default:
				m.Events = append(m.Events, customEvent{ev, pos})
			}
		}
	}
	if len(m.Events) > int(255-runtime.FirstCustomEvent) {
		d.errorf(md.NamePos, "model %s declares %d custom events; at most %d are allowed", m.Name, len(m.Events), 255-runtime.FirstCustomEvent)
		ok = false
	}
	obj, _ := p.types.Scope().Lookup(m.Name).(*types.TypeName)
	if obj == nil {
		d.errorf(ts.Name.Pos(), "model %s: type not found (does the package compile?)", m.Name)
		return nil
	}
	named, _ := obj.Type().(*types.Named)
	st, _ := obj.Type().Underlying().(*types.Struct)
	if named == nil || st == nil {
		d.errorf(ts.Name.Pos(), "model %s: //trigger:model needs a struct type", m.Name)
		return nil
	}
	m.named = named
	if !collectFields(p, m, st, nil, token.NoPos, map[*types.Struct]bool{}, d) {
		ok = false
	}
	if len(m.Fields) > runtimefield.Max {
		d.errorf(ts.Name.Pos(), "model %s has %d tracked fields; at most %d are allowed: tag the others trigger:\"-\"", m.Name, len(m.Fields), runtimefield.Max)
		ok = false
	}
	qf := types.RelativeTo(p.types)
	for _, f := range m.Fields {
		if err := checkComparable(f.Type, qf); err != nil {
			fix := "add the tag trigger:\"-\" to stop tracking it"
			if n, isNamed := f.Type.(*types.Named); isNamed && n.Obj().Pkg() == p.types {
				fix += fmt.Sprintf(", or give %s a method Equal(%s) bool", n.Obj().Name(), types.TypeString(f.Type, qf))
			} else if isNamed {
				fix += ", or wrap it in a named type of your own with a method Equal(T) bool"
			} else {
				fix += ", or use a named type with a method Equal(T) bool"
			}
			d.errorf(f.Pos, "field %s of %s: %v: %s", f.Name, m.Name, err, fix)
			ok = false
		}
	}
	for i := range st.NumFields() {
		v := st.Field(i)
		if lp := lockPath(v.Type(), 0); lp != "" {
			d.errorf(v.Pos(), "field %s of %s holds a lock by value (%s): Snapshot%s copies the struct, which would copy the lock; hold it by pointer or keep it out of the model",
				v.Name(), m.Name, lp, m.Name)
			ok = false
		}
	}
	if m.Key == nil {
		for _, f := range m.Fields {
			if f.Name == "ID" {
				m.Key = f
			}
		}
	}
	if m.Key != nil && keyKind(m.Key.Type) == "" {
		d.errorf(m.Key.Pos, "key field %s of %s has type %s: a key must be a string, an integer or have a String() string method",
			m.Key.Name, m.Name, types.TypeString(m.Key.Type, types.RelativeTo(p.types)))
		ok = false
	}
	if !ok {
		return nil
	}
	for _, f := range m.Fields {
		if path, why := codecProblem(f.Type, p.types); why != "" {
			m.NoCodec = fmt.Sprintf("field %s%s: %s", f.Name, path, why)
			break
		}
	}
	return m
}

// promotesExported reports whether v is an embedded struct (or pointer to
// one) without an Equal method that has an exported field of its own, or
// through its own embedded structs: Go promotes that field, whether or not
// v's type is exported.
func promotesExported(v *types.Var) bool { return promotes(v, map[*types.Struct]bool{}) }

func promotes(v *types.Var, seen map[*types.Struct]bool) bool {
	if !v.Embedded() {
		return false
	}
	t := v.Type()
	if ptr, isPtr := t.Underlying().(*types.Pointer); isPtr {
		t = ptr.Elem()
	} else if hasEqual(t) {
		return false
	}
	st, isStruct := t.Underlying().(*types.Struct)
	if !isStruct || seen[st] {
		return false
	}
	seen[st] = true
	for i := range st.NumFields() {
		if f := st.Field(i); f.Exported() || promotes(f, seen) {
			return true
		}
	}
	return false
}

// collectFields walks a struct and the structs it embeds, collecting the
// tracked fields in declaration order with Go's promotion rules. A field of
// an embedded struct that Go does not promote (another field or a method
// of the same name is shallower, or as shallow) is an error: its changes
// could not be tracked. top is the position of the model's own field that
// embeds st ("" for the model).
func collectFields(p *pkgInfo, m *model, st *types.Struct, path []string, top token.Pos, seen map[*types.Struct]bool, d *diags) bool {
	if seen[st] {
		return true
	}
	seen[st] = true
	ok := true
	for i := range st.NumFields() {
		v := st.Field(i)
		tag, hasTag := reflect.StructTag(st.Tag(i)).Lookup("trigger")
		isKey := false
		if hasTag {
			switch tag {
			case "-":
				continue
			case "key":
				isKey = true
			default:
				d.errorf(v.Pos(), "field %s: unknown tag trigger:%q (want \"-\" or \"key\")", v.Name(), tag)
				ok = false
				continue
			}
		}
		// An embedded struct of an unexported type still promotes its
		// exported fields, so it is walked like an exported one.
		if !v.Exported() && (isKey || !promotesExported(v)) {
			if isKey {
				d.errorf(v.Pos(), "key field %s must be exported", v.Name())
				ok = false
			}
			continue
		}
		fpath := append(slices.Clone(path), v.Name())
		at := top
		if len(path) == 0 {
			at = v.Pos()
		}
		if v.Embedded() {
			t := v.Type()
			if ptr, isPtr := t.Underlying().(*types.Pointer); isPtr {
				if _, isStruct := ptr.Elem().Underlying().(*types.Struct); isStruct {
					d.errorf(v.Pos(), "embedded field %s is a pointer: embed the struct by value, or tag it trigger:\"-\"", v.Name())
					ok = false
					continue
				}
			}
			if est, isStruct := t.Underlying().(*types.Struct); isStruct && !isKey && !hasEqual(t) {
				if !collectFields(p, m, est, fpath, at, seen, d) {
					ok = false
				}
				continue
			}
		}
		// Keep only fields that the selector m.Name really reaches.
		obj, index, _ := types.LookupFieldOrMethod(m.named, false, p.types, v.Name())
		if fv, isVar := obj.(*types.Var); !isVar || fv != v || len(index) != len(fpath) {
			name := strings.Join(fpath, ".")
			untracked := fmt.Sprintf(`rename one of them, or tag %s trigger:"-" to leave it untracked`, name)
			switch obj := obj.(type) {
			case nil:
				shallow := shallowest(m.named, v.Name())
				var others []string
				first := true
				for i, op := range shallow {
					if o := strings.Join(op, "."); o != name {
						others = append(others, o)
					} else if i > 0 {
						first = false
					}
				}
				switch {
				case len(shallow) > 0 && len(shallow[0]) < len(fpath):
					d.errorf(at, "field %s of %s is shadowed by %s, which are shallower: Go promotes none of them, so changes to %s would not be tracked; %s",
						name, m.Name, strings.Join(others, " and "), name, untracked)
				case first:
					d.errorf(at, "field %s of %s is ambiguous with %s: Go promotes neither of two fields at the same depth, so changes to them would not be tracked; rename one of them, or tag each trigger:\"-\" to leave them untracked",
						name, m.Name, strings.Join(others, " and "))
				}
			case *types.Func:
				d.errorf(at, "field %s of %s is shadowed by the method %s.%s: Go does not promote it, so changes to it would not be tracked; %s",
					name, m.Name, m.Name, obj.Name(), untracked)
			default:
				d.errorf(at, "field %s of %s is shadowed by %s.%s: Go promotes the shallower one only, so changes to %s would not be tracked; %s",
					name, m.Name, m.Name, strings.Join(pathOf(m.named, index), "."), name, untracked)
			}
			ok = false
			continue
		}
		if invalidType(v.Type()) {
			d.errorf(v.Pos(), "field %s of %s has an invalid type (does the package compile?)", v.Name(), m.Name)
			ok = false
			continue
		}
		f := &field{Name: v.Name(), Type: v.Type(), Pos: v.Pos(), Path: fpath}
		m.Fields = append(m.Fields, f)
		if isKey {
			if m.Key != nil {
				d.errorf(v.Pos(), "model %s has two key fields: %s and %s", m.Name, m.Key.Name, v.Name())
				ok = false
			}
			m.Key = f
		}
	}
	return ok
}

// shallowest returns the selector paths of the fields named name at the
// smallest depth of t's embedding where there is one.
func shallowest(t types.Type, name string) [][]string {
	type node struct {
		st   *types.Struct
		path []string
	}
	level := []node{{st: structOf(t)}}
	for depth := 0; len(level) > 0 && depth < 16; depth++ {
		var found [][]string
		var next []node
		for _, n := range level {
			if n.st == nil {
				continue
			}
			for i := range n.st.NumFields() {
				f := n.st.Field(i)
				fp := append(slices.Clone(n.path), f.Name())
				if f.Name() == name {
					found = append(found, fp)
				}
				if f.Embedded() {
					next = append(next, node{structOf(f.Type()), fp})
				}
			}
		}
		if len(found) > 0 {
			return found
		}
		level = next
	}
	return nil
}

// pathOf returns the field names of a selector's index path in t.
func pathOf(t types.Type, index []int) []string {
	var names []string
	for _, i := range index {
		st := structOf(t)
		if st == nil || i >= st.NumFields() {
			break
		}
		f := st.Field(i)
		names = append(names, f.Name())
		t = f.Type()
	}
	return names
}

// structOf returns the struct t or *t is, or nil.
func structOf(t types.Type) *types.Struct {
	if ptr, ok := t.Underlying().(*types.Pointer); ok {
		t = ptr.Elem()
	}
	st, _ := t.Underlying().(*types.Struct)
	return st
}

func invalidType(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Kind() == types.Invalid
}

// keyKind classifies a key field type: "string", "int", "uint", "stringer" or "".
func keyKind(t types.Type) string {
	if b, ok := t.Underlying().(*types.Basic); ok {
		switch {
		case b.Info()&types.IsString != 0:
			return "string"
		case b.Info()&types.IsInteger != 0 && b.Info()&types.IsUnsigned != 0:
			return "uint"
		case b.Info()&types.IsInteger != 0:
			return "int"
		}
	}
	if hasStringMethod(t) {
		return "stringer"
	}
	return ""
}

func hasStringMethod(t types.Type) bool {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "String")
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig := fn.Type().(*types.Signature)
	if sig.Params().Len() != 0 || sig.Results().Len() != 1 {
		return false
	}
	b, ok := sig.Results().At(0).Type().(*types.Basic)
	return ok && b.Kind() == types.String
}

// hasEqual reports whether values of t have a method Equal(t) bool.
func hasEqual(t types.Type) bool {
	if types.IsInterface(t) {
		return false
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "Equal")
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig := fn.Type().(*types.Signature)
	if sig.Params().Len() != 1 || sig.Results().Len() != 1 || !types.Identical(sig.Params().At(0).Type(), t) {
		return false
	}
	b, ok := sig.Results().At(0).Type().Underlying().(*types.Basic)
	return ok && b.Kind() == types.Bool
}

// checkComparable reports why values of t cannot be compared by the
// generated equality, or nil.
func checkComparable(t types.Type, qf types.Qualifier) error { return comparableIn(t, false, qf) }

func comparableIn(t types.Type, nested bool, qf types.Qualifier) error {
	if hasEqual(t) {
		return nil
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return nil
	case *types.Pointer:
		return comparableIn(u.Elem(), nested, qf)
	case *types.Slice:
		if nested {
			return fmt.Errorf("a slice inside a slice or map cannot be compared")
		}
		return comparableIn(u.Elem(), true, qf)
	case *types.Map:
		if nested {
			return fmt.Errorf("a map inside a slice or map cannot be compared")
		}
		return comparableIn(u.Elem(), true, qf)
	case *types.Interface:
		return fmt.Errorf("an interface cannot be compared safely")
	case *types.Signature:
		return fmt.Errorf("a func cannot be compared")
	case *types.Chan:
		return nil
	case *types.Array, *types.Struct:
		if !types.Comparable(t) {
			return fmt.Errorf("%s is not comparable with ==", types.TypeString(t, qf))
		}
		if hasInterface(u, 0) {
			return fmt.Errorf("%s holds an interface, which cannot be compared safely", types.TypeString(t, qf))
		}
		if hasPointer(u, 0) {
			return fmt.Errorf("%s holds a pointer, which == would compare by address, not by pointee", types.TypeString(t, qf))
		}
		return nil
	case *types.TypeParam:
		return fmt.Errorf("a type parameter cannot be compared")
	}
	return fmt.Errorf("type %s cannot be compared", types.TypeString(t, qf))
}

// hasPointer reports whether a comparable composite holds a pointer
// outside a nested type with its own Equal method.
func hasPointer(t types.Type, depth int) bool {
	if depth > 8 || (depth > 0 && hasEqual(t)) || comparesByValue(t) {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		return depth > 0
	case *types.Array:
		return hasPointer(u.Elem(), depth+1)
	case *types.Struct:
		for i := range u.NumFields() {
			if hasPointer(u.Field(i).Type(), depth+1) {
				return true
			}
		}
	}
	return false
}

// comparesByValue reports types from packages whose values are designed to
// be compared with == although they hold pointers (interned handles).
func comparesByValue(t types.Type) bool {
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	switch n.Obj().Pkg().Path() {
	case "net/netip", "unique":
		return true
	}
	return false
}

// lockPath returns the path to a lock (a value whose pointer has Lock and
// Unlock methods, like sync.Mutex) held by value in t, or "".
func lockPath(t types.Type, depth int) string {
	if depth > 8 {
		return ""
	}
	if _, isPtr := t.Underlying().(*types.Pointer); isPtr {
		return ""
	}
	ms := types.NewMethodSet(types.NewPointer(t))
	if ms.Lookup(nil, "Lock") != nil && ms.Lookup(nil, "Unlock") != nil {
		return types.TypeString(t, nil)
	}
	switch u := t.Underlying().(type) {
	case *types.Array:
		return lockPath(u.Elem(), depth+1)
	case *types.Struct:
		for i := range u.NumFields() {
			if p := lockPath(u.Field(i).Type(), depth+1); p != "" {
				return u.Field(i).Name() + " (" + p + ")"
			}
		}
	}
	return ""
}

// hasInterface reports whether a comparable composite holds an interface
// (whose == may panic at run time).
func hasInterface(t types.Type, depth int) bool {
	if depth > 8 {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Interface:
		return true
	case *types.Array:
		return hasInterface(u.Elem(), depth+1)
	case *types.Struct:
		for i := range u.NumFields() {
			if hasInterface(u.Field(i).Type(), depth+1) {
				return true
			}
		}
	}
	return false
}

func isBuiltinEvent(name string) bool {
	_, ok := runtime.ParseEvent(name)
	return ok
}
