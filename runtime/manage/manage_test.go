package manage_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/manage"
	"github.com/triggergen/triggergen/runtime/report"
)

const api = manage.Prefix

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name    string
		opts    manage.Options
		headers []string
		code    int
		errCode string
	}{
		{"no token configured", manage.Options{}, []string{"Authorization", "Bearer anything"}, 403, "auth_not_configured"},
		{"no token configured, no header", manage.Options{}, nil, 403, "auth_not_configured"},
		{"missing header", manage.Options{Token: testToken}, nil, 401, "missing_token"},
		{"wrong bearer", manage.Options{Token: testToken}, []string{"Authorization", "Bearer nope"}, 401, "invalid_token"},
		{"prefix of the token", manage.Options{Token: testToken}, []string{"Authorization", "Bearer s3cret"}, 401, "invalid_token"},
		{"token with a suffix", manage.Options{Token: testToken}, []string{"Authorization", "Bearer " + testToken + "x"}, 401, "invalid_token"},
		{"bearer", manage.Options{Token: testToken}, []string{"Authorization", "Bearer " + testToken}, 200, ""},
		{"bearer in lower case", manage.Options{Token: testToken}, []string{"Authorization", "bearer  " + testToken + " "}, 200, ""},
		{"empty bearer", manage.Options{Token: testToken}, []string{"Authorization", "Bearer "}, 401, "missing_token"},
		{"basic scheme", manage.Options{Token: testToken}, []string{"Authorization", "Basic " + testToken}, 401, "missing_token"},
		{"token without scheme", manage.Options{Token: testToken}, []string{"Authorization", testToken}, 401, "missing_token"},
		{"apikey", manage.Options{Token: testToken}, []string{"apikey", testToken}, 200, ""},
		{"wrong apikey", manage.Options{Token: testToken}, []string{"apikey", "nope"}, 401, "invalid_token"},
		{"apikey with a user's bearer", manage.Options{Token: testToken}, []string{"apikey", testToken, "Authorization", "Bearer user-jwt"}, 200, ""},
		{"bearer with a wrong apikey", manage.Options{Token: testToken}, []string{"apikey", "nope", "Authorization", "Bearer " + testToken}, 200, ""},
		{"insecure", manage.Options{Insecure: true}, nil, 200, ""},
		{"token and insecure together", manage.Options{Insecure: true, Token: testToken}, []string{"Authorization", "Bearer " + testToken}, 500, "misconfigured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, _ := newEngine(t)
			h := manage.New(eng, tt.opts)
			for _, path := range []string{api + "status/", api + "nowhere/"} {
				a := serve(t, h, http.MethodGet, path, "", tt.headers...)
				if tt.code == 200 && path != api+"status/" {
					assert.Equal(t, 404, a.code, "an admitted caller gets the 404")
					continue
				}
				assert.Equal(t, tt.code, a.code, "%s: %s", path, a.raw)
				if tt.errCode != "" {
					assert.Equal(t, tt.errCode, a.body["code"])
					assert.NotEmpty(t, a.body["hint"])
				}
				if tt.code == 401 {
					assert.Equal(t, `Bearer realm="triggergen"`, a.header.Get("WWW-Authenticate"))
				}
			}
			// A refused caller changes nothing.
			a := serve(t, h, http.MethodPost, api+"engine/toggle/", "", tt.headers...)
			assert.Equal(t, tt.code == 200, !eng.EngineEnabled(), "%d %s", a.code, a.raw)
		})
	}
}

