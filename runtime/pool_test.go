package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ Queue        = (*pool)(nil)
	_ QueueStatser = (*pool)(nil)
)

func poolJob(run func(ctx context.Context) error) Job {
	return Job{Trigger: "t", Model: "m", Key: "k", Event: AfterCreate, Run: run}
}

// chanClosed reports whether ch is closed.
func chanClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestNewPoolDefaults(t *testing.T) {
	tests := []struct {
		workers, capacity         int
		wantWorkers, wantCapacity int
	}{
		{0, 0, 10, 640},
		{-3, -1, 10, 640},
		{2, 0, 2, 128},
		{3, 5, 3, 5},
	}
	for _, tt := range tests {
		p := newPool(tt.workers, tt.capacity)
		assert.Equal(t, QueueStats{Workers: tt.wantWorkers, Capacity: tt.wantCapacity}, p.QueueStats())
		require.NoError(t, p.Close(context.Background()))
	}
}

func TestPoolStartsWorkersLazily(t *testing.T) {
	p := newPool(3, 3)
	assert.Zero(t, p.live.Load(), "no workers before the first Enqueue")
	done := make(chan struct{})
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		close(done)
		return nil
	})))
	<-done
	require.NoError(t, p.Close(context.Background()))
	assert.True(t, chanClosed(p.done), "every worker has exited")
	assert.Zero(t, p.live.Load())
}

func TestPoolRunsJobsWithDetachedContext(t *testing.T) {
	p := newPool(1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	got := make(chan error, 1)
	hasDeadline := make(chan bool, 1)
	require.NoError(t, p.Enqueue(ctx, poolJob(func(ctx context.Context) error {
		_, ok := ctx.Deadline()
		hasDeadline <- ok
		got <- ctx.Err()
		return nil
	})))
	cancel() // the caller's context ending must not affect the job
	assert.False(t, <-hasDeadline)
	assert.NoError(t, <-got)
	require.NoError(t, p.Close(context.Background()))
}

func TestPoolEnqueueBlocksWhileFullThenFails(t *testing.T) {
	p := newPool(1, 1)
	started, release := make(chan struct{}), make(chan struct{})
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		close(started)
		<-release
		return nil
	})))
	<-started // the worker is busy
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error { return nil })))
	assert.Equal(t, 1, p.QueueStats().Queued)
	assert.Equal(t, 1, p.QueueStats().Running)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := p.Enqueue(ctx, poolJob(func(context.Context) error { return nil }))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrQueueFull)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	err = p.Enqueue(ctx2, poolJob(func(context.Context) error { return nil }))
	assert.ErrorIs(t, err, ErrQueueFull)
	assert.ErrorIs(t, err, context.Canceled)

	close(release)
	require.NoError(t, p.Close(context.Background()))
	assert.Equal(t, int64(2), p.QueueStats().Completed, "rejected jobs never ran")
}

func TestPoolEnqueueWaitsForRoom(t *testing.T) {
	p := newPool(1, 1)
	started, release := make(chan struct{}), make(chan struct{})
	var ran atomic.Int64
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		close(started)
		<-release
		ran.Add(1)
		return nil
	})))
	<-started
	count := poolJob(func(context.Context) error { ran.Add(1); return nil })
	require.NoError(t, p.Enqueue(context.Background(), count))

	errc := make(chan error, 1)
	go func() { errc <- p.Enqueue(context.Background(), count) }()
	close(release) // room appears: the blocked Enqueue succeeds
	require.NoError(t, <-errc)
	require.NoError(t, p.Close(context.Background()))
	assert.Equal(t, int64(3), ran.Load())
}

func TestPoolEnqueueAcceptsWithRoomEvenIfContextDone(t *testing.T) {
	p := newPool(1, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, p.Enqueue(ctx, poolJob(func(context.Context) error { return nil })))
	require.NoError(t, p.Close(context.Background()))
	assert.Equal(t, int64(1), p.QueueStats().Completed)
}

func TestPoolCloseDrainsQueuedJobs(t *testing.T) {
	const jobs = 50
	p := newPool(2, jobs)
	gate := make(chan struct{})
	var ran atomic.Int64
	for range jobs {
		require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
			<-gate
			ran.Add(1)
			return nil
		})))
	}
	assert.GreaterOrEqual(t, p.QueueStats().Queued, jobs-2)
	close(gate)
	require.NoError(t, p.Close(context.Background()))
	assert.Equal(t, int64(jobs), ran.Load())
	st := p.QueueStats()
	assert.Equal(t, int64(jobs), st.Completed)
	assert.Zero(t, st.Queued)
	assert.Zero(t, st.Running)
	assert.True(t, chanClosed(p.done))
}

