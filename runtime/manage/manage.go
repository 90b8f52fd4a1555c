package manage

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/report"
)

// Prefix is the path under which the handler serves its endpoints.
const Prefix = "/rest/v1/triggers/"

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes
// is zero: 1 MiB.
const DefaultMaxBodyBytes int64 = 1 << 20

// Options configures the handler New returns. The zero value refuses every
// request: set Token, or Insecure for local development.
type Options struct {
	// Token is the secret a caller presents as "Authorization: Bearer
	// <token>" or as a Supabase-style "apikey: <token>" header. A caller
	// with the token is an operator with every right, which Authorize can
	// narrow.
	Token string
	// Insecure admits every request without a token. Use it only behind
	// your own authentication or on a developer's machine. Setting it
	// together with Token is an error (see NewHandler).
	Insecure bool
	// Authorize, when not nil, is asked about every admitted request once
	// its endpoint is known; an error refuses the request with 403 and the
	// error's message. Use it to narrow what a caller may do, by endpoint,
	// by trigger or by the actor in the request's context.
	Authorize func(r *http.Request, c Caller, a Action) error
	// MaxBodyBytes limits request bodies (default 1 MiB); a longer body is
	// answered with 413.
	MaxBodyBytes int64
	// Logger receives a record of every refused or failed request at debug
	// level and of recovered panics at error level (default: the engine's
	// logger).
	Logger *slog.Logger
	// Health holds the thresholds of the health checks that status/ and
	// health/ run (a zero field takes its default; report.ThresholdsFromEnv
	// reads them from TRIGGER_HEALTH_* variables).
	Health report.Thresholds
}

// How a caller was admitted, as Caller.Via reports it.
const (
	ViaBearer   = "bearer"   // the Authorization header held the token
	ViaAPIKey   = "apikey"   // the apikey header held the token
	ViaInsecure = "insecure" // Options.Insecure admitted the request
)

// Caller describes who makes an admitted request, for Options.Authorize.
type Caller struct {
	// Via is how the caller was admitted: ViaBearer, ViaAPIKey or
	// ViaInsecure.
	Via string
	// Actor is the actor in the request's context (put there, for example,
	// by triggerhttp.RequestMiddleware); HasActor reports whether there is one.
	Actor    runtime.Actor
	HasActor bool
}

// Endpoint names one of the handler's endpoints, as Action.Endpoint reports
// it: its path below Prefix without the trigger name and trailing slash.
type Endpoint string

// The endpoints.
const (
	EndpointStatus       Endpoint = "status"
	EndpointList         Endpoint = "list"
	EndpointDetails      Endpoint = "details"
	EndpointToggle       Endpoint = "toggle"
	EndpointExecute      Endpoint = "execute"
	EndpointEngineToggle Endpoint = "engine/toggle"
	EndpointLogs         Endpoint = "logs"
	EndpointCacheClear   Endpoint = "cache/clear"
	EndpointConfigExport Endpoint = "config/export"
	EndpointConfigImport Endpoint = "config/import"
	EndpointHealth       Endpoint = "health"
	EndpointMetrics      Endpoint = "metrics"
)

// Action describes what an admitted request asks to do, for
// Options.Authorize.
type Action struct {
	// Endpoint is the endpoint called.
	Endpoint Endpoint
	// Trigger is the trigger named in the path (details, toggle, execute),
	// "" otherwise. It is not checked to exist before Authorize is asked.
	Trigger string
	// Write reports whether the endpoint changes the engine or runs a
	// trigger (every POST endpoint).
	Write bool
}

// ReadOnly is an Options.Authorize function that refuses every endpoint
// that changes the engine or runs a trigger.
func ReadOnly(_ *http.Request, _ Caller, a Action) error {
	if a.Write {
		return fmt.Errorf("%s is not allowed: this API is read-only", a.Endpoint)
	}
	return nil
}

// route is one endpoint: its path segments below Prefix ("{name}" marks
// the trigger name), its method and its handler.
type route struct {
	endpoint Endpoint
	segments []string
	method   string
	serve    func(h *handler, w http.ResponseWriter, r *http.Request, name string)
}

