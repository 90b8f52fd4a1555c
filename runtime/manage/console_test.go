package manage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/manage"
	"github.com/triggergen/triggergen/runtime/report"
)

const console = manage.ConsolePath

// raw serves one request and returns the recorder, for answers that are
// not JSON.
func raw(h http.Handler, method, path string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestConsoleFiles(t *testing.T) {
	f := newFixture(t, manage.Options{})
	files := []struct{ path, typ, marker string }{
		{console, "text/html; charset=utf-8", `<script src="app.js" defer></script>`},
		{console + "index.html", "text/html; charset=utf-8", `<link rel="stylesheet" href="app.css">`},
		{console + "app.js", "text/javascript; charset=utf-8", "sessionStorage"},
		{console + "app.css", "text/css; charset=utf-8", ".switch"},
	}
	for _, file := range files {
		rec := raw(f.h, http.MethodGet, file.path) // no token: the files hold no data
		require.Equal(t, 200, rec.Code, file.path)
		assert.Equal(t, file.typ, rec.Header().Get("Content-Type"), file.path)
		assert.Contains(t, rec.Body.String(), file.marker, file.path)
		assert.Equal(t, "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
			rec.Header().Get("Content-Security-Policy"), file.path)
		assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
		assert.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
		assert.Empty(t, rec.Header().Values("Set-Cookie"), "no cookies")
		assert.NotContains(t, rec.Body.String(), "widget_", "%s holds no data", file.path)

		etag := rec.Header().Get("ETag")
		require.NotEmpty(t, etag)
		again := raw(f.h, http.MethodGet, file.path, "If-None-Match", etag)
		assert.Equal(t, http.StatusNotModified, again.Code, "%s is revalidated by its ETag", file.path)
		head := raw(f.h, http.MethodHead, file.path)
		assert.Equal(t, 200, head.Code)
		assert.Empty(t, head.Body.String())
	}

	page := raw(f.h, http.MethodGet, console).Body.String()
	for _, inline := range []string{"<script>", "<style", " style=", " onclick=", "javascript:", "http://", "https://"} {
		assert.False(t, strings.Contains(page, inline), "the page needs nothing its Content-Security-Policy refuses, nor another origin: %q", inline)
	}
	script := raw(f.h, http.MethodGet, console+"app.js").Body.String()
	script = strings.ReplaceAll(script, "'http://www.w3.org/2000/svg'", "SVG namespace") // a name, not an address
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage", "document.cookie", "http://", "https://"} {
		assert.False(t, strings.Contains(script, sink), "the script builds the page with the DOM API, keeps the token in sessionStorage and calls only its own origin: %q", sink)
	}

	rec := raw(f.h, http.MethodGet, strings.TrimSuffix(console, "/")+"?x=1")
	assert.Equal(t, http.StatusMovedPermanently, rec.Code)
	assert.Equal(t, console+"?x=1", rec.Header().Get("Location"))

	a := serve(t, f.h, http.MethodGet, console+"secrets.json", "")
	assert.Equal(t, 404, a.code)
	assert.Equal(t, "not_found", a.body["code"])
	a = serve(t, f.h, http.MethodGet, console+"x/../app.js", "")
	assert.Equal(t, 404, a.code, "only the console's own files, by their exact names")
	a = serve(t, f.h, http.MethodPost, console, "")
	assert.Equal(t, 405, a.code)
	assert.Equal(t, "GET, HEAD", a.header.Get("Allow"))
	a = serve(t, f.h, http.MethodGet, manage.Prefix+"consoles/", "")
	assert.Equal(t, 401, a.code, "a path that merely starts like the console's is an API path")

	eng, _ := newEngine(t)
	a = serve(t, manage.New(eng, manage.Options{Token: testToken, Insecure: true}), http.MethodGet, console, "")
	assert.Equal(t, 500, a.code, "a misconfigured handler serves nothing, the console included")
}

