package gen

import (
	"fmt"
	"go/types"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
)

// generatedNames returns every top-level name generated for m.
func (m *model) generatedNames() []string {
	n := m.Name
	names := []string{
		n + "Field", n + "Change", n + "Batch", n + "Model", "Snapshot" + n, "Diff" + n,
		"Create" + n, "Update" + n, "Edit" + n, "Delete" + n, "Create" + n + "s", "Update" + n + "s", "Delete" + n + "s",
		"Fire" + n, "Set" + n + "Loader", m.fieldNamesVar(),
	}
	if m.NoCodec == "" {
		names = append(names, "Encode"+n, "Decode"+n)
	}
	for _, f := range m.Fields {
		names = append(names, m.fieldConst(f))
	}
	for _, e := range m.Events {
		names = append(names, m.eventConst(e))
	}
	return names
}

// generatedMethods returns the methods generated on m's types, by type.
func (m *model) generatedMethods() map[string][]string {
	change := []string{"Instance", "Changed", "ChangedFields", "ChangedSet", "fieldChanged"}
	for _, f := range m.Fields {
		change = append(change, f.Name+"Changed", f.Name+"Was")
	}
	return map[string][]string{m.Name + "Change": change, m.Name + "Field": {"String"}}
}

func (m *model) fieldConst(f *field) string { return m.Name + "Field" + f.Name }

func (m *model) fieldNamesVar() string {
	r, size := utf8.DecodeRuneInString(m.Name)
	return string(unicode.ToLower(r)) + m.Name[size:] + "FieldNames"
}

