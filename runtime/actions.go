package runtime

import (
	"context"
	"log/slog"
)

// RunInfo describes the trigger run a context belongs to.
type RunInfo struct {
	Trigger, Model, Key, Event string
	// Depth is the nesting depth of the operation (1 for the application's own).
	Depth int
	// Attempt numbers the attempt running now, from 1: the retry count of
	// an in-process run plus one, or the durable queue's count of
	// deliveries for a run from a durable job (as ExecutionRecord.Attempt).
	Attempt int
}

// CurrentRun returns what the trigger that ctx was passed to is running on.
func CurrentRun(ctx context.Context) (RunInfo, bool) {
	f := frameFrom(ctx)
	if f == nil {
		return RunInfo{}, false
	}
	t := f.running.Load()
	if t == nil {
		return RunInfo{}, false
	}
	ri := RunInfo{Trigger: t.name, Model: t.model, Depth: f.depth, Attempt: int(f.attempt.Load())}
	if f.inst != nil {
		ri.Key = f.inst.instanceKey()
	}
	ev := Event(f.event.Load())
	ri.Event = ev.String()
	if ev.isCustom() {
		for i, e := range t.events {
			if e == ev {
				ri.Event = t.eventNames[i]
			}
		}
	}
	return ri, true
}

// Log returns an action that logs each run through logger (slog.Default()
// when nil) at info level, with the trigger, model, key, event and actor.
func Log[C any](logger *slog.Logger, msg string) Action[C] {
	return func(ctx context.Context, _ *C) error {
		l := logger
		if l == nil {
			l = slog.Default()
		}
		ri, _ := CurrentRun(ctx)
		a, _ := ActorFrom(ctx)
		l.LogAttrs(ctx, slog.LevelInfo, msg,
			slog.String("trigger", ri.Trigger), slog.String("model", ri.Model), slog.String("key", ri.Key),
			slog.String("event", ri.Event), slog.String("actor", a.ID), slog.String("request_id", RequestIDFrom(ctx)))
		return nil
	}
}
