package manage

import (
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

// decode reads the request's body into dst strictly: one JSON value, no
// unknown keys, the right types, at most MaxBodyBytes. An empty body leaves
// dst alone and is an error only when required.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, dst any, required bool) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			if required {
				return badRequest("empty_body", "the request body is empty", "send a JSON object", nil)
			}
			return nil
		}
		return h.bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return h.bodyError(err)
		}
		return badRequest("trailing_data", "the request body holds more than one JSON value",
			"send exactly one JSON object", nil)
	}
	return nil
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