func TestPoolCloseContextExpires(t *testing.T) {
	p := newPool(1, 4)
	started := make(chan struct{})
	jobErr := make(chan error, 1)
	var laterRan atomic.Bool
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(ctx context.Context) error {
		close(started)
		<-ctx.Done() // runs until the pool gives up waiting
		jobErr <- ctx.Err()
		return ctx.Err()
	})))
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		laterRan.Store(true)
		return nil
	})))
	<-started

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Close(ctx), context.DeadlineExceeded)
	assert.ErrorIs(t, <-jobErr, context.Canceled, "Run's context is cancelled once Close gives up")

	// The workers keep draining in the background; a later Close waits for them.
	require.NoError(t, p.Close(context.Background()))
	assert.True(t, laterRan.Load(), "queued job still ran")
	st := p.QueueStats()
	assert.Equal(t, int64(1), st.Failed)
	assert.Equal(t, int64(1), st.Completed)
}

func TestPoolEnqueueAfterClose(t *testing.T) {
	for _, started := range []bool{false, true} {
		p := newPool(1, 1)
		if started {
			require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error { return nil })))
		}
		require.NoError(t, p.Close(context.Background()))
		err := p.Enqueue(context.Background(), poolJob(func(context.Context) error { return nil }))
		assert.ErrorIs(t, err, ErrQueueClosed)
		assert.NotErrorIs(t, err, ErrQueueFull)
	}
}

func TestPoolCloseWakesBlockedEnqueue(t *testing.T) {
	p := newPool(1, 1)
	started, release := make(chan struct{}), make(chan struct{})
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		close(started)
		<-release
		return nil
	})))
	<-started
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error { return nil })))

	errc := make(chan error, 1)
	go func() { errc <- p.Enqueue(context.Background(), poolJob(func(context.Context) error { return nil })) }()
	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	// The blocked Enqueue either wins the race for room after release or
	// sees the pool closing; it never blocks forever and never panics.
	<-p.closing
	close(release)
	err := <-errc
	if err != nil {
		assert.ErrorIs(t, err, ErrQueueClosed)
	}
	require.NoError(t, <-closed)
}

func TestPoolCloseIdempotent(t *testing.T) {
	p := newPool(2, 4)
	var ran atomic.Int64
	for range 4 {
		require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
			ran.Add(1)
			return nil
		})))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { assert.NoError(t, p.Close(context.Background())) })
	}
	wg.Wait()
	require.NoError(t, p.Close(context.Background()))
	assert.Equal(t, int64(4), ran.Load())

	unused := newPool(1, 1)
	require.NoError(t, unused.Close(context.Background()))
	require.NoError(t, unused.Close(context.Background()))
	assert.Zero(t, unused.live.Load(), "Close of an unused pool starts nothing")
}

func TestPoolRecoversPanics(t *testing.T) {
	p := newPool(1, 4)
	var after atomic.Bool
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		panic("boom")
	})))
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		return errors.New("plain failure")
	})))
	require.NoError(t, p.Enqueue(context.Background(), poolJob(func(context.Context) error {
		after.Store(true)
		return nil
	})))
	require.NoError(t, p.Close(context.Background()))
	assert.True(t, after.Load(), "the worker survived the panic")
	st := p.QueueStats()
	assert.Equal(t, int64(2), st.Failed)
	assert.Equal(t, int64(1), st.Completed)
}

func TestPoolRejectsNilRun(t *testing.T) {
	p := newPool(1, 1)
	assert.Error(t, p.Enqueue(context.Background(), Job{Trigger: "t"}))
	assert.Zero(t, p.live.Load())
	require.NoError(t, p.Close(context.Background()))
}

func TestPoolConcurrentEnqueueAndClose(t *testing.T) {
	const producers, per = 8, 100
	p := newPool(4, 16)
	var ran, accepted atomic.Int64
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for range per {
				err := p.Enqueue(context.Background(), poolJob(func(context.Context) error {
					ran.Add(1)
					return nil
				}))
				if err == nil {
					accepted.Add(1)
					continue
				}
				assert.ErrorIs(t, err, ErrQueueClosed)
			}
		})
	}
	wg.Go(func() {
		for p.QueueStats().Completed < 50 {
			time.Sleep(time.Millisecond)
		}
		assert.NoError(t, p.Close(context.Background()))
	})
	wg.Wait()
	require.NoError(t, p.Close(context.Background()))
	assert.Equal(t, accepted.Load(), ran.Load(), "every accepted job ran")
	assert.Equal(t, accepted.Load(), p.QueueStats().Completed)
}