func TestAuthorizer(t *testing.T) {
	type call struct {
		caller manage.Caller
		action manage.Action
	}
	var mu sync.Mutex
	var calls []call
	f := newFixture(t, manage.Options{Authorize: func(r *http.Request, c manage.Caller, a manage.Action) error {
		mu.Lock()
		calls = append(calls, call{c, a})
		mu.Unlock()
		if a.Write && !c.Actor.HasRole("admin") {
			return errors.New("writes need the admin role")
		}
		if a.Endpoint == manage.EndpointLogs {
			return errors.New("logs are private")
		}
		return nil
	}})

	a := f.do(t, http.MethodGet, api+"details/widget_fail/", "", "X-User", "u1")
	assert.Equal(t, 200, a.code)
	a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", "", "X-User", "u1", "X-Roles", "staff")
	assert.Equal(t, 403, a.code)
	assert.Equal(t, "forbidden", a.body["code"])
	assert.Equal(t, "writes need the admin role", a.body["message"])
	assert.Equal(t, map[string]any{"endpoint": "toggle"}, a.body["details"])
	info, _ := f.eng.Trigger("widget_fail")
	assert.True(t, info.Enabled, "a refused toggle changes nothing")

	a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", "", "X-User", "u2", "X-Roles", "staff,admin", "Authorization", "", "apikey", testToken)
	assert.Equal(t, 200, a.code, a.raw)
	a = f.do(t, http.MethodGet, api+"logs/", "", "X-User", "u2", "X-Roles", "admin")
	assert.Equal(t, 403, a.code)
	assert.Equal(t, "logs are private", a.body["message"])

	mu.Lock()
	got := calls
	mu.Unlock()
	require.Len(t, got, 4)
	assert.Equal(t, manage.Caller{Via: manage.ViaBearer, Actor: runtime.Actor{ID: "u1"}, HasActor: true}, got[0].caller)
	assert.Equal(t, manage.Action{Endpoint: manage.EndpointDetails, Trigger: "widget_fail"}, got[0].action)
	assert.Equal(t, manage.Action{Endpoint: manage.EndpointToggle, Trigger: "widget_fail", Write: true}, got[1].action)
	assert.Equal(t, manage.ViaAPIKey, got[2].caller.Via)
	assert.Equal(t, manage.Action{Endpoint: manage.EndpointLogs}, got[3].action)

	t.Run("not asked for refused or unrouted requests", func(t *testing.T) {
		mu.Lock()
		calls = nil
		mu.Unlock()
		f.do(t, http.MethodGet, api+"status/", "", "Authorization", "Bearer wrong")
		f.do(t, http.MethodGet, api+"nowhere/", "")
		f.do(t, http.MethodDelete, api+"status/", "")
		mu.Lock()
		assert.Empty(t, calls)
		mu.Unlock()
	})
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t, manage.Options{Authorize: manage.ReadOnly})
	for _, path := range []string{"status/", "list/", "details/widget_fail/", "logs/", "config/export/", "health/", "metrics/"} {
		assert.Equal(t, 200, f.do(t, http.MethodGet, api+path, "").code, path)
	}
	for _, path := range []string{"toggle/widget_fail/", "execute/widget_audit/", "engine/toggle/", "cache/clear/", "config/import/"} {
		a := f.do(t, http.MethodPost, api+path, `{}`)
		assert.Equal(t, 403, a.code, path)
		assert.Contains(t, a.body["message"], "read-only")
	}
	assert.True(t, f.eng.EngineEnabled())
}

func TestInsecureCaller(t *testing.T) {
	var got manage.Caller
	eng, _ := newEngine(t)
	h := manage.New(eng, manage.Options{Insecure: true, Authorize: func(_ *http.Request, c manage.Caller, _ manage.Action) error {
		got = c
		return nil
	}})
	assert.Equal(t, 200, serve(t, h, http.MethodGet, api+"status/", "").code)
	assert.Equal(t, manage.Caller{Via: manage.ViaInsecure}, got)
}

func TestStatusEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	a := f.do(t, http.MethodGet, api+"status/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, []string{"debug", "enabled_triggers", "engine_enabled", "issues", "queue", "started", "system_healthy", "total_triggers", "uptime_seconds"}, keys(a.body))
	assert.Equal(t, true, a.body["system_healthy"])
	assert.Equal(t, true, a.body["engine_enabled"])
	assert.Equal(t, float64(6), a.body["total_triggers"])
	assert.Equal(t, float64(5), a.body["enabled_triggers"])
	assert.Equal(t, []any{}, a.body["issues"])
	assert.Equal(t, []string{"accepted", "capacity", "completed", "failed", "queued", "running", "workers"}, keys(obj(t, a.body, "queue")))

	f.eng.SetEngineEnabled(false)
	a = f.do(t, http.MethodGet, api+"status", "")
	assert.Equal(t, false, a.body["system_healthy"])
	assert.Equal(t, false, a.body["engine_enabled"])
	assert.Equal(t, []any{"the engine is disabled: no trigger runs"}, a.body["issues"])
}

func TestListEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	names := func(a answer) []string {
		var out []string
		for _, tr := range arr(t, a.body, "triggers") {
			out = append(out, tr.(map[string]any)["name"].(string))
		}
		return out
	}
	a := f.do(t, http.MethodGet, api+"list/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, []string{"count", "triggers"}, keys(a.body))
	assert.Equal(t, float64(6), a.body["count"])
	assert.Equal(t, []string{"gadget_noop", "widget_audit", "widget_fail", "widget_off", "widget_panic", "widget_slow"}, names(a))

	tr := arr(t, a.body, "triggers")[1].(map[string]any)
	assert.Equal(t, []string{"async", "conditions", "description", "enabled", "events", "execution_stats", "model", "name", "on_commit", "priority"}, keys(tr))
	assert.Equal(t, "widget_audit", tr["name"])
	assert.Equal(t, "Widget", tr["model"])
	assert.Equal(t, []any{"after_update", "inspect"}, tr["events"])
	assert.Equal(t, true, tr["enabled"])
	assert.Equal(t, float64(runtime.PriorityHigh), tr["priority"])
	assert.Equal(t, "Records widget changes.", tr["description"])
	assert.Equal(t, []any{`State == "never"`}, tr["conditions"])
	stats := obj(t, tr, "execution_stats")
	assert.Equal(t, []string{"executions", "failures", "max_ms", "mean_ms", "p50_ms", "p95_ms", "skipped", "success_rate", "successes"}, keys(stats))
	assert.Equal(t, float64(0), stats["executions"])
	assert.Equal(t, []any{}, arr(t, arr(t, a.body, "triggers")[0].(map[string]any), "conditions"), "no conditions is an empty list")

	tests := []struct {
		query string
		want  []string
	}{
		{"enabled_only=true", []string{"gadget_noop", "widget_audit", "widget_fail", "widget_panic", "widget_slow"}},
		{"enabled_only=false", []string{"gadget_noop", "widget_audit", "widget_fail", "widget_off", "widget_panic", "widget_slow"}},
		{"model=Gadget", []string{"gadget_noop"}},
		{"event=inspect", []string{"widget_audit"}},
		{"event=after_update&model=Widget", []string{"widget_audit", "widget_fail", "widget_slow"}},
		{"event=after_delete&enabled_only=1", nil},
		{"model=Nope", nil},
		{"unknown=ignored", []string{"gadget_noop", "widget_audit", "widget_fail", "widget_off", "widget_panic", "widget_slow"}},
	}
	for _, tt := range tests {
		a := f.do(t, http.MethodGet, api+"list/?"+tt.query, "")
		require.Equal(t, 200, a.code, tt.query)
		assert.Equal(t, tt.want, names(a), tt.query)
		assert.Equal(t, float64(len(tt.want)), a.body["count"], tt.query)
	}

	a = f.do(t, http.MethodGet, api+"list/?event=after_updte", "")
	assert.Equal(t, 400, a.code)
	assert.Equal(t, "unknown_event", a.body["code"])
	assert.Equal(t, `event="after_updte" is neither a built-in event nor an event of a registered trigger`, a.body["message"])

	a = f.do(t, http.MethodGet, api+"list/?enabled_only=maybe", "")
	assert.Equal(t, 400, a.code)
	assert.Equal(t, "invalid_parameter", a.body["code"])
	assert.Contains(t, a.body["message"], "enabled_only")
}

func TestDetailsEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	a := f.do(t, http.MethodPost, api+"execute/widget_fail/", `{"instance_id":"w1"}`)
	require.Equal(t, 422, a.code)

	a = f.do(t, http.MethodGet, api+"details/widget_fail/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, []string{"async", "bulk", "conditions", "description", "enabled", "events", "execution_stats", "model", "name",
		"on_commit", "priority", "queue", "recent_logs", "retries", "source", "timeout_ms"}, keys(a.body))
	assert.Equal(t, "widget_fail", a.body["name"])
	assert.Equal(t, float64(1), obj(t, a.body, "execution_stats")["failures"])
	logs := arr(t, a.body, "recent_logs")
	require.Len(t, logs, 1)
	rec := logs[0].(map[string]any)
	assert.Equal(t, "w1", rec["instance_id"])
	assert.Equal(t, "boom", rec["error"])

	a = f.do(t, http.MethodGet, api+"details/widget_slow", "")
	assert.Equal(t, float64(1), a.body["timeout_ms"])
	assert.Equal(t, []any{}, a.body["recent_logs"])

	a = f.do(t, http.MethodGet, api+"details/nope/", "")
	assert.Equal(t, 404, a.code)
	assert.Equal(t, "trigger_not_found", a.body["code"])
	assert.Equal(t, map[string]any{"trigger": "nope"}, a.body["details"])
}

func TestToggleEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	enabled := func() bool { info, _ := f.eng.Trigger("widget_fail"); return info.Enabled }

	a := f.do(t, http.MethodPost, api+"toggle/widget_fail/", "")
	require.Equal(t, 200, a.code, a.raw)
	assert.Equal(t, map[string]any{"name": "widget_fail", "enabled": false}, a.body)
	assert.False(t, enabled())
	a = f.do(t, http.MethodPost, api+"toggle/widget_fail", "")
	assert.Equal(t, true, a.body["enabled"])
	assert.True(t, enabled())

	for range 2 {
		a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", `{"enabled": false}`)
		assert.Equal(t, false, a.body["enabled"], "an explicit state is idempotent")
	}
	a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", `{}`)
	assert.Equal(t, true, a.body["enabled"], "an object without enabled flips, like no body")

	a = f.do(t, http.MethodPost, api+"toggle/nope/", "")
	assert.Equal(t, 404, a.code)
	assert.Equal(t, "trigger_not_found", a.body["code"])

	for body, code := range map[string]string{
		`{"enabled": "no"}`:                   "invalid_type",
		`{"enabled": true, "x": 1}`:           "unknown_field",
		`{"enabled": true} {}`:                "trailing_data",
		`{"enabled": tru`:                     "invalid_json",
		`{"enabled": true`:                    "invalid_json",
		`[true]`:                              "invalid_type",
		`"on"`:                                "invalid_type",
		`{"enabled": true}}`:                  "trailing_data",
		`{"Enabled": true, "bogus": 1}`:       "unknown_field",
		`{"enabled": null}`:                   "null_value",
		`{"Enabled": false}`:                  "unknown_field",
		`{"ENABLED": false}`:                  "unknown_field",
		`{"enabled ": false}`:                 "unknown_field",
		`{"state": false}`:                    "unknown_field",
		`{"enabled": false, "enabled": true}`: "duplicate_field",
		`null`:                                "invalid_type",
	} {
		a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", body)
		assert.Equal(t, 400, a.code, body)
		assert.Equal(t, code, a.body["code"], "%s: %s", body, a.raw)
	}
	assert.True(t, enabled(), "rejected bodies change nothing")

	a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", `{"Enabled": false}`)
	assert.Equal(t, `unknown field "Enabled" in the request body: keys are case-sensitive, use "enabled"`, a.body["message"])
	a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", `{"enabled": null}`)
	assert.Equal(t, "enabled: want a boolean, got null", a.body["message"])
	a = f.do(t, http.MethodPost, api+"toggle/widget_fail/", `{"state": false}`)
	assert.Equal(t, "the fields of this endpoint are enabled", a.body["hint"])
}

