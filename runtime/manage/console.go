package manage

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/triggergen/triggergen/runtime"
)

// ConsolePath is where the handler serves the operator console: an HTML
// page, embedded in the binary, that shows the engine's status and health,
// every trigger with its figures and a latency chart, a trigger's recent
// records, the audit log, and switches the engine and triggers, runs a
// trigger on demand and exports and imports the configuration, all through
// this API. Open it in a browser at the address the handler is mounted on,
// for example http://localhost:8080/rest/v1/triggers/console/.
//
// The page, its script and its style sheet are served to anyone (GET and
// HEAD, no token needed): they hold no data. The page asks for the token
// once, keeps it in the browser tab's sessionStorage and sends it as
// "Authorization: Bearer <token>" with every API call, which the handler
// authenticates and authorizes like any other; no cookie is set, so there is
// nothing for another site to forge. A caller that Options.Authorize
// restricts (ReadOnly, say) sees the console without the switches and forms
// it may not use. The page is served with a Content-Security-Policy that
// allows only its own script and style sheet and calls to its own origin.
const ConsolePath = Prefix + "console/"

// Endpoints the console uses beyond the original framework's, also open to
// any other client.
const (
	// EndpointWhoami is GET whoami/: how the caller was admitted and which
	// endpoints Options.Authorize lets it call.
	EndpointWhoami Endpoint = "whoami"
	// EndpointLatency is GET latency/: the durations and outcomes of each
	// trigger's latest runs, read from the audit log.
	EndpointLatency Endpoint = "latency"
)

// Limits of the latency/ endpoint's limit parameter.
const (
	defaultLatencyLimit = 30
	maxLatencyLimit     = 200
)

// consoleCSP is the Content-Security-Policy of the console's files: its own
// script, style sheet and API calls, nothing else (no inline script or
// style, no frames, no form posts, no other origin).
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed console/index.html console/app.js console/app.css
var consoleFiles embed.FS

// consoleAsset is one of the console's files, ready to serve.
type consoleAsset struct {
	name, contentType, etag string
	data                    []byte
}

// consoleAssets are the console's files by their path below ConsolePath
// ("" is the page). They never change once read.
var consoleAssets = sync.OnceValue(func() map[string]consoleAsset {
	types := map[string]string{
		"index.html": "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"app.css":    "text/css; charset=utf-8",
	}
	out := make(map[string]consoleAsset, len(types)+1)
	for name, typ := range types {
		data, err := consoleFiles.ReadFile("console/" + name)
		if err != nil {
			panic(fmt.Sprintf("manage: embedded console file %s: %v", name, err)) // the go:embed line lists it
		}
		sum := sha256.Sum256(data)
		out[name] = consoleAsset{name: name, contentType: typ, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, data: data}
	}
	out[""] = out["index.html"]
	return out
})

// serveConsole serves the console's files when the request's path is below
// ConsolePath (or is ConsolePath without its slash, which redirects) and
// reports whether it did.
func (h *handler) serveConsole(w http.ResponseWriter, r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, strings.TrimSuffix(ConsolePath, "/"))
	if !ok || (rest != "" && rest[0] != '/') {
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.fail(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: fmt.Sprintf("%s does not allow %s", safe(r.URL.Path), safe(r.Method)),
			Details: map[string]any{"allowed": []string{http.MethodGet, http.MethodHead}},
			Hint:    "the console's files are read with GET; its actions call the API",
			allow:   "GET, HEAD"})
		return true
	}
	if rest == "" {
		target := "console/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return true
	}
	a, ok := consoleAssets()[rest[1:]]
	if !ok {
		h.fail(w, r, notFound(r.URL.Path))
		return true
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Content-Security-Policy", consoleCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
	return true
}

// whoamiDoc is the answer of whoami/.
type whoamiDoc struct {
	Via     string   `json:"via"`
	ActorID string   `json:"actor_id"`
	Roles   []string `json:"roles"`
	// ReadOnly reports that the caller may call no endpoint that writes,
	// for no trigger.
	ReadOnly bool `json:"read_only"`
	// Endpoints tells, for each endpoint that names no trigger in its path,
	// whether the caller may call it.
	Endpoints map[Endpoint]bool `json:"endpoints"`
	// Triggers tells, for each trigger, whether the caller may call the
	// endpoints that name it.
	Triggers map[string]triggerRights `json:"triggers"`
}

// triggerRights are the endpoints a caller may call for one trigger.
type triggerRights struct {
	Details bool `json:"details"`
	Toggle  bool `json:"toggle"`
	Execute bool `json:"execute"`
}

