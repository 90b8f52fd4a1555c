package manage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/manage"
	"github.com/triggergen/triggergen/runtime/triggerhttp"
)

// widget is the model the tests manage, written by hand the way triggergen
// generates a model with the custom event "inspect".
type widget struct {
	ID    string
	State string
}

type widgetChange struct {
	Event    runtime.Event
	Old, New *widget
}

type widgetBatch struct {
	Event runtime.Event
	Items []widgetChange
}

var widgetModel = runtime.NewModel(runtime.ModelSpec[widget, widgetChange, widgetBatch]{
	Name:     "Widget",
	Events:   []string{"inspect"},
	Key:      func(w *widget) string { return w.ID },
	Snapshot: func(w *widget) widget { return *w },
	Change:   func(c *widgetChange) *runtime.Change[widget] { return (*runtime.Change[widget])(c) },
	Batch:    func(b *runtime.Batch[widgetChange]) *widgetBatch { return (*widgetBatch)(b) },
})

// widgetInspect is Widget's custom event "inspect".
const widgetInspect = runtime.FirstCustomEvent

// gadget is a second model, with no loader registered.
type gadget struct{ ID string }

type gadgetChange struct {
	Event    runtime.Event
	Old, New *gadget
}

type gadgetBatch struct {
	Event runtime.Event
	Items []gadgetChange
}

var gadgetModel = runtime.NewModel(runtime.ModelSpec[gadget, gadgetChange, gadgetBatch]{
	Name:     "Gadget",
	Key:      func(g *gadget) string { return g.ID },
	Snapshot: func(g *gadget) gadget { return *g },
	Change:   func(c *gadgetChange) *runtime.Change[gadget] { return (*runtime.Change[gadget])(c) },
	Batch:    func(b *runtime.Batch[gadgetChange]) *gadgetBatch { return (*gadgetBatch)(b) },
})

const testToken = "s3cret-token"

var errBoom = errors.New("boom")

// runs records the widget triggers' runs.
type runs struct {
	mu   sync.Mutex
	seen []string
}

func (r *runs) add(s string) { r.mu.Lock(); r.seen = append(r.seen, s); r.mu.Unlock() }

func (r *runs) get() []string { r.mu.Lock(); defer r.mu.Unlock(); return slices.Clone(r.seen) }

// fixture is an engine with widget and gadget triggers and the handler
// serving it.
type fixture struct {
	eng  *runtime.Engine
	h    http.Handler
	runs *runs
}