func TestWhoamiEndpoint(t *testing.T) {
	all := map[string]any{"details": true, "toggle": true, "execute": true}
	readOnly := map[string]any{"details": true, "toggle": false, "execute": false}
	names := []string{"gadget_noop", "widget_audit", "widget_fail", "widget_off", "widget_panic", "widget_slow"}
	onlyFail := func(_ *http.Request, _ manage.Caller, a manage.Action) error {
		if a.Write && a.Trigger != "widget_fail" {
			return errors.New("only widget_fail")
		}
		return nil
	}
	tests := []struct {
		name      string
		opts      manage.Options
		headers   []string
		via       string
		readOnly  bool
		writes    bool // engine/toggle, cache/clear, config/import
		rights    func(name string) map[string]any
		actor     string
		roles     []any
		forbidden bool
	}{
		{name: "operator", via: "bearer", writes: true, rights: func(string) map[string]any { return all }, roles: []any{}},
		{name: "apikey", headers: []string{"Authorization", "", "apikey", testToken}, via: "apikey", writes: true, rights: func(string) map[string]any { return all }, roles: []any{}},
		{name: "read-only", opts: manage.Options{Authorize: manage.ReadOnly}, via: "bearer", readOnly: true,
			rights: func(string) map[string]any { return readOnly }, roles: []any{}},
		{name: "one trigger", opts: manage.Options{Authorize: onlyFail}, via: "bearer",
			rights: func(n string) map[string]any {
				if n == "widget_fail" {
					return all
				}
				return readOnly
			}, roles: []any{}},
		{name: "insecure with an actor", opts: manage.Options{Insecure: true}, headers: []string{"Authorization", "", "X-User", "ann", "X-Roles", "ops,admin"},
			via: "insecure", writes: true, rights: func(string) map[string]any { return all }, actor: "ann", roles: []any{"ops", "admin"}},
		{name: "whoami refused", opts: manage.Options{Authorize: func(_ *http.Request, _ manage.Caller, a manage.Action) error {
			if a.Endpoint == manage.EndpointWhoami {
				return errors.New("no")
			}
			return nil
		}}, forbidden: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			a := f.do(t, http.MethodGet, api+"whoami/", "", tt.headers...)
			if tt.forbidden {
				assert.Equal(t, 403, a.code)
				return
			}
			require.Equal(t, 200, a.code, a.raw)
			assert.Equal(t, []string{"actor_id", "endpoints", "read_only", "roles", "triggers", "via"}, keys(a.body))
			assert.Equal(t, tt.via, a.body["via"])
			assert.Equal(t, tt.actor, a.body["actor_id"])
			assert.Equal(t, tt.roles, a.body["roles"])
			assert.Equal(t, tt.readOnly, a.body["read_only"])
			eps := obj(t, a.body, "endpoints")
			assert.Equal(t, []string{"cache/clear", "config/export", "config/import", "engine/toggle", "health", "latency", "list", "logs", "metrics", "status", "whoami"}, keys(eps))
			for ep, ok := range eps {
				write := ep == "cache/clear" || ep == "config/import" || ep == "engine/toggle"
				assert.Equal(t, !write || tt.writes, ok, ep)
			}
			trs := obj(t, a.body, "triggers")
			assert.Equal(t, names, keys(trs))
			for _, n := range names {
				assert.Equal(t, tt.rights(n), trs[n], n)
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		f := newFixture(t, manage.Options{})
		a := serve(t, f.h, http.MethodGet, api+"whoami/", "")
		assert.Equal(t, 401, a.code)
	})
	t.Run("what it says is what the API does", func(t *testing.T) {
		f := newFixture(t, manage.Options{Authorize: onlyFail})
		trs := obj(t, f.do(t, http.MethodGet, api+"whoami/", "").body, "triggers")
		for _, n := range names {
			code := f.do(t, http.MethodPost, api+"toggle/"+n+"/", `{"enabled": true}`).code
			assert.Equal(t, trs[n].(map[string]any)["toggle"], code == 200, "%s: %d", n, code)
		}
	})
}

func TestLatencyEndpoint(t *testing.T) {
	f := newFixture(t, manage.Options{})
	ctx := context.Background()
	for i := range 3 {
		w := &widget{ID: "w1", State: fmt.Sprint(i)}
		old := *w
		require.Error(t, runtime.Do(ctx, f.eng, widgetModel, runtime.OpUpdate, &old, w, nil))
	}
	require.NoError(t, runtime.Do(ctx, f.eng, gadgetModel, runtime.OpCreate, nil, &gadget{ID: "g1"}, nil))

	a := f.do(t, http.MethodGet, api+"latency/", "")
	require.Equal(t, 200, a.code, a.raw)
	assert.Equal(t, []string{"count", "triggers"}, keys(a.body))
	assert.Equal(t, float64(6), a.body["count"])
	samples := map[string][]any{}
	var order []string
	for _, x := range arr(t, a.body, "triggers") {
		d := x.(map[string]any)
		order = append(order, d["name"].(string))
		samples[d["name"].(string)] = arr(t, d, "samples")
	}
	assert.Equal(t, []string{"gadget_noop", "widget_audit", "widget_fail", "widget_off", "widget_panic", "widget_slow"}, order, "every trigger, by name")
	assert.Empty(t, samples["widget_audit"], "skipped runs are no samples")
	require.Len(t, samples["gadget_noop"], 1)
	s := samples["gadget_noop"][0].(map[string]any)
	assert.Equal(t, []string{"duration_ms", "outcome", "start"}, keys(s))
	assert.Equal(t, "success", s["outcome"])
	require.Len(t, samples["widget_slow"], 3)
	assert.Equal(t, "timeout", samples["widget_slow"][0].(map[string]any)["outcome"])
	assert.GreaterOrEqual(t, samples["widget_slow"][0].(map[string]any)["duration_ms"], 1.0, "its 1ms timeout")
	fails := samples["widget_fail"]
	require.Len(t, fails, 3)
	var starts []time.Time
	for _, x := range fails {
		assert.Equal(t, "failure", x.(map[string]any)["outcome"])
		ts, err := time.Parse(time.RFC3339Nano, x.(map[string]any)["start"].(string))
		require.NoError(t, err)
		starts = append(starts, ts)
	}
	assert.True(t, !starts[1].Before(starts[0]) && !starts[2].Before(starts[1]), "oldest first: %v", starts)

	a = f.do(t, http.MethodGet, api+"latency/?trigger=widget_fail&limit=2", "")
	require.Equal(t, 200, a.code)
	trs := arr(t, a.body, "triggers")
	require.Len(t, trs, 1)
	two := arr(t, trs[0].(map[string]any), "samples")
	require.Len(t, two, 2)
	assert.Equal(t, fails[1:], two, "the newest two")

	a = f.do(t, http.MethodGet, api+"latency/?trigger=nope", "")
	assert.Equal(t, 404, a.code)
	assert.Equal(t, "trigger_not_found", a.body["code"])
	for _, q := range []string{"limit=0", "limit=201", "limit=ten", "limit=-1"} {
		a := f.do(t, http.MethodGet, api+"latency/?"+q, "")
		assert.Equal(t, 400, a.code, q)
		assert.Equal(t, "invalid_parameter", a.body["code"], q)
	}
	assert.Equal(t, 405, f.do(t, http.MethodPost, api+"latency/", "").code)

	eng := runtime.New(runtime.Config{Audit: runtime.NewSlogAudit(nil, nil)})
	defer eng.Close(context.Background())
	a = serve(t, manage.New(eng, manage.Options{Insecure: true}), http.MethodGet, api+"latency/", "")
	assert.Equal(t, map[string]any{"triggers": []any{}, "count": float64(0)}, a.body, "a sink that cannot be read: no samples")
}

// --- in the browser ---

// failWidget updates widget w1 n times: widget_fail fails and widget_slow
// times out each time.
func failWidget(t *testing.T, eng *runtime.Engine, n int) {
	t.Helper()
	for i := range n {
		w := &widget{ID: "w1", State: fmt.Sprint("s", i)}
		old := *w
		require.Error(t, runtime.Do(context.Background(), eng, widgetModel, runtime.OpUpdate, &old, w, nil))
	}
}

// apiState reads a trigger's enabled flag through the API, as a script
// would.
func apiState(t *testing.T, url, name string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(url, "console/")+"details/"+name+"/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var d struct{ Enabled bool }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&d))
	return d.Enabled
}

func row(name string) string { return `#triggers tr[data-trigger="` + name + `"]` }

func TestConsoleSignIn(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{})
	tb := newTab(t)
	tb.open(url)

	tb.wait(visible("#login-form"), "the sign-in form is shown")
	assert.Equal(t, 0, eval[int](tb, count("#triggers tbody tr")), "nothing is shown before signing in")

	tb.signIn("not-the-token")
	tb.waitText("#login-error", "The token was refused. Check it and try again.")
	assert.False(t, eval[bool](tb, visible("#app")), "a wrong token shows nothing")
	assert.Nil(t, eval[*string](tb, `sessionStorage.getItem("triggergen.console.token")`), "a refused token is not kept")

	tb.signIn(testToken)
	tb.wait(visible(row("widget_fail")), "the triggers are listed")
	assert.False(t, eval[bool](tb, visible("#login-form")))
	assert.Equal(t, testToken, eval[string](tb, `sessionStorage.getItem("triggergen.console.token")`), "the token is kept for this tab")
	assert.Equal(t, 0, eval[int](tb, `localStorage.length`), "nothing in localStorage")
	assert.Equal(t, "", eval[string](tb, `document.cookie`), "no cookies")
	assert.Equal(t, "Operator", tb.text("#who-text"))

	tb.reload()
	tb.wait(visible(row("widget_fail")), "a reload keeps the session of this tab")

	tb.click("#logout")
	tb.wait(visible("#login-form"), "signing out shows the sign-in form")
	assert.Nil(t, eval[*string](tb, `sessionStorage.getItem("triggergen.console.token")`), "signing out forgets the token")
	assert.False(t, eval[bool](tb, visible("#app")))

	// Another tab (a new browser context) has no token.
	other := newTab(t)
	other.open(url)
	other.wait(visible("#login-form"), "a new tab asks for the token")
}

