package manage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// apiError is an error answer: its status and its JSON body
// {code, message, details, hint}.
type apiError struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
	Hint    string         `json:"hint"`
	allow   string         // the Allow header of a 405
}

// reply writes v as the JSON body of a response with the given status.
func reply(w http.ResponseWriter, status int, v any) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail writes e as the response.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, e *apiError) {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	if e.allow != "" {
		w.Header().Set("Allow", e.allow)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="triggergen"`)
	}
	h.log.DebugContext(r.Context(), "triggergen manage: request refused",
		slog.String("method", r.Method), slog.String("path", safe(r.URL.Path)),
		slog.Int("status", e.Status), slog.String("code", e.Code), slog.String("message", e.Message))
	reply(w, e.Status, e)
}

// badRequest returns a 400 answer.
func badRequest(code, msg, hint string, details map[string]any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: msg, Hint: hint, Details: details}
}

// readBody returns the request's body, at most MaxBodyBytes of it.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		return nil, h.bodyError(err)
	}
	return data, nil
}

// field is one key a JSON object body may hold: its exact name, where its
// value goes (a pointer) and, when not nil, a flag set when the key is
// present.
type field struct {
	name string
	dst  any
	set  *bool
}

// decodeObject reads the request's body strictly as one JSON object whose
// keys are among fields: keys are matched exactly (case included), a key
// may appear once, a value may not be null and must have the field's type,
// and nothing may follow the object; the body is at most MaxBodyBytes. An
// empty body sets nothing and is an error only when required.
func (h *handler) decodeObject(w http.ResponseWriter, r *http.Request, required bool, fields ...field) *apiError {
	data, aerr := h.readBody(w, r) // whole, so that a body over the limit is a 413 whatever it holds
	if aerr != nil {
		return aerr
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			if required {
				return badRequest("empty_body", "the request body is empty", "send a JSON object", nil)
			}
			return nil
		}
		return h.bodyError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return badRequest("invalid_type", fmt.Sprintf("the request body must be a JSON object, got JSON %s", jsonKind(tok)),
			"send one JSON object", map[string]any{"field": "", "expected": "an object", "got": jsonKind(tok)})
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return h.bodyError(unexpectedEOF(err))
		}
		key, _ := tok.(string)
		f := findField(fields, key)
		if f == nil {
			return unknownField(key, fields)
		}
		if seen[key] {
			return badRequest("duplicate_field", fmt.Sprintf("field %q appears twice in the request body", safe(key)),
				"send each field once", map[string]any{"field": key})
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return h.bodyError(unexpectedEOF(err))
		}
		want := jsonType(fmt.Sprintf("%T", f.dst)[1:])
		if string(raw) == "null" {
			return badRequest("null_value", fmt.Sprintf("%s: want %s, got null", key, want),
				"send a value, or leave the field out", map[string]any{"field": key, "expected": want})
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			var typ *json.UnmarshalTypeError
			got := "value"
			if errors.As(err, &typ) {
				got = typ.Value
			}
			return badRequest("invalid_type", fmt.Sprintf("%s: want %s, got JSON %s", key, want, got),
				"check the field's type", map[string]any{"field": key, "expected": want, "got": got})
		}
		if f.set != nil {
			*f.set = true
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return h.bodyError(unexpectedEOF(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("trailing_data", "the request body holds more than one JSON value",
			"send exactly one JSON object", nil)
	}
	return nil
}

func findField(fields []field, key string) *field {
	for i := range fields {
		if fields[i].name == key {
			return &fields[i]
		}
	}
	return nil
}

// unknownField answers a key the endpoint does not take, pointing at the
// right spelling when only the case differs.
func unknownField(key string, fields []field) *apiError {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
		if strings.EqualFold(f.name, key) {
			return badRequest("unknown_field",
				fmt.Sprintf("unknown field %q in the request body: keys are case-sensitive, use %q", safe(key), f.name),
				fmt.Sprintf("write the key as %q", f.name), map[string]any{"field": safe(key), "allowed": names})
		}
	}
	hint := "this endpoint takes no fields"
	if len(names) > 0 {
		hint = "the fields of this endpoint are " + strings.Join(names, ", ")
	}
	return badRequest("unknown_field", fmt.Sprintf("unknown field %q in the request body", safe(key)),
		hint, map[string]any{"field": safe(key), "allowed": names})
}

// unexpectedEOF turns the end of the body inside the object into
// io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// jsonKind names the JSON kind of a token from json.Decoder.Token.
func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case json.Delim:
		if v == '[' {
			return "array"
		}
	}
	return "value"
}

// bodyError turns a body reading or decoding error into an answer.
func (h *handler) bodyError(err error) *apiError {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit),
			Details: map[string]any{"limit": tooLarge.Limit}, Hint: "send a smaller body"}
	case errors.As(err, &syntax):
		return badRequest("invalid_json", fmt.Sprintf("the request body is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset),
			"send one JSON object", map[string]any{"offset": syntax.Offset})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("invalid_json", "the request body is not valid JSON: it ends too early", "send one complete JSON object", nil)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(the body)"
		}
		return badRequest("invalid_type", fmt.Sprintf("%s: want %s, got JSON %s", field, jsonType(typ.Type.String()), typ.Value),
			"check the field's type", map[string]any{"field": typ.Field, "expected": jsonType(typ.Type.String()), "got": typ.Value})
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return badRequest("unknown_field", fmt.Sprintf("unknown field %q in the request body", f),
			"remove the field; see the endpoint's documentation for its fields", map[string]any{"field": f})
	}
	return badRequest("invalid_body", "the request body could not be read: "+err.Error(), "send one JSON object", nil)
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool" || goType == "*bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint") || strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}
