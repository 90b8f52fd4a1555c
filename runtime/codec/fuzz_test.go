package codec

import (
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seeds run in every go test; go test -fuzz=FuzzReader ./runtime/codec
// explores further.
var readerSeeds = []string{
	``, ` `, `null`, `true`, `false`, `0`, `-0`, `1.5e-3`, `-12E+2`, `01`, `1.`, `-`, `+1`, `.5`,
	`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800x"`, `"\x"`, `"\u12"`, "\"a\x01\"", "\"\xff\"",
	`[]`, `[1,2,3]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":[{"b":null}]}`,
	`{"1":2,"-3":4}`, `["NaN","+Inf",1e39]`, `[1,2]`, `"AAH+/w=="`, `"2024-01-02T03:04:05Z"`,
	`{"a":1} x`, `[[[[[[]]]]]]`, strings.Repeat(`[`, 10001), strings.Repeat(`{"a":`, 50) + `1` + strings.Repeat(`}`, 50),
	"[1e400]", `"\/\b\f\n\r\t\"\\"`, "\ufeff1", "1\x00",
}

// FuzzReader checks that no input makes the reader panic, that it
// accepts exactly the valid JSON that is valid UTF-8, and that it reads
// such JSON as encoding/json does.
func FuzzReader(f *testing.F) {
	for _, s := range readerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(data)
		r.Skip()
		skipErr := r.End()
		if skipErr == nil {
			assert.True(t, json.Valid(data), "accepted invalid JSON %q", data)
		} else if utf8.Valid(data) && json.Valid(data) {
			t.Errorf("rejected valid JSON %q: %v", data, skipErr)
		}

		r = NewReader(data)
		got := walk(r)
		err := r.End()
		var want any
		jerr := json.Unmarshal(data, &want)
		switch {
		case skipErr != nil:
			assert.Error(t, err, "a full read accepts what Skip rejects: %q", data)
		case err == nil:
			if assert.NoError(t, jerr, "encoding/json rejects %q", data) {
				assert.Equal(t, want, got, "read %q", data)
			}
		default:
			// Valid JSON fails to read only for a number out of range,
			// which encoding/json rejects too.
			assert.ErrorContains(t, err, "out of range for float64")
			assert.ErrorContains(t, jerr, "cannot unmarshal number")
		}

		// Every typed read, on any input, fails or succeeds without a panic.
		for _, read := range typedReads {
			r := NewReader(data)
			read(r)
			_ = r.End()
		}
	})
}

// walk reads any value the way encoding/json decodes into an any.
func walk(r *Reader) any {
	switch c := r.peek(); {
	case c == '{':
		m := map[string]any{}
		for k := range r.Object() {
			m[k] = walk(r)
		}
		return m
	case c == '[':
		a := []any{}
		for range r.Array() {
			a = append(a, walk(r))
		}
		return a
	case c == '"':
		return r.String()
	case c == 't' || c == 'f':
		return r.Bool()
	case r.Null():
		return nil
	default:
		return r.Float(64)
	}
}

var typedReads = []func(r *Reader){
	func(r *Reader) { _ = r.String() },
	func(r *Reader) { r.Bool() },
	func(r *Reader) { r.Int(0) },
	func(r *Reader) { r.Int(8) },
	func(r *Reader) { r.Uint(64) },
	func(r *Reader) { r.Uint(16) },
	func(r *Reader) { r.Float(32) },
	func(r *Reader) { r.Float(64) },
	func(r *Reader) { r.Complex(64) },
	func(r *Reader) { r.Bytes() },
	func(r *Reader) {
		var at time.Time
		r.Text(&at)
	},
	func(r *Reader) {
		var raw json.RawMessage
		r.JSON(&raw)
	},
	func(r *Reader) {
		for range r.FixedArray(2) {
			r.Int(64)
		}
	},
	func(r *Reader) {
		for k := range r.Object() {
			r.IntKey(k, 16)
			r.UintKey(k, 0)
			var a netip.Addr
			r.TextKey(k, &a)
			for range r.Array() {
				if !r.Null() {
					r.Float(64)
				}
			}
		}
	},
	func(r *Reader) {
		for range r.Array() {
			r.Fail(nil)
			break
		}
	},
}