// newEngine returns an engine with these triggers:
//
//   - widget_audit (Widget, after_update and inspect, high priority, a
//     condition that is false for every instance) records its runs;
//   - widget_fail (after_update) fails;
//   - widget_panic (after_create) panics;
//   - widget_slow (after_update, 1ms timeout) times out;
//   - widget_off (after_delete) is registered disabled;
//   - gadget_noop (Gadget, after_create) does nothing.
//
// The Widget loader knows w1 and w2.
func newEngine(t testing.TB) (*runtime.Engine, *runs) {
	t.Helper()
	eng := runtime.New(runtime.Config{Logger: slog.New(slog.DiscardHandler), DefaultTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	rs := &runs{}
	never := runtime.Condition[widgetChange]{Description: `State == "never"`, Test: func(_ context.Context, c *widgetChange) bool { return c.New.State == "never" }}
	must := func(err error) { require.NoError(t, err) }
	must(runtime.On(eng, widgetModel, runtime.Trigger[widgetChange]{
		Name: "widget_audit", Description: "Records widget changes.",
		Events:     []runtime.Event{runtime.AfterUpdate, widgetInspect},
		Conditions: []runtime.Condition[widgetChange]{never},
		Options:    runtime.Options{Priority: runtime.PriorityHigh},
		Actions: []runtime.Action[widgetChange]{func(ctx context.Context, c *widgetChange) error {
			a, _ := runtime.ActorFrom(ctx)
			rs.add(fmt.Sprintf("%s %s %s %s", c.New.ID, runtime.EventName(widgetModel, c.Event), a.ID, runtime.RequestIDFrom(ctx)))
			return nil
		}},
	}))
	must(runtime.On(eng, widgetModel, runtime.Trigger[widgetChange]{
		Name: "widget_fail", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: []runtime.Action[widgetChange]{func(context.Context, *widgetChange) error { return errBoom }},
	}))
	must(runtime.On(eng, widgetModel, runtime.Trigger[widgetChange]{
		Name: "widget_panic", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[widgetChange]{func(context.Context, *widgetChange) error { panic("kaput") }},
	}))
	must(runtime.On(eng, widgetModel, runtime.Trigger[widgetChange]{
		Name: "widget_slow", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Timeout: time.Millisecond},
		Actions: []runtime.Action[widgetChange]{func(ctx context.Context, _ *widgetChange) error { <-ctx.Done(); return ctx.Err() }},
	}))
	must(runtime.On(eng, widgetModel, runtime.Trigger[widgetChange]{
		Name: "widget_off", Events: []runtime.Event{runtime.AfterDelete}, Options: runtime.Options{Disabled: true},
		Actions: []runtime.Action[widgetChange]{func(context.Context, *widgetChange) error { return nil }},
	}))
	must(runtime.On(eng, gadgetModel, runtime.Trigger[gadgetChange]{
		Name: "gadget_noop", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[gadgetChange]{func(context.Context, *gadgetChange) error { return nil }},
	}))
	runtime.SetLoader(eng, widgetModel, func(_ context.Context, key string) (*widget, error) {
		if key == "w1" || key == "w2" {
			return &widget{ID: key, State: "ok"}, nil
		}
		return nil, fmt.Errorf("widget %q: %w", key, runtime.ErrNotFound)
	})
	return eng, rs
}

// newFixture returns a fixture whose handler uses opts (Token defaults to
// testToken unless Insecure is set) behind triggerhttp.RequestMiddleware, which
// takes the actor from the X-User and X-Roles headers.
func newFixture(t testing.TB, opts manage.Options) *fixture {
	t.Helper()
	eng, rs := newEngine(t)
	if opts.Token == "" && !opts.Insecure {
		opts.Token = testToken
	}
	return &fixture{eng: eng, runs: rs, h: triggerhttp.RequestMiddleware(headerActor)(manage.New(eng, opts))}
}

func headerActor(r *http.Request) (runtime.Actor, bool) {
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

// answer is a decoded response.
type answer struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

// do serves one request with the test token; headers are name, value pairs
// and replace the token when they set Authorization.
func (f *fixture) do(t testing.TB, method, path, body string, headers ...string) answer {
	t.Helper()
	hs := append([]string{"Authorization", "Bearer " + testToken}, headers...)
	return serve(t, f.h, method, path, body, hs...)
}

// serve serves one request and checks the invariants every answer holds: a
// JSON object body and the JSON content type.
func serve(t testing.TB, h http.Handler, method, path, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{code: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a.body), "body of %s %s is a JSON object: %q", method, path, a.raw)
	require.NotNil(t, a.body, "body of %s %s is a JSON object, not null", method, path)
	assert.Equal(t, "application/json; charset=utf-8", a.header.Get("Content-Type"))
	if a.code >= 400 {
		assertError(t, a)
	}
	return a
}

// assertError checks the shape of an error answer.
func assertError(t testing.TB, a answer) {
	t.Helper()
	assert.ElementsMatch(t, []string{"code", "message", "details", "hint"}, keys(a.body), "error keys: %s", a.raw)
	assert.IsType(t, "", a.body["code"])
	assert.NotEmpty(t, a.body["message"])
	assert.IsType(t, map[string]any{}, a.body["details"])
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// obj returns m[k] as an object.
func obj(t testing.TB, m map[string]any, k string) map[string]any {
	t.Helper()
	v, ok := m[k].(map[string]any)
	require.True(t, ok, "%s is an object in %v", k, m)
	return v
}

// arr returns m[k] as an array.
func arr(t testing.TB, m map[string]any, k string) []any {
	t.Helper()
	v, ok := m[k].([]any)
	require.True(t, ok, "%s is an array in %v", k, m)
	return v
}
