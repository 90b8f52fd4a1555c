package runtime_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/triggerhttp"
)

var mwGeneratedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// mwHandler returns a handler that updates the card named by the request
// path under the request's context.
func mwHandler(t *testing.T, eng *runtime.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &Card{ID: strings.TrimPrefix(r.URL.Path, "/"), Status: "ACTIVE"}
		old := SnapshotCard(c)
		assert.NoError(t, UpdateCard(r.Context(), eng, &old, c, nil))
		w.WriteHeader(http.StatusNoContent)
	})
}

// mwActor reads the actor from the X-User and X-Roles headers.
func mwActor(r *http.Request) (runtime.Actor, bool) {
	id := r.Header.Get("X-User")
	if id == "" {
		return runtime.Actor{}, false
	}
	var roles []string
	if rs := r.Header.Get("X-Roles"); rs != "" {
		roles = strings.Split(rs, ",")
	}
	return runtime.Actor{ID: id, Roles: roles}, true
}

func TestRequestMiddlewareRecords(t *testing.T) {
	eng := newEngine(t, runtime.Config{})
	on(t, eng, runtime.Trigger[CardChange]{Name: "sync", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop)})
	on(t, eng, runtime.Trigger[CardChange]{Name: "queued", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true}, Actions: acts(noop)})
	on(t, eng, runtime.Trigger[CardChange]{
		Name: "admins_only", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(noop),
		Conditions: []runtime.Condition[CardChange]{runtime.HasRole[CardChange]("admin")},
	})
	h := triggerhttp.RequestMiddleware(mwActor)(mwHandler(t, eng))

	req := httptest.NewRequest(http.MethodPost, "/c1", nil)
	req.Header.Set("X-Request-ID", "req-42")
	req.Header.Set("X-User", "u7")
	req.Header.Set("X-Roles", "staff,admin")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNoContent, rec.Code)
	assert.Equal(t, "req-42", rec.Header().Get("X-Request-ID"))

	require.NoError(t, eng.Close(context.Background()), "drain the async run")
	logs := eng.Logs(runtime.LogFilter{})
	require.Len(t, logs, 3, "the role condition saw the actor's roles")
	names := map[string]bool{}
	for _, r := range logs {
		names[r.Trigger] = true
		assert.Equal(t, "req-42", r.RequestID, r.Trigger)
		assert.Equal(t, "u7", r.ActorID, r.Trigger)
		assert.Equal(t, "c1", r.Key)
	}
	assert.Equal(t, map[string]bool{"sync": true, "queued": true, "admins_only": true}, names)
}

func TestRequestMiddlewareRequestID(t *testing.T) {
	long := strings.Repeat("a", 128)
	tests := []struct {
		name, header string
		keep         bool
	}{
		{"missing", "", false},
		{"kept", "abc-123_XYZ.:/=+", true},
		{"128 bytes", long, true},
		{"129 bytes", long + "a", false},
		{"space", "a b", false},
		{"control character", "a\x01b", false},
		{"tab", "a\tb", false},
		{"non-ASCII", "café", false},
		{"DEL", "a\x7f", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := triggerhttp.RequestMiddleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = runtime.RequestIDFrom(r.Context())
				_, hasActor := runtime.ActorFrom(r.Context())
				assert.False(t, hasActor, "no actor function, no actor")
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.header != "" {
				req.Header["X-Request-Id"] = []string{tt.header}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, got, rec.Header().Get("X-Request-ID"), "echoed")
			if tt.keep {
				assert.Equal(t, tt.header, got)
			} else {
				assert.Regexp(t, mwGeneratedID, got)
			}
		})
	}

	t.Run("generated IDs differ", func(t *testing.T) {
		h := triggerhttp.RequestMiddleware(nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		seen := map[string]bool{}
		for range 100 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			seen[rec.Header().Get("X-Request-ID")] = true
		}
		assert.Len(t, seen, 100)
	})
}

func TestRequestMiddlewareActor(t *testing.T) {
	tests := []struct {
		name    string
		actor   func(*http.Request) (runtime.Actor, bool)
		user    string
		want    runtime.Actor
		wantSet bool
	}{
		{"nil function", nil, "u1", runtime.Actor{}, false},
		{"function reports none", mwActor, "", runtime.Actor{}, false},
		{"function reports one", mwActor, "u1", runtime.Actor{ID: "u1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got runtime.Actor
			var ok bool
			h := triggerhttp.RequestMiddleware(tt.actor)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				got, ok = runtime.ActorFrom(r.Context())
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.user != "" {
				req.Header.Set("X-User", tt.user)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			assert.Equal(t, tt.wantSet, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
