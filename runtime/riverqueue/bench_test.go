package riverqueue_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/riverqueue"
)

// Run with:
//
//	TRIGGERGEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench . -benchtime 2000x ./runtime/riverqueue
//
// BenchmarkEnqueue measures an update whose async trigger becomes a River
// job (the insert included, no worker running): ns/op is the cost the
// operation pays, jobs/s the throughput of one goroutine.
// BenchmarkLatency measures, one job at a time, the time from the update to
// the start of the trigger's action in a worker of the same process,
// reported as p50 and p95 in milliseconds.

// benchQueue opens a queue with the default configuration on a fresh
// database of the named kind, and returns it with its Start.
func benchQueue(b *testing.B, kind string) (runtime.DurableQueue, func(*runtime.Engine) error) {
	ctx := context.Background()
	switch kind {
	case "sqlite":
		q, err := riverqueue.OpenSQLite(ctx, sqliteDB(b, filepath.Join(b.TempDir(), "bench.db")), riverqueue.Config{})
		require.NoError(b, err)
		return q, func(eng *runtime.Engine) error { return q.Start(ctx, eng) }
	default:
		pool, err := pgxpool.New(ctx, pgDatabase(b))
		require.NoError(b, err)
		b.Cleanup(pool.Close)
		q, err := riverqueue.OpenPostgres(ctx, pool, riverqueue.Config{})
		require.NoError(b, err)
		return q, func(eng *runtime.Engine) error { return q.Start(ctx, eng) }
	}
}

func BenchmarkEnqueue(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			q, _ := benchQueue(b, name)
			eng := runtime.New(runtime.Config{Queue: q})
			require.NoError(b, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
				Name: "notify", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
				Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error { return nil }},
			}))
			ctx := context.Background()
			old := Order{ID: "o", Status: "new", Amount: 1, Tags: []string{"a"}}
			cur := old
			cur.Status = "paid"
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if err := UpdateOrder(ctx, eng, &old, &cur, noPersist); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
		})
	}
}

func BenchmarkLatency(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			q, start := benchQueue(b, name)
			eng := runtime.New(runtime.Config{Queue: q})
			got := make(chan time.Time, 1)
			require.NoError(b, runtime.On(eng, OrderModel, runtime.Trigger[OrderChange]{
				Name: "notify", Events: []runtime.Event{runtime.AfterUpdate}, Options: runtime.Options{Async: true},
				Actions: []runtime.Action[OrderChange]{func(context.Context, *OrderChange) error {
					got <- time.Now()
					return nil
				}},
			}))
			require.NoError(b, start(eng))
			b.Cleanup(func() { _ = eng.Close(context.Background()) })
			ctx := context.Background()
			old := Order{ID: "o", Status: "new"}
			cur := old
			cur.Status = "paid"
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if err := UpdateOrder(ctx, eng, &old, &cur, noPersist); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, (<-got).Sub(t0))
			}
			slices.Sort(lat)
			ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.95), "p95-ms")
		})
	}
}
