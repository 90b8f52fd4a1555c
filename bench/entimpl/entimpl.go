// Package entimpl is the benchmark scenario on entgo.io/ent: the generated
// client of ../ent on an in-memory SQLite database, and the ten triggers as
// ent hooks (client.SimCard.Use with hook.On), written the way ent's
// documentation writes them: read the new value from the mutation, the old
// one with m.OldX(ctx), then run the action after the write.
package entimpl

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	// The pure-Go SQLite driver ("sqlite"). It is the modernc.org/sqlite
	// driver as glebarez/go-sqlite repackages it for GORM; using it here too
	// keeps ent and GORM on the same SQLite build (two drivers cannot both
	// register the name "sqlite" in one binary).
	_ "github.com/glebarez/go-sqlite"

	"github.com/triggergen/triggergen/bench/ent"
	"github.com/triggergen/triggergen/bench/ent/hook"
	"github.com/triggergen/triggergen/bench/ent/simcard"
	"github.com/triggergen/triggergen/bench/scenario"
)

var dbSeq atomic.Int64

// Env is one in-memory database holding a pool of cards, all INACTIVE.
// Benchmarks update card i%len(Cards) and reset the whole pool (one
// statement, timer stopped) when they have used it up, so that the timed
// loop holds the update alone.
type Env struct {
	DB     *sql.DB
	Client *ent.Client
	Cards  []*ent.SimCard // the cards as loaded, INACTIVE
	node   ent.SimCard    // what the no-SQL save returns
}

// Open creates a fresh in-memory database, migrates it and stores pool
// copies of scenario.Before. A single connection keeps the in-memory
// database alive.
func Open(ctx context.Context, pool int) (*Env, error) {
	dsn := fmt.Sprintf("file:ent%d?mode=memory&_pragma=foreign_keys(1)", dbSeq.Add(1))
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.SQLite, db)))
	env := &Env{DB: db, Client: client}
	if err := env.fill(ctx, pool); err != nil {
		client.Close()
		return nil, err
	}
	return env, nil
}

func (e *Env) fill(ctx context.Context, pool int) error {
	if err := e.Client.Schema.Create(ctx); err != nil {
		return err
	}
	b := scenario.Before()
	for i := range pool {
		card, err := e.Client.SimCard.Create().
			SetID(fmt.Sprintf("%s-%d", b.ID, i)).SetSerialNumber(b.SerialNumber).SetStatus(simcard.Status(b.Status)).
			SetFraudFlag(b.FraudFlag).SetQuality(b.Quality).SetShopID(b.ShopID).
			SetNillableAssignedTo(b.AssignedTo).SetRegistered(b.Registered).
			SetActivatedAt(b.ActivatedAt).SetTags(b.Tags).
			Save(ctx)
		if err != nil {
			return err
		}
		e.Cards = append(e.Cards, card)
	}
	return nil
}

// Close closes the database.
func (e *Env) Close() error { return e.Client.Close() }

// Reset puts every stored card back to INACTIVE with plain SQL (no hooks).
// The loaded entities never change: ent's Save returns new ones.
func (e *Env) Reset(ctx context.Context) error {
	_, err := e.DB.ExecContext(ctx, "UPDATE sim_cards SET status = ?", simcard.StatusINACTIVE)
	return err
}

// Activate is the update as an application holding the loaded card writes
// it: ent passes the loaded entity to the mutation, so OldX reads it
// without a query.
func (e *Env) Activate(ctx context.Context, i int) error {
	_, err := e.Cards[i].Update().SetStatus(simcard.StatusACTIVE).Save(ctx)
	return err
}

// ActivateByID is the same update by ID: the first OldX call in the hooks
// loads the card with a SELECT (once per mutation).
func (e *Env) ActivateByID(ctx context.Context, i int) error {
	_, err := e.Client.SimCard.UpdateOneID(e.Cards[i].ID).SetStatus(simcard.StatusACTIVE).Save(ctx)
	return err
}

// ActivateNoSQL builds the same update as Activate (or ActivateByID) and
// runs the client's hooks around a save that executes no SQL, so the hooks'
// cost stands alone. The chain is built exactly as ent's generated
// withHooks (ent/ent.go) builds it for Save.
func (e *Env) ActivateNoSQL(ctx context.Context, i int, byID bool) error {
	var u *ent.SimCardUpdateOne
	if byID {
		u = e.Client.SimCard.UpdateOneID(e.Cards[i].ID)
	} else {
		u = e.Cards[i].Update()
	}
	_, err := saveWithoutSQL(ctx, u.SetStatus(simcard.StatusACTIVE).Mutation(), e.Client.SimCard.Hooks(), &e.node)
	return err
}

