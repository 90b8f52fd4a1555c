package bench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/triggergen/triggergen/bench"
	"github.com/triggergen/triggergen/bench/entimpl"
	"github.com/triggergen/triggergen/bench/gormimpl"
	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/reflectengine"
	"github.com/triggergen/triggergen/bench/scenario"
	"github.com/triggergen/triggergen/bench/triggers"
	"github.com/triggergen/triggergen/runtime"
)

// runner is one implementation set up for the scenario.
type runner struct {
	// update performs one update of card i of the pool from INACTIVE to
	// ACTIVE (for the no_match variants, an update that changes nothing).
	update func(i int) error
	// pool is how many stored cards update cycles through (0: in memory,
	// no database); reset puts them all back to INACTIVE, and benchmarks
	// call it with the timer stopped each time the pool is used up.
	pool  int
	reset func() error
	// counts returns what the actions did since setup.
	counts func() scenario.Counters
	// fires is whether each update must fire the two matching actions
	// (false: no trigger may fire at all).
	fires bool
	// active, when set, returns the number of cards stored ACTIVE, which
	// check compares with what the updates since the last reset wrote.
	active func() (int, error)
}

// impl names an implementation; setup builds a fresh runner whose
// database, if any, holds pool cards.
type impl struct {
	name  string
	setup func(tb testing.TB, pool int) runner
}

func persistNop(context.Context, *models.SimCard) error { return nil }

var ctx = context.Background()

// benchPool is the number of stored cards a database benchmark cycles
// through between two resets.
const benchPool = 1024

