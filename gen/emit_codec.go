package gen

import (
	"fmt"
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"
)

// The JSON codec of a model: EncodeM and DecodeM, which write and read the
// tracked fields as one JSON object through the Writer and Reader of
// package runtime/codec. Each type is coded by the first rule that fits:
//
//   - a MarshalText/UnmarshalText pair: a string (time.Time, netip.Addr);
//   - a MarshalJSON/UnmarshalJSON pair: what those methods write;
//   - bool, string, integer, float and complex kinds (named or not);
//   - pointers: null for nil, else the pointee;
//   - []byte and named byte slices: a base64 string, null for nil;
//   - slices: an array, null for nil; arrays: an array of the same length;
//   - maps with string, integer or text keys: an object, null for nil;
//   - structs whose fields generated code can all reach: an object of all
//     their fields.
//
// Any other type (chan, func, interface, unsafe.Pointer, a struct of
// another package with unexported fields, a recursive type, other map
// keys) leaves the model without a codec: MModel.NoCodec says why.

// codecKind is the rule a type is coded by.
type codecKind int

const (
	codecNone codecKind = iota
	codecText
	codecJSON
	codecBasic
	codecPointer
	codecBytes
	codecSlice
	codecArray
	codecMap
	codecStruct
)

// mapKeyKind is how a map key is coded.
type mapKeyKind int

const (
	keyNone mapKeyKind = iota
	keyText
	keyString
	keyInt
	keyUint
)

var (
	byteSlice = types.NewSlice(types.Typ[types.Byte])
	errorType = types.Universe.Lookup("error").Type()
)

// methodIs reports whether the method set ms has a method name with the
// signature func(params...) (results...).
func methodIs(ms *types.MethodSet, name string, params, results []types.Type) bool {
	sel := ms.Lookup(nil, name)
	if sel == nil {
		return false
	}
	sig, ok := sel.Type().(*types.Signature)
	if !ok || sig.Params().Len() != len(params) || sig.Results().Len() != len(results) || sig.Variadic() {
		return false
	}
	for i, p := range params {
		if !types.Identical(sig.Params().At(i).Type(), p) {
			return false
		}
	}
	for i, r := range results {
		if !types.Identical(sig.Results().At(i).Type(), r) {
			return false
		}
	}
	return true
}

// marshaler reports whether values of t can be coded by a method pair:
// Marshal<form>() ([]byte, error) on t or *t, and Unmarshal<form>([]byte)
// error on *t. addr reports that the Marshal method needs a pointer.
func marshaler(t types.Type, form string) (ok, addr bool) {
	if _, isPtr := t.Underlying().(*types.Pointer); isPtr || types.IsInterface(t) {
		return false, false
	}
	ptr := types.NewMethodSet(types.NewPointer(t))
	if !methodIs(ptr, "Marshal"+form, nil, []types.Type{byteSlice, errorType}) ||
		!methodIs(ptr, "Unmarshal"+form, []types.Type{byteSlice}, []types.Type{errorType}) {
		return false, false
	}
	return true, !methodIs(types.NewMethodSet(t), "Marshal"+form, nil, []types.Type{byteSlice, errorType})
}

// kindOf returns the rule t is coded by, before looking at its parts.
func kindOf(t types.Type) codecKind {
	if ok, _ := marshaler(t, "Text"); ok {
		return codecText
	}
	if ok, _ := marshaler(t, "JSON"); ok {
		return codecJSON
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Info()&(types.IsBoolean|types.IsString|types.IsInteger|types.IsFloat|types.IsComplex) != 0 && u.Kind() != types.UnsafePointer {
			return codecBasic
		}
	case *types.Pointer:
		return codecPointer
	case *types.Slice:
		if types.Identical(types.Unalias(u.Elem()), types.Typ[types.Byte]) {
			return codecBytes
		}
		return codecSlice
	case *types.Array:
		return codecArray
	case *types.Map:
		return codecMap
	case *types.Struct:
		return codecStruct
	}
	return codecNone
}

