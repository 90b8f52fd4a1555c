package bench_test

import (
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/triggergen/triggergen/bench/gormimpl"
	"github.com/triggergen/triggergen/bench/gormplugin"
	"github.com/triggergen/triggergen/bench/models"
	"github.com/triggergen/triggergen/bench/scenario"
	"github.com/triggergen/triggergen/bench/triggers"
	"github.com/triggergen/triggergen/runtime"
)

// gormImpls are the variants of BenchmarkGORMUpdate: one GORM update,
// Model(&card).Update("Status", ACTIVE), of a stored card, on the same
// in-memory SQLite table, measured in this order in one run (run.sh runs
// the test binary once per round, so the variants are interleaved). Each
// checks after its loop what its triggers did and that the writes reached
// the table.
var gormImpls = []impl{
	// No hooks and no plugin: GORM's write alone.
	{"plain", func(tb testing.TB, pool int) runner {
		return pluginRunner(tb, pool, false, (*gormplugin.Env).Activate)
	}},
	// runtime/gormtrigger with the ten triggers; the card was loaded
	// through GORM, so its old values are the snapshot taken on load.
	{"plugin", func(tb testing.TB, pool int) runner {
		return pluginRunner(tb, pool, true, (*gormplugin.Env).Activate)
	}},
	// The same on a fresh SimCard holding the key: the plugin reads the
	// old row by key in the update's transaction.
	{"plugin-by-key", func(tb testing.TB, pool int) runner {
		return pluginRunner(tb, pool, true, (*gormplugin.Env).ActivateByKey)
	}},
	// gormimpl's hand-written BeforeUpdate/AfterUpdate hooks doing the
	// same ten checks and two actions.
	{"hooks", func(tb testing.TB, pool int) runner {
		env := openGORM(tb, pool)
		return runner{update: env.Activate, pool: pool, reset: env.Reset,
			counts: func() scenario.Counters { return gormimpl.Count }, fires: true, active: env.Active}
	}},
}

// pluginRunner updates models.SimCard with GORM, with gormtrigger
// installed and the ten triggers of package triggers registered, or with
// neither.
func pluginRunner(tb testing.TB, pool int, plugin bool, update func(*gormplugin.Env, int) error) runner {
	env := openPlugin(tb, pool, plugin)
	return runner{update: func(i int) error { return update(env, i) }, pool: pool, reset: env.Reset,
		counts: func() scenario.Counters { return triggers.Count }, fires: plugin, active: env.Active}
}

// openPlugin opens gormplugin's database of pool cards, with the plugin
// and the ten triggers or without them, and zeroes the triggers' counters.
func openPlugin(tb testing.TB, pool int, plugin bool) *gormplugin.Env {
	var eng *runtime.Engine
	if plugin {
		eng = runtime.New(runtime.Config{})
		tb.Cleanup(func() { _ = eng.Close(ctx) })
		if err := triggers.Register(eng); err != nil {
			tb.Fatal(err)
		}
	}
	env, err := gormplugin.Open(ctx, pool, eng)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = env.Close() })
	triggers.Count = scenario.Counters{}
	return env
}

// TestGORMUpdate runs each variant of BenchmarkGORMUpdate over a small
// pool, through two resets, and checks that every update fired exactly
// the two matching actions (none without triggers) and wrote its card.
func TestGORMUpdate(t *testing.T) {
	for _, im := range gormImpls {
		t.Run(im.name, func(t *testing.T) { exercise(t, im.setup(t, 3), 8) })
	}
}

// TestGORMPluginNoDeadChecks updates every field once through the plugin,
// of a loaded card and by key: all ten triggers' checks are live there too.
func TestGORMPluginNoDeadChecks(t *testing.T) {
	for _, byKey := range []bool{false, true} {
		t.Run(map[bool]string{false: "loaded", true: "by-key"}[byKey], func(t *testing.T) {
			env := openPlugin(t, 1, true)
			if byKey {
				env.Cards[0] = models.SimCard{ID: env.Cards[0].ID}
			}
			if err := env.UpdateEverything(0); err != nil || triggers.Count != scenario.EverythingCounts {
				t.Fatalf("got %+v, %v; want %+v", triggers.Count, err, scenario.EverythingCounts)
			}
		})
	}
}