// impls are measured in this order, in one run. go test -count N runs
// each of them N times back to back; run.sh interleaves them by running
// the test binary once per round.
var impls = []impl{
	// In memory: the trigger machinery alone, around a persist that does nothing.
	{"nop_write", func(tb testing.TB, _ int) runner {
		// The "write" of the in-memory implementations: calling a persist
		// function that does nothing.
		cur := scenario.After()
		persist := persistNop
		return runner{update: func(int) error { return persist(ctx, &cur) },
			counts: func() scenario.Counters { return scenario.Counters{} }}
	}},
	{"hand", func(tb testing.TB, _ int) runner { return handRunner(scenario.After(), true) }},
	{"hand_no_match", func(tb testing.TB, _ int) runner { return handRunner(scenario.Before(), false) }},
	// The same ifs with the observation triggergen does by default, and
	// with a run counter per matched action.
	{"handwritten-observed", func(tb testing.TB, _ int) runner { return observedRunner(tb, scenario.After(), true) }},
	{"handwritten-counted", func(tb testing.TB, _ int) runner { return countedRunner(tb, scenario.After(), true) }},
	// The floor prototypes (floor.go): the ten rules through function
	// values, with a context allocated for the actions, and observed.
	{"floor-funcs_no_match", func(tb testing.TB, _ int) runner {
		old, cur := scenario.Before(), scenario.Before()
		n := new(scenario.Counters)
		return runner{update: func(int) error { return bench.FloorFuncs(ctx, &old, &cur, n, persistNop) },
			counts: func() scenario.Counters { return *n }}
	}},
	{"floor-funcs-alloc", func(tb testing.TB, _ int) runner {
		old, cur := scenario.Before(), scenario.After()
		n, runs := new(scenario.Counters), new(bench.RunCounts)
		return runner{update: func(int) error { return bench.FloorAlloc(ctx, &old, &cur, n, runs, persistNop) },
			counts: func() scenario.Counters { return *n }, fires: true}
	}},
	{"floor-funcs-alloc-observed", func(tb testing.TB, _ int) runner {
		old, cur := scenario.Before(), scenario.After()
		n, o := new(scenario.Counters), bench.NewObservation()
		return runner{update: func(int) error { return bench.FloorObserved(ctx, &old, &cur, n, o, persistNop) },
			counts: func() scenario.Counters {
				c := *n
				if err := observedAll(o, c); err != nil {
					tb.Error(err)
					c.Other = -1
				}
				return c
			}, fires: true}
	}},
	{"triggergen", func(tb testing.TB, _ int) runner { return triggergenRunner(tb, scenario.After(), true) }},
	{"triggergen_no_match", func(tb testing.TB, _ int) runner { return triggergenRunner(tb, scenario.Before(), false) }},
	// The observations other than the default, and a context carrying
	// eight values (the actor, the request ID and six others).
	{"triggergen_sampled", func(tb testing.TB, _ int) runner {
		return triggergenRunnerCfg(tb, runtime.Config{Observation: runtime.ObserveSampled}, ctx, scenario.After(), true)
	}},
	{"triggergen_counts", func(tb testing.TB, _ int) runner {
		return triggergenRunnerCfg(tb, runtime.Config{Observation: runtime.ObserveCounts}, ctx, scenario.After(), true)
	}},
	{"triggergen_ctx8", func(tb testing.TB, _ int) runner {
		return triggergenRunnerCfg(tb, runtime.Config{}, ctx8(), scenario.After(), true)
	}},
	{"handwritten-observed_ctx8", func(tb testing.TB, _ int) runner {
		return observedRunnerCtx(tb, ctx8(), scenario.After(), true)
	}},
	{"reflect", func(tb testing.TB, _ int) runner {
		old, cur := scenario.Before(), scenario.After()
		n := new(scenario.Counters)
		eng := reflectengine.New()
		bench.RegisterReflect(eng, n)
		persist := func(context.Context) error { return persistNop(ctx, &cur) }
		return runner{update: func(int) error { return eng.Update(ctx, &old, &cur, persist) },
			counts: func() scenario.Counters { return *n }, fires: true}
	}},
	// ent and GORM hooks without the SQL: the same builders and hook
	// chains, no statement executed (ent: the SQL save replaced by a
	// no-op; GORM: DryRun).
	{"ent_nosql", func(tb testing.TB, pool int) runner {
		return entRunner(tb, pool, true, func(e *entimpl.Env, i int) error { return e.ActivateNoSQL(ctx, i, false) })
	}},
	{"ent_by_id_nosql", func(tb testing.TB, pool int) runner {
		return entRunner(tb, pool, true, func(e *entimpl.Env, i int) error { return e.ActivateNoSQL(ctx, i, true) })
	}},
	{"ent_nosql_nohooks", func(tb testing.TB, pool int) runner {
		return entRunner(tb, pool, false, func(e *entimpl.Env, i int) error { return e.ActivateNoSQL(ctx, i, false) })
	}},
	{"gorm_dryrun", func(tb testing.TB, pool int) runner {
		return gormRunner(tb, pool, true, func(e *gormimpl.Env, i int) error { return e.ActivateDry(i, true) })
	}},
	{"gorm_dryrun_nohooks", func(tb testing.TB, pool int) runner {
		return gormRunner(tb, pool, false, func(e *gormimpl.Env, i int) error { return e.ActivateDry(i, false) })
	}},
	// End to end: the update written to an in-memory SQLite database.
	{"ent", func(tb testing.TB, pool int) runner {
		return entRunner(tb, pool, true, func(e *entimpl.Env, i int) error { return e.Activate(ctx, i) })
	}},
	{"ent_by_id", func(tb testing.TB, pool int) runner {
		return entRunner(tb, pool, true, func(e *entimpl.Env, i int) error { return e.ActivateByID(ctx, i) })
	}},
	{"ent_nohooks", func(tb testing.TB, pool int) runner {
		return entRunner(tb, pool, false, func(e *entimpl.Env, i int) error { return e.Activate(ctx, i) })
	}},
	{"gorm", func(tb testing.TB, pool int) runner {
		return gormRunner(tb, pool, true, (*gormimpl.Env).Activate)
	}},
	{"gorm_nohooks", func(tb testing.TB, pool int) runner {
		return gormRunner(tb, pool, false, (*gormimpl.Env).ActivateBare)
	}},
}

// handRunner runs the hand-written if-statements.
func handRunner(cur models.SimCard, fires bool) runner {
	old := scenario.Before()
	n := new(scenario.Counters)
	return runner{update: func(int) error { return bench.HandWritten(ctx, &old, &cur, n, persistNop) },
		counts: func() scenario.Counters { return *n }, fires: fires}
}

// observedRunner runs the hand-written if-statements with the observation
// of HandWrittenObserved, and checks, with what the actions did, that every
// run was counted, timed and audited.
func observedRunner(tb testing.TB, cur models.SimCard, fires bool) runner {
	return observedRunnerCtx(tb, ctx, cur, fires)
}