var routes = []route{
	{EndpointStatus, []string{"status"}, http.MethodGet, (*handler).status},
	{EndpointList, []string{"list"}, http.MethodGet, (*handler).list},
	{EndpointDetails, []string{"details", "{name}"}, http.MethodGet, (*handler).details},
	{EndpointToggle, []string{"toggle", "{name}"}, http.MethodPost, (*handler).toggle},
	{EndpointExecute, []string{"execute", "{name}"}, http.MethodPost, (*handler).execute},
	{EndpointEngineToggle, []string{"engine", "toggle"}, http.MethodPost, (*handler).engineToggle},
	{EndpointLogs, []string{"logs"}, http.MethodGet, (*handler).logs},
	{EndpointCacheClear, []string{"cache", "clear"}, http.MethodPost, (*handler).cacheClear},
	{EndpointConfigExport, []string{"config", "export"}, http.MethodGet, (*handler).configExport},
	{EndpointConfigImport, []string{"config", "import"}, http.MethodPost, (*handler).configImport},
	{EndpointHealth, []string{"health"}, http.MethodGet, (*handler).health},
	{EndpointMetrics, []string{"metrics"}, http.MethodGet, (*handler).metrics},
	{EndpointWhoami, []string{"whoami"}, http.MethodGet, (*handler).whoami},    // console.go
	{EndpointLatency, []string{"latency"}, http.MethodGet, (*handler).latency}, // console.go
}

// match returns the route for the path segments and the trigger name in
// them.
func match(segs []string) (*route, string, bool) {
	for i := range routes {
		rt := &routes[i]
		if len(rt.segments) != len(segs) {
			continue
		}
		name, ok := "", true
		for j, s := range rt.segments {
			switch {
			case s == "{name}" && segs[j] != "":
				name = segs[j]
			case s != segs[j]:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			return rt, name, true
		}
	}
	return nil, "", false
}

// handler is the http.Handler New returns.
type handler struct {
	eng       *runtime.Engine
	opts      Options
	tokenHash [sha256.Size]byte
	log       *slog.Logger
	toggleMu  sync.Mutex // makes read-then-flip toggles atomic among API calls
	// misconfigured is why NewHandler refused the configuration; the
	// handler New returns for it refuses every request.
	misconfigured error
}

// ErrMisconfigured is wrapped by the error NewHandler returns for a
// configuration it cannot serve.
var ErrMisconfigured = errors.New("manage: invalid configuration")

// NewHandler returns an http.Handler serving the management API of eng
// under Prefix (/rest/v1/triggers/), or an error wrapping ErrMisconfigured
// when eng is nil or opts sets both Token and Insecure (a token that
// Insecure would make pointless: pick one). Mount the handler at Prefix:
//
//	api, err := manage.NewHandler(eng, manage.Options{Token: token})
//	mux.Handle(manage.Prefix, api)
//
// Every request must present opts.Token unless opts.Insecure is set; with
// neither, every request is refused with 403. See the package
// documentation for the endpoints.
func NewHandler(eng *runtime.Engine, opts Options) (http.Handler, error) {
	h := newHandler(eng, opts)
	if h.misconfigured != nil {
		return nil, h.misconfigured
	}
	return h, nil
}

// New is NewHandler for callers that want the handler alone. Given a
// configuration NewHandler refuses, it logs the reason at error level and
// returns a handler that answers every request with 500 (code
// misconfigured) and that reason, so that a mistake fails closed and
// visibly.
func New(eng *runtime.Engine, opts Options) http.Handler {
	h := newHandler(eng, opts)
	if h.misconfigured != nil {
		h.log.Error("triggergen manage: every request will be refused", slog.String("error", h.misconfigured.Error()))
	}
	return h
}

func newHandler(eng *runtime.Engine, opts Options) *handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	h := &handler{eng: eng, opts: opts, log: opts.Logger}
	switch {
	case eng == nil:
		h.misconfigured = fmt.Errorf("%w: no engine (the *runtime.Engine is nil)", ErrMisconfigured)
	case opts.Token != "" && opts.Insecure:
		h.misconfigured = fmt.Errorf("%w: both Token and Insecure are set; set Token to require it, or Insecure (for local development only) to admit every request", ErrMisconfigured)
	}
	if h.log == nil {
		if eng != nil {
			h.log = eng.Config().Logger
		} else {
			h.log = slog.Default()
		}
	}
	if opts.Token != "" {
		h.tokenHash = sha256.Sum256([]byte(opts.Token))
	}
	return h
}

