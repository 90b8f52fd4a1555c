package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Job is one unit of deferred trigger work handed to a Queue.
type Job struct {
	// Trigger, Model, Key and Queue name the trigger, its model, the
	// instance's key and the queue the trigger asked for; they describe the
	// job (for logs and for queues that route by name) and are not used to
	// run it.
	Trigger, Model, Key, Queue string
	// Event is the event that fired the trigger.
	Event Event
	// Actor is who caused the event.
	Actor Actor
	// RequestID is the ID of the request the event happened in.
	RequestID string
	// Run does the work (all attempts); the queue calls it once with a context that carries no deadline of the caller.
	// It is nil in the jobs handed to a DurableQueue.
	Run func(ctx context.Context) error

	// The fields below are set for a DurableQueue, which stores the job
	// instead of holding Run, and runs it later, perhaps in another process,
	// through Engine.RunDurable.

	// EventName is the name of Event for the job's model (custom events
	// are numbered per model, so the name is what outlives a process).
	EventName string
	// Retries, Backoff and Timeout are the trigger's: how many times a
	// failed run is retried, the first wait between attempts (doubling
	// up to 30s, ±20% jitter) and the limit on each attempt (0: none).
	Retries          int
	Backoff, Timeout time.Duration
	// Depth is the trigger depth of the operation that queued the job.
	Depth int
	// Old and New are the change of a per-instance trigger, each encoded
	// with the model's codec (generated EncodeM).
	Old, New []byte
	// Items holds the changes of a bulk trigger, one per item.
	Items []JobItem
	// Trace is the trace context of the work that queued the job, written
	// by Config.Observer (nil without one): a DurableQueue stores it with
	// the job and hands it back, so that the run continues the trace.
	Trace map[string]string
}

// JobItem is one item of a bulk trigger's durable job.
type JobItem struct {
	// Event is the name of the item's own event.
	Event string
	// Old and New are the item's change, encoded with the model's codec.
	Old, New []byte
}

// DurableQueue is a Queue that stores jobs so that they outlive the process
// (runtime/riverqueue is one). The engine hands it every async job through
// EnqueueDurable, with the change encoded and no Run; its workers run each
// attempt through Engine.RunDurable.
type DurableQueue interface {
	Queue
	// EnqueueDurable stores job. When ctx carries a transaction the queue
	// can write to (see InTx), the job is stored in that transaction: it
	// exists once the transaction commits, and never if it rolls back.
	EnqueueDurable(ctx context.Context, job Job) error
	// InTx reports whether EnqueueDurable(ctx, ...) stores the job in a
	// transaction carried by ctx. The engine then enqueues an on_commit
	// async trigger at once, in that transaction, instead of after commit.
	InTx(ctx context.Context) bool
}

// Queue runs Jobs off the caller's goroutine.
type Queue interface {
	// Enqueue hands job to the queue. It returns nil once the queue has
	// accepted the job, which it will then run exactly once.
	Enqueue(ctx context.Context, job Job) error
	Close(ctx context.Context) error // stops accepting, drains what was queued; idempotent
}

// QueueStats is reported by queues that can tell how busy they are.
type QueueStats struct {
	// Workers is the number of worker goroutines; Capacity how many jobs
	// may wait; Queued how many are waiting now; Running how many are being
	// run now.
	Workers, Capacity, Queued, Running int
	// Completed counts jobs whose Run returned nil; Failed those whose Run
	// returned an error or panicked.
	Completed, Failed int64
	// Accepted counts the jobs the queue has taken since it started (0 when
	// the queue does not count them): the queue has settled, every accepted
	// job finished, when Completed+Failed equals it.
	Accepted int64
}

// QueueStatser is implemented by queues that report QueueStats.
type QueueStatser interface {
	// QueueStats returns the queue's current figures.
	QueueStats() QueueStats
}

// ErrQueueClosed is returned by Enqueue after Close.
var ErrQueueClosed = errors.New("triggergen: queue is closed")

// ErrQueueFull is wrapped, together with the context's error, in the error
// Enqueue returns when its context ends while it waits for room.
var ErrQueueFull = errors.New("triggergen: async queue is full")

// errNilRun is returned by pool.Enqueue for a Job without Run.
var errNilRun = errors.New("triggergen: job has no Run function")