// emitModel writes the change tracking and lifecycle functions of m.
func (e *emitter) emitModel(m *model) {
	f := e.file
	n := m.Name
	fieldT, changeT, batchT := n+"Field", n+"Change", n+"Batch"

	// Fields.
	f.Commentf("%s names a tracked field of %s.", fieldT, n)
	f.Type().Id(fieldT).Uint16()
	if len(m.Fields) > 0 {
		var consts []jen.Code
		for i, fd := range m.Fields {
			c := jen.Commentf("%s is the field %s.", m.fieldConst(fd), strings.Join(fd.Path, ".")).Line().Id(m.fieldConst(fd))
			if i == 0 {
				c = c.Id(fieldT).Op("=").Iota()
			}
			consts = append(consts, c)
		}
		f.Commentf("The tracked fields of %s, in declaration order.", n)
		f.Const().Defs(consts...)
	}
	var names []jen.Code
	for _, fd := range m.Fields {
		names = append(names, jen.Lit(fd.Name))
	}
	if len(names) > 6 {
		f.Var().Id(m.fieldNamesVar()).Op("=").Index(jen.Op("...")).String().Add(literal(names))
	} else {
		f.Var().Id(m.fieldNamesVar()).Op("=").Index(jen.Op("...")).String().Values(names...)
	}
	f.Commentf("String returns the field's Go name.")
	f.Func().Params(jen.Id("f").Id(fieldT)).Id("String").Params().String().Block(
		jen.If(jen.Int().Call(jen.Id("f")).Op("<").Len(jen.Id(m.fieldNamesVar()))).Block(
			jen.Return(jen.Id(m.fieldNamesVar()).Index(jen.Id("f"))),
		),
		jen.Return(jen.Lit(fieldT+"(").Op("+").Qual("strconv", "Itoa").Call(jen.Int().Call(jen.Id("f"))).Op("+").Lit(")")),
	)

	// Custom events.
	if len(m.Events) > 0 {
		var consts []jen.Code
		for i, ev := range m.Events {
			c := jen.Commentf("%s is the custom event %q of %s.", m.eventConst(ev), ev.Name, n).Line().Id(m.eventConst(ev))
			if i == 0 {
				c = c.Add(e.rt("Event")).Op("=").Add(e.rt("FirstCustomEvent")).Op("+").Iota()
			}
			consts = append(consts, c)
		}
		f.Commentf("The custom events of %s, declared with //trigger:model events=.", n)
		f.Const().Defs(consts...)
	}

	// Change.
	f.Commentf("%s is a change to a %s as its triggers see it. Old and New are never nil:", changeT, n)
	f.Comment("on create Old points to a zero value, on delete New does.")
	f.Type().Id(changeT).Struct(
		jen.Comment("Event is the operation's own event (after_update, never after_save)."),
		jen.Id("Event").Add(e.rt("Event")),
		jen.Comment("Old is the instance before the operation."),
		jen.Id("Old").Op("*").Id(n),
		jen.Comment("New is the instance after the operation; before triggers may edit it."),
		jen.Id("New").Op("*").Id(n),
	)
	recv := func() *jen.Statement { return jen.Params(jen.Id("c").Op("*").Id(changeT)) }
	f.Comment("Instance returns the instance the change is about: New, or Old on delete.")
	f.Func().Add(recv()).Id("Instance").Params().Op("*").Id(n).Block(
		jen.If(jen.Id("c").Dot("Event").Dot("IsDelete").Call()).Block(jen.Return(jen.Id("c").Dot("Old"))),
		jen.Return(jen.Id("c").Dot("New")),
	)
	for _, fd := range m.Fields {
		f.Commentf("%sChanged reports whether %s differs between Old and New.", fd.Name, fd.Name)
		f.Func().Add(recv()).Id(fd.Name + "Changed").Params().Bool().Block(
			jen.Return(e.differ(fd.Type, sel("c", "Old", fd.Name), sel("c", "New", fd.Name))))
		f.Commentf("%sWas returns the value of %s before the operation.", fd.Name, fd.Name)
		f.Func().Add(recv()).Id(fd.Name + "Was").Params().Add(e.typ(fd.Type)).Block(jen.Return(jen.Id("c").Dot("Old").Dot(fd.Name)))
	}
	var cases []jen.Code
	for _, fd := range m.Fields {
		cases = append(cases, jen.Case(jen.Id(m.fieldConst(fd))).Block(jen.Return(jen.Id("c").Dot(fd.Name+"Changed").Call())))
	}
	fieldChangedBody := []jen.Code{jen.Return(jen.False())}
	if len(cases) > 0 {
		fieldChangedBody = []jen.Code{jen.Switch(jen.Id("f")).Block(cases...), jen.Return(jen.False())}
	}
	f.Comment("fieldChanged reports whether the field differs between Old and New.")
	f.Func().Add(recv()).Id("fieldChanged").Params(jen.Id("f").Id(fieldT)).Bool().Block(fieldChangedBody...)
	f.Comment("Changed reports whether any of the fields changed; with no fields, whether any tracked field did.")
	f.Func().Add(recv()).Id("Changed").Params(jen.Id("fields").Op("...").Id(fieldT)).Bool().Block(
		jen.If(jen.Len(jen.Id("fields")).Op("==").Lit(0)).Block(
			jen.For(jen.Id("f").Op(":=").Range().Len(jen.Id(m.fieldNamesVar()))).Block(
				jen.If(jen.Id("c").Dot("fieldChanged").Call(jen.Id(fieldT).Call(jen.Id("f")))).Block(jen.Return(jen.True())),
			),
			jen.Return(jen.False()),
		),
		jen.For(jen.List(jen.Id("_"), jen.Id("f")).Op(":=").Range().Id("fields")).Block(
			jen.If(jen.Id("c").Dot("fieldChanged").Call(jen.Id("f"))).Block(jen.Return(jen.True())),
		),
		jen.Return(jen.False()),
	)
	f.Comment("ChangedFields returns the tracked fields that changed, in declaration order.")
	f.Func().Add(recv()).Id("ChangedFields").Params().Index().Id(fieldT).Block(
		jen.Var().Id("fs").Index().Id(fieldT),
		jen.For(jen.Id("f").Op(":=").Range().Len(jen.Id(m.fieldNamesVar()))).Block(
			jen.If(jen.Id("c").Dot("fieldChanged").Call(jen.Id(fieldT).Call(jen.Id("f")))).Block(
				jen.Id("fs").Op("=").Append(jen.Id("fs"), jen.Id(fieldT).Call(jen.Id("f"))),
			),
		),
		jen.Return(jen.Id("fs")),
	)
	f.Comment("ChangedSet returns the tracked fields that changed as a set, without allocating.")
	f.Func().Add(recv()).Id("ChangedSet").Params().Add(e.rt("FieldSet")).Block(
		jen.Var().Id("s").Add(e.rt("FieldSet")),
		jen.For(jen.Id("f").Op(":=").Range().Len(jen.Id(m.fieldNamesVar()))).Block(
			jen.If(jen.Id("c").Dot("fieldChanged").Call(jen.Id(fieldT).Call(jen.Id("f")))).Block(
				jen.Id("s").Dot("Add").Call(jen.Uint16().Call(jen.Id("f"))),
			),
		),
		jen.Return(jen.Id("s")),
	)

	// Batch.
	f.Commentf("%s is a bulk operation on %s values as bulk triggers see it: the", batchT, n)
	f.Comment("items whose conditions held.")
	f.Type().Id(batchT).Struct(
		jen.Comment("Event is the bulk event."),
		jen.Id("Event").Add(e.rt("Event")),
		jen.Comment("Items are the changes of the matching items."),
		jen.Id("Items").Index().Id(changeT),
	)

	// Snapshot and Diff.
	var fix []jen.Code
	for _, fd := range m.Fields {
		if needsDeepCopy(fd.Type) {
			fix = append(fix, e.deepCopy(fd.Type, sel("s", fd.Name), 0)...)
		}
	}
	f.Commentf("Snapshot%s returns a deep copy of m: editing m afterwards, in place or not,", n)
	f.Comment("never changes the copy's tracked fields. A nil m gives a zero value.")
	f.Func().Id("Snapshot" + n).Params(jen.Id("m").Op("*").Id(n)).Id(n).Block(append(append([]jen.Code{
		jen.If(jen.Id("m").Op("==").Nil()).Block(jen.Return(jen.Id(n).Values())),
		jen.Id("s").Op(":=").Op("*").Id("m"),
	}, fix...), jen.Return(jen.Id("s")))...)

	f.Commentf("Diff%s returns the change from old to new; its methods compare the fields", n)
	f.Comment("when asked. A nil old or new reads as a zero value. Event is left unset.")
	f.Func().Id("Diff"+n).Params(jen.List(jen.Id("old"), jen.Id("new")).Op("*").Id(n)).Id(changeT).Block(
		jen.If(jen.Id("old").Op("==").Nil()).Block(jen.Id("old").Op("=").Op("&").Id(n).Values()),
		jen.If(jen.Id("new").Op("==").Nil()).Block(jen.Id("new").Op("=").Op("&").Id(n).Values()),
		jen.Return(jen.Id(changeT).Values(kv("Old", jen.Id("old")), kv("New", jen.Id("new")))),
	)

	// Codec.
	if m.NoCodec == "" {
		e.emitCodec(m)
	}

	// Descriptor.
	var evNames []jen.Code
	for _, ev := range m.Events {
		evNames = append(evNames, jen.Lit(ev.Name))
	}
	spec := []jen.Code{kv("Name", jen.Lit(n))}
	if len(evNames) > 0 {
		spec = append(spec, kv("Events", jen.Index().String().Values(evNames...)))
	}
	spec = append(spec,
		kv("Key", jen.Func().Params(jen.Id("m").Op("*").Id(n)).String().Block(jen.Return(e.keyExpr(m)))),
		kv("Snapshot", jen.Id("Snapshot"+n)),
		kv("Change", jen.Func().Params(jen.Id("c").Op("*").Id(changeT)).Op("*").Add(e.rt("Change")).Types(jen.Id(n)).Block(
			jen.Return(jen.Parens(jen.Op("*").Add(e.rt("Change")).Types(jen.Id(n))).Call(jen.Id("c"))))),
		kv("Batch", jen.Func().Params(jen.Id("b").Op("*").Add(e.rt("Batch")).Types(jen.Id(changeT))).Op("*").Id(batchT).Block(
			jen.Return(jen.Parens(jen.Op("*").Id(batchT)).Call(jen.Id("b"))))),
	)
	if m.NoCodec == "" {
		spec = append(spec, kv("Encode", jen.Id("Encode"+n)), kv("Decode", jen.Id("Decode"+n)))
	} else {
		spec = append(spec, kv("NoCodec", jen.Lit(m.NoCodec)))
	}
	spec = append(spec,
		kv("Fields", jen.Id(m.fieldNamesVar()).Index(jen.Op(":"))),
		kv("ChangedSet", jen.Parens(jen.Op("*").Id(changeT)).Dot("ChangedSet")),
	)
	f.Commentf("%sModel describes %s to the trigger engine: registration, programmatic", n, n)
	f.Comment("triggers and loaders take it.")
	f.Var().Id(n + "Model").Op("=").Add(e.rt("NewModel")).Call(
		e.rt("ModelSpec").Types(jen.Id(n), jen.Id(changeT), jen.Id(batchT)).Add(literal(spec)))

	// Lifecycle functions.
	ctx := jen.Id("ctx").Qual("context", "Context")
	eng := jen.Id("eng").Op("*").Add(e.rt("Engine"))
	persist1 := jen.Id("persist").Func().Params(jen.Qual("context", "Context"), jen.Op("*").Id(n)).Error()
	persistN := jen.Id("persist").Func().Params(jen.Qual("context", "Context"), jen.Index().Op("*").Id(n)).Error()
	lifecycle := []struct {
		name, doc string
		params    []jen.Code
		call      string
		args      []jen.Code
	}{
		{"Create" + n, fmt.Sprintf("runs %s's before_create and before_save triggers, persist, the after_create\n// and after_save triggers, then its async and on_commit work. A before trigger's\n// error aborts before persist; after trigger errors come back joined.", n),
			[]jen.Code{ctx, eng, jen.Id("m").Op("*").Id(n), persist1}, "Create", []jen.Code{jen.Id("m")}},
		{"Update" + n, fmt.Sprintf("runs %s's update and save triggers around persist, like Create%s;\n// old is Snapshot%s(m) taken before the edits.", n, n, n),
			[]jen.Code{ctx, eng, jen.List(jen.Id("old"), jen.Id("m")).Op("*").Id(n), persist1}, "Update", []jen.Code{jen.Id("old"), jen.Id("m")}},
		{"Edit" + n, fmt.Sprintf("takes the snapshot of m, applies edit to m and runs Update%s: the\n// one-call form of an update. An error from edit is returned before any\n// trigger runs; m keeps what edit did.", n),
			[]jen.Code{ctx, eng, jen.Id("m").Op("*").Id(n), jen.Id("edit").Func().Params(jen.Op("*").Id(n)).Error(), persist1}, "Edit", []jen.Code{jen.Id("m"), jen.Id("edit")}},
		{"Delete" + n, fmt.Sprintf("runs %s's delete triggers around persist, like Create%s.", n, n),
			[]jen.Code{ctx, eng, jen.Id("m").Op("*").Id(n), persist1}, "Delete", []jen.Code{jen.Id("m")}},
		{"Create" + n + "s", fmt.Sprintf("creates many %s values: before_bulk_create triggers, each item's\n// create triggers, one persist, each item's after triggers, after_bulk_create\n// triggers, then async and on_commit work.", n),
			[]jen.Code{ctx, eng, jen.Id("ms").Index().Op("*").Id(n), persistN}, "CreateMany", []jen.Code{jen.Id("ms")}},
		{"Update" + n + "s", fmt.Sprintf("updates many %s values like Create%ss; old[i] is the snapshot of ms[i].", n, n),
			[]jen.Code{ctx, eng, jen.Id("old").Index().Id(n), jen.Id("ms").Index().Op("*").Id(n), persistN}, "UpdateMany", []jen.Code{jen.Id("old"), jen.Id("ms")}},
		{"Delete" + n + "s", fmt.Sprintf("deletes many %s values like Create%ss.", n, n),
			[]jen.Code{ctx, eng, jen.Id("ms").Index().Op("*").Id(n), persistN}, "DeleteMany", []jen.Code{jen.Id("ms")}},
		{"Fire" + n, fmt.Sprintf("runs the triggers of exactly one event of %s, for custom events and code\n// that persists on its own; nil old or new reads as a zero value.", n),
			[]jen.Code{ctx, eng, jen.Id("event").Add(e.rt("Event")), jen.List(jen.Id("old"), jen.Id("new")).Op("*").Id(n)}, "Fire", []jen.Code{jen.Id("event"), jen.Id("old"), jen.Id("new")}},
	}
	for _, l := range lifecycle {
		args := append([]jen.Code{jen.Id("ctx"), jen.Id("eng"), jen.Id(n + "Model")}, l.args...)
		if l.call != "Fire" {
			args = append(args, jen.Id("persist"))
		}
		for _, line := range strings.Split(l.name+" "+l.doc, "\n// ") {
			f.Comment(line)
		}
		f.Func().Id(l.name).Params(l.params...).Error().Block(jen.Return(e.rt(l.call).Call(args...)))
	}
	f.Commentf("Set%sLoader registers how Engine.Execute loads a %s by key; load returns an", n, n)
	f.Comment("error wrapping runtime.ErrNotFound for unknown keys.")
	f.Func().Id("Set"+n+"Loader").Params(eng,
		jen.Id("load").Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("key").String()).Params(jen.Op("*").Id(n), jen.Error()),
	).Block(e.rt("SetLoader").Call(jen.Id("eng"), jen.Id(n+"Model"), jen.Id("load")))
}

// keyExpr returns the expression of m's key as a string.
func (e *emitter) keyExpr(m *model) *jen.Statement {
	if m.Key == nil {
		return jen.Lit("")
	}
	x := jen.Id("m").Dot(m.Key.Name)
	switch keyKind(m.Key.Type) {
	case "string":
		if b, ok := m.Key.Type.(*types.Basic); ok && b.Kind() == types.String {
			return x
		}
		return jen.String().Call(x)
	case "int":
		return jen.Qual("strconv", "FormatInt").Call(jen.Int64().Call(x), jen.Lit(10))
	case "uint":
		return jen.Qual("strconv", "FormatUint").Call(jen.Uint64().Call(x), jen.Lit(10))
	}
	return x.Dot("String").Call()
}

// kv is one key: value element of a composite literal.
func kv(key string, value jen.Code) jen.Code { return jen.Id(key).Op(":").Add(value) }

// literal renders composite literal elements one per line, in the order given.
func literal(elems []jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, elems...)
}