// ServeHTTP authenticates, routes, authorizes and serves one request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.ErrorContext(r.Context(), "triggergen manage: handler panicked",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("panic", v))
			h.fail(w, r, &apiError{Status: http.StatusInternalServerError, Code: "internal_error",
				Message: "the request could not be served"})
		}
	}()
	if h.misconfigured != nil {
		h.fail(w, r, &apiError{Status: http.StatusInternalServerError, Code: "misconfigured",
			Message: h.misconfigured.Error(),
			Hint:    "fix the manage.Options the server was started with; manage.NewHandler reports this as an error"})
		return
	}
	if h.serveConsole(w, r) { // the console's files hold no data: no token needed
		return
	}
	caller, aerr := h.authenticate(r)
	if aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	rt, name, aerr := h.route(r)
	if aerr != nil {
		h.fail(w, r, aerr)
		return
	}
	if h.opts.Authorize != nil {
		act := Action{Endpoint: rt.endpoint, Trigger: name, Write: rt.method == http.MethodPost}
		if err := h.opts.Authorize(r, caller, act); err != nil {
			h.fail(w, r, &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: err.Error(),
				Details: map[string]any{"endpoint": string(rt.endpoint)},
				Hint:    "the authorizer refused this endpoint for this caller"})
			return
		}
	}
	rt.serve(h, w, r, name)
}

// authenticate admits the request or says why not.
func (h *handler) authenticate(r *http.Request) (Caller, *apiError) {
	c := Caller{}
	c.Actor, c.HasActor = runtime.ActorFrom(r.Context())
	if h.opts.Token != "" {
		presented := false
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, cred, _ := strings.Cut(strings.TrimSpace(auth), " ")
			if cred = strings.TrimSpace(cred); strings.EqualFold(scheme, "Bearer") && cred != "" {
				presented = true
				if h.valid(cred) {
					c.Via = ViaBearer
					return c, nil
				}
			}
		}
		if key := strings.TrimSpace(r.Header.Get("apikey")); key != "" {
			presented = true
			if h.valid(key) {
				c.Via = ViaAPIKey
				return c, nil
			}
		}
		if presented && !h.opts.Insecure {
			return c, &apiError{Status: http.StatusUnauthorized, Code: "invalid_token",
				Message: "the token presented is not valid",
				Hint:    "send the configured token as 'Authorization: Bearer <token>' or 'apikey: <token>'"}
		}
	}
	if h.opts.Insecure {
		c.Via = ViaInsecure
		return c, nil
	}
	if h.opts.Token == "" {
		return c, &apiError{Status: http.StatusForbidden, Code: "auth_not_configured",
			Message: "the management API has no token configured and refuses every request",
			Hint:    "set manage.Options.Token (or Insecure, for local development only)"}
	}
	return c, &apiError{Status: http.StatusUnauthorized, Code: "missing_token",
		Message: "authentication is required",
		Hint:    "send the configured token as 'Authorization: Bearer <token>' or 'apikey: <token>'"}
}

// valid reports whether cred is the token, in constant time.
func (h *handler) valid(cred string) bool {
	sum := sha256.Sum256([]byte(cred))
	return subtle.ConstantTimeCompare(sum[:], h.tokenHash[:]) == 1
}

// route finds the request's endpoint: 404 for an unknown path, 405 for a
// known path with the wrong method.
func (h *handler) route(r *http.Request) (*route, string, *apiError) {
	p, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		return nil, "", notFound(r.URL.Path)
	}
	p = strings.TrimSuffix(p, "/")
	rt, name, ok := match(strings.Split(p, "/"))
	if !ok {
		return nil, "", notFound(r.URL.Path)
	}
	allowed := []string{rt.method}
	if rt.method == http.MethodGet {
		allowed = append(allowed, http.MethodHead)
	}
	for _, m := range allowed {
		if r.Method == m {
			return rt, name, nil
		}
	}
	return nil, "", &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: fmt.Sprintf("%s does not allow %s", safe(Prefix+p+"/"), safe(r.Method)),
		Details: map[string]any{"allowed": allowed},
		Hint:    "use " + strings.Join(allowed, " or "),
		allow:   strings.Join(allowed, ", ")}
}

func notFound(path string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not_found",
		Message: fmt.Sprintf("no endpoint at %s", safe(path)),
		Hint:    "the endpoints are listed in the documentation of package runtime/manage, under " + Prefix}
}

// safe truncates s for echoing it in an error message.
func safe(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}
