package manage_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/triggergen/triggergen/runtime/manage"
)

// FuzzRequest sends arbitrary methods, paths, bodies and credentials to the
// handler: every answer is below 500 and a JSON object, and nothing panics.
func FuzzRequest(f *testing.F) {
	bearer := "Bearer " + testToken
	seeds := []struct{ method, path, body, auth, apikey, contentType string }{
		{"GET", "status/", "", bearer, "", ""},
		{"GET", "list/?enabled_only=true&model=Widget&event=inspect", "", bearer, "", ""},
		{"GET", "list/?enabled_only=%ff", "", bearer, "", ""},
		{"GET", "details/widget_audit/", "", "", testToken, ""},
		{"GET", "details/%2F/", "", bearer, "", ""},
		{"POST", "toggle/widget_fail/", `{"enabled":false}`, bearer, "", "application/json"},
		{"POST", "toggle/widget_fail/", `{"enabled":"x"}`, bearer, "", ""},
		{"POST", "execute/widget_audit/", `{"model":"Widget","instance_id":"w1","event":"inspect"}`, bearer, "", "application/json"},
		{"POST", "execute/widget_fail/", `{"instance_id":"w1"}`, bearer, "", ""},
		{"POST", "execute/widget_panic/", `{"instance_id":"w2","event":"after_create"}`, bearer, "", ""},
		{"POST", "execute/gadget_noop/", `{"instance_id":"g"}`, bearer, "", ""},
		{"POST", "execute/widget_audit/", `{"instance_id":"w404"}`, bearer, "", ""},
		{"POST", "execute/widget_audit/", `{"instance_id":["w1"],"x":{}}`, bearer, "", ""},
		{"POST", "execute/widget_audit/", "{\"instance_id\":\"\xff\"}", bearer, "", ""},
		{"POST", "execute/widget_audit/", `{"instance_id":"w1"} trailing`, bearer, "", ""},
		{"POST", "engine/toggle/", `{"enabled":true}`, bearer, "", ""},
		{"POST", "engine/toggle/", `{"enabled":null}`, bearer, "", ""},
		{"GET", "logs/?trigger=widget_fail&outcome=failure&limit=5", "", bearer, "", ""},
		{"GET", "logs/?limit=99999999999999999999", "", bearer, "", ""},
		{"POST", "cache/clear/", `{}`, bearer, "", ""},
		{"GET", "config/export/", "", bearer, "", ""},
		{"POST", "config/import/", `{"engine_enabled":true,"debug":false,"triggers":[{"name":"widget_fail","enabled":true}]}`, bearer, "", ""},
		{"POST", "config/import/", `{"triggers":[{"name":"ghost"}]}`, bearer, "", ""},
		{"GET", "health/", "", bearer, "", ""},
		{"GET", "metrics/", "", bearer, "", ""},
		{"DELETE", "status/", "", bearer, "", ""},
		{"OPTIONS", "execute/widget_fail/", "", bearer, "", ""},
		{"GET", "../../etc/passwd", "", bearer, "", ""},
		{"GET", "status/", "", "Bearer wrong", "", ""},
		{"GET", "status/", "", "Basic Zm9vOmJhcg==", "", ""},
		{"POST", "toggle/widget_fail/", "\x00\x01", "", "", ""},
		{"GET", "", "", bearer, "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body, s.auth, s.apikey, s.contentType)
	}
	eng, _ := newEngine(f)
	h := manage.New(eng, manage.Options{Token: testToken, MaxBodyBytes: 4096})
	f.Fuzz(func(t *testing.T, method, path, body, auth, apikey, contentType string) {
		target := "http://example.com" + manage.Prefix + path
		if strings.HasPrefix(path, "/") {
			target = "http://example.com" + path
		}
		req, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil {
			return // not a request a server could receive
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("apikey", apikey)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", method, path, body, rec.Code, rec.Body)
		}
		var obj map[string]any
		dec := json.NewDecoder(rec.Body)
		if err := dec.Decode(&obj); err != nil || obj == nil {
			t.Fatalf("%s %s %q: status %d: body is not a JSON object (%v): %q", method, path, body, rec.Code, err, rec.Body)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("%s %s %q: more than one JSON value in the body", method, path, body)
		}
	})
}
