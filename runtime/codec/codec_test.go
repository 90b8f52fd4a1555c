package codec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime/codec"
)

// write runs fn on a fresh writer and returns its result.
func write(fn func(w *codec.Writer)) (string, error) {
	w := codec.NewWriter(nil)
	fn(w)
	out, err := w.Result()
	return string(out), err
}

func TestWriterValues(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 10, time.FixedZone("X", 3600))
	tests := []struct {
		name  string
		write func(w *codec.Writer)
		want  string
	}{
		{"null", func(w *codec.Writer) { w.Null() }, `null`},
		{"string", func(w *codec.Writer) { w.String("héllo") }, `"héllo"`},
		{"string escapes", func(w *codec.Writer) { w.String("a\"b\\c\n\r\t\b\f\x01\x1f/<>&\u2028") }, `"a\"b\\c\n\r\t\b\f\u0001\u001f/<>&` + "\u2028" + `"`},
		{"invalid UTF-8", func(w *codec.Writer) { w.String("a\xffb\xc3") }, `"a\ufffdb\ufffd"`},
		{"true", func(w *codec.Writer) { w.Bool(true) }, `true`},
		{"false", func(w *codec.Writer) { w.Bool(false) }, `false`},
		{"int", func(w *codec.Writer) { w.Int(math.MinInt64) }, `-9223372036854775808`},
		{"uint", func(w *codec.Writer) { w.Uint(math.MaxUint64) }, `18446744073709551615`},
		{"float", func(w *codec.Writer) { w.Float(1.5, 64) }, `1.5`},
		{"float integral", func(w *codec.Writer) { w.Float(100, 64) }, `100`},
		{"float large", func(w *codec.Writer) { w.Float(1e21, 64) }, `1e+21`},
		{"float small", func(w *codec.Writer) { w.Float(1e-7, 64) }, `1e-7`},
		{"float max", func(w *codec.Writer) { w.Float(math.MaxFloat64, 64) }, `1.7976931348623157e+308`},
		{"float negative zero", func(w *codec.Writer) { w.Float(math.Copysign(0, -1), 64) }, `-0`},
		{"float32 shortest", func(w *codec.Writer) { w.Float(float64(float32(0.1)), 32) }, `0.1`},
		{"float64 of a float32", func(w *codec.Writer) { w.Float(float64(float32(0.1)), 64) }, `0.10000000149011612`},
		{"NaN", func(w *codec.Writer) { w.Float(math.NaN(), 64) }, `"NaN"`},
		{"+Inf", func(w *codec.Writer) { w.Float(math.Inf(1), 32) }, `"+Inf"`},
		{"-Inf", func(w *codec.Writer) { w.Float(math.Inf(-1), 64) }, `"-Inf"`},
		{"complex", func(w *codec.Writer) { w.Complex(complex(1.5, -2), 128) }, `[1.5,-2]`},
		{"complex64 NaN", func(w *codec.Writer) { w.Complex(complex(math.NaN(), 0.1), 64) }, `["NaN",0.1]`},
		{"bytes", func(w *codec.Writer) { w.Bytes([]byte{0, 1, 254, 255}) }, `"AAH+/w=="`},
		{"bytes empty", func(w *codec.Writer) { w.Bytes([]byte{}) }, `""`},
		{"bytes nil", func(w *codec.Writer) { w.Bytes(nil) }, `null`},
		{"text appender", func(w *codec.Writer) { w.Text(at) }, `"2024-05-06T07:08:09.00000001+01:00"`},
		{"text", func(w *codec.Writer) { w.Text(plainText("a\"b")) }, `"a\"b"`},
		{"text appender escaped", func(w *codec.Writer) { w.Text(appendText("x\ny")) }, `"x\ny"`},
		{"json", func(w *codec.Writer) { w.JSON(rawJSON(" {\"a\": [1, 2]}\n")) }, `{"a": [1, 2]}`},
		{"empty object", func(w *codec.Writer) { w.BeginObject(); w.EndObject() }, `{}`},
		{"empty array", func(w *codec.Writer) { w.BeginArray(); w.EndArray() }, `[]`},
		{"nested", func(w *codec.Writer) {
			w.BeginObject()
			w.Key("a")
			w.BeginArray()
			w.Int(1)
			w.BeginObject()
			w.EndObject()
			w.BeginArray()
			w.EndArray()
			w.Null()
			w.EndArray()
			w.Key("b\"")
			w.BeginObject()
			w.IntKey(-3)
			w.Bool(true)
			w.UintKey(4)
			w.String("x")
			w.TextKey(netip.MustParseAddr("10.0.0.1"))
			w.Int(5)
			w.EndObject()
			w.EndObject()
		}, `{"a":[1,{},[],null],"b\"":{"-3":true,"4":"x","10.0.0.1":5}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := write(tt.write)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, json.Valid([]byte(got)), "output is not valid JSON")
		})
	}
}

func TestWriterAppends(t *testing.T) {
	dst := append(make([]byte, 0, 64), "prefix:"...)
	w := codec.NewWriter(dst)
	w.BeginArray()
	w.Int(1)
	w.EndArray()
	out, err := w.Result()
	require.NoError(t, err)
	assert.Equal(t, "prefix:[1]", string(out))
	assert.Same(t, &dst[:1][0], &out[:1][0], "the writer appends to dst's array while it has room")

	var zero codec.Writer
	zero.String("ok")
	out, err = zero.Result()
	require.NoError(t, err)
	assert.Equal(t, `"ok"`, string(out), "the zero Writer works")
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *codec.Writer)
		want  string
	}{
		{"nothing", func(w *codec.Writer) {}, "encode: no value was written"},
		{"unended", func(w *codec.Writer) { w.BeginObject(); w.Key("a"); w.BeginArray() }, "encode: 2 arrays or objects are not ended"},
		{"second value", func(w *codec.Writer) { w.Int(1); w.Int(2) }, "encode: a second value at the top level"},
		{"value without key", func(w *codec.Writer) { w.BeginObject(); w.Int(1) }, "encode: a value in an object needs a Key before it"},
		{"key in array", func(w *codec.Writer) { w.BeginArray(); w.Key("a") }, `encode: field [0]: key "a" outside an object`},
		{"key without value", func(w *codec.Writer) { w.BeginObject(); w.Key("a"); w.EndObject() }, `encode: field a: key "a" has no value`},
		{"two keys", func(w *codec.Writer) { w.BeginObject(); w.Key("a"); w.Key("b") }, `encode: field a: key "a" has no value`},
		{"mismatched end", func(w *codec.Writer) { w.BeginArray(); w.EndObject() }, "encode: field [0]: EndObject without a matching Begin"},
		{"end at top", func(w *codec.Writer) { w.EndArray() }, "encode: EndArray without a matching Begin"},
		{"float bits", func(w *codec.Writer) { w.Float(1, 16) }, "encode: Float: bits must be 32 or 64, not 16"},
		{"complex bits", func(w *codec.Writer) { w.Complex(1, 32) }, "encode: Complex: bits must be 64 or 128, not 32"},
		{"text error", func(w *codec.Writer) {
			w.BeginObject()
			w.Key("At")
			w.BeginArray()
			w.Int(1)
			w.Text(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
		}, "encode: field At[1]: Time.AppendText: year outside of range [0,9999]"},
		{"marshal text error", func(w *codec.Writer) { w.Text(badText{}) }, "encode: no text"},
		{"text key error", func(w *codec.Writer) { w.BeginObject(); w.TextKey(badText{}) }, "encode: no text"},
		{"json error", func(w *codec.Writer) { w.JSON(badJSON{}) }, "encode: no JSON"},
		{"invalid json", func(w *codec.Writer) { w.JSON(rawJSON(`{"a":}`)) }, "encode: MarshalJSON returned invalid JSON: offset 5: want a value, got the character '}'"},
		{"two json values", func(w *codec.Writer) { w.JSON(rawJSON(`1 2`)) }, "encode: MarshalJSON returned invalid JSON: offset 2: want the end of the input, got a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			w := codec.NewWriter(dst)
			tt.write(w)
			out, err := w.Result()
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.Equal(t, "keep", string(out), "Result returns dst as given")
			var ce *codec.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "encode", ce.Op)
			assert.Equal(t, -1, ce.Offset)

			// Errors are sticky.
			w.String("after the error")
			out, err2 := w.Result()
			assert.Same(t, err, err2)
			assert.Equal(t, "keep", string(out))
		})
	}
}

func TestWriterWrapsMethodErrors(t *testing.T) {
	w := codec.NewWriter(nil)
	w.Text(badText{})
	_, err := w.Result()
	assert.ErrorIs(t, err, errNoText)
}

func TestReaderValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
		read func(r *codec.Reader) any
		want any
	}{
		{"string", ` "héllo" `, str, "héllo"},
		{"string escapes", `"a\"b\\c\/\n\r\t\b\f\u0001\u00e9"`, str, "a\"b\\c/\n\r\t\b\f\x01é"},
		{"surrogate pair", `"\ud83d\ude00 \uD83D\uDE00"`, str, "😀 😀"},
		{"lone high surrogate", `"\ud83dx"`, str, "\ufffdx"},
		{"lone low surrogate", `"\ude00"`, str, "\ufffd"},
		{"high then high", `"\ud83d\ud83d\ude00"`, str, "\ufffd😀"},
		{"high then other escape", `"\ud83d\u0041"`, str, "\ufffdA"},
		{"true", `true`, func(r *codec.Reader) any { return r.Bool() }, true},
		{"false", `false`, func(r *codec.Reader) any { return r.Bool() }, false},
		{"int", `-9223372036854775808`, func(r *codec.Reader) any { return r.Int(64) }, int64(math.MinInt64)},
		{"int8", `-128`, func(r *codec.Reader) any { return r.Int(8) }, int64(-128)},
		{"int negative zero", `-0`, func(r *codec.Reader) any { return r.Int(0) }, int64(0)},
		{"uint", `18446744073709551615`, func(r *codec.Reader) any { return r.Uint(64) }, uint64(math.MaxUint64)},
		{"uint16", `65535`, func(r *codec.Reader) any { return r.Uint(16) }, uint64(65535)},
		{"uint negative zero", `-0`, func(r *codec.Reader) any { return r.Uint(8) }, uint64(0)},
		{"float", `1.5e3`, flt64, 1500.0},
		{"float integer", `7`, flt64, 7.0},
		{"float negative", `-0.25E-2`, flt64, -0.0025},
		{"float32", `0.1`, func(r *codec.Reader) any { return float32(r.Float(32)) }, float32(0.1)},
		{"+Inf", `"+Inf"`, flt64, math.Inf(1)},
		{"-Inf", `"-Inf"`, flt64, math.Inf(-1)},
		{"escaped Inf", `"\u002bInf"`, flt64, math.Inf(1)},
		{"complex", `[1.5, "-Inf"]`, func(r *codec.Reader) any { return r.Complex(128) }, complex(1.5, math.Inf(-1))},
		{"complex64", `[0.1,2]`, func(r *codec.Reader) any { return complex64(r.Complex(64)) }, complex64(complex(0.1, 2))},
		{"bytes", `"AAH+/w=="`, byts, []byte{0, 1, 254, 255}},
		{"bytes empty", `""`, byts, []byte{}},
		{"bytes null", `null`, byts, []byte(nil)},
		{"null", ` null `, func(r *codec.Reader) any { return r.Null() }, true},
		{"text", `"2024-05-06T07:08:09Z"`, func(r *codec.Reader) any {
			var at time.Time
			r.Text(&at)
			return at
		}, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{"json", ` {"a": [1, {"b": null}]} `, func(r *codec.Reader) any {
			var raw rawJSON
			r.JSON(&raw)
			return string(raw)
		}, `{"a": [1, {"b": null}]}`},
		{"skip", `{"a":[1,"x",{"b":[true,false,null,-1.5e+3]}],"c":{}}`, func(r *codec.Reader) any { r.Skip(); return nil }, nil},
		{"object", `{"a":1,"b":2, "a":3}`, func(r *codec.Reader) any {
			var keys []string
			var sum int64
			for k := range r.Object() {
				keys = append(keys, k)
				sum += r.Int(64)
			}
			return fmt.Sprint(keys, sum)
		}, "[a b a] 6"},
		{"empty object", ` { } `, func(r *codec.Reader) any { return slices.Collect(r.Object()) }, []string(nil)},
		{"array", `[ "a" , "b" ]`, func(r *codec.Reader) any {
			var got []string
			for i := range r.Array() {
				got = append(got, fmt.Sprint(i, r.String()))
			}
			return got
		}, []string{"0a", "1b"}},
		{"empty array", `[]`, func(r *codec.Reader) any { return slices.Collect(r.Array()) }, []int(nil)},
		{"fixed array", `[1,2,3]`, func(r *codec.Reader) any {
			var a [3]int
			for i := range r.FixedArray(len(a)) {
				a[i] = int(r.Int(0))
			}
			return a
		}, [3]int{1, 2, 3}},
		{"unread values are skipped", `{"a":{"x":[1]},"b":2}`, func(r *codec.Reader) any {
			var b int64
			for k := range r.Object() {
				if k == "b" {
					b = r.Int(64)
				}
			}
			return b
		}, int64(2)},
		{"break skips the rest of an object", `{"a":1,"b":[2],"c":3}`, func(r *codec.Reader) any {
			for k := range r.Object() {
				if k == "b" {
					break
				}
				r.Skip()
			}
			return nil
		}, nil},
		{"break skips the rest of an array", `[[1,2],[3]]`, func(r *codec.Reader) any {
			var got []int64
			for range r.Array() {
				for range r.Array() {
					got = append(got, r.Int(64))
					break
				}
			}
			return got
		}, []int64{1, 3}},
		{"int keys", `{"-5":1,"300":2}`, func(r *codec.Reader) any {
			m := map[int16]uint8{}
			for k := range r.Object() {
				m[int16(r.IntKey(k, 16))] = uint8(r.Uint(8))
			}
			return m
		}, map[int16]uint8{-5: 1, 300: 2}},
		{"uint keys", `{"7":"x"}`, func(r *codec.Reader) any {
			m := map[uint]string{}
			for k := range r.Object() {
				m[uint(r.UintKey(k, 0))] = r.String()
			}
			return m
		}, map[uint]string{7: "x"}},
		{"text keys", `{"10.0.0.1":true}`, func(r *codec.Reader) any {
			m := map[netip.Addr]bool{}
			for k := range r.Object() {
				var a netip.Addr
				r.TextKey(k, &a)
				m[a] = r.Bool()
			}
			return m
		}, map[netip.Addr]bool{netip.MustParseAddr("10.0.0.1"): true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := codec.NewReader([]byte(tt.in))
			got := tt.read(r)
			require.NoError(t, r.End())
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReaderNaN(t *testing.T) {
	r := codec.NewReader([]byte(`["NaN", "NaN"]`))
	var got []float64
	for range r.Array() {
		got = append(got, r.Float(64))
	}
	require.NoError(t, r.End())
	require.Len(t, got, 2)
	assert.True(t, math.IsNaN(got[0]) && math.IsNaN(got[1]))
}

func TestReaderNull(t *testing.T) {
	r := codec.NewReader([]byte(`[null, 1]`))
	var got []bool
	for range r.Array() {
		got = append(got, r.Null())
	}
	assert.NoError(t, r.End(), "the 1 was skipped, not read")
	assert.Equal(t, []bool{true, false}, got)
}

func TestReaderErrors(t *testing.T) {
	field := func(read func(r *codec.Reader)) func(r *codec.Reader) {
		return func(r *codec.Reader) {
			for k := range r.Object() {
				if k == "F" {
					read(r)
				}
			}
		}
	}
	tests := []struct {
		name string
		in   string
		read func(r *codec.Reader)
		want string
	}{
		{"empty input", ``, func(r *codec.Reader) { _ = r.String() }, "decode: offset 0: want a string, got the end of the input"},
		{"wrong type", `{"Status": 42}`, func(r *codec.Reader) {
			for range r.Object() {
				_ = r.String()
			}
		}, "decode: offset 11: field Status: want a string, got a number"},
		{"nested path", `{"A":{"B":[1,{"c d":true}]}}`, func(r *codec.Reader) {
			for range r.Object() {
				for range r.Object() {
					for i := range r.Array() {
						if i == 0 {
							r.Skip()
							continue
						}
						for range r.Object() {
							_ = r.String()
						}
					}
				}
			}
		}, `decode: offset 20: field A.B[1]["c d"]: want a string, got true`},
		{"null for a string", `null`, func(r *codec.Reader) { _ = r.String() }, "decode: offset 0: want a string, got null"},
		{"object for an array", `{}`, func(r *codec.Reader) { r.Array()(func(int) bool { return true }) }, "decode: offset 0: want an array, got an object"},
		{"array for an object", ` [1]`, func(r *codec.Reader) { _ = slices.Collect(r.Object()) }, "decode: offset 1: want an object, got an array"},
		{"bool", `"true"`, func(r *codec.Reader) { r.Bool() }, "decode: offset 0: want true or false, got a string"},
		{"bad literal", `tru`, func(r *codec.Reader) { r.Bool() }, "decode: offset 0: want true or false, got the character 't'"},
		{"null literal", `nul`, func(r *codec.Reader) { r.Skip() }, "decode: offset 0: want a value, got the character 'n'"},
		{"non-ASCII", `é`, func(r *codec.Reader) { r.Skip() }, "decode: offset 0: want a value, got the character 'é'"},
		{"invalid byte", "\xff", func(r *codec.Reader) { r.Skip() }, "decode: offset 0: want a value, got the byte 0xff"},
		{"fraction for an int", `1.5`, func(r *codec.Reader) { r.Int(64) }, "decode: offset 0: want an integer, got 1.5"},
		{"exponent for an int", `1e3`, func(r *codec.Reader) { r.Int(64) }, "decode: offset 0: want an integer, got 1e3"},
		{"string for an int", `"1"`, func(r *codec.Reader) { r.Int(64) }, "decode: offset 0: want an integer, got a string"},
		{"int8 range", `{"F":128}`, field(func(r *codec.Reader) { r.Int(8) }), "decode: offset 5: field F: 128 is out of range for int8"},
		{"int64 range", `9223372036854775808`, func(r *codec.Reader) { r.Int(64) }, "decode: offset 0: 9223372036854775808 is out of range for int64"},
		{"uint negative", `-1`, func(r *codec.Reader) { r.Uint(0) }, "decode: offset 0: -1 is out of range for uint"},
		{"uint8 range", `256`, func(r *codec.Reader) { r.Uint(8) }, "decode: offset 0: 256 is out of range for uint8"},
		{"int bits", `1`, func(r *codec.Reader) { r.Int(12) }, "decode: offset 0: Int: bits must be 0, 8, 16, 32 or 64, not 12"},
		{"float32 range", `1e39`, func(r *codec.Reader) { r.Float(32) }, "decode: offset 0: 1e39 is out of range for float32"},
		{"float64 range", `-1e309`, func(r *codec.Reader) { r.Float(64) }, "decode: offset 0: -1e309 is out of range for float64"},
		{"float string", `"nan"`, func(r *codec.Reader) { r.Float(64) }, `decode: offset 0: want a number, "NaN", "+Inf" or "-Inf", got the string "nan"`},
		{"float bool", `true`, func(r *codec.Reader) { r.Float(64) }, `decode: offset 0: want a number, got true`},
		{"complex short", `[1]`, func(r *codec.Reader) { r.Complex(128) }, "decode: offset 0: want an array of 2 elements, got 1"},
		{"complex part", `[1,"x"]`, func(r *codec.Reader) { r.Complex(128) }, `decode: offset 3: field [1]: want a number, "NaN", "+Inf" or "-Inf", got the string "x"`},
		{"fixed array long", `{"F":[1,2,3,4]}`, field(func(r *codec.Reader) {
			for range r.FixedArray(3) {
				r.Int(64)
			}
		}), "decode: offset 5: field F: want an array of 3 elements, got 4"},
		{"fixed array short", `[]`, func(r *codec.Reader) { _ = slices.Collect(r.FixedArray(2)) }, "decode: offset 0: want an array of 2 elements, got 0"},
		{"base64", `"!!"`, func(r *codec.Reader) { r.Bytes() }, "decode: offset 0: invalid base64: illegal base64 data at input byte 0"},
		{"bytes number", `1`, func(r *codec.Reader) { r.Bytes() }, "decode: offset 0: want a base64 string, got a number"},
		{"text error", `{"F":"yesterday"}`, field(func(r *codec.Reader) {
			var at time.Time
			r.Text(&at)
		}), `decode: offset 5: field F: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{"json error", `[{"x":1}]`, func(r *codec.Reader) {
			for range r.Array() {
				r.JSON(&badJSON{})
			}
		}, "decode: offset 1: field [0]: no JSON"},
		{"json invalid", `{"x":}`, func(r *codec.Reader) { r.JSON(&badJSON{}) }, "decode: offset 5: field x: want a value, got the character '}'"},
		{"int key", `{"x":1}`, func(r *codec.Reader) {
			for k := range r.Object() {
				r.IntKey(k, 64)
			}
		}, `decode: offset 1: field x: map key "x" is not an integer`},
		{"int key range", `{"300":1}`, func(r *codec.Reader) {
			for k := range r.Object() {
				r.IntKey(k, 8)
			}
		}, `decode: offset 1: field ["300"]: map key "300" is out of range for int8`},
		{"uint key", `{"-1":1}`, func(r *codec.Reader) {
			for k := range r.Object() {
				r.UintKey(k, 0)
			}
		}, `decode: offset 1: field ["-1"]: map key "-1" is not an integer`},
		{"text key", `{"x":1}`, func(r *codec.Reader) {
			for k := range r.Object() {
				var a netip.Addr
				r.TextKey(k, &a)
			}
		}, `decode: offset 1: field x: map key "x": ParseAddr("x"): unable to parse IP`},
		{"fail", `{"F":[1,2]}`, field(func(r *codec.Reader) {
			r.Skip()
			r.Fail(errors.New("too short"))
		}), "decode: offset 5: field F: too short"},
		{"trailing data", `{} {}`, func(r *codec.Reader) { r.Skip() }, "decode: offset 3: want the end of the input, got an object"},
		{"trailing comma in object", `{"a":1,}`, func(r *codec.Reader) { r.Skip() }, "decode: offset 7: want a string key, got the character '}'"},
		{"trailing comma in array", `[1,]`, func(r *codec.Reader) { r.Skip() }, "decode: offset 3: field [1]: want a value, got the character ']'"},
		{"missing comma", `[1 2]`, func(r *codec.Reader) { r.Skip() }, "decode: offset 3: want ',' or ']' after an array element, got a number"},
		{"missing colon", `{"a" 1}`, func(r *codec.Reader) { r.Skip() }, "decode: offset 5: want ':' after the key, got a number"},
		{"unquoted key", `{a:1}`, func(r *codec.Reader) { r.Skip() }, "decode: offset 1: want a string key, got the character 'a'"},
		{"missing brace", `{"a":1`, func(r *codec.Reader) { r.Skip() }, "decode: offset 6: want ',' or '}' after an object member, got the end of the input"},
		{"unterminated string", `"abc`, func(r *codec.Reader) { _ = r.String() }, "decode: offset 0: the input ends inside a string"},
		{"unterminated escape", `"abc\`, func(r *codec.Reader) { _ = r.String() }, "decode: offset 0: the input ends inside a string"},
		{"control character", "\"a\nb\"", func(r *codec.Reader) { _ = r.String() }, `decode: offset 2: control character '\n' in a string: write it as an escape`},
		{"control character after escape", "\"\\na\tb\"", func(r *codec.Reader) { _ = r.String() }, `decode: offset 4: control character '\t' in a string: write it as an escape`},
		{"invalid UTF-8", "\"a\xffb\"", func(r *codec.Reader) { _ = r.String() }, "decode: offset 2: invalid UTF-8 in a string"},
		{"invalid UTF-8 after escape", "\"\\n\xc3\"", func(r *codec.Reader) { _ = r.String() }, "decode: offset 3: invalid UTF-8 in a string"},
		{"bad escape", `"a\x"`, func(r *codec.Reader) { _ = r.String() }, `decode: offset 2: invalid escape "\\x" in a string`},
		{"bad unicode escape", `"\u12G4"`, func(r *codec.Reader) { _ = r.String() }, `decode: offset 1: invalid escape "\\u12G4" in a string: want \u and four hex digits`},
		{"short unicode escape", `"\u12"`, func(r *codec.Reader) { _ = r.String() }, `decode: offset 1: invalid escape "\\u12\"" in a string: want \u and four hex digits`},
		{"leading zero", `[01]`, func(r *codec.Reader) { r.Skip() }, "decode: offset 2: want ',' or ']' after an array element, got a number"},
		{"bare minus", `-`, func(r *codec.Reader) { r.Skip() }, `decode: offset 0: invalid number "-": want a digit`},
		{"minus letter", `-x`, func(r *codec.Reader) { r.Float(64) }, `decode: offset 0: invalid number "-x": want a digit`},
		{"bare point", `1.`, func(r *codec.Reader) { r.Skip() }, `decode: offset 0: invalid number "1.": want a digit after the decimal point`},
		{"bare exponent", `1e+`, func(r *codec.Reader) { r.Skip() }, `decode: offset 0: invalid number "1e+": want a digit in the exponent`},
		{"plus sign", `+1`, func(r *codec.Reader) { r.Skip() }, `decode: offset 0: want a value, got the character '+'`},
		{"deep nesting", strings.Repeat("[", 10001), func(r *codec.Reader) { r.Skip() }, "decode: offset 10000: field " + strings.Repeat("[0]", 10000) + ": arrays and objects nested deeper than 10000 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := codec.NewReader([]byte(tt.in))
			tt.read(r)
			err := r.End()
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var ce *codec.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "decode", ce.Op)

			// Errors are sticky: nothing reads after one.
			assert.Empty(t, r.String())
			assert.Zero(t, r.Int(64))
			assert.Nil(t, r.Bytes())
			assert.False(t, r.Null())
			assert.Empty(t, slices.Collect(r.Object()))
			assert.Empty(t, slices.Collect(r.Array()))
			r.Fail(errors.New("later"))
			assert.Same(t, err, r.End(), "End returns the first error")
		})
	}
}

func TestReaderWrapsMethodErrors(t *testing.T) {
	r := codec.NewReader([]byte(`{}`))
	r.JSON(&badJSON{})
	assert.ErrorIs(t, r.End(), errNoJSON)
}

func TestReaderStopsYieldingAfterAnError(t *testing.T) {
	r := codec.NewReader([]byte(`{"a":"x","b":1,"c":2}`))
	var keys []string
	for k := range r.Object() {
		keys = append(keys, k)
		r.Int(64) // fails on "x"
	}
	assert.Equal(t, []string{"a"}, keys)
	assert.EqualError(t, r.End(), "decode: offset 5: field a: want an integer, got a string")
}

// Both ends together: what hand-written code like the generator's writes
// reads back the same.
func TestRoundTrip(t *testing.T) {
	type rec struct {
		S    string
		I    int8
		U    uint32
		F    float32
		G    float64
		C    complex64
		B    []byte
		Nil  []byte
		At   time.Time
		Addr netip.Addr
		Tags []string
		M    map[string][]int
		P    *int
	}
	seven := 7
	in := rec{
		S: "a\x00\"\u2028😀", I: -128, U: math.MaxUint32, F: float32(math.Inf(-1)), G: math.SmallestNonzeroFloat64,
		C: complex(float32(math.NaN()), 1e-45), B: []byte{}, At: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		Addr: netip.MustParseAddr("::1"), Tags: []string{}, M: map[string][]int{"x": {1}, "": nil}, P: &seven,
	}
	w := codec.NewWriter(nil)
	w.BeginObject()
	w.Key("S")
	w.String(in.S)
	w.Key("I")
	w.Int(int64(in.I))
	w.Key("U")
	w.Uint(uint64(in.U))
	w.Key("F")
	w.Float(float64(in.F), 32)
	w.Key("G")
	w.Float(in.G, 64)
	w.Key("C")
	w.Complex(complex128(in.C), 64)
	w.Key("B")
	w.Bytes(in.B)
	w.Key("Nil")
	w.Bytes(in.Nil)
	w.Key("At")
	w.Text(in.At)
	w.Key("Addr")
	w.Text(in.Addr)
	w.Key("Tags")
	w.BeginArray()
	for _, s := range in.Tags {
		w.String(s)
	}
	w.EndArray()
	w.Key("M")
	w.BeginObject()
	for _, k := range slices.Sorted(maps.Keys(in.M)) {
		w.Key(k)
		if in.M[k] == nil {
			w.Null()
			continue
		}
		w.BeginArray()
		for _, v := range in.M[k] {
			w.Int(int64(v))
		}
		w.EndArray()
	}
	w.EndObject()
	w.Key("P")
	w.Int(int64(*in.P))
	w.EndObject()
	data, err := w.Result()
	require.NoError(t, err)
	require.True(t, json.Valid(data), "%s", data)

	var out rec
	r := codec.NewReader(data)
	for k := range r.Object() {
		switch k {
		case "S":
			out.S = r.String()
		case "I":
			out.I = int8(r.Int(8))
		case "U":
			out.U = uint32(r.Uint(32))
		case "F":
			out.F = float32(r.Float(32))
		case "G":
			out.G = r.Float(64)
		case "C":
			out.C = complex64(r.Complex(64))
		case "B":
			out.B = r.Bytes()
		case "Nil":
			out.Nil = r.Bytes()
		case "At":
			r.Text(&out.At)
		case "Addr":
			r.Text(&out.Addr)
		case "Tags":
			out.Tags = []string{}
			for range r.Array() {
				out.Tags = append(out.Tags, r.String())
			}
		case "M":
			out.M = map[string][]int{}
			for k := range r.Object() {
				if r.Null() {
					out.M[k] = nil
					continue
				}
				var v []int
				for range r.Array() {
					v = append(v, int(r.Int(0)))
				}
				out.M[k] = v
			}
		case "P":
			v := int(r.Int(0))
			out.P = &v
		default:
			r.Skip()
		}
	}
	require.NoError(t, r.End())
	assert.True(t, math.IsNaN(float64(real(out.C))))
	out.C, in.C = 0, 0 // NaN != NaN
	assert.Equal(t, in, out)
}

func str(r *codec.Reader) any   { return r.String() }
func flt64(r *codec.Reader) any { return r.Float(64) }
func byts(r *codec.Reader) any  { return r.Bytes() }

// plainText has MarshalText only.
type plainText string

func (p plainText) MarshalText() ([]byte, error) { return []byte(p), nil }

// appendText has AppendText too.
type appendText string

func (p appendText) MarshalText() ([]byte, error)        { return []byte(p), nil }
func (p appendText) AppendText(b []byte) ([]byte, error) { return append(b, p...), nil }

var (
	errNoText = errors.New("no text")
	errNoJSON = errors.New("no JSON")
)

// badText fails to marshal.
type badText struct{}

func (badText) MarshalText() ([]byte, error) { return nil, errNoText }

// rawJSON is a json.RawMessage of its own.
type rawJSON string

func (j rawJSON) MarshalJSON() ([]byte, error) { return []byte(j), nil }
func (j *rawJSON) UnmarshalJSON(b []byte) error {
	*j = rawJSON(b)
	return nil
}

// badJSON fails both ways.
type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return nil, errNoJSON }
func (*badJSON) UnmarshalJSON([]byte) error  { return errNoJSON }

// Generated EncodeM functions write a model's tracked fields like this.
func ExampleWriter() {
	tags := []string{"new", "esim"}
	w := codec.NewWriter(nil)
	w.BeginObject()
	w.Key("Status")
	w.String("ACTIVE")
	w.Key("Quality")
	w.Int(7)
	w.Key("Score")
	w.Float(math.NaN(), 64)
	w.Key("Tags")
	w.BeginArray()
	for _, t := range tags {
		w.String(t)
	}
	w.EndArray()
	w.EndObject()
	data, err := w.Result()
	fmt.Println(string(data), err)
	// Output: {"Status":"ACTIVE","Quality":7,"Score":"NaN","Tags":["new","esim"]} <nil>
}

// Generated DecodeM functions read it back like this; errors name the
// offset and the field.
func ExampleReader() {
	var (
		status  string
		quality int
		tags    []string
	)
	r := codec.NewReader([]byte(`{"Status":"ACTIVE","Quality":7,"Unknown":{},"Tags":["new","esim"]}`))
	for k := range r.Object() {
		switch k {
		case "Status":
			status = r.String()
		case "Quality":
			quality = int(r.Int(0))
		case "Tags":
			tags = []string{}
			for range r.Array() {
				tags = append(tags, r.String())
			}
		default:
			r.Skip()
		}
	}
	fmt.Println(status, quality, tags, r.End())

	r = codec.NewReader([]byte(`{"Quality":"high"}`))
	for range r.Object() {
		quality = int(r.Int(0))
	}
	fmt.Println(r.End())
	// Output:
	// ACTIVE 7 [new esim] <nil>
	// decode: offset 11: field Quality: want an integer, got a string
}

func BenchmarkWriter(b *testing.B) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		w := codec.NewWriter(buf[:0])
		w.BeginObject()
		w.Key("ID")
		w.String("sim-0001")
		w.Key("Status")
		w.String("ACTIVE")
		w.Key("Quality")
		w.Int(7)
		w.Key("Revenue")
		w.Float(1234.5, 64)
		w.Key("ActivatedAt")
		w.Text(at)
		w.Key("Tags")
		w.BeginArray()
		w.String("new")
		w.String("esim")
		w.EndArray()
		w.EndObject()
		if _, err := w.Result(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	data := []byte(`{"ID":"sim-0001","Status":"ACTIVE","Quality":7,"Revenue":1234.5,"ActivatedAt":"2024-01-02T03:04:05Z","Tags":["new","esim"]}`)
	var (
		id, status string
		quality    int64
		revenue    float64
		at         time.Time
		tags       []string
	)
	b.ReportAllocs()
	for b.Loop() {
		r := codec.NewReader(data)
		for k := range r.Object() {
			switch k {
			case "ID":
				id = r.String()
			case "Status":
				status = r.String()
			case "Quality":
				quality = r.Int(0)
			case "Revenue":
				revenue = r.Float(64)
			case "ActivatedAt":
				r.Text(&at)
			case "Tags":
				tags = tags[:0]
				for range r.Array() {
					tags = append(tags, r.String())
				}
			default:
				r.Skip()
			}
		}
		if err := r.End(); err != nil {
			b.Fatal(err)
		}
	}
	_, _, _, _ = id, status, quality, revenue
}
