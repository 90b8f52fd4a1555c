// Package runtime is the core of triggergen: the engine that the generated
// code registers triggers with and runs them through. It holds the engine
// (New, Config, Engine), the models the generated code describes (Model,
// ModelSpec, and Do and DoMany, the lifecycle operations the generated
// CreateM, UpdateM and the others call), triggers and their options (Trigger,
// BatchTrigger, Options, conditions and actions), dispatch, transaction
// scopes (BeginScope), statistics (Stats, TriggerInfo) and the audit
// interface (AuditSink, ExecutionRecord).
//
// It uses the standard library only, and neither net/http, encoding/json
// nor database/sql. Its engine is generic code instantiated once, whatever
// the number of models: the typed functions convert at its edge (see
// erase.go), so that a program's build does not compile the engine again
// for every model. The rest lives beside it, one package per concern:
// runtime/field (the change tracking generated code shares: changed-field
// sets), runtime/codec (the JSON codec of the generated EncodeM and DecodeM),
// runtime/report (status, metrics, health checks, configuration export and
// import), runtime/manage (the management API and operator console),
// runtime/triggerhttp (the Webhook action and RequestMiddleware),
// runtime/riverqueue (durable async work), runtime/sqlscope (scopes bound
// to database/sql transactions), runtime/sqlaudit,
// runtime/prom, runtime/otel, runtime/gormtrigger and runtime/triggertest.
package runtime