func TestConsoleShowsTriggersAndRefreshes(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{})
	tb := newTab(t)
	tb.open(url)
	tb.signIn(testToken)
	tb.wait(visible(row("widget_fail")), "the triggers are listed")

	assert.Equal(t, 6, eval[int](tb, count("#triggers tbody tr")))
	cells := func(name string) []string {
		return eval[[]string](tb, `[...document.querySelectorAll(`+js(row(name)+" td")+`)].map(td => td.textContent.trim())`)
	}
	audit := cells("widget_audit")
	require.Len(t, audit, 12)
	assert.Equal(t, "widget_auditRecords widget changes.", audit[1], "name and description")
	assert.Equal(t, "Widget", audit[2])
	assert.Equal(t, "after_updateinspect", audit[3], "its events")
	assert.Equal(t, `State == "never"`, audit[4], "its condition")
	assert.Equal(t, "75", audit[5], "its priority")
	assert.Equal(t, []string{"0", "–", "–", "–"}, audit[7:11], "no runs yet")
	tb.wait(`document.querySelector(`+js(row("widget_slow")+" td.flags")+`).textContent.includes("timeout 1.0 ms")`, "the timeout flag (from details/) is shown")
	assert.Equal(t, "true", eval[string](tb, `document.querySelector(`+js(row("widget_audit")+" .switch")+`).getAttribute("aria-checked")`))
	assert.Equal(t, "false", eval[string](tb, `document.querySelector(`+js(row("widget_off")+" .switch")+`).getAttribute("aria-checked")`), "widget_off is registered off")
	assert.Equal(t, "Engine on", tb.text("#engine-state"))
	assert.Equal(t, "Healthy", tb.text("#health-state"))
	assert.False(t, eval[bool](tb, visible("#banner")))

	// Operations fired in the application show up without a reload.
	eval[int](tb, `window.notReloaded = 1`)
	require.NoError(t, runtime.Do(context.Background(), eng, gadgetModel, runtime.OpCreate, nil, &gadget{ID: "g1"}, nil))
	tb.waitText(row("gadget_noop")+" td.runs", "1")
	require.NoError(t, runtime.Do(context.Background(), eng, gadgetModel, runtime.OpCreate, nil, &gadget{ID: "g2"}, nil))
	tb.waitText(row("gadget_noop")+" td.runs", "2")
	assert.Equal(t, "100%", tb.text(row("gadget_noop")+" td.rate"))
	assert.NotEqual(t, "–", tb.text(row("gadget_noop")+" td.p50"))
	assert.NotEqual(t, "–", tb.text(row("gadget_noop")+" td.p95"))
	tb.wait(count(row("gadget_noop")+" svg.chart rect.bar.success")+` === 2`, "the chart has a bar per run")
	assert.Equal(t, 1, eval[int](tb, `window.notReloaded`), "the page was not reloaded")

	// The filter narrows the list.
	tb.typeInto("#filter", "gadget")
	tb.wait(count("#triggers tbody tr")+` === 1`, "the filter keeps gadget_noop")
	tb.clear("#filter")
	tb.wait(count("#triggers tbody tr")+` === 6`, "an empty filter shows all")
}