// FuzzRoundTrip checks that what Writer writes is valid JSON that
// Reader reads back as the values written.
func FuzzRoundTrip(f *testing.F) {
	f.Add("", int64(0), uint64(0), 0.0, float32(0), []byte(nil), true)
	f.Add("héllo \"\\\n\x00\u2028", int64(math.MinInt64), uint64(math.MaxUint64), math.MaxFloat64, float32(math.SmallestNonzeroFloat32), []byte{}, false)
	f.Add("\xff\xc3(", int64(-1), uint64(1), math.NaN(), float32(math.Inf(-1)), []byte{0, 255}, true)
	f.Add("\ud7ff\U0010ffff", int64(1)<<53+1, uint64(1)<<63, math.Copysign(0, -1), float32(1e-7), []byte("x"), false)
	f.Add("1e21", int64(42), uint64(42), 1e21, float32(1e21), []byte("abc"), true)
	f.Fuzz(func(t *testing.T, s string, i int64, u uint64, fl float64, f32 float32, b []byte, flag bool) {
		w := NewWriter(nil)
		w.BeginArray()
		w.BeginObject()
		w.Key(s)
		w.Null()
		w.IntKey(i)
		w.Null()
		w.UintKey(u)
		w.Null()
		w.EndObject()
		w.String(s)
		w.Int(i)
		w.Uint(u)
		w.Float(fl, 64)
		w.Float(float64(f32), 32)
		w.Complex(complex(fl, float64(f32)), 128)
		w.Bytes(b)
		w.Bool(flag)
		w.Null()
		w.EndArray()
		data, err := w.Result()
		require.NoError(t, err)
		require.True(t, json.Valid(data), "invalid JSON %q", data)

		var (
			keys     []string
			ki       int64
			ku       uint64
			gs       string
			gi       int64
			gu       uint64
			gf, gf32 float64
			gc       complex128
			gb       []byte
			gflag    bool
			nul      bool
		)
		r := NewReader(data)
		for j := range r.FixedArray(10) {
			switch j {
			case 0:
				for k := range r.Object() {
					switch keys = append(keys, k); len(keys) {
					case 2:
						ki = r.IntKey(k, 64)
					case 3:
						ku = r.UintKey(k, 64)
					}
					require.True(t, r.Null())
				}
			case 1:
				gs = r.String()
			case 2:
				gi = r.Int(64)
			case 3:
				gu = r.Uint(64)
			case 4:
				gf = r.Float(64)
			case 5:
				gf32 = r.Float(32)
			case 6:
				gc = r.Complex(128)
			case 7:
				gb = r.Bytes()
			case 8:
				gflag = r.Bool()
			case 9:
				nul = r.Null()
			}
		}
		require.NoError(t, r.End())

		valid := string([]rune(s)) // invalid bytes become U+FFFD
		assert.Equal(t, []string{valid, strconv.FormatInt(i, 10), strconv.FormatUint(u, 10)}, keys)
		assert.Equal(t, i, ki)
		assert.Equal(t, u, ku)
		assert.Equal(t, valid, gs)
		assert.Equal(t, i, gi)
		assert.Equal(t, u, gu)
		assert.True(t, sameFloat(fl, gf), "float64 %v read as %v", fl, gf)
		assert.True(t, sameFloat(float64(f32), gf32), "float32 %v read as %v", f32, gf32)
		assert.True(t, sameFloat(fl, real(gc)) && sameFloat(float64(f32), imag(gc)), "complex read as %v", gc)
		assert.Equal(t, b == nil, gb == nil, "nil and empty bytes differ")
		assert.True(t, slices.Equal(b, gb))
		assert.Equal(t, flag, gflag)
		assert.True(t, nul)
	})
}

// sameFloat reports whether a and b are the same float: both NaN, or the
// same bits (so -0 differs from 0).
func sameFloat(a, b float64) bool {
	return math.IsNaN(a) && math.IsNaN(b) || math.Float64bits(a) == math.Float64bits(b)
}
