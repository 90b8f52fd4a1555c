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
	change := []string{"Instance", "Changed", "ChangedFields", "ChangedSet"}
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

// emitModel writes the change tracking and lifecycle functions of m. What
// is the same for every model (the loops over the changed fields, the
// lifecycle's dispatch) lives once in the runtime: the code here is what
// differs per model, the per-field comparisons and copies, and one-line
// forwarders.
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
			c := jen.Id(m.fieldConst(fd))
			if i == 0 {
				c = c.Id(fieldT).Op("=").Iota()
			}
			if len(fd.Path) > 1 {
				c = c.Comment(strings.Join(fd.Path, "."))
			}
			consts = append(consts, c)
		}
		f.Commentf("The tracked fields of %s, in declaration order: %s<Name> is the field <Name>.", n, fieldT)
		f.Const().Defs(consts...)
	}
	var names []jen.Code
	for _, fd := range m.Fields {
		names = append(names, jen.Lit(fd.Name))
	}
	f.Var().Id(m.fieldNamesVar()).Op("=").Index(jen.Op("...")).String().Values(names...)
	f.Commentf("String returns the field's Go name.")
	f.Func().Params(jen.Id("f").Id(fieldT)).Id("String").Params().String().Add(oneLine(
		jen.Return(e.field("Name").Call(jen.Id(m.fieldNamesVar()).Index(jen.Op(":")), jen.Int().Call(jen.Id("f")), jen.Lit(fieldT)))))

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
	var changed []jen.Code
	for _, fd := range m.Fields {
		f.Add(
			jen.Commentf("%sChanged reports whether %s differs between Old and New.", fd.Name, fd.Name).Line().
				Func().Add(recv()).Id(fd.Name+"Changed").Params().Bool().Add(oneLine(
				jen.Return(e.differ(fd.Type, sel("c", "Old", fd.Name), sel("c", "New", fd.Name))))).Line().
				Commentf("%sWas returns the value of %s before the operation.", fd.Name, fd.Name).Line().
				Func().Add(recv()).Id(fd.Name + "Was").Params().Add(e.typ(fd.Type)).Add(oneLine(
				jen.Return(jen.Id("c").Dot("Old").Dot(fd.Name)))))
		changed = append(changed, jen.Id("c").Dot(fd.Name+"Changed").Call())
	}
	f.Comment("ChangedSet returns the tracked fields that changed as a set, without allocating.")
	f.Func().Add(recv()).Id("ChangedSet").Params().Add(e.field("Set")).Block(
		jen.Return(e.field("SetOf").Add(argLines(changed, 4))))
	f.Add(
		jen.Comment("Changed reports whether any of the fields changed; with no fields, whether any tracked field did.").Line().
			Func().Add(recv()).Id("Changed").Params(jen.Id("fields").Op("...").Id(fieldT)).Bool().Add(oneLine(
			jen.Return(e.field("AnyIn").Call(jen.Id("c").Dot("ChangedSet").Call(), jen.Id("fields"))))).Line().
			Comment("ChangedFields returns the tracked fields that changed, in declaration order.").Line().
			Func().Add(recv()).Id("ChangedFields").Params().Index().Id(fieldT).Add(oneLine(
			jen.Return(e.field("List").Types(jen.Id(fieldT)).Call(jen.Id("c").Dot("ChangedSet").Call())))))

	// Batch.
	f.Commentf("%s is a bulk operation on %s values as bulk triggers see it.", batchT, n)
	f.Type().Id(batchT).Struct(
		jen.Comment("Event is the bulk event."),
		jen.Id("Event").Add(e.rt("Event")),
		jen.Comment("Items are the changes of the items whose conditions held."),
		jen.Id("Items").Index().Id(changeT),
	)

	// Snapshot and Diff.
	var fix []jen.Code
	for _, fd := range m.Fields {
		if needsDeepCopy(fd.Type) {
			fix = append(fix, e.deepCopy(fd.Type, sel("s", fd.Name), 0)...)
		}
	}
	f.Commentf("Snapshot%s returns a deep copy of m's tracked fields (a zero value for nil m).", n)
	f.Func().Id("Snapshot" + n).Params(jen.Id("m").Op("*").Id(n)).Id(n).Block(append(append([]jen.Code{
		jen.If(jen.Id("m").Op("==").Nil()).Block(jen.Return(jen.Id(n).Values())),
		jen.Id("s").Op(":=").Op("*").Id("m"),
	}, fix...), jen.Return(jen.Id("s")))...)

	f.Commentf("Diff%s returns the change from old to new (nil reads as a zero value), Event unset.", n)
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
		kv("Key", jen.Func().Params(jen.Id("m").Op("*").Id(n)).String().Add(oneLine(jen.Return(e.keyExpr(m))))),
		kv("Snapshot", jen.Id("Snapshot"+n)),
		kv("Change", jen.Func().Params(jen.Id("c").Op("*").Id(changeT)).Op("*").Add(e.rt("Change")).Types(jen.Id(n)).Add(oneLine(
			jen.Return(jen.Parens(jen.Op("*").Add(e.rt("Change")).Types(jen.Id(n))).Call(jen.Id("c")))))),
		kv("Batch", jen.Func().Params(jen.Id("b").Op("*").Add(e.rt("Batch")).Types(jen.Id(changeT))).Op("*").Id(batchT).Add(oneLine(
			jen.Return(jen.Parens(jen.Op("*").Id(batchT)).Call(jen.Id("b")))))),
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

	// Lifecycle functions: each forwards to runtime.Do or runtime.DoMany,
	// which Go compiles once per model whatever the operation.
	ctx := jen.Id("ctx").Qual("context", "Context")
	eng := jen.Id("eng").Op("*").Add(e.rt("Engine"))
	persist1 := jen.Id("persist").Func().Params(jen.Qual("context", "Context"), jen.Op("*").Id(n)).Error()
	persistN := jen.Id("persist").Func().Params(jen.Qual("context", "Context"), jen.Index().Op("*").Id(n)).Error()
	do := func(op jen.Code, old, m, persist jen.Code) *jen.Statement {
		return jen.Return(e.rt("Do").Call(jen.Id("ctx"), jen.Id("eng"), jen.Id(n+"Model"), op, old, m, persist))
	}
	doMany := func(op string, old jen.Code) *jen.Statement {
		return jen.Return(e.rt("DoMany").Call(jen.Id("ctx"), jen.Id("eng"), jen.Id(n+"Model"), e.rt(op), old, jen.Id("ms"), jen.Id("persist")))
	}
	lifecycle := []struct {
		name, doc string
		params    []jen.Code
		body      []jen.Code
	}{
		{"Create" + n, fmt.Sprintf("runs the create and save triggers of %s around persist (see runtime.Do).", n),
			[]jen.Code{ctx, eng, jen.Id("m").Op("*").Id(n), persist1}, []jen.Code{do(e.rt("OpCreate"), jen.Nil(), jen.Id("m"), jen.Id("persist"))}},
		{"Update" + n, fmt.Sprintf("runs the update and save triggers of %s around persist; old is Snapshot%s(m).", n, n),
			[]jen.Code{ctx, eng, jen.List(jen.Id("old"), jen.Id("m")).Op("*").Id(n), persist1}, []jen.Code{do(e.rt("OpUpdate"), jen.Id("old"), jen.Id("m"), jen.Id("persist"))}},
		{"Edit" + n, fmt.Sprintf("snapshots m, applies edit to it and runs Update%s: an update in one call.", n),
			[]jen.Code{ctx, eng, jen.Id("m").Op("*").Id(n), jen.Id("edit").Func().Params(jen.Op("*").Id(n)).Error(), persist1}, []jen.Code{
				jen.Id("old").Op(":=").Id("Snapshot" + n).Call(jen.Id("m")),
				jen.If(jen.Err().Op(":=").Id("edit").Call(jen.Id("m")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
				do(e.rt("OpUpdate"), jen.Op("&").Id("old"), jen.Id("m"), jen.Id("persist")),
			}},
		{"Delete" + n, fmt.Sprintf("runs the delete triggers of %s around persist, like Create%s.", n, n),
			[]jen.Code{ctx, eng, jen.Id("m").Op("*").Id(n), persist1}, []jen.Code{do(e.rt("OpDelete"), jen.Nil(), jen.Id("m"), jen.Id("persist"))}},
		{"Create" + n + "s", fmt.Sprintf("creates many %s values with one persist (see runtime.DoMany).", n),
			[]jen.Code{ctx, eng, jen.Id("ms").Index().Op("*").Id(n), persistN}, []jen.Code{doMany("OpCreate", jen.Nil())}},
		{"Update" + n + "s", fmt.Sprintf("updates many %s values like Create%ss; old[i] is the snapshot of ms[i].", n, n),
			[]jen.Code{ctx, eng, jen.Id("old").Index().Id(n), jen.Id("ms").Index().Op("*").Id(n), persistN}, []jen.Code{doMany("OpUpdate", jen.Id("old"))}},
		{"Delete" + n + "s", fmt.Sprintf("deletes many %s values like Create%ss.", n, n),
			[]jen.Code{ctx, eng, jen.Id("ms").Index().Op("*").Id(n), persistN}, []jen.Code{doMany("OpDelete", jen.Nil())}},
		{"Fire" + n, fmt.Sprintf("runs the triggers of one event of %s (custom events, own persistence).", n),
			[]jen.Code{ctx, eng, jen.Id("event").Add(e.rt("Event")), jen.List(jen.Id("old"), jen.Id("new")).Op("*").Id(n)},
			[]jen.Code{do(e.rt("FireOp").Call(jen.Id("event")), jen.Id("old"), jen.Id("new"), jen.Nil())}},
	}
	for _, l := range lifecycle {
		f.Comment(l.name + " " + l.doc)
		if len(l.body) == 1 {
			f.Func().Id(l.name).Params(l.params...).Error().Add(oneLine(l.body[0]))
		} else {
			f.Func().Id(l.name).Params(l.params...).Error().Block(l.body...)
		}
	}
	f.Commentf("Set%sLoader registers how Engine.Execute loads a %s by key (see runtime.SetLoader).", n, n)
	f.Func().Id("Set"+n+"Loader").Params(eng,
		jen.Id("load").Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("key").String()).Params(jen.Op("*").Id(n), jen.Error()),
	).Add(oneLine(e.rt("SetLoader").Call(jen.Id("eng"), jen.Id(n+"Model"), jen.Id("load"))))
}

// oneLine renders a function body of one statement on the line of its
// signature: { return x }.
func oneLine(stmt jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{ ", Close: " }"}, stmt)
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

// argLines renders call arguments n to a line.
func argLines(args []jen.Code, n int) *jen.Statement {
	if len(args) <= n {
		return jen.Call(args...)
	}
	var items []jen.Code
	for i, a := range args {
		if i%n == 0 {
			items = append(items, jen.Line())
		}
		items = append(items, a, jen.Op(","))
	}
	return jen.Custom(jen.Options{Open: "(", Close: "\n)"}, items...)
}