// pool is the default in-process Queue: a bounded buffer of jobs served by
// a fixed number of worker goroutines. It never drops a job: Enqueue either
// accepts the job, and the job is then run, or returns an error.
//
// Workers are started on the first Enqueue, so an unused pool owns no
// goroutines; after Close has drained the queue every worker has exited.
// A pool is safe for concurrent use and implements QueueStatser.
type pool struct {
	workers int
	jobs    chan Job

	// mu is held for reading while sending on jobs and for writing while
	// closing it, so that no send can happen on a closed channel.
	mu        sync.RWMutex
	closing   chan struct{} // closed first by Close: wakes blocked senders
	closeOnce sync.Once
	startOnce sync.Once
	live      atomic.Int64  // workers still running
	done      chan struct{} // closed when the queue is closed and drained

	// runCtx is passed to every Job.Run; it is cancelled only when a
	// Close's context ends before the queue is drained.
	runCtx    context.Context
	cancelRun context.CancelFunc

	accepted  atomic.Int64
	running   atomic.Int64
	completed atomic.Int64
	failed    atomic.Int64
}

// newPool returns a pool with the given number of workers (10 when <= 0)
// and room for capacity waiting jobs (workers*64 when <= 0). It starts no
// goroutines.
func newPool(workers, capacity int) *pool {
	if workers <= 0 {
		workers = 10
	}
	if capacity <= 0 {
		capacity = workers * 64
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &pool{
		workers:   workers,
		jobs:      make(chan Job, capacity),
		closing:   make(chan struct{}),
		done:      make(chan struct{}),
		runCtx:    ctx,
		cancelRun: cancel,
	}
}

// Enqueue queues job to be run by a worker. When the queue has room the
// job is accepted at once, even if ctx has already ended. Otherwise Enqueue
// waits for room; if ctx ends first it returns an error wrapping both
// ErrQueueFull and ctx.Err(). After Close it returns ErrQueueClosed (an
// Enqueue racing with Close may still be accepted; it is then drained like
// every other queued job). A job with a nil Run is rejected with an error.
func (p *pool) Enqueue(ctx context.Context, job Job) error {
	if job.Run == nil {
		return errNilRun
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	select {
	case <-p.closing:
		return ErrQueueClosed
	default:
	}
	p.startOnce.Do(p.start)
	// Counted before the send, so that a worker never finishes a job the
	// figures do not show as accepted; a send that fails takes it back.
	p.accepted.Add(1)
	select {
	case p.jobs <- job:
		return nil
	default:
	}
	select {
	case p.jobs <- job:
		return nil
	case <-p.closing:
		p.accepted.Add(-1)
		return ErrQueueClosed
	case <-ctx.Done():
		p.accepted.Add(-1)
		return fmt.Errorf("%w: %w", ErrQueueFull, ctx.Err())
	}
}

// start launches the workers.
func (p *pool) start() {
	p.live.Store(int64(p.workers))
	for range p.workers {
		go p.work()
	}
}

// work runs jobs until the queue is closed and empty.
func (p *pool) work() {
	defer func() {
		if p.live.Add(-1) == 0 {
			close(p.done)
		}
	}()
	for job := range p.jobs {
		p.run(job)
	}
}

// run runs one job, counting its result and recovering a panic.
func (p *pool) run(job Job) {
	p.running.Add(1)
	defer p.running.Add(-1)
	defer func() {
		if v := recover(); v != nil {
			p.failed.Add(1)
			slog.Default().LogAttrs(context.Background(), slog.LevelError,
				"triggergen: async job panicked",
				slog.String("trigger", job.Trigger),
				slog.String("model", job.Model),
				slog.String("key", job.Key),
				slog.String("queue", job.Queue),
				slog.String("event", job.Event.String()),
				slog.String("request_id", job.RequestID),
				slog.Any("panic", v),
			)
		}
	}()
	if err := job.Run(p.runCtx); err != nil {
		p.failed.Add(1)
		return
	}
	p.completed.Add(1)
}

// Close stops the pool accepting jobs and waits until every queued job has
// run. It returns nil once the queue is drained, or ctx.Err() if ctx ends
// first; in that case the context passed to the jobs' Run is cancelled and
// the workers keep draining the queue in the background. Close is
// idempotent and safe to call concurrently with Enqueue and with itself;
// later calls wait for the drain like the first.
func (p *pool) Close(ctx context.Context) error {
	p.closeOnce.Do(func() {
		close(p.closing) // wake senders waiting for room
		p.mu.Lock()
		p.startOnce.Do(func() { close(p.done) }) // never started: nothing to drain
		close(p.jobs)
		p.mu.Unlock()
	})
	select {
	case <-p.done:
		p.cancelRun()
		return nil
	default:
	}
	select {
	case <-p.done:
		p.cancelRun()
		return nil
	case <-ctx.Done():
		p.cancelRun()
		return ctx.Err()
	}
}

// QueueStats returns the pool's current figures.
func (p *pool) QueueStats() QueueStats {
	return QueueStats{
		Workers:   p.workers,
		Capacity:  cap(p.jobs),
		Queued:    len(p.jobs),
		Running:   int(p.running.Load()),
		Completed: p.completed.Load(),
		Failed:    p.failed.Load(),
		Accepted:  p.accepted.Load(),
	}
}