func TestToggleIsAtomic(t *testing.T) {
	f := newFixture(t, manage.Options{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { f.do(t, http.MethodPost, api+"toggle/widget_fail/", "") })
	}
	wg.Wait()
	info, _ := f.eng.Trigger("widget_fail")
	assert.True(t, info.Enabled, "ten flips end where they began")
}

func TestEngineToggleEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	a := f.do(t, http.MethodPost, api+"engine/toggle/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, map[string]any{"engine_enabled": false}, a.body)
	assert.False(t, f.eng.EngineEnabled())
	a = f.do(t, http.MethodPost, api+"engine/toggle/", "")
	assert.Equal(t, true, a.body["engine_enabled"])
	a = f.do(t, http.MethodPost, api+"engine/toggle/", `{"enabled":true}`)
	assert.Equal(t, true, a.body["engine_enabled"])
	a = f.do(t, http.MethodPost, api+"engine/toggle/", `{"enabled":false}`)
	assert.Equal(t, false, a.body["engine_enabled"])
	assert.False(t, f.eng.EngineEnabled())

	a = f.do(t, http.MethodPost, api+"engine/toggle/", `{"on":true}`)
	assert.Equal(t, 400, a.code)
	assert.Equal(t, "unknown_field", a.body["code"])
	assert.Equal(t, `unknown field "on" in the request body`, a.body["message"])
	a = f.do(t, http.MethodPost, api+"engine/toggle/", `{"enabled":1}`)
	assert.Equal(t, 400, a.code)
	assert.Equal(t, "enabled: want a boolean, got JSON number", a.body["message"])
	assert.False(t, f.eng.EngineEnabled())
}