// saveWithoutSQL is ent's generated withHooks for *SimCardUpdateOne.Save,
// with the SQL statement (sqlSave) replaced by returning node.
func saveWithoutSQL(ctx context.Context, mutation *ent.SimCardMutation, hooks []ent.Hook, node *ent.SimCard) (*ent.SimCard, error) {
	exec := func(context.Context) (*ent.SimCard, error) { return node, nil }
	if len(hooks) == 0 {
		return exec(ctx)
	}
	var mut ent.Mutator = ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		mutationT, ok := m.(*ent.SimCardMutation)
		if !ok {
			return nil, fmt.Errorf("unexpected mutation type %T", m)
		}
		*mutation = *mutationT
		return exec(ctx)
	})
	for i := len(hooks) - 1; i >= 0; i-- {
		mut = hooks[i](mut)
	}
	v, err := mut.Mutate(ctx, mutation)
	if err != nil {
		return nil, err
	}
	nv, ok := v.(*ent.SimCard)
	if !ok {
		return nil, fmt.Errorf("unexpected node type %T returned from %T", v, mutation)
	}
	return nv, nil
}

// UpdateEverything writes every field of scenario.Everything to card i
// (tests only).
func (e *Env) UpdateEverything(ctx context.Context, i int) error {
	c := scenario.Everything()
	_, err := e.Cards[i].Update().SetSerialNumber(c.SerialNumber).SetStatus(simcard.Status(c.Status)).
		SetFraudFlag(c.FraudFlag).SetQuality(c.Quality).SetShopID(c.ShopID).
		SetNillableAssignedTo(c.AssignedTo).SetRegistered(c.Registered).
		SetActivatedAt(c.ActivatedAt).SetTags(c.Tags).
		Save(ctx)
	return err
}

// after is an after_update trigger: check runs before the write (ent
// refuses OldX after it), act after a successful write.
func after(check func(context.Context, *ent.SimCardMutation) (bool, error), act func()) ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.SimCardFunc(func(ctx context.Context, m *ent.SimCardMutation) (ent.Value, error) {
			ok, err := check(ctx, m)
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err == nil && ok {
				act()
			}
			return v, err
		})
	}, ent.OpUpdateOne)
}

// Register adds the ten triggers to c; their actions count into n.
func Register(c *ent.Client, n *scenario.Counters) {
	other := func() { n.Other++ }
	c.SimCard.Use(
		// Status changed from INACTIVE to ACTIVE
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			s, ok := m.Status()
			if !ok {
				return false, nil
			}
			old, err := m.OldStatus(ctx)
			if err != nil {
				return false, err
			}
			return old != s && old == simcard.StatusINACTIVE && s == simcard.StatusACTIVE, nil
		}, func() { n.Activated++ }),
		// Status changed
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			v, ok := m.Status()
			if !ok {
				return false, nil
			}
			old, err := m.OldStatus(ctx)
			if err != nil {
				return false, err
			}
			return old != v, nil
		}, func() { n.StatusChanged++ }),
		// FraudFlag changed to true
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			v, ok := m.FraudFlag()
			if !ok {
				return false, nil
			}
			old, err := m.OldFraudFlag(ctx)
			if err != nil {
				return false, err
			}
			return old != v && v, nil
		}, other),
		// Quality changed
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			v, ok := m.Quality()
			if !ok {
				return false, nil
			}
			old, err := m.OldQuality(ctx)
			if err != nil {
				return false, err
			}
			return old != v, nil
		}, other),
		// AssignedTo changed (set to another value, or cleared)
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			v, set := m.AssignedTo()
			cleared := m.AssignedToCleared()
			if !set && !cleared {
				return false, nil
			}
			old, err := m.OldAssignedTo(ctx)
			if err != nil {
				return false, err
			}
			if cleared {
				return old != nil, nil
			}
			return old == nil || *old != v, nil
		}, other),
		// Registered changed
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			v, ok := m.Registered()
			if !ok {
				return false, nil
			}
			old, err := m.OldRegistered(ctx)
			if err != nil {
				return false, err
			}
			return old != v, nil
		}, other),
		// Tags changed
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			if _, appended := m.AppendedTags(); appended {
				return true, nil
			}
			v, ok := m.Tags()
			if !ok {
				return false, nil
			}
			old, err := m.OldTags(ctx)
			if err != nil {
				return false, err
			}
			return !slices.Equal(old, v), nil
		}, other),
		// Status == BLOCKED (the value after the update)
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			s, ok := m.Status()
			if !ok {
				var err error
				if s, err = m.OldStatus(ctx); err != nil {
					return false, err
				}
			}
			return s == simcard.StatusBLOCKED, nil
		}, other),
		// ShopID changed
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			v, ok := m.ShopID()
			if !ok {
				return false, nil
			}
			old, err := m.OldShopID(ctx)
			if err != nil {
				return false, err
			}
			return old != v, nil
		}, other),
		// ActivatedAt changed
		after(func(ctx context.Context, m *ent.SimCardMutation) (bool, error) {
			v, ok := m.ActivatedAt()
			if !ok {
				return false, nil
			}
			old, err := m.OldActivatedAt(ctx)
			if err != nil {
				return false, err
			}
			return !old.Equal(v), nil
		}, other),
	)
}