// observedRunnerCtx is observedRunner with the updates run with ctx.
func observedRunnerCtx(tb testing.TB, ctx context.Context, cur models.SimCard, fires bool) runner {
	old := scenario.Before()
	n := new(scenario.Counters)
	o := bench.NewObservation()
	return runner{
		update: func(int) error { return bench.HandWrittenObserved(ctx, &old, &cur, n, o, persistNop) },
		counts: func() scenario.Counters {
			c := *n
			if err := observedAll(o, c); err != nil {
				c.Other = -1 // fails Check; observedAll's error is in the test that calls it
				tb.Error(err)
			}
			return c
		},
		fires: fires,
	}
}

// observedAll checks that o counted, timed and audited exactly the runs
// in c.
func observedAll(o *bench.Observation, c scenario.Counters) error {
	want := [bench.NumTriggers]int64{bench.TrigActivated: int64(c.Activated), bench.TrigStatusChanged: int64(c.StatusChanged)}
	var other int64
	for i := range o.Triggers {
		s := &o.Triggers[i]
		var inBuckets int64
		for j := range s.Latency {
			inBuckets += s.Latency[j].Load()
		}
		if inBuckets != s.Runs.Load() || s.Failures.Load() != 0 {
			return fmt.Errorf("trigger %s: %d runs, %d in the histogram, %d failures", bench.Names[i], s.Runs.Load(), inBuckets, s.Failures.Load())
		}
		if i == bench.TrigActivated || i == bench.TrigStatusChanged {
			if s.Runs.Load() != want[i] {
				return fmt.Errorf("trigger %s: %d runs, want %d", bench.Names[i], s.Runs.Load(), want[i])
			}
		} else {
			other += s.Runs.Load()
		}
	}
	if other != int64(c.Other) {
		return fmt.Errorf("%d runs of the other triggers, the actions say %d", other, c.Other)
	}
	recs := o.Records()
	if total := want[0] + want[1] + other; int64(len(recs)) != min(total, bench.AuditRing) {
		return fmt.Errorf("%d audit records after %d runs", len(recs), total)
	}
	for _, r := range recs {
		if r.Trigger == "" || r.Model != "SimCard" || r.Key != "sim-1" || r.Event != "after_update" || r.Start.IsZero() || r.Outcome != "success" || r.Attempt != 1 {
			return fmt.Errorf("audit record %+v", r)
		}
	}
	return nil
}

// countedRunner runs the hand-written if-statements with a run counter per
// matched action, and checks the counters with what the actions did.
func countedRunner(tb testing.TB, cur models.SimCard, fires bool) runner {
	old := scenario.Before()
	n := new(scenario.Counters)
	runs := new(bench.RunCounts)
	return runner{
		update: func(int) error { return bench.HandWrittenCounted(ctx, &old, &cur, n, runs, persistNop) },
		counts: func() scenario.Counters {
			c := *n
			var other int64
			for i := range runs {
				if i != bench.TrigActivated && i != bench.TrigStatusChanged {
					other += runs[i].Load()
				}
			}
			if runs[bench.TrigActivated].Load() != int64(c.Activated) || runs[bench.TrigStatusChanged].Load() != int64(c.StatusChanged) || other != int64(c.Other) {
				tb.Errorf("run counters disagree with the actions: %+v", c)
				c.Other = -1
			}
			return c
		},
		fires: fires,
	}
}

// triggergenRunner updates through the generated models.UpdateSimCard with
// the ten annotated triggers of package triggers registered.
func triggergenRunner(tb testing.TB, cur models.SimCard, fires bool) runner {
	return triggergenRunnerCfg(tb, runtime.Config{}, ctx, cur, fires)
}

// ctx8 returns a context carrying eight values, as a request's context
// might: the actor and the request ID (for triggergen and for the
// observed hand-written code alike) and six others.
func ctx8() context.Context {
	c := runtime.WithActor(context.Background(), runtime.Actor{ID: "ann", Roles: []string{"clerk"}})
	c = runtime.WithRequestID(c, "req-1")
	c = bench.WithActor(c, "ann")
	c = bench.WithRequestID(c, "req-1")
	type key int
	for i := range 4 {
		c = context.WithValue(c, key(i), i)
	}
	return c
}

// triggergenRunnerCfg is triggergenRunner with an engine configured by cfg
// and the updates run with ctx.
func triggergenRunnerCfg(tb testing.TB, cfg runtime.Config, ctx context.Context, cur models.SimCard, fires bool) runner {
	eng := runtime.New(cfg)
	tb.Cleanup(func() { _ = eng.Close(ctx) })
	if err := triggers.Register(eng); err != nil {
		tb.Fatal(err)
	}
	triggers.Count = scenario.Counters{}
	old := scenario.Before()
	return runner{
		update: func(int) error { return models.UpdateSimCard(ctx, eng, &old, &cur, persistNop) },
		counts: func() scenario.Counters { return triggers.Count },
		fires:  fires,
	}
}