// TestGORMPluginWritesTheCard checks that the plugin's updates store the
// activated card whole: the status written, every other column kept.
func TestGORMPluginWritesTheCard(t *testing.T) {
	for _, name := range []string{"plugin", "plugin-by-key"} {
		t.Run(name, func(t *testing.T) {
			env := openPlugin(t, 2, true)
			update := env.Activate
			if name == "plugin-by-key" {
				update = env.ActivateByKey
			}
			if err := update(1); err != nil {
				t.Fatal(err)
			}
			var got []models.SimCard
			if err := env.DB.Session(&gorm.Session{SkipHooks: true}).Order("id").Find(&got).Error; err != nil {
				t.Fatal(err)
			}
			want := []models.SimCard{scenario.Before(), scenario.After()}
			for i := range want {
				want[i].ID = env.Cards[i].ID
			}
			if len(got) != 2 || !sameCard(got[0], want[0]) || !sameCard(got[1], want[1]) {
				t.Fatalf("stored %+v, want %+v", got, want)
			}
		})
	}
}

// TestGORMPluginReads checks which path each plugin variant measures: an
// update of a loaded card reads nothing (the plugin has its snapshot), an
// update by key reads the card's row once.
func TestGORMPluginReads(t *testing.T) {
	env := openPlugin(t, 3, true)
	reads := 0
	err := env.DB.Callback().Query().Before("gorm:query").Register("bench:reads", func(*gorm.DB) { reads++ })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		update func(int) error
		card   int
		reads  int
	}{
		{"loaded", env.Activate, 0, 0},
		{"by key", env.ActivateByKey, 1, 1},
	} {
		reads = 0
		if err := c.update(c.card); err != nil {
			t.Fatal(err)
		}
		if reads != c.reads {
			t.Errorf("the update of a card %s ran %d queries, want %d", c.name, reads, c.reads)
		}
	}
	if err := (runner{counts: func() scenario.Counters { return triggers.Count }, fires: true}).check(2); err != nil {
		t.Fatal(err)
	}
}

// sameCard reports whether a and b hold the same values.
func sameCard(a, b models.SimCard) bool {
	c := models.DiffSimCard(&a, &b)
	return len(c.ChangedFields()) == 0
}

// TestGORMSameTable checks that the plain and plugin variants write to the
// table the hooks variant writes to: the same columns and types.
func TestGORMSameTable(t *testing.T) {
	hooks, err := gormimpl.Open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hooks.Close()
	plain, err := gormplugin.Open(ctx, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ddl := func(db *gorm.DB) string {
		var s string
		if err := db.Raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sim_cards'").Scan(&s).Error; err != nil {
			t.Fatal(err)
		}
		return s
	}
	if a, b := ddl(hooks.DB), ddl(plain.DB); a != b || a == "" {
		t.Fatalf("gormimpl's table:\n%s\ngormplugin's table:\n%s", a, b)
	}
}

// BenchmarkGORMUpdate measures one GORM update of a stored card per
// variant: plain GORM, the gormtrigger plugin with the ten triggers (on a
// loaded card and by key), and hand-written GORM hooks. The variants cycle
// through a pool of cards, reset once per benchPool updates with the timer
// stopped, and each ends by checking the actions and the stored cards.
func BenchmarkGORMUpdate(b *testing.B) {
	for _, im := range gormImpls {
		b.Run(im.name, func(b *testing.B) { measure(b, im.setup(b, benchPool)) })
	}
}

// BenchmarkGORMLoad measures loading n stored cards with one Find, without
// the plugin and with it (which snapshots every loaded card). run.sh does
// not run it; README.md reports it.
func BenchmarkGORMLoad(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, plugin := range []bool{false, true} {
			name := map[bool]string{false: "plain", true: "plugin"}[plugin]
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				env := openPlugin(b, n, plugin)
				b.ReportAllocs()
				for b.Loop() {
					var cards []models.SimCard
					if err := env.DB.Order("id").Find(&cards).Error; err != nil {
						b.Fatal(err)
					}
					if len(cards) != n {
						b.Fatalf("loaded %d cards, want %d", len(cards), n)
					}
				}
			})
		}
	}
}
