package manage_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/manage"
	"github.com/triggergen/triggergen/runtime/triggerhttp"
)

// An application mounts the management API next to its own routes, behind
// triggerhttp.RequestMiddleware so that the runs it starts carry a request ID
// and an actor, and narrows it with an authorizer: callers without the
// admin role may only read.
func ExampleNew() {
	eng := runtime.New(runtime.Config{Logger: slog.New(slog.DiscardHandler)})
	defer eng.Close(context.Background())
	_ = runtime.On(eng, widgetModel, runtime.Trigger[widgetChange]{
		Name:    "widget_audit",
		Events:  []runtime.Event{runtime.AfterUpdate},
		Actions: []runtime.Action[widgetChange]{func(context.Context, *widgetChange) error { return nil }},
	})

	api := manage.New(eng, manage.Options{
		Token: "s3cret",
		Authorize: func(r *http.Request, c manage.Caller, a manage.Action) error {
			if a.Write && !c.Actor.HasRole("admin") {
				return fmt.Errorf("%s needs the admin role", a.Endpoint)
			}
			return nil
		},
	})
	actor := func(r *http.Request) (runtime.Actor, bool) {
		user := r.Header.Get("X-User")
		return runtime.Actor{ID: user, Roles: strings.Split(r.Header.Get("X-Roles"), ",")}, user != ""
	}
	mux := http.NewServeMux()
	mux.Handle(manage.Prefix, triggerhttp.RequestMiddleware(actor)(api))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := func(method, path, user, roles string) {
		req, _ := http.NewRequest(method, srv.URL+manage.Prefix+path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("X-User", user)
		req.Header.Set("X-Roles", roles)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Print(resp.StatusCode, " ", string(body))
	}
	call(http.MethodGet, "details/widget_audit/", "ann", "staff")
	call(http.MethodPost, "toggle/widget_audit/", "ann", "staff")
	call(http.MethodPost, "toggle/widget_audit/", "bob", "staff,admin")
	// Output:
	// 200 {"name":"widget_audit","model":"Widget","events":["after_update"],"enabled":true,"priority":50,"description":"","conditions":[],"async":false,"on_commit":false,"execution_stats":{"executions":0,"successes":0,"failures":0,"skipped":0,"success_rate":0,"mean_ms":0,"p50_ms":0,"p95_ms":0,"max_ms":0},"retries":0,"timeout_ms":0,"queue":"","bulk":false,"source":"","recent_logs":[]}
	// 403 {"code":"forbidden","message":"toggle needs the admin role","details":{"endpoint":"toggle"},"hint":"the authorizer refused this endpoint for this caller"}
	// 200 {"name":"widget_audit","enabled":false}
}