// entRunner updates with ent, with the ten hooks registered or none.
func entRunner(tb testing.TB, pool int, hooks bool, update func(*entimpl.Env, int) error) runner {
	env, err := entimpl.Open(ctx, pool)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = env.Close() })
	n := new(scenario.Counters)
	if hooks {
		entimpl.Register(env.Client, n)
	}
	return runner{update: func(i int) error { return update(env, i) }, pool: pool,
		reset: func() error { return env.Reset(ctx) }, counts: func() scenario.Counters { return *n }, fires: hooks}
}

// gormRunner updates with GORM, with its hooks or with SkipHooks.
func gormRunner(tb testing.TB, pool int, hooks bool, update func(*gormimpl.Env, int) error) runner {
	env := openGORM(tb, pool)
	return runner{update: func(i int) error { return update(env, i) }, pool: pool, reset: env.Reset,
		counts: func() scenario.Counters { return gormimpl.Count }, fires: hooks}
}

// openGORM opens gormimpl's database of pool cards and zeroes the hooks'
// counters.
func openGORM(tb testing.TB, pool int) *gormimpl.Env {
	env, err := gormimpl.Open(ctx, pool)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = env.Close() })
	gormimpl.Count = scenario.Counters{}
	return env
}

// check reports whether r did exactly what n updates must do.
func (r runner) check(n int) error {
	want := n
	if !r.fires {
		want = 0
	}
	if err := r.counts().Check(want); err != nil {
		return err
	}
	if r.active == nil {
		return nil
	}
	// The pool was reset before updates number pool, 2*pool, ...; every
	// update since the last reset activated one card.
	wantActive := 0
	if n > 0 {
		wantActive = (n-1)%r.pool + 1
	}
	got, err := r.active()
	if err != nil {
		return err
	}
	if got != wantActive {
		return fmt.Errorf("after %d updates of a pool of %d, %d cards are stored ACTIVE, want %d", n, r.pool, got, wantActive)
	}
	return nil
}