func TestExecuteEndpoint(t *testing.T) {
	tests := []struct {
		name, trigger, body string
		code                int
		errCode             string
		message             string
		want                map[string]any
		runs                []string
	}{
		{
			name: "default event", trigger: "widget_audit", body: `{"instance_id":"w1"}`, code: 200,
			want: map[string]any{"trigger": "widget_audit", "model": "Widget", "instance_id": "w1", "event": "after_update", "outcome": "success"},
			runs: []string{"w1 after_update u9 rid-1"},
		},
		{
			name: "custom event by name", trigger: "widget_audit", body: `{"model":"Widget","instance_id":"w2","event":"inspect"}`, code: 200,
			want: map[string]any{"trigger": "widget_audit", "model": "Widget", "instance_id": "w2", "event": "inspect", "outcome": "success"},
			runs: []string{"w2 inspect u9 rid-1"},
		},
		{name: "unknown trigger", trigger: "nope", body: `{"instance_id":"w1"}`, code: 404, errCode: "trigger_not_found"},
		{name: "unknown instance", trigger: "widget_audit", body: `{"instance_id":"w404"}`, code: 404, errCode: "instance_not_found"},
		{name: "model mismatch", trigger: "widget_audit", body: `{"model":"Gadget","instance_id":"w1"}`, code: 400, errCode: "model_mismatch",
			message: `trigger "widget_audit" belongs to model "Widget", not "Gadget"`},
		{name: "unknown event", trigger: "widget_audit", body: `{"instance_id":"w1","event":"explode"}`, code: 400, errCode: "unknown_event",
			message: `trigger "widget_audit" does not run on event "explode"`},
		{name: "event the trigger does not handle", trigger: "widget_audit", body: `{"instance_id":"w1","event":"after_create"}`, code: 400, errCode: "unknown_event"},
		{name: "missing instance_id", trigger: "widget_audit", body: `{"model":"Widget"}`, code: 400, errCode: "missing_field"},
		{name: "empty body", trigger: "widget_audit", body: ``, code: 400, errCode: "empty_body"},
		{name: "null body", trigger: "widget_audit", body: `null`, code: 400, errCode: "invalid_type"},
		{name: "unknown field", trigger: "widget_audit", body: `{"instance_id":"w1","forced":true}`, code: 400, errCode: "unknown_field"},
		{name: "wrongly cased field", trigger: "widget_audit", body: `{"Instance_ID":"w1"}`, code: 400, errCode: "unknown_field",
			message: `unknown field "Instance_ID" in the request body: keys are case-sensitive, use "instance_id"`},
		{name: "null field", trigger: "widget_audit", body: `{"instance_id":"w1","event":null}`, code: 400, errCode: "null_value"},
		{name: "force of the wrong type", trigger: "widget_audit", body: `{"instance_id":"w1","force":"yes"}`, code: 400, errCode: "invalid_type",
			message: "force: want a boolean, got JSON string"},
		{
			name: "the original framework's manual run", trigger: "widget_audit", body: `{"model":"Widget","instance_id":"w1","event":"custom"}`, code: 200,
			want: map[string]any{"trigger": "widget_audit", "model": "Widget", "instance_id": "w1", "event": "custom", "outcome": "success"},
			runs: []string{"w1 custom u9 rid-1"},
		},
		{name: "wrong type", trigger: "widget_audit", body: `{"instance_id":1}`, code: 400, errCode: "invalid_type",
			message: "instance_id: want a string, got JSON number"},
		{name: "two values", trigger: "widget_audit", body: `{"instance_id":"w1"}{"instance_id":"w2"}`, code: 400, errCode: "trailing_data"},
		{name: "not JSON", trigger: "widget_audit", body: `instance_id=w1`, code: 400, errCode: "invalid_json"},
		{name: "trigger fails", trigger: "widget_fail", body: `{"instance_id":"w1"}`, code: 422, errCode: "trigger_failed",
			message: "trigger widget_fail: boom"},
		{name: "trigger panics", trigger: "widget_panic", body: `{"instance_id":"w1"}`, code: 422, errCode: "trigger_failed",
			message: "trigger widget_panic: panic: kaput"},
		{name: "trigger times out", trigger: "widget_slow", body: `{"instance_id":"w1"}`, code: 422, errCode: "trigger_failed"},
		{name: "no loader", trigger: "gadget_noop", body: `{"instance_id":"g1"}`, code: 422, errCode: "execute_failed"},
		{name: "a disabled trigger is refused", trigger: "widget_off", body: `{"instance_id":"w1","event":"after_delete"}`, code: 409, errCode: "trigger_disabled"},
		{name: "a disabled trigger runs when forced", trigger: "widget_off", body: `{"instance_id":"w1","event":"after_delete","force":true}`, code: 200},
		{name: "force false is no force", trigger: "widget_off", body: `{"instance_id":"w1","force":false}`, code: 409, errCode: "trigger_disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, manage.Options{})
			a := f.do(t, http.MethodPost, api+"execute/"+tt.trigger+"/", tt.body, "X-User", "u9", "X-Request-ID", "rid-1")
			require.Equal(t, tt.code, a.code, a.raw)
			if tt.errCode != "" {
				assert.Equal(t, tt.errCode, a.body["code"], a.raw)
			}
			if tt.message != "" {
				assert.Equal(t, tt.message, a.body["message"])
			}
			if tt.want != nil {
				assert.IsType(t, float64(0), a.body["duration_ms"])
				delete(a.body, "duration_ms")
				assert.Equal(t, tt.want, a.body)
			}
			assert.Equal(t, tt.runs, f.runs.get())
		})
	}

	t.Run("a switched-off engine refuses unless forced", func(t *testing.T) {
		f := newFixture(t, manage.Options{})
		f.eng.SetEngineEnabled(false)
		a := f.do(t, http.MethodPost, api+"execute/widget_audit/", `{"instance_id":"w1"}`)
		require.Equal(t, 409, a.code, a.raw)
		assert.Equal(t, "engine_disabled", a.body["code"])
		assert.Contains(t, a.body["hint"], `"force": true`)
		assert.Empty(t, f.runs.get(), "nothing ran")
		a = f.do(t, http.MethodPost, api+"execute/widget_audit/", `{"instance_id":"w1","force":true}`)
		require.Equal(t, 200, a.code, a.raw)
		assert.Len(t, f.runs.get(), 1)
	})

	t.Run("a manual run is recorded as such", func(t *testing.T) {
		f := newFixture(t, manage.Options{})
		a := f.do(t, http.MethodPost, api+"execute/widget_fail/", `{"model":"Widget","instance_id":"w1","event":"custom"}`)
		require.Equal(t, 422, a.code, a.raw)
		logs := f.eng.Logs(runtime.LogFilter{Trigger: "widget_fail"})
		require.Len(t, logs, 1)
		assert.Equal(t, "custom", logs[0].Event)
		a = f.do(t, http.MethodGet, api+"logs/?trigger=widget_fail", "")
		assert.Equal(t, "custom", arr(t, a.body, "logs")[0].(map[string]any)["event"])
	})

	t.Run("a closed engine is a 503", func(t *testing.T) {
		f := newFixture(t, manage.Options{})
		require.NoError(t, f.eng.Close(context.Background()))
		a := f.do(t, http.MethodPost, api+"execute/widget_audit/", `{"instance_id":"w1"}`)
		assert.Equal(t, 503, a.code, a.raw)
		assert.Equal(t, "engine_closed", a.body["code"])
	})

	t.Run("records carry the request ID and actor", func(t *testing.T) {
		f := newFixture(t, manage.Options{})
		a := f.do(t, http.MethodPost, api+"execute/widget_fail/", `{"instance_id":"w1"}`, "X-User", "u9", "X-Request-ID", "rid-7")
		require.Equal(t, 422, a.code)
		assert.Equal(t, map[string]any{"trigger": "widget_fail", "instance_id": "w1", "event": "after_update", "timeout": false}, a.body["details"])
		logs := f.eng.Logs(runtime.LogFilter{Trigger: "widget_fail"})
		require.Len(t, logs, 1)
		assert.Equal(t, "u9", logs[0].ActorID)
		assert.Equal(t, "rid-7", logs[0].RequestID)
		assert.Equal(t, runtime.OutcomeFailure, logs[0].Outcome)

		a = f.do(t, http.MethodPost, api+"execute/widget_slow/", `{"instance_id":"w1"}`)
		assert.Equal(t, true, obj(t, a.body, "details")["timeout"])
	})
}

func TestLogsEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	ctx := context.Background()
	for range 3 {
		w := &widget{ID: "w1", State: "x"}
		old := *w
		require.Error(t, runtime.Do(runtime.WithRequestID(ctx, "rid-9"), f.eng, widgetModel, runtime.OpUpdate, &old, w, nil))
	}
	a := f.do(t, http.MethodGet, api+"logs/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, []string{"count", "logs"}, keys(a.body))
	assert.Equal(t, float64(6), a.body["count"], "widget_fail and widget_slow, three times each")
	rec := arr(t, a.body, "logs")[0].(map[string]any)
	assert.Equal(t, []string{"actor_id", "attempt", "duration_ms", "error", "event", "instance_id", "model", "outcome", "request_id", "start", "trigger"}, keys(rec))
	assert.Equal(t, "rid-9", rec["request_id"])
	assert.Equal(t, "Widget", rec["model"])
	assert.Equal(t, "after_update", rec["event"])
	assert.Equal(t, float64(1), rec["attempt"])

	tests := []struct {
		query string
		count int
	}{
		{"trigger=widget_fail", 3},
		{"outcome=timeout", 3},
		{"outcome=timeout&trigger=widget_fail", 0},
		{"outcome=success", 0},
		{"limit=2", 2},
		{"limit=1000", 6},
		{"trigger=widget_fail&limit=2", 2},
		{"model=Gadget", 0},
		{"trigger=nope", 0},
	}
	for _, tt := range tests {
		a := f.do(t, http.MethodGet, api+"logs/?"+tt.query, "")
		require.Equal(t, 200, a.code, tt.query)
		assert.Equal(t, float64(tt.count), a.body["count"], tt.query)
		assert.Len(t, arr(t, a.body, "logs"), tt.count, tt.query)
	}
	for _, q := range []string{"limit=0", "limit=-1", "limit=1001", "limit=ten", "limit=1.5", "outcome=exploded"} {
		a := f.do(t, http.MethodGet, api+"logs/?"+q, "")
		assert.Equal(t, 400, a.code, q)
		assert.Equal(t, "invalid_parameter", a.body["code"], q)
	}
}

func TestLogsWithoutReader(t *testing.T) {
	eng := runtime.New(runtime.Config{Audit: runtime.NewSlogAudit(nil, nil)})
	defer eng.Close(context.Background())
	a := serve(t, manage.New(eng, manage.Options{Insecure: true}), http.MethodGet, api+"logs/", "")
	assert.Equal(t, 200, a.code)
	assert.Equal(t, map[string]any{"logs": []any{}, "count": float64(0)}, a.body)
}

func TestCacheClearEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	for _, body := range []string{"", "{}", " {} \n"} {
		a := f.do(t, http.MethodPost, api+"cache/clear/", body)
		assert.Equal(t, 200, a.code, body)
		assert.Equal(t, map[string]any{"cleared": true}, a.body)
	}
	a := f.do(t, http.MethodPost, api+"cache/clear/", `{"all":true}`)
	assert.Equal(t, 400, a.code)
	assert.Equal(t, "unknown_field", a.body["code"])
}