func TestConsoleIncident(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{})
	tb := newTab(t)
	tb.open(url)
	tb.signIn(testToken)
	tb.wait(visible(row("widget_fail")), "the triggers are listed")

	// widget_fail starts failing.
	failWidget(t, eng, 10)
	tb.wait(visible("#banner"), "an unhealthy engine shows a banner")
	tb.waitText("#health-state", "Unhealthy")
	banner := tb.text("#banner")
	assert.Contains(t, banner, "trigger widget_fail succeeded in 0.0% of 10 runs")
	assert.Contains(t, banner, "trigger widget_slow timed out 10 times")
	tb.waitText(row("widget_fail")+" td.rate", "0%")
	assert.Contains(t, eval[string](tb, `document.querySelector(`+js(row("widget_fail"))+`).className`), "issue")
	tb.wait(count(row("widget_fail")+" svg.chart rect.bar.failure")+` === 10`, "the chart shows the failed runs")

	// Find it from the banner, read its errors.
	tb.click(`#banner a[href="#/trigger/widget_fail"]`)
	tb.waitText("#detail-name", "widget_fail")
	tb.wait(count("#detail-records tbody tr.failure")+` === 10`, "its latest records are shown")
	assert.Equal(t, "boom", tb.text("#detail-records tbody tr td.err"))
	assert.Contains(t, tb.text("#detail-issues"), "succeeded in 0.0% of 10 runs")
	assert.Contains(t, tb.text("#detail-stats"), "Failed10")

	// Switch it off: the API reports it disabled, and it no longer runs.
	tb.click("#detail-switch .switch")
	tb.wait(`document.querySelector("#detail-switch .switch").getAttribute("aria-checked") === "false"`, "the switch shows off")
	assert.False(t, apiState(t, url, "widget_fail"), "the API reports widget_fail disabled")
	ti, _ := eng.Trigger("widget_fail")
	assert.False(t, ti.Enabled)
	failWidget(t, eng, 1)
	ti, _ = eng.Trigger("widget_fail")
	assert.Equal(t, int64(10), ti.Stats.Executions, "a switched-off trigger does not run")

	// The list shows it off too; switch it back on from there.
	tb.click(`a[href="#/triggers"]`)
	tb.wait(`document.querySelector(`+js(row("widget_fail")+" .switch")+`)?.getAttribute("aria-checked") === "false"`, "the list shows it off")
	tb.click(row("widget_fail") + " .switch")
	tb.wait(`document.querySelector(`+js(row("widget_fail")+" .switch")+`).getAttribute("aria-checked") === "true"`, "the switch shows on")
	assert.True(t, apiState(t, url, "widget_fail"), "the API reports widget_fail enabled again")
}

