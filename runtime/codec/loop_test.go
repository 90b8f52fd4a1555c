package codec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// treeIter reads any value with the iterators Object and Array, as a
// string that shows its structure.
func treeIter(r *Reader) string {
	switch r.peek() {
	case '{':
		var parts []string
		for k := range r.Object() {
			parts = append(parts, k+":"+treeIter(r))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case '[':
		var parts []string
		for range r.Array() {
			parts = append(parts, treeIter(r))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case '"':
		return fmt.Sprintf("%q", r.String())
	}
	if r.Null() {
		return "null"
	}
	r.Skip()
	return "_"
}

// treeLoop is treeIter with BeginObject, BeginArray and More.
func treeLoop(r *Reader) string {
	switch r.peek() {
	case '{':
		var parts []string
		for r.BeginObject(); r.More(); {
			parts = append(parts, r.Key()+":"+treeLoop(r))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case '[':
		var parts []string
		for r.BeginArray(); r.More(); {
			parts = append(parts, treeLoop(r))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case '"':
		return fmt.Sprintf("%q", r.String())
	}
	if r.Null() {
		return "null"
	}
	r.Skip()
	return "_"
}

// TestLoopMatchesIterators reads documents both ways: the same values, the
// same errors (offset and path), the same end state.
func TestLoopMatchesIterators(t *testing.T) {
	docs := append([]string{
		`{"a":{"b":[1,{"c":"d"},[]],"e":null},"f":[[],[[]]],"g":{}}`,
		`{"a":1,"a":2}`, `[{"a":[1,2,}]`, `{"a":{"b":}}`, `{"a" "b"}`, `[1,[2,[3,`, `{"x":[true,false,"s"]} `,
	}, readerSeeds...)
	for _, doc := range docs {
		a, b := NewReader([]byte(doc)), NewReader([]byte(doc))
		ta, tb := treeIter(a), treeLoop(b)
		assert.Equal(t, ta, tb, "%s", doc)
		ea, eb := a.End(), b.End()
		assert.Equal(t, fmt.Sprint(ea), fmt.Sprint(eb), "%s", doc)
		assert.Equal(t, a.depth, b.depth, "%s: depth", doc)
		assert.Empty(t, b.frames, "%s: frames left", doc)
		assert.Empty(t, b.path, "%s: path left", doc)
	}
}

func TestLoopSkipsUnreadMembers(t *testing.T) {
	r := NewReader([]byte(`{"a":{"x":[1,2]},"b":"kept","c":[{"y":1}]}`))
	var got []string
	for r.BeginObject(); r.More(); {
		if r.Key() == "b" {
			got = append(got, r.String())
		}
	}
	assert.NoError(t, r.End())
	assert.Equal(t, []string{"kept"}, got)
}

func TestMoreWithoutBegin(t *testing.T) {
	r := NewReader([]byte(`[1]`))
	assert.False(t, r.More())
	assert.ErrorContains(t, r.End(), "More without BeginObject or BeginArray")
}

func TestStringHelpersRoundTrip(t *testing.T) {
	s := "x"
	for _, tt := range []struct {
		name string
		ptr  *string
		strs []string
		m    map[string]string
		want string
	}{
		{name: "nil", want: `{"p":null,"s":null,"m":null}`},
		{name: "empty", ptr: new(string), strs: []string{}, m: map[string]string{}, want: `{"p":"","s":[],"m":{}}`},
		{name: "values", ptr: &s, strs: []string{"a", "b"}, m: map[string]string{"z": "1", "a": "2"}, want: `{"p":"x","s":["a","b"],"m":{"a":"2","z":"1"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter(nil)
			w.BeginObject()
			w.Key("p").StringPtr(tt.ptr)
			w.Key("s").Strings(tt.strs)
			w.Key("m").StringMap(tt.m)
			w.EndObject()
			out, err := w.Result()
			assert.NoError(t, err)
			assert.Equal(t, tt.want, string(out))

			r := NewReader(out)
			var p *string
			var strs []string
			var m map[string]string
			for r.BeginObject(); r.More(); {
				switch r.Key() {
				case "p":
					p = r.StringPtr()
				case "s":
					strs = r.Strings()
				case "m":
					m = r.StringMap()
				}
			}
			assert.NoError(t, r.End())
			assert.Equal(t, tt.ptr, p)
			assert.Equal(t, tt.strs, strs)
			assert.Equal(t, tt.m, m)
		})
	}
	r := NewReader([]byte(`{"s":["a",1]}`))
	for r.BeginObject(); r.More(); {
		r.Strings()
	}
	assert.ErrorContains(t, r.End(), "s[1]")
}