func TestConfigEndpoints(t *testing.T) {
	f := newFixture(t, manage.Options{})
	a := f.do(t, http.MethodGet, api+"config/export/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, []string{"debug", "engine_enabled", "triggers"}, keys(a.body))
	trs := arr(t, a.body, "triggers")
	require.Len(t, trs, 6)
	assert.Equal(t, map[string]any{"name": "gadget_noop", "enabled": true, "model": "Gadget", "events": []any{"after_create"}, "priority": float64(50)}, trs[0])
	exported := a.raw

	f.do(t, http.MethodPost, api+"toggle/widget_fail/", "")
	f.do(t, http.MethodPost, api+"engine/toggle/", "")
	a = f.do(t, http.MethodPost, api+"config/import/", exported)
	require.Equal(t, 200, a.code, a.raw)
	assert.Equal(t, exported, a.raw, "the import answers the configuration now in force")
	assert.True(t, f.eng.EngineEnabled())

	a = f.do(t, http.MethodPost, api+"config/import/", `{"engine_enabled":false,"triggers":[{"name":"ghost","enabled":true},{"name":"widget_fail","enabled":false}]}`)
	assert.Equal(t, 400, a.code)
	assert.Equal(t, "unknown_triggers", a.body["code"])
	assert.Contains(t, a.body["message"], `unknown triggers "ghost"`)
	assert.True(t, f.eng.EngineEnabled(), "nothing changed")
	info, _ := f.eng.Trigger("widget_fail")
	assert.True(t, info.Enabled, "nothing changed")

	for _, body := range []string{``, `{"debug":"yes"}`, `{"extra":1}`, `{} {}`, `[`} {
		a = f.do(t, http.MethodPost, api+"config/import/", body)
		assert.Equal(t, 400, a.code, body)
		assert.Equal(t, "invalid_config", a.body["code"], body)
	}
}

func TestHealthAndMetricsEndpoints(t *testing.T) {
	f := newFixture(t, manage.Options{})
	a := f.do(t, http.MethodGet, api+"health/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, map[string]any{"healthy": true, "issues": []any{}}, a.body)

	for range 10 {
		f.do(t, http.MethodPost, api+"execute/widget_fail/", `{"instance_id":"w1"}`)
	}
	a = f.do(t, http.MethodGet, api+"health/", "")
	require.Equal(t, 200, a.code, "an unhealthy engine is still a 200")
	assert.Equal(t, false, a.body["healthy"])
	issues := arr(t, a.body, "issues")
	require.Len(t, issues, 1)
	assert.Equal(t, map[string]any{"code": "high_failure_rate", "trigger": "widget_fail", "message": "trigger widget_fail succeeded in 0.0% of 10 runs (10 failed; at least 95% expected)"}, issues[0])

	a = f.do(t, http.MethodGet, api+"metrics/", "")
	require.Equal(t, 200, a.code)
	assert.Equal(t, []string{"overall", "triggers"}, keys(a.body))
	assert.Equal(t, float64(10), obj(t, a.body, "overall")["failures"])
	trs := arr(t, a.body, "triggers")
	require.Len(t, trs, 6)
	fail := trs[2].(map[string]any)
	assert.Equal(t, "widget_fail", fail["name"])
	assert.Equal(t, float64(10), fail["executions"])
	assert.Equal(t, float64(0), fail["success_rate"])
}

func TestHealthEndpointUsesTheOptionsThresholds(t *testing.T) {
	eng := runtime.New(runtime.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	var n int
	require.NoError(t, runtime.On(eng, widgetModel, runtime.Trigger[widgetChange]{
		Name: "slow", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[widgetChange]{func(context.Context, *widgetChange) error {
			n++
			time.Sleep(3 * time.Millisecond)
			if n == 1 {
				return errBoom
			}
			return nil
		}},
	}))
	for _, id := range []string{"w1", "w2"} {
		_ = runtime.Do(context.Background(), eng, widgetModel, runtime.OpCreate, nil, &widget{ID: id}, nil)
	}
	th := report.Thresholds{MaxMeanDuration: time.Millisecond, MinExecutions: 2, MinSuccessRate: 60}
	a := serve(t, manage.New(eng, manage.Options{Insecure: true, Health: th}), http.MethodGet, api+"health/", "")
	require.Equal(t, 200, a.code)
	var got []string
	for _, is := range arr(t, a.body, "issues") {
		got = append(got, is.(map[string]any)["code"].(string))
	}
	assert.Equal(t, []string{"high_failure_rate", "slow_trigger"}, got, "50%% success is below 60%%; 3ms is above 1ms: %s", a.raw)
}

func TestNewHandler(t *testing.T) {
	eng, _ := newEngine(t)
	h, err := manage.NewHandler(eng, manage.Options{Token: testToken})
	require.NoError(t, err)
	assert.Equal(t, 200, serve(t, h, http.MethodGet, api+"status/", "", "Authorization", "Bearer "+testToken).code)
	for name, tc := range map[string]struct {
		eng  *runtime.Engine
		opts manage.Options
		want string
	}{
		"token and insecure": {eng, manage.Options{Token: testToken, Insecure: true}, "both Token and Insecure are set"},
		"no engine":          {nil, manage.Options{Token: testToken}, "no engine"},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := manage.NewHandler(tc.eng, tc.opts)
			require.ErrorIs(t, err, manage.ErrMisconfigured)
			assert.ErrorContains(t, err, tc.want)
			assert.Nil(t, h)
			a := serve(t, manage.New(tc.eng, tc.opts), http.MethodGet, api+"status/", "", "Authorization", "Bearer "+testToken)
			assert.Equal(t, 500, a.code, "New fails closed")
			assert.Equal(t, "misconfigured", a.body["code"])
			assert.Contains(t, a.body["message"], tc.want)
		})
	}
}

func TestRouting(t *testing.T) {
	f := newFixture(t, manage.Options{})
	for _, path := range []string{
		"/", "/rest/v1/triggers", api, api + "nope/", api + "status/x/", api + "details/", api + "details//",
		api + "details/widget_fail/extra/", api + "toggle/", api + "engine/", api + "config/", api + "status//",
		"/rest/v1/triggersstatus/", "/other" + api + "status/",
	} {
		a := f.do(t, http.MethodGet, path, "")
		assert.Equal(t, 404, a.code, path)
		assert.Equal(t, "not_found", a.body["code"], path)
	}

	gets := []string{"status/", "list/", "details/widget_fail/", "logs/", "config/export/", "health/", "metrics/"}
	posts := []string{"toggle/widget_fail/", "execute/widget_fail/", "engine/toggle/", "cache/clear/", "config/import/"}
	for _, p := range gets {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "BREW"} {
			a := f.do(t, m, api+p, "")
			assert.Equal(t, 405, a.code, "%s %s", m, p)
			assert.Equal(t, "GET, HEAD", a.header.Get("Allow"), p)
			assert.Equal(t, "method_not_allowed", a.body["code"])
			assert.Equal(t, map[string]any{"allowed": []any{"GET", "HEAD"}}, a.body["details"])
		}
		assert.Equal(t, 200, f.do(t, http.MethodHead, api+p, "").code, p)
		assert.Equal(t, 200, f.do(t, http.MethodGet, api+strings.TrimSuffix(p, "/"), "").code, p)
	}
	for _, p := range posts {
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete} {
			a := f.do(t, m, api+p, "")
			assert.Equal(t, 405, a.code, "%s %s", m, p)
			assert.Equal(t, "POST", a.header.Get("Allow"), p)
		}
	}
	assert.True(t, f.eng.EngineEnabled(), "no POST handler ran")
	assert.Equal(t, 404, f.do(t, http.MethodDelete, api+"nope/", "").code, "unknown paths are 404 whatever the method")
}