func TestConsoleLogFilters(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{})
	failWidget(t, eng, 2)
	require.NoError(t, runtime.Do(context.Background(), eng, gadgetModel, runtime.OpCreate, nil, &gadget{ID: "g1"}, nil))
	tb := newTab(t)
	tb.open(url)
	tb.signIn(testToken)
	tb.click("#tab-log")
	tb.wait(count("#log tbody tr")+` === 5`, "every record: 2 failures, 2 timeouts, 1 success")

	outcomes := func() []string {
		return eval[[]string](tb, `[...document.querySelectorAll("#log tbody tr")].map(tr => tr.dataset.outcome)`)
	}
	tb.choose("#log-outcome", "failure")
	tb.wait(count("#log tbody tr")+` === 2`, "the failures")
	assert.Equal(t, []string{"failure", "failure"}, outcomes())
	assert.Equal(t, "#/log?outcome=failure", eval[string](tb, `location.hash`), "the filter is in the address")
	assert.Contains(t, tb.text("#log tbody tr"), "boom")

	tb.choose("#log-outcome", "")
	tb.choose("#log-model", "Gadget")
	tb.wait(count("#log tbody tr")+` === 1`, "the Gadget record")
	assert.Equal(t, []string{"success"}, outcomes())

	tb.choose("#log-model", "")
	tb.choose("#log-trigger", "widget_slow")
	tb.wait(count("#log tbody tr")+` === 2`, "widget_slow's records")
	assert.Equal(t, []string{"timeout", "timeout"}, outcomes())

	// A new record appears without a reload.
	failWidget(t, eng, 1)
	tb.wait(count("#log tbody tr")+` === 3`, "the new record")
}

