package runtime

import "context"

// Observer is told when operations, trigger runs and the work they queue
// start and end, so that they can be traced: runtime/otel makes one that
// records OpenTelemetry spans. Set it as Config.Observer; without one the
// engine pays a nil check per operation and per run.
//
// The contexts an Observer returns carry on: an operation's to its persist
// function, its triggers and the work it queues; a run's to the trigger's
// actions. Each must be derived from the ctx it was given, keeping its
// values.
type Observer interface {
	// StartOperation is called when an operation starts on its triggers
	// (not for an operation of a model without triggers, nor for one whose
	// context skips them all); end is called once, with the operation's
	// error, when it returns.
	StartOperation(ctx context.Context, op OperationInfo) (_ context.Context, end func(error))
	// StartRun is called before each attempt of a trigger run:
	// synchronous, async, durable or Execute's. ctx is the trigger's
	// context (CurrentRun(ctx) describes the run, as run does); end is
	// called once with the attempt's outcome (an Outcome constant) and
	// error.
	StartRun(ctx context.Context, run RunInfo) (_ context.Context, end func(outcome string, err error))
	// StartDeferred is called when an on_commit trigger's work is done:
	// when its scope commits, or at once without a scope. The work is the
	// run itself or, for an async trigger, handing its job to the queue (a
	// durable queue that writes in the operation's transaction takes the
	// job at once, without this call); end is called once with the work's
	// error.
	StartDeferred(ctx context.Context, run RunInfo) (_ context.Context, end func(error))
	// Inject writes the trace context of ctx into carrier, which a durable
	// queue stores with the job (Job.Trace); Extract returns ctx with the
	// trace context carrier holds, for the job's run.
	Inject(ctx context.Context, carrier map[string]string)
	Extract(ctx context.Context, carrier map[string]string) context.Context
}

// OperationInfo describes an operation for Observer.StartOperation.
type OperationInfo struct {
	// Model names the model. Operation is "create", "update", "delete",
	// "create_many", "update_many", "delete_many" or "fire"; for "fire",
	// Event names the event.
	Model, Operation, Event string
	// Key is the instance's key; for a bulk operation, the items' keys
	// joined as in a batch's audit record.
	Key string
	// Items is the number of instances: 1, or a bulk operation's items.
	Items int
	// Depth is the nesting depth (1 for the application's own operation).
	Depth int
}

// opNames name the operations for OperationInfo.
var opNames = [numOps]string{opCreate: "create", opUpdate: "update", opDelete: "delete"}

// observeOp runs do, the triggers of an operation, between the observer's
// start and end of it.
func observeOp(ctx context.Context, obs Observer, info OperationInfo, do func(context.Context) error) error {
	ctx, end := obs.StartOperation(ctx, info)
	err := do(ctx)
	end(err)
	return err
}

// observeDeferred wraps the on_commit work of trigger t so that the
// observer sees it.
func observeDeferred(obs Observer, info RunInfo, work func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, end := obs.StartDeferred(ctx, info)
		err := work(ctx)
		end(err)
		return err
	}
}