func TestBodyLimit(t *testing.T) {
	t.Run("default 1 MiB", func(t *testing.T) {
		f := newFixture(t, manage.Options{})
		big := `{"instance_id":"w1"` + strings.Repeat(" ", 1<<20) + `}`
		a := f.do(t, http.MethodPost, api+"execute/widget_audit/", big)
		assert.Equal(t, 413, a.code)
		assert.Equal(t, "body_too_large", a.body["code"])
		assert.Equal(t, map[string]any{"limit": float64(1 << 20)}, a.body["details"])
		assert.Empty(t, f.runs.get())

		fits := `{"instance_id":"w1"` + strings.Repeat(" ", 1<<20-40) + `}`
		assert.Equal(t, 200, f.do(t, http.MethodPost, api+"execute/widget_audit/", fits).code)
	})
	t.Run("configured", func(t *testing.T) {
		f := newFixture(t, manage.Options{MaxBodyBytes: 32})
		for _, p := range []string{"execute/widget_audit/", "toggle/widget_fail/", "engine/toggle/", "cache/clear/", "config/import/"} {
			a := f.do(t, http.MethodPost, api+p, `{"instance_id":"w1","event":"after_update"}`)
			assert.Equal(t, 413, a.code, p)
		}
		a := f.do(t, http.MethodPost, api+"toggle/widget_fail/", `{"enabled":true}`+strings.Repeat(" ", 40))
		assert.Equal(t, 413, a.code, "trailing whitespace counts")
		assert.Equal(t, 200, f.do(t, http.MethodPost, api+"toggle/widget_fail/", `{"enabled":true}`).code)
	})
}

func TestPanicInAuthorizerIsA500(t *testing.T) {
	eng, _ := newEngine(t)
	h := manage.New(eng, manage.Options{Insecure: true, Authorize: func(*http.Request, manage.Caller, manage.Action) error { panic("bug") }})
	a := serve(t, h, http.MethodGet, api+"status/", "")
	assert.Equal(t, 500, a.code)
	assert.Equal(t, "internal_error", a.body["code"])
}