func TestConsoleExecuteForm(t *testing.T) {
	eng, runs := newEngine(t)
	url := consoleServer(t, eng, manage.Options{})
	tb := newTab(t)
	tb.open(url + "#/trigger/widget_audit")
	tb.signIn(testToken)
	tb.waitText("#detail-name", "widget_audit")
	tb.wait(`document.querySelector("#run-model").value === "Widget"`, "the form names the trigger's model")
	assert.Equal(t, []string{"after_update", "inspect", "custom"}, eval[[]string](tb, `[...document.querySelectorAll("#run-event option")].map(o => o.value)`))

	tb.typeInto("#run-instance", "w1")
	tb.choose("#run-event", "inspect")
	tb.click("#run-submit")
	tb.wait(`document.querySelector("#run-result").textContent.startsWith("Ran on Widget w1 (inspect): success")`, "the run succeeds")
	assert.Len(t, runs.get(), 1)
	assert.True(t, strings.HasPrefix(runs.get()[0], "w1 inspect"), runs.get())
	tb.wait(`document.querySelector("#detail-stats").textContent.includes("Runs1")`, "its count rises")

	// A record's instance fills the form.
	tb.clear("#run-instance")
	tb.choose("#run-event", "after_update")
	tb.click("#detail-records button.use")
	assert.Equal(t, "w1", eval[string](tb, `document.querySelector("#run-instance").value`))
	assert.Equal(t, "inspect", eval[string](tb, `document.querySelector("#run-event").value`))

	tb.clear("#run-instance")
	tb.typeInto("#run-instance", "w9")
	tb.click("#run-submit")
	tb.wait(`document.querySelector("#run-result").textContent.includes("instance_not_found")`, "an unknown instance is reported")

	require.NoError(t, eng.SetEnabled("widget_audit", false))
	tb.clear("#run-instance")
	tb.typeInto("#run-instance", "w2")
	tb.click("#run-submit")
	tb.wait(`document.querySelector("#run-result").textContent.includes("trigger_disabled")`, "a switched-off trigger is refused")
	assert.Len(t, runs.get(), 1)
	tb.click("#run-force")
	tb.click("#run-submit")
	tb.wait(`document.querySelector("#run-result").textContent.startsWith("Ran on Widget w2")`, "force runs it anyway")
	assert.Len(t, runs.get(), 2)
}