// untargeted are the endpoints without a trigger in their path, and
// whether they write.
var untargeted = []struct {
	endpoint Endpoint
	write    bool
}{
	{EndpointStatus, false}, {EndpointList, false}, {EndpointLogs, false},
	{EndpointConfigExport, false}, {EndpointHealth, false}, {EndpointMetrics, false},
	{EndpointWhoami, false}, {EndpointLatency, false},
	{EndpointEngineToggle, true}, {EndpointCacheClear, true}, {EndpointConfigImport, true},
}

// whoami answers how the caller was admitted and what Options.Authorize
// lets it do: every endpoint without a trigger in its path is asked about
// with an empty Action.Trigger, and details, toggle and execute once per
// registered trigger, with the whoami request itself. Without an
// authorizer, everything is allowed. The API enforces the same answers on
// each call; whoami only lets a client hide what would be refused.
func (h *handler) whoami(w http.ResponseWriter, r *http.Request, _ string) {
	c, aerr := h.authenticate(r)
	if aerr != nil { // ServeHTTP admitted the request, so this does not happen
		h.fail(w, r, aerr)
		return
	}
	allowed := func(ep Endpoint, trigger string, write bool) bool {
		return h.opts.Authorize == nil || h.opts.Authorize(r, c, Action{Endpoint: ep, Trigger: trigger, Write: write}) == nil
	}
	doc := whoamiDoc{Via: c.Via, Roles: []string{}, ReadOnly: true,
		Endpoints: map[Endpoint]bool{}, Triggers: map[string]triggerRights{}}
	if c.HasActor {
		doc.ActorID = c.Actor.ID
		if c.Actor.Roles != nil {
			doc.Roles = slices.Clone(c.Actor.Roles)
		}
	}
	for _, ep := range untargeted {
		ok := allowed(ep.endpoint, "", ep.write)
		doc.Endpoints[ep.endpoint] = ok
		if ok && ep.write {
			doc.ReadOnly = false
		}
	}
	for _, t := range h.eng.List(runtime.ListFilter{}) {
		tr := triggerRights{
			Details: allowed(EndpointDetails, t.Name, false),
			Toggle:  allowed(EndpointToggle, t.Name, true),
			Execute: allowed(EndpointExecute, t.Name, true),
		}
		if tr.Toggle || tr.Execute {
			doc.ReadOnly = false
		}
		doc.Triggers[t.Name] = tr
	}
	reply(w, http.StatusOK, doc)
}

// latencySample is one run attempt in latency/.
type latencySample struct {
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
	Outcome    string    `json:"outcome"`
}

// latencyDoc is one trigger's samples in latency/.
type latencyDoc struct {
	Name    string          `json:"name"`
	Samples []latencySample `json:"samples"`
}

// latency answers, for every trigger or the one named by the trigger
// parameter, the start, duration and outcome of its latest run attempts
// (limit, 1 to 200, default 30), oldest first, as the audit sink holds
// them: {"triggers": [{"name", "samples": [...]}], "count": n}. With a sink
// that cannot be read, or a sampled one, there are fewer samples or none.
func (h *handler) latency(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	limit := defaultLatencyLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLatencyLimit {
			h.fail(w, r, badRequest("invalid_parameter", fmt.Sprintf("limit=%q is not a number from 1 to %d", safe(v), maxLatencyLimit),
				fmt.Sprintf("use a limit from 1 to %d (default %d)", maxLatencyLimit, defaultLatencyLimit),
				map[string]any{"parameter": "limit", "max": maxLatencyLimit}))
			return
		}
		limit = n
	}
	var names []string
	if name := q.Get("trigger"); name != "" {
		if _, ok := h.eng.Trigger(name); !ok {
			h.fail(w, r, triggerNotFound(name))
			return
		}
		names = []string{name}
	} else {
		for _, t := range h.eng.List(runtime.ListFilter{}) {
			names = append(names, t.Name)
		}
	}
	docs := make([]latencyDoc, len(names))
	for i, name := range names {
		rs := h.eng.Logs(runtime.LogFilter{Trigger: name, Limit: limit})
		samples := make([]latencySample, len(rs))
		for j, rec := range rs { // newest first: reverse
			samples[len(rs)-1-j] = latencySample{Start: rec.Start, DurationMS: millis(rec.Duration), Outcome: rec.Outcome}
		}
		docs[i] = latencyDoc{Name: name, Samples: samples}
	}
	reply(w, http.StatusOK, struct {
		Triggers []latencyDoc `json:"triggers"`
		Count    int          `json:"count"`
	}{docs, len(docs)})
}