// mapKeyKindOf returns how a map key of type t is coded.
func mapKeyKindOf(t types.Type) mapKeyKind {
	if ok, _ := marshaler(t, "Text"); ok {
		return keyText
	}
	if b, ok := t.Underlying().(*types.Basic); ok {
		switch {
		case b.Info()&types.IsString != 0:
			return keyString
		case b.Info()&types.IsUnsigned != 0:
			return keyUint
		case b.Info()&types.IsInteger != 0:
			return keyInt
		}
	}
	return keyNone
}

// codecProblem returns why a field of type t has no JSON form that code in
// package pkg can read and write, or "" when it has one; path leads from
// the field to the part at fault (".Inner.Ch"), through struct fields.
func codecProblem(t types.Type, pkg *types.Package) (path, why string) {
	c := &codecCheck{pkg: pkg}
	return c.check(t, "")
}

// codecCheck walks a type for codecProblem.
type codecCheck struct {
	pkg   *types.Package // the package generated code is in
	stack []*types.Named // the named types being checked, to find recursion
}

// check returns the path and reason of the first part of t without a JSON
// form; path is the path to t itself.
func (c *codecCheck) check(t types.Type, path string) (string, string) {
	t = types.Unalias(t)
	fail := func(format string, args ...any) (string, string) { return path, fmt.Sprintf(format, args...) }
	qf := func(p *types.Package) string {
		if p == c.pkg {
			return ""
		}
		return p.Name()
	}
	if n, ok := t.(*types.Named); ok {
		if p := c.unnameable(n); p != "" {
			return fail("type %s is not exported, so generated code cannot name it", p)
		}
		for _, s := range c.stack {
			if s.Origin() == n.Origin() {
				return fail("type %s is recursive", types.TypeString(n, qf))
			}
		}
		c.stack = append(c.stack, n)
		defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	}
	switch kindOf(t) {
	case codecText, codecJSON, codecBasic, codecBytes:
		return "", ""
	case codecPointer:
		return c.check(t.Underlying().(*types.Pointer).Elem(), path)
	case codecSlice:
		return c.check(t.Underlying().(*types.Slice).Elem(), path)
	case codecArray:
		return c.check(t.Underlying().(*types.Array).Elem(), path)
	case codecMap:
		m := t.Underlying().(*types.Map)
		if mapKeyKindOf(m.Key()) == keyNone {
			return fail("map key type %s is not a string, an integer or a type with MarshalText and UnmarshalText methods", types.TypeString(m.Key(), qf))
		}
		if n, ok := types.Unalias(m.Key()).(*types.Named); ok {
			if p := c.unnameable(n); p != "" {
				return fail("type %s is not exported, so generated code cannot name it", p)
			}
		}
		return c.check(m.Elem(), path)
	case codecStruct:
		st := t.Underlying().(*types.Struct)
		for i := range st.NumFields() {
			if f := st.Field(i); !f.Exported() && f.Pkg() != c.pkg {
				return fail("%s has unexported fields and no MarshalText or MarshalJSON method", types.TypeString(t, qf))
			}
		}
		for i := range st.NumFields() {
			if f := st.Field(i); f.Name() != "_" {
				if p, why := c.check(f.Type(), path+"."+f.Name()); why != "" {
					return p, why
				}
			}
		}
		return "", ""
	}
	switch u := t.Underlying().(type) {
	case *types.Chan:
		return fail("a chan has no JSON form")
	case *types.Signature:
		return fail("a func has no JSON form")
	case *types.Interface:
		return fail("an interface has no JSON form that can be decoded: its dynamic type is unknown")
	case *types.Basic:
		if u.Kind() == types.UnsafePointer {
			return fail("an unsafe.Pointer has no JSON form")
		}
	}
	return fail("%s has no JSON form", types.TypeString(t, qf))
}