func TestConsoleEngineSwitch(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{})
	tb := newTab(t)
	tb.open(url)
	tb.signIn(testToken)
	tb.waitText("#engine-state", "Engine on")

	tb.click("#engine-switch")
	tb.wait(visible("#engine-confirm"), "switching the engine off asks first")
	assert.True(t, eng.EngineEnabled(), "nothing changes before the confirmation")
	tb.click("#engine-confirm")
	tb.waitText("#engine-state", "Engine off")
	assert.False(t, eng.EngineEnabled())
	tb.wait(`document.querySelector("#banner li[data-code=engine_disabled]") !== null`, "the banner says why")

	tb.click("#engine-switch")
	tb.waitText("#engine-state", "Engine on")
	assert.True(t, eng.EngineEnabled(), "switching on needs no confirmation")
	tb.wait(`document.querySelector("#banner").hidden`, "the banner goes")
}

func TestConsoleConfigExportImport(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{})
	tb := newTab(t)
	dir := t.TempDir()
	tb.allowDownloads(dir)
	tb.open(url + "#/config")
	tb.signIn(testToken)
	tb.wait(visible("#export"), "the configuration view")
	tb.wait(`document.querySelector("#config-current").textContent.includes("widget_off")`, "the configuration in force is shown")

	tb.click("#export")
	file := filepath.Join(dir, "triggers.json")
	require.Eventually(t, func() bool { _, err := os.Stat(file); return err == nil }, 10*time.Second, 50*time.Millisecond, "the download")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var exported report.Settings
	require.NoError(t, json.Unmarshal(data, &exported))
	assert.Equal(t, report.SettingsOf(eng), exported, "the file is the configuration in force")

	// Edit the file: switch widget_fail off, and import it.
	for i := range exported.Triggers {
		if exported.Triggers[i].Name == "widget_fail" {
			exported.Triggers[i].Enabled = false
		}
	}
	edited := filepath.Join(dir, "edited.json")
	data, err = json.Marshal(exported)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(edited, data, 0o600))
	tb.upload("#import-file", edited)
	tb.click("#import")
	tb.wait(`document.querySelector("#config-result").textContent.startsWith("Imported edited.json")`, "the import is confirmed")
	ti, _ := eng.Trigger("widget_fail")
	assert.False(t, ti.Enabled, "the imported file switched widget_fail off")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"triggers": [{"name": "nope", "enabled": true}]}`), 0o600))
	before := report.SettingsOf(eng)
	tb.upload("#import-file", bad)
	tb.click("#import")
	tb.wait(`document.querySelector("#config-result").textContent.startsWith("Import refused, nothing changed: unknown_triggers")`, "an unknown trigger is refused")
	assert.Equal(t, before, report.SettingsOf(eng))

	tb.click("#cache-clear")
	tb.waitText("#config-result", "Caches cleared.")
}

func TestConsoleReadOnly(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{Authorize: manage.ReadOnly})
	tb := newTab(t)
	tb.open(url)
	tb.signIn(testToken)
	tb.wait(visible(row("widget_fail")), "the triggers are listed")
	tb.waitText("#who-text", "Read-only")

	assert.Equal(t, 0, eval[int](tb, count("button.switch")), "no switches")
	assert.Equal(t, 6, eval[int](tb, count("#triggers .state")), "states instead")
	assert.Equal(t, "off", tb.text(row("widget_off")+" .state"))
	assert.False(t, eval[bool](tb, visible("#engine-switch")), "no engine switch")

	tb.click(row("widget_audit") + ` a[href="#/trigger/widget_audit"]`)
	tb.waitText("#detail-name", "widget_audit")
	assert.Equal(t, 0, eval[int](tb, count("#run-form")), "no run form")
	assert.Equal(t, 0, eval[int](tb, count("#detail-switch .switch")))

	tb.click("#tab-config")
	tb.wait(visible("#export"), "export is a read")
	assert.False(t, eval[bool](tb, visible("#import-card")), "no import")
	assert.False(t, eval[bool](tb, visible("#cache-card")), "no cache clearing")
}

func TestConsoleOneTriggerAuthorizer(t *testing.T) {
	eng, _ := newEngine(t)
	url := consoleServer(t, eng, manage.Options{Authorize: func(_ *http.Request, _ manage.Caller, a manage.Action) error {
		if a.Write && a.Trigger != "widget_fail" {
			return errors.New("only widget_fail may be changed")
		}
		return nil
	}})
	tb := newTab(t)
	tb.open(url)
	tb.signIn(testToken)
	tb.wait(visible(row("widget_fail")+" .switch"), "widget_fail has a switch")
	assert.Equal(t, 1, eval[int](tb, count("button.switch")), "only widget_fail")
	assert.Equal(t, "Operator", tb.text("#who-text"))
	assert.False(t, eval[bool](tb, visible("#engine-switch")))
}

func TestConsoleWithoutSignIn(t *testing.T) {
	t.Run("insecure", func(t *testing.T) {
		eng, _ := newEngine(t)
		url := consoleServer(t, eng, manage.Options{Insecure: true})
		tb := newTab(t)
		tb.open(url)
		tb.wait(visible(row("widget_fail")), "an insecure API needs no sign-in")
		assert.Equal(t, "Operator · no token required", tb.text("#who-text"))
		assert.False(t, eval[bool](tb, visible("#logout")), "nothing to sign out of")
	})
	t.Run("no token configured", func(t *testing.T) {
		eng, _ := newEngine(t)
		mux := http.NewServeMux()
		mux.Handle(manage.Prefix, manage.New(eng, manage.Options{}))
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		tb := newTab(t)
		tb.open(srv.URL + console)
		tb.wait(`document.querySelector("#login-error").textContent.startsWith("auth_not_configured: ")`, "the server's reason is shown")
		assert.False(t, eval[bool](tb, visible("#app")))
	})
}

// swappable serves whichever handler was stored last.
type swappable struct{ h atomic.Pointer[http.Handler] }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

func (s *swappable) set(h http.Handler) { s.h.Store(&h) }

func TestConsoleSignsOutWhenTheTokenChanges(t *testing.T) {
	eng, _ := newEngine(t)
	var api swappable
	api.set(manage.New(eng, manage.Options{Token: testToken}))
	mux := http.NewServeMux()
	mux.Handle(manage.Prefix, &api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tb := newTab(t)
	tb.open(srv.URL + console)
	tb.signIn(testToken)
	tb.wait(visible(row("widget_fail")), "the triggers are listed")

	api.set(manage.New(eng, manage.Options{Token: "rotated-token"}))
	tb.wait(visible("#login-form"), "the next refresh finds the token refused and signs out")
	assert.Contains(t, tb.text("#login-error"), "The server no longer accepts the token")
	assert.Nil(t, eval[*string](tb, `sessionStorage.getItem("triggergen.console.token")`))
	assert.False(t, eval[bool](tb, visible("#app")), "nothing stays on screen")

	tb.signIn("rotated-token")
	tb.wait(visible(row("widget_fail")), "the new token works")
}
