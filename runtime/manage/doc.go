// Package manage serves the management REST API of a triggergen engine:
// status, listing and details of triggers, switching triggers and the
// engine on and off, running a trigger on demand, the audit log, caches,
// health, metrics and the export and import of the switchable
// configuration.
//
// Mount the handler NewHandler (or New) returns at Prefix:
//
//	api, err := manage.NewHandler(eng, manage.Options{Token: token})
//	if err != nil {
//		return err // a nil engine, or both Token and Insecure set
//	}
//	mux.Handle(manage.Prefix, triggerhttp.RequestMiddleware(actorOf)(api))
//
// Wrapping it in triggerhttp.RequestMiddleware (runtime/triggerhttp) gives the records of runs
// started through execute/ a request ID and an actor.
//
// # Authentication and authorization
//
// Every request must carry Options.Token, as "Authorization: Bearer
// <token>" or in a Supabase-style "apikey: <token>" header; tokens are
// compared in constant time. A missing token is answered with 401
// (missing_token), a wrong one with 401 (invalid_token). With no token
// configured and Insecure not set, every request is refused with 403
// (auth_not_configured). Insecure admits every request. Token and Insecure
// together are a mistake: NewHandler returns an error wrapping
// ErrMisconfigured, and the handler New returns answers every request with
// 500 (misconfigured).
//
// An admitted caller is an operator with every right. Options.Authorize can
// narrow that: it is asked with the request, the Caller (how it was
// admitted, and the actor in the request's context) and the Action (the
// endpoint, the trigger named in the path, whether it writes); an error
// refuses the request with 403 (forbidden). ReadOnly is such a function.
//
// # Responses
//
// Every response body is one JSON object with snake_case keys. Errors,
// including 404 and 405, are
//
//	{"code": "trigger_not_found", "message": "...", "details": {...}, "hint": "..."}
//
// with these statuses: 400 for malformed input (a body that is not exactly
// one JSON object, unknown keys, keys in the wrong case, a key given twice,
// a null value, wrong types, a missing instance_id, an unknown event or
// outcome, a bad query parameter); 401 and 403 as above; 404 for unknown
// paths, triggers and instances; 405, with an Allow header, for a wrong
// method; 409 when execute/ is asked to run a switched-off trigger, or any
// trigger while the engine is switched off, without "force": true; 413 for
// a body over Options.MaxBodyBytes (1 MiB by default); 422
// (trigger_failed) when execute/ ran the trigger and it failed, timed out
// or panicked, and 422 (execute_failed) when the instance could not be
// loaded for another reason than not existing (no loader registered, a
// database error); 503 (engine_closed) when execute/ finds the engine
// closed. Malformed input never gets a 5xx.
//
// Request bodies are read strictly: JSON keys are case-sensitive (unlike
// encoding/json's default, {"Enabled": true} is a 400 that names the right
// spelling), and a key sent as null is a 400 rather than being taken as
// absent.
// GET endpoints also answer HEAD; paths may leave out the trailing slash.
// Unknown query parameters are ignored.
//
// # Endpoints
//
// The examples assume
//
//	API=http://localhost:8080/rest/v1/triggers
//	AUTH="Authorization: Bearer $TRIGGER_TOKEN"
//
// GET status/ reports the engine: system_healthy, engine_enabled,
// total_triggers, enabled_triggers, debug, queue (workers, capacity, queued,
// running, completed, failed; when the queue reports them) and issues.
//
//	curl -H "$AUTH" $API/status/
//
// GET list/ lists the triggers sorted by name, optionally only the enabled
// ones (enabled_only=true), those of a model (model=SimCard) or those that
// run on an event (event=after_update; a name that is neither a built-in
// event nor any trigger's event is a 400): {"triggers": [...], "count": n};
// each trigger has name, model, events, enabled, priority, description,
// conditions, async, on_commit and execution_stats (executions, successes,
// failures, skipped, success_rate in percent, mean_ms, p50_ms, p95_ms,
// max_ms).
//
//	curl -H "$AUTH" "$API/list/?enabled_only=true&model=SimCard&event=after_update"
//
// GET details/{name}/ describes one trigger: the keys of list/ plus
// retries, timeout_ms, queue, bulk, source and recent_logs (its ten newest
// records, shaped like those of logs/).
//
//	curl -H "$AUTH" $API/details/sim_blocked_alert/
//
// POST toggle/{name}/ flips the trigger on or off (no body, or {}), or sets
// it with the body {"enabled": false}, and answers {"name", "enabled"} with
// the new state. {"enabled": null}, a wrongly cased key or any other key is
// a 400 and changes nothing.
//
//	curl -X POST -H "$AUTH" $API/toggle/sim_blocked_alert/
//	curl -X POST -H "$AUTH" -d '{"enabled": true}' $API/toggle/sim_blocked_alert/
//
// POST execute/{name}/ runs the trigger's actions now on the instance the
// model's loader returns for instance_id, without testing its conditions.
// The body is {"instance_id": "...", "model": "...", "event": "...",
// "force": false}; model, when given, must be the trigger's model, and
// event, when given, one of the trigger's events (built-in or custom), by
// default its first, or "custom": the original framework's name for a
// manual run, which runs the trigger whatever its events with the event
// runtime.Manual, recorded as "custom". A trigger that is switched off, or
// any trigger while the engine is switched off, is refused with 409
// (trigger_disabled, engine_disabled) unless the body says "force": true.
// It answers {"trigger", "model", "instance_id", "event", "outcome":
// "success", "duration_ms"}, or 404 (instance_not_found) or 422 as above.
//
//	curl -X POST -H "$AUTH" -d '{"model": "SimCard", "instance_id": "42", "event": "fraud_review"}' $API/execute/fraud_check/
//	curl -X POST -H "$AUTH" -d '{"model": "SimCard", "instance_id": "42", "event": "custom"}' $API/execute/fraud_check/
//	curl -X POST -H "$AUTH" -d '{"instance_id": "42", "force": true}' $API/execute/fraud_check/
//
// POST engine/toggle/ flips the whole engine on or off, or sets it with the
// optional body {"enabled": true}, and answers {"engine_enabled"}.
//
//	curl -X POST -H "$AUTH" $API/engine/toggle/
//	curl -X POST -H "$AUTH" -d '{"enabled": false}' $API/engine/toggle/
//
// GET logs/ returns audit records, newest first, from the engine's audit
// sink, filtered by trigger, model and outcome (success, failure, timeout,
// panic), at most limit of them (1 to 1000, default 100): {"logs": [...],
// "count": n}; each record has trigger, model, instance_id, event,
// actor_id, request_id, start, duration_ms, outcome, error and attempt.
// With a sink that cannot be read the list is empty.
//
//	curl -H "$AUTH" "$API/logs/?trigger=sim_blocked_alert&outcome=failure&limit=20"
//
// POST cache/clear/ drops the instances execute/ cached and rebuilds the
// dispatch plans: {"cleared": true}.
//
//	curl -X POST -H "$AUTH" $API/cache/clear/
//
// GET config/export/ returns the switchable configuration: engine_enabled,
// debug and triggers (name, enabled, and for information model, events and
// priority), the document report.Export writes (runtime/report).
//
//	curl -H "$AUTH" $API/config/export/ > triggers.json
//
// The handler also serves three endpoints beyond the original framework's:
//
// POST config/import/ applies such a document (report.Import):
// the listed triggers' enabled flags and, when present, engine_enabled and
// debug. Unknown trigger names are answered with 400 (unknown_triggers), a
// malformed document with 400 (invalid_config); either way nothing changes.
// It answers with the configuration now in force.
//
//	curl -X POST -H "$AUTH" --data-binary @triggers.json $API/config/import/
//
// GET health/ runs the engine's health checks (report.HealthOf, with the
// thresholds of Options.Health: by default a trigger that
// succeeds in less than 95% of at least 10 runs, or takes more than 1s on
// average, is an issue): {"healthy", "issues": [{"code", "message",
// "trigger"}]}. It answers 200 whether or not the engine is healthy; read
// healthy.
//
//	curl -H "$AUTH" $API/health/
//
// GET metrics/ returns every trigger's figures and their merge
// (report.MetricsOf): {"overall": {...}, "triggers": [{"name",
// "model", "executions", ...}]}.
//
//	curl -H "$AUTH" $API/metrics/
//
// Two more serve the operator console:
//
// GET whoami/ says how the caller was admitted and what Options.Authorize
// lets it do: via, actor_id, roles, read_only, the endpoints it may call,
// and per trigger whether it may read its details, toggle it and execute
// it. The console hides the switches and forms a caller may not use.
//
// GET latency/ returns each trigger's latest runs from the audit log,
// oldest first (trigger=name for one trigger, limit=1..200, default 30):
// start, duration_ms and outcome of each, for the console's charts.
//
// # Operator console
//
// The handler also serves a console at ConsolePath
// (/rest/v1/triggers/console/): one HTML page, its script and its style
// sheet, embedded in the binary, with no third-party code and nothing
// fetched from elsewhere. The page asks for the token once, keeps it in the
// tab's sessionStorage only, and sends it as a bearer header with every
// API call, so the console has exactly the API's rights and no cookie to
// forge; a Content-Security-Policy allows only the page's own script,
// style sheet and origin. It shows the engine's status and health issues,
// every trigger with its settings, figures and a chart of its latest runs,
// a trigger's records and errors, the log with filters, and the switches,
// the run form and the configuration export and import to those allowed
// to use them. It refreshes by itself every two seconds.
package manage