// unnameable returns a named type in n (n itself or a type argument) that
// code in the checked package cannot name, or "".
func (c *codecCheck) unnameable(n *types.Named) string {
	obj := n.Obj()
	if obj.Pkg() != nil && obj.Pkg() != c.pkg && !obj.Exported() {
		return obj.Pkg().Name() + "." + obj.Name()
	}
	if args := n.TypeArgs(); args != nil {
		for i := range args.Len() {
			if a, ok := types.Unalias(args.At(i)).(*types.Named); ok {
				if p := c.unnameable(a); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// name returns a variable name for a nesting depth: base at 0, base1 at 1...
func name(base string, depth int) string {
	if depth == 0 {
		return base
	}
	return base + strconv.Itoa(depth)
}

// convert returns x converted to basic, or x alone when it has that type.
func (e *emitter) convert(t types.Type, basic types.BasicKind, x *jen.Statement) *jen.Statement {
	if types.Identical(t, types.Typ[basic]) {
		return x
	}
	return jen.Id(types.Typ[basic].Name()).Call(x)
}

// intBits returns the size argument of Int and Uint for an integer kind:
// 0 for int, uint and uintptr, as with strconv.ParseInt.
func intBits(b *types.Basic) int {
	switch b.Kind() {
	case types.Int8, types.Uint8:
		return 8
	case types.Int16, types.Uint16:
		return 16
	case types.Int32, types.Uint32:
		return 32
	case types.Int64, types.Uint64:
		return 64
	}
	return 0
}

// floatBits returns the size of a float or complex kind: 32 or 64 for
// floats, 64 or 128 for complex numbers.
func floatBits(b *types.Basic) int {
	switch b.Kind() {
	case types.Float32:
		return 32
	case types.Complex128:
		return 128
	}
	return 64
}

// emitCodec writes EncodeM and DecodeM.
func (e *emitter) emitCodec(m *model) {
	f := e.file
	n := m.Name
	enc := []jen.Code{jen.Id("w").Op(":=").Add(e.codec("NewWriter")).Call(jen.Id("dst")), wr("BeginObject")}
	var cases []jen.Code
	for _, fd := range m.Fields {
		x := sel("m", fd.Name)
		enc = append(enc, e.encodeMember(fd.Name, fd.Type, x, 1)...)
		cases = append(cases, jen.Case(jen.Lit(fd.Name)).Block(e.decode(fd.Type, x, 1)...))
	}
	enc = append(enc, wr("EndObject"), jen.Return(wr("Result")))

	f.Commentf("Encode%s appends the JSON form of m's tracked fields to dst: an object keyed", n)
	f.Commentf("by field name, which Decode%s reads back. Untracked fields are left out.", n)
	f.Func().Id("Encode"+n).Params(jen.Id("dst").Index().Byte(), jen.Id("m").Op("*").Id(n)).Params(jen.Index().Byte(), jen.Error()).Block(enc...)

	f.Commentf("Decode%s sets m's tracked fields from JSON that Encode%s wrote; other keys", n, n)
	f.Comment("are skipped. A value of the wrong type is an error naming the field.")
	f.Func().Id("Decode"+n).Params(jen.Id("data").Index().Byte(), jen.Id("m").Op("*").Id(n)).Error().Block(
		jen.Id("r").Op(":=").Add(e.codec("NewReader")).Call(jen.Id("data")),
		readObject(cases),
		jen.Return(rd("End")),
	)
}

// readObject returns the loop that reads an object's members with the
// cases of a switch on their keys (none: every member is skipped).
func readObject(cases []jen.Code) *jen.Statement {
	loop := jen.For(rd("BeginObject"), rd("More"), jen.Empty())
	if len(cases) == 0 {
		return loop.Block()
	}
	return loop.Block(jen.Switch(rd("Key")).Block(cases...))
}

// readArray returns the loop that reads an array's elements with body.
func readArray(body ...jen.Code) *jen.Statement {
	return jen.For(rd("BeginArray"), rd("More"), jen.Empty()).Block(body...)
}

// encodeMember returns the statements that write the member name: x, of
// type t; one call, w.Key(name).M(...), when one call writes x.
func (e *emitter) encodeMember(name string, t types.Type, x expr, depth int) []jen.Code {
	if m, args, ok := e.oneCall(t, x); ok {
		return []jen.Code{wr("Key", jen.Lit(name)).Dot(m).Call(args...)}
	}
	return append([]jen.Code{wr("Key", jen.Lit(name))}, e.encode(t, x, depth)...)
}

// oneCall returns the Writer method and its arguments when one call writes
// x, of type t: a text or JSON marshaler, a basic kind, bytes, *string,
// []string or map[string]string.
func (e *emitter) oneCall(t types.Type, x expr) (string, []jen.Code, bool) {
	if m := stringsKind(t); m != "" {
		return m, []jen.Code{x()}, true
	}
	switch kindOf(t) {
	case codecText:
		if _, needAddr := marshaler(t, "Text"); needAddr {
			return "Text", []jen.Code{addr(x)}, true
		}
		return "Text", []jen.Code{x()}, true
	case codecJSON:
		if _, needAddr := marshaler(t, "JSON"); needAddr {
			return "JSON", []jen.Code{addr(x)}, true
		}
		return "JSON", []jen.Code{x()}, true
	case codecBasic:
		m, args := e.basicCall(t, x())
		return m, args, true
	case codecBytes:
		return "Bytes", []jen.Code{x()}, true
	}
	return "", nil, false
}

// wr returns w.method(args...), a call of the codec.Writer.
func wr(method string, args ...jen.Code) *jen.Statement { return jen.Id("w").Dot(method).Call(args...) }

// rd returns r.method(args...), a call of the codec.Reader.
func rd(method string, args ...jen.Code) *jen.Statement { return jen.Id("r").Dot(method).Call(args...) }

// addr returns &x.
func addr(x expr) *jen.Statement { return jen.Op("&").Add(x()) }

// stringsKind returns the Writer and Reader method for the unnamed types
// *string, []string and map[string]string, which take one call each, or "".
func stringsKind(t types.Type) string {
	str := types.Typ[types.String]
	switch {
	case types.Identical(t, types.NewPointer(str)):
		return "StringPtr"
	case types.Identical(t, types.NewSlice(str)):
		return "Strings"
	case types.Identical(t, types.NewMap(str, str)):
		return "StringMap"
	}
	return ""
}

// encode returns statements that write x, an addressable value of type t.
func (e *emitter) encode(t types.Type, x expr, depth int) []jen.Code {
	if m, args, ok := e.oneCall(t, x); ok {
		return []jen.Code{wr(m, args...)}
	}
	switch kindOf(t) {
	case codecPointer:
		ifNil := jen.If(x().Op("==").Nil()).Block(wr("Null")).Else()
		elem := t.Underlying().(*types.Pointer).Elem()
		switch kindOf(elem) {
		case codecPointer, codecSlice, codecMap:
			if stringsKind(elem) == "" {
				// The pointee's own nil test continues the chain: else if.
				return []jen.Code{ifNil.Add(e.encodePointee(t, x, depth)[0])}
			}
		}
		return []jen.Code{ifNil.Block(e.encodePointee(t, x, depth)...)}
	case codecSlice:
		v := name("v", depth)
		body := e.encode(t.Underlying().(*types.Slice).Elem(), sel(v), depth+1)
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(wr("Null")).Else().Block(
			wr("BeginArray"),
			jen.For(jen.List(jen.Id("_"), jen.Id(v)).Op(":=").Range().Add(x())).Block(body...),
			wr("EndArray"),
		)}
	case codecArray:
		i := name("i", depth)
		elem := func() *jen.Statement { return receiver(x).Index(jen.Id(i)) }
		return []jen.Code{
			wr("BeginArray"),
			jen.For(jen.Id(i).Op(":=").Range().Add(x())).Block(e.encode(t.Underlying().(*types.Array).Elem(), elem, depth+1)...),
			wr("EndArray"),
		}
	case codecMap:
		return []jen.Code{jen.If(x().Op("==").Nil()).Block(wr("Null")).Else().Block(e.encodeMap(t, x, depth)...)}
	case codecStruct:
		st := t.Underlying().(*types.Struct)
		code := []jen.Code{wr("BeginObject")}
		for i := range st.NumFields() {
			fd := st.Field(i)
			if fd.Name() == "_" {
				continue
			}
			code = append(code, e.encodeMember(fd.Name(), fd.Type(), func() *jen.Statement { return receiver(x).Dot(fd.Name()) }, depth+1)...)
		}
		return append(code, wr("EndObject"))
	}
	panic(fmt.Sprintf("gen: no JSON form for %s", t)) // codecProblem rules it out
}

// encodePointee writes what the non-nil pointer x of type t points to.
func (e *emitter) encodePointee(t types.Type, x expr, depth int) []jen.Code {
	elem := t.Underlying().(*types.Pointer).Elem()
	p := x()
	if _, named := types.Unalias(t).(*types.Named); named {
		// A defined pointer type has no methods: convert to *T.
		p = jen.Parens(jen.Op("*").Add(e.typ(elem))).Call(p)
	}
	switch kindOf(elem) {
	case codecText:
		return []jen.Code{wr("Text", p)}
	case codecJSON:
		return []jen.Code{wr("JSON", p)}
	case codecStruct, codecArray:
		// Selectors, indexes and range see through the pointer.
		return e.encode(elem, x, depth)
	}
	return e.encode(elem, deref(x), depth)
}

// encodeMap writes the non-nil map x: with keys in order when they are
// strings or integers, in map order when they are text.
func (e *emitter) encodeMap(t types.Type, x expr, depth int) []jen.Code {
	mt := t.Underlying().(*types.Map)
	k, v := name("k", depth), name("v", depth)
	var key jen.Code
	switch mapKeyKindOf(mt.Key()) {
	case keyString:
		key = wr("Key", e.convert(mt.Key(), types.String, jen.Id(k)))
	case keyInt:
		key = wr("IntKey", e.convert(mt.Key(), types.Int64, jen.Id(k)))
	case keyUint:
		key = wr("UintKey", e.convert(mt.Key(), types.Uint64, jen.Id(k)))
	case keyText:
		if _, needAddr := marshaler(mt.Key(), "Text"); needAddr {
			key = wr("TextKey", jen.Op("&").Id(k))
		} else {
			key = wr("TextKey", jen.Id(k))
		}
		return []jen.Code{
			wr("BeginObject"),
			jen.For(jen.List(jen.Id(k), jen.Id(v)).Op(":=").Range().Add(x())).Block(
				append([]jen.Code{key}, e.encode(mt.Elem(), sel(v), depth+1)...)...),
			wr("EndObject"),
		}
	}
	body := []jen.Code{key}
	if kindOf(mt.Elem()) == codecBasic {
		m, args := e.basicCall(mt.Elem(), receiver(x).Index(jen.Id(k)))
		body = append(body, wr(m, args...))
	} else {
		body = append(body, jen.Id(v).Op(":=").Add(receiver(x)).Index(jen.Id(k)))
		body = append(body, e.encode(mt.Elem(), sel(v), depth+1)...)
	}
	return []jen.Code{
		wr("BeginObject"),
		jen.For(jen.List(jen.Id("_"), jen.Id(k)).Op(":=").Range().Qual("slices", "Sorted").Call(jen.Qual("maps", "Keys").Call(x()))).Block(body...),
		wr("EndObject"),
	}
}

// basicCall returns the Writer method and arguments that write x, of a
// bool, string, integer, float or complex kind.
func (e *emitter) basicCall(t types.Type, x *jen.Statement) (string, []jen.Code) {
	b := t.Underlying().(*types.Basic)
	switch info := b.Info(); {
	case info&types.IsBoolean != 0:
		return "Bool", []jen.Code{e.convert(t, types.Bool, x)}
	case info&types.IsString != 0:
		return "String", []jen.Code{e.convert(t, types.String, x)}
	case info&types.IsUnsigned != 0:
		return "Uint", []jen.Code{e.convert(t, types.Uint64, x)}
	case info&types.IsInteger != 0:
		return "Int", []jen.Code{e.convert(t, types.Int64, x)}
	case info&types.IsFloat != 0:
		return "Float", []jen.Code{e.convert(t, types.Float64, x), jen.Lit(floatBits(b))}
	}
	return "Complex", []jen.Code{e.convert(t, types.Complex128, x), jen.Lit(floatBits(b))}
}

// decodeBasic returns an expression that reads a value of t, of a bool,
// string, integer, float or complex kind.
func (e *emitter) decodeBasic(t types.Type) *jen.Statement {
	b := t.Underlying().(*types.Basic)
	var call *jen.Statement
	var got types.BasicKind
	switch info := b.Info(); {
	case info&types.IsBoolean != 0:
		call, got = rd("Bool"), types.Bool
	case info&types.IsString != 0:
		call, got = rd("String"), types.String
	case info&types.IsUnsigned != 0:
		call, got = rd("Uint", jen.Lit(intBits(b))), types.Uint64
	case info&types.IsInteger != 0:
		call, got = rd("Int", jen.Lit(intBits(b))), types.Int64
	case info&types.IsFloat != 0:
		call, got = rd("Float", jen.Lit(floatBits(b))), types.Float64
	default:
		call, got = rd("Complex", jen.Lit(floatBits(b))), types.Complex128
	}
	if types.Identical(t, types.Typ[got]) {
		return call
	}
	return e.typ(t).Call(call)
}

// decode returns statements that read a value of type t into x, which is
// addressable.
func (e *emitter) decode(t types.Type, x expr, depth int) []jen.Code {
	if m := stringsKind(t); m != "" {
		return []jen.Code{x().Op("=").Add(rd(m))}
	}
	switch kindOf(t) {
	case codecText:
		return []jen.Code{rd("Text", addr(x))}
	case codecJSON:
		return []jen.Code{rd("JSON", addr(x))}
	case codecBasic:
		return []jen.Code{x().Op("=").Add(e.decodeBasic(t))}
	case codecPointer, codecSlice, codecMap:
		return []jen.Code{jen.If(rd("Null")).Block(x().Op("=").Nil()).Else().Block(e.decodeSet(t, x, depth)...)}
	case codecBytes:
		return []jen.Code{x().Op("=").Add(rd("Bytes"))}
	case codecArray:
		i := name("i", depth)
		elem := func() *jen.Statement { return x().Index(jen.Id(i)) }
		return []jen.Code{jen.For(jen.Id(i).Op(":=").Range().Add(rd("FixedArray", jen.Len(x())))).Block(
			e.decode(t.Underlying().(*types.Array).Elem(), elem, depth+1)...)}
	case codecStruct:
		st := t.Underlying().(*types.Struct)
		var cases []jen.Code
		for i := range st.NumFields() {
			fd := st.Field(i)
			if fd.Name() == "_" {
				continue
			}
			fx := func() *jen.Statement { return x().Dot(fd.Name()) }
			cases = append(cases, jen.Case(jen.Lit(fd.Name())).Block(e.decode(fd.Type(), fx, depth+1)...))
		}
		return []jen.Code{readObject(cases)}
	}
	panic(fmt.Sprintf("gen: no JSON form for %s", t)) // codecProblem rules it out
}

// decodeSet returns statements that set x, of a pointer, slice or map
// type, from the next value, which is known not to be null.
func (e *emitter) decodeSet(t types.Type, x expr, depth int) []jen.Code {
	ptr, isPtr := t.Underlying().(*types.Pointer)
	if !isPtr {
		// A slice or a map.
		return append([]jen.Code{x().Op("=").Add(e.typ(t)).Values()}, e.fill(t, x, depth)...)
	}
	elem := ptr.Elem()
	v := name("v", depth)
	var set []jen.Code
	switch kindOf(elem) {
	case codecBasic:
		set = []jen.Code{jen.Id(v).Op(":=").Add(e.decodeBasic(elem))}
	case codecSlice, codecMap:
		set = append([]jen.Code{jen.Id(v).Op(":=").Add(e.typ(elem)).Values()}, e.fill(elem, sel(v), depth+1)...)
	case codecPointer:
		set = append([]jen.Code{jen.Var().Id(v).Add(e.typ(elem))}, e.decodeSet(elem, sel(v), depth+1)...)
	default:
		set = append([]jen.Code{jen.Var().Id(v).Add(e.typ(elem))}, e.decode(elem, sel(v), depth+1)...)
	}
	return append(set, x().Op("=").Op("&").Id(v))
}

// fill returns the loop that reads an array into the empty slice x, or an
// object into the empty map x.
func (e *emitter) fill(t types.Type, x expr, depth int) []jen.Code {
	sl, isSlice := t.Underlying().(*types.Slice)
	if !isSlice {
		return e.decodeMap(t, x, depth)
	}
	elem := sl.Elem()
	var body []jen.Code
	if kindOf(elem) == codecBasic {
		body = []jen.Code{x().Op("=").Append(x(), e.decodeBasic(elem))}
	} else {
		v := name("v", depth)
		body = append([]jen.Code{jen.Var().Id(v).Add(e.typ(elem))}, e.decode(elem, sel(v), depth+1)...)
		body = append(body, x().Op("=").Append(x(), jen.Id(v)))
	}
	return []jen.Code{readArray(body...)}
}

// decodeMap returns the loop that reads the members of an object into the
// empty map x.
func (e *emitter) decodeMap(t types.Type, x expr, depth int) []jen.Code {
	mt := t.Underlying().(*types.Map)
	k, v := name("k", depth), name("v", depth)
	var body []jen.Code
	var key *jen.Statement
	switch mapKeyKindOf(mt.Key()) {
	case keyString:
		key = jen.Id(k)
		if !types.Identical(mt.Key(), types.Typ[types.String]) {
			key = e.typ(mt.Key()).Call(key)
		}
	case keyInt:
		key = rd("IntKey", jen.Id(k), jen.Lit(intBits(mt.Key().Underlying().(*types.Basic))))
		if !types.Identical(mt.Key(), types.Typ[types.Int64]) {
			key = e.typ(mt.Key()).Call(key)
		}
	case keyUint:
		key = rd("UintKey", jen.Id(k), jen.Lit(intBits(mt.Key().Underlying().(*types.Basic))))
		if !types.Identical(mt.Key(), types.Typ[types.Uint64]) {
			key = e.typ(mt.Key()).Call(key)
		}
	case keyText:
		kv := name("key", depth)
		body = append(body, jen.Var().Id(kv).Add(e.typ(mt.Key())), rd("TextKey", jen.Id(k), jen.Op("&").Id(kv)))
		key = jen.Id(kv)
	}
	if kindOf(mt.Elem()) == codecBasic {
		body = append(body, x().Index(key).Op("=").Add(e.decodeBasic(mt.Elem())))
	} else {
		body = append(body, jen.Var().Id(v).Add(e.typ(mt.Elem())))
		body = append(body, e.decode(mt.Elem(), sel(v), depth+1)...)
		body = append(body, x().Index(key).Op("=").Id(v))
	}
	return []jen.Code{jen.For(rd("BeginObject"), rd("More"), jen.Empty()).Block(append([]jen.Code{jen.Id(k).Op(":=").Add(rd("Key"))}, body...)...)}
}
