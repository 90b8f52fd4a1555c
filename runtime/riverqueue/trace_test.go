package riverqueue_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/riverqueue"
)

// tracer is a runtime.Observer that names each operation's trace and
// remembers the trace each run saw.
type tracer struct {
	mu   sync.Mutex
	n    int
	runs map[string]string // trigger -> the trace its run continued
}

type traceKey struct{}

func (tr *tracer) StartOperation(ctx context.Context, op runtime.OperationInfo) (context.Context, func(error)) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.n++
	return context.WithValue(ctx, traceKey{}, op.Operation+"-"+string(rune('0'+tr.n))), func(error) {}
}

func (tr *tracer) StartRun(ctx context.Context, run runtime.RunInfo) (context.Context, func(string, error)) {
	trace, _ := ctx.Value(traceKey{}).(string)
	tr.mu.Lock()
	tr.runs[run.Trigger] = trace
	tr.mu.Unlock()
	return ctx, func(string, error) {}
}

func (tr *tracer) StartDeferred(ctx context.Context, _ runtime.RunInfo) (context.Context, func(error)) {
	return ctx, func(error) {}
}

func (tr *tracer) Inject(ctx context.Context, carrier map[string]string) {
	if trace, ok := ctx.Value(traceKey{}).(string); ok {
		carrier["trace"] = trace
	}
}

func (tr *tracer) Extract(ctx context.Context, carrier map[string]string) context.Context {
	return context.WithValue(ctx, traceKey{}, carrier["trace"])
}

func (tr *tracer) run(trigger string) (string, bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	t, ok := tr.runs[trigger]
	return t, ok
}

// TestTraceContextTravelsInTheJob checks that the trace context the
// engine's observer writes when an async trigger's job is queued is stored
// with the River job (Args.Trace) and handed back to the run, which starts
// from a worker's context.
func TestTraceContextTravelsInTheJob(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		tr := &tracer{runs: map[string]string{}}
		q := b.open(t, riverqueue.Config{PollInterval: 20 * time.Millisecond})
		eng := runtime.New(runtime.Config{Queue: q, DefaultTimeout: 5 * time.Second, Observer: tr})
		require.NoError(t, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
			Name: "ship", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
			Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { return nil }},
		}))
		b.start(t, q, eng)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = eng.Close(ctx)
		})
		old := Order{ID: "o1", Status: "new"}
		cur := old
		cur.Status = "paid"
		require.NoError(t, UpdateOrder(context.Background(), eng, &old, &cur, noPersist))
		waitFor(t, "the job to run", func() bool { _, ok := tr.run("ship"); return ok })
		trace, _ := tr.run("ship")
		assert.Equal(t, "update-1", trace, "the run continued the operation's trace")

		var args []byte // JSON on PostgreSQL, SQLite's binary JSON on SQLite
		require.NoError(t, b.db.QueryRow(`SELECT args FROM river_job`).Scan(&args))
		assert.Contains(t, string(args), "update-1", "the job's args hold the trace context")
	})
}