// exercise makes updates updates with r over its pool, resetting the pool
// each time it is used up as the benchmarks do, and checks what they did.
func exercise(t *testing.T, r runner, updates int) {
	t.Helper()
	for i := range updates {
		if r.pool > 0 && i > 0 && i%r.pool == 0 {
			if err := r.reset(); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.update(i % max(r.pool, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.check(updates); err != nil {
		t.Fatal(err)
	}
}

// measure is one sub-benchmark: updates with r for as long as b.Loop
// says, resetting the pool with the timer stopped each time it is used up,
// then the check of what they did.
func measure(b *testing.B, r runner) {
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		i := 0
		if r.pool > 0 {
			if i = n % r.pool; i == 0 && n > 0 {
				b.StopTimer()
				if err := r.reset(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		}
		if err := r.update(i); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := r.check(n); err != nil {
		b.Fatal(err)
	}
}

// TestExactlyTwo runs each implementation over a small pool, through two
// resets, and checks that every update fired exactly the two matching
// actions and nothing else (none at all for the write-only and no-match
// variants).
func TestExactlyTwo(t *testing.T) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) { exercise(t, im.setup(t, 3), 8) })
	}
}

// TestNoDeadChecks updates every field once per implementation: all ten
// checks are live, so "exactly two fired" above is not an accident.
func TestNoDeadChecks(t *testing.T) {
	want := scenario.EverythingCounts
	t.Run("hand", func(t *testing.T) {
		old, cur := scenario.Before(), scenario.Everything()
		var n scenario.Counters
		if err := bench.HandWritten(ctx, &old, &cur, &n, persistNop); err != nil || n != want {
			t.Fatalf("got %+v, %v; want %+v", n, err, want)
		}
	})
	t.Run("triggergen", func(t *testing.T) {
		r := triggergenRunner(t, scenario.Everything(), true)
		if err := r.update(0); err != nil || r.counts() != want {
			t.Fatalf("got %+v, %v; want %+v", r.counts(), err, want)
		}
	})
	t.Run("handwritten-observed", func(t *testing.T) {
		r := observedRunner(t, scenario.Everything(), true)
		if err := r.update(0); err != nil || r.counts() != want {
			t.Fatalf("got %+v, %v; want %+v", r.counts(), err, want)
		}
	})
	t.Run("handwritten-counted", func(t *testing.T) {
		r := countedRunner(t, scenario.Everything(), true)
		if err := r.update(0); err != nil || r.counts() != want {
			t.Fatalf("got %+v, %v; want %+v", r.counts(), err, want)
		}
	})
	t.Run("floor", func(t *testing.T) {
		old, cur := scenario.Before(), scenario.Everything()
		var n, m, k scenario.Counters
		var runs bench.RunCounts
		o := bench.NewObservation()
		if err := bench.FloorFuncs(ctx, &old, &cur, &n, persistNop); err != nil || n != want {
			t.Fatalf("FloorFuncs: got %+v, %v; want %+v", n, err, want)
		}
		if err := bench.FloorAlloc(ctx, &old, &cur, &m, &runs, persistNop); err != nil || m != want {
			t.Fatalf("FloorAlloc: got %+v, %v; want %+v", m, err, want)
		}
		if err := bench.FloorObserved(ctx, &old, &cur, &k, o, persistNop); err != nil || k != want {
			t.Fatalf("FloorObserved: got %+v, %v; want %+v", k, err, want)
		}
		if err := observedAll(o, k); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reflect", func(t *testing.T) {
		old, cur := scenario.Before(), scenario.Everything()
		var n scenario.Counters
		eng := reflectengine.New()
		bench.RegisterReflect(eng, &n)
		err := eng.Update(ctx, &old, &cur, func(context.Context) error { return nil })
		if err != nil || n != want {
			t.Fatalf("got %+v, %v; want %+v", n, err, want)
		}
	})
	t.Run("ent", func(t *testing.T) {
		env, err := entimpl.Open(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		var n scenario.Counters
		entimpl.Register(env.Client, &n)
		if err := env.UpdateEverything(ctx, 0); err != nil || n != want {
			t.Fatalf("got %+v, %v; want %+v", n, err, want)
		}
	})
	t.Run("gorm", func(t *testing.T) {
		env, err := gormimpl.Open(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		gormimpl.Count = scenario.Counters{}
		if err := env.UpdateEverything(0); err != nil || gormimpl.Count != want {
			t.Fatalf("got %+v, %v; want %+v", gormimpl.Count, err, want)
		}
	})
}

// TestTwoOfTen checks that the scenario is what it claims for the reference
// implementation: ten triggers, and exactly two of them fire.
func TestTwoOfTen(t *testing.T) {
	eng := runtime.New(runtime.Config{})
	defer eng.Close(ctx)
	if err := triggers.Register(eng); err != nil {
		t.Fatal(err)
	}
	if got := len(eng.List(runtime.ListFilter{Model: "SimCard"})); got != 10 {
		t.Fatalf("%d triggers registered, want 10", got)
	}
}

// TestWritesReachTheDatabase checks that the ORM updates really write.
func TestWritesReachTheDatabase(t *testing.T) {
	t.Run("ent", func(t *testing.T) {
		env, err := entimpl.Open(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		if err := env.Activate(ctx, 0); err != nil {
			t.Fatal(err)
		}
		got, err := env.Client.SimCard.Get(ctx, env.Cards[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "ACTIVE" || len(got.Tags) != 2 || got.AssignedTo == nil || *got.AssignedTo != scenario.Owner {
			t.Fatalf("stored card %+v", got)
		}
	})
	t.Run("gorm", func(t *testing.T) {
		env, err := gormimpl.Open(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		if err := env.Activate(0); err != nil {
			t.Fatal(err)
		}
		var got gormimpl.SimCard
		if err := env.DB.First(&got, "id = ?", env.Cards[0].ID).Error; err != nil {
			t.Fatal(err)
		}
		if got.Status != gormimpl.Active || len(got.Tags) != 2 || got.AssignedTo == nil || *got.AssignedTo != scenario.Owner {
			t.Fatalf("stored card %+v", got)
		}
	})
}

// BenchmarkUpdate measures one update per implementation. The database
// variants cycle through a pool of stored cards and reset it, timer
// stopped, once per benchPool updates. Each benchmark ends by checking that
// every update fired exactly the two matching actions (none for the
// write-only and no-match variants).
func BenchmarkUpdate(b *testing.B) {
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) { measure(b, im.setup(b, benchPool)) })
	}
}
