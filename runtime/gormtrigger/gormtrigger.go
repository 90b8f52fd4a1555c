// Package gormtrigger runs triggergen triggers from GORM's own write path.
//
// Install it once, after the triggers are registered:
//
//	eng := runtime.New(runtime.Config{})
//	triggers.Register(eng)
//	db.Use(gormtrigger.New(eng, gormtrigger.Model(models.SimCardModel), gormtrigger.Model(models.ShopModel)))
//
// From then on every GORM write of those models runs their triggers with the
// semantics of the generated lifecycle functions (CreateM, UpdateM, DeleteM
// and their bulk forms):
//
//   - Create of one record, or of a slice (a bulk create); Save; Updates with
//     a struct or a map; Update("column", v); Delete of a record; and writes
//     by query (Model(&M{}).Where(...).Updates(...), Where(...).Delete(&M{}),
//     Delete(&M{}, "id = ?", 5)), which are bulk operations over the rows
//     they affect.
//   - Before triggers run inside GORM's transaction, before the SQL; their
//     edits to the record are saved, and their error aborts and rolls back.
//     After triggers run after the SQL, in the same transaction; an error
//     from one rolls the write back too, as an error from a GORM AfterSave
//     hook does. on_commit work runs after the commit, and durable async
//     jobs are inserted in the transaction itself (the outbox).
//   - Old values need no snapshot by hand: a record loaded through GORM
//     (First, Take, Last, Find) is snapshotted when it is loaded, held
//     weakly so that a dropped record leaves nothing behind; a record that
//     was not loaded through GORM has its row read by primary key in the
//     transaction (FOR UPDATE on PostgreSQL) before the write. After a write
//     commits, the record's snapshot is what was saved. A snapshot that a
//     later write of the same row in this process, or a rolled back
//     transaction, made doubtful is not used; Plugin.AlwaysReadRows makes
//     every write read its row, for rows other processes write too.
//   - Columns map to fields through GORM's own schema (naming strategy,
//     `gorm:"column:..."`), so Update("status", ...) is seen as Status
//     changed.
//   - Session(&gorm.Session{SkipHooks: true}) and runtime.WithoutTriggers
//     both skip the triggers.
//
// Writes inside a transaction of your own should run through Transaction,
// which binds a trigger scope to it, so that on_commit work waits for that
// transaction's commit. package gormtrigger uses no reflection of its own;
// it hands GORM's values back to GORM's schema functions.
package gormtrigger

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"gorm.io/gorm"

	"github.com/triggergen/triggergen/runtime"
)

// Plugin is the GORM plugin that runs triggers; install it with db.Use.
type Plugin struct {
	// AlwaysReadRows makes every write read its old row by primary key in
	// its transaction, and takes no snapshot on load. Set it before db.Use
	// when other processes write the same rows between a load and a save:
	// a snapshot only knows of this process's writes.
	AlwaysReadRows bool

	eng    *runtime.Engine
	models map[string][]Binding
}

// Binding connects one generated model to the plugin; Model makes one.
type Binding interface {
	name() string
	create(p *Plugin, db *gorm.DB, next func(*gorm.DB)) bool
	update(p *Plugin, db *gorm.DB, next func(*gorm.DB)) bool
	delete(p *Plugin, db *gorm.DB, next func(*gorm.DB)) bool
	loaded(db *gorm.DB, loads *txLoads) bool
}

// New returns the plugin that runs eng's triggers for the given models.
func New(eng *runtime.Engine, models ...Binding) *Plugin {
	p := &Plugin{eng: eng, models: make(map[string][]Binding)}
	for _, m := range models {
		p.models[m.name()] = append(p.models[m.name()], m)
	}
	return p
}

// Name returns the plugin's name, "triggergen".
func (p *Plugin) Name() string { return "triggergen" }

const (
	scopeKey  = "triggergen:scope"
	loadsName = "triggergen:loads"
	cbPrefix  = "triggergen:"
)

// Initialize wraps GORM's create, update and delete callbacks and adds the
// snapshot on load and the commit step. db.Use calls it.
func (p *Plugin) Initialize(db *gorm.DB) error {
	if p.eng == nil {
		return fmt.Errorf("gormtrigger: New was given a nil *runtime.Engine")
	}
	cb := db.Callback()
	create, update, del := cb.Create(), cb.Update(), cb.Delete()
	type op func(b Binding, p *Plugin, db *gorm.DB, next func(*gorm.DB)) bool
	wrap := func(name string, next func(*gorm.DB), run op) (func(*gorm.DB), error) {
		if next == nil {
			return nil, fmt.Errorf("gormtrigger: the dialector registered no %s callback to wrap", name)
		}
		return func(db *gorm.DB) {
			if db.Error != nil || db.Statement.Schema == nil {
				next(db)
				return
			}
			for _, b := range p.models[db.Statement.Schema.Name] {
				if run(b, p, db, next) {
					return
				}
			}
			next(db)
		}, nil
	}
	steps := []struct {
		name string
		get  func(string) func(*gorm.DB)
		set  func(string, func(*gorm.DB)) error
		run  op
	}{
		{"gorm:create", create.Get, create.Replace, Binding.create},
		{"gorm:update", update.Get, update.Replace, Binding.update},
		{"gorm:delete", del.Get, del.Replace, Binding.delete},
	}
	for _, s := range steps {
		fn, err := wrap(s.name, s.get(s.name), s.run)
		if err != nil {
			return err
		}
		if err := s.set(s.name, fn); err != nil {
			return err
		}
	}
	if err := create.After("gorm:commit_or_rollback_transaction").Register(cbPrefix+"commit", p.commit); err != nil {
		return err
	}
	if err := update.After("gorm:commit_or_rollback_transaction").Register(cbPrefix+"commit", p.commit); err != nil {
		return err
	}
	if err := del.After("gorm:commit_or_rollback_transaction").Register(cbPrefix+"commit", p.commit); err != nil {
		return err
	}
	return cb.Query().After("gorm:after_query").Register(cbPrefix+"snapshot", p.snapshot)
}

// snapshot records the rows GORM loaded into annotated models. A load in a
// transaction may see its uncommitted writes: its snapshots are forgotten
// if the transaction rolls back, and none is taken in a transaction the
// plugin cannot follow (a plain db.Transaction).
func (p *Plugin) snapshot(db *gorm.DB) {
	if p.AlwaysReadRows || db.Error != nil || db.Statement.Schema == nil || db.Statement.SkipHooks || db.RowsAffected == 0 {
		return
	}
	var loads *txLoads
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx {
		if loads = loadsFrom(db.Statement.Context); loads == nil {
			return
		}
	}
	for _, b := range p.models[db.Statement.Schema.Name] {
		if b.loaded(db, loads) {
			return
		}
	}
}

// txLoads collects what to undo of the snapshots taken inside a
// transaction if it rolls back; on commit, an enclosing transaction, which
// may still roll back, takes them over.
type txLoads struct {
	mu     sync.Mutex
	parent *txLoads
	undo   []func()
}

type loadsKey struct{}

func loadsFrom(ctx context.Context) *txLoads {
	l, _ := ctx.Value(loadsKey{}).(*txLoads)
	return l
}

// withLoads returns ctx with a new collection nested in ctx's own.
func withLoads(ctx context.Context) (context.Context, *txLoads) {
	l := &txLoads{parent: loadsFrom(ctx)}
	return context.WithValue(ctx, loadsKey{}, l), l
}

func (l *txLoads) add(fn ...func()) {
	l.mu.Lock()
	l.undo = append(l.undo, fn...)
	l.mu.Unlock()
}

// end settles the collection when its transaction ends.
func (l *txLoads) end(committed bool) {
	l.mu.Lock()
	undo := l.undo
	l.undo = nil
	l.mu.Unlock()
	switch {
	case !committed:
		for _, fn := range undo {
			fn()
		}
	case l.parent != nil:
		l.parent.add(undo...)
	}
}

// begin returns the context a write's triggers run with. In a transaction
// the statement began itself, that is a scope bound to the transaction,
// which commit settles (nested in a scope the context already carries, to
// which it then hands its work); inside a transaction begun elsewhere, the
// scope the context carries.
func (p *Plugin) begin(db *gorm.DB, model string) (context.Context, error) {
	ctx := db.Statement.Context
	if _, ok := db.InstanceGet("gorm:started_transaction"); ok {
		var loads *txLoads
		ctx, loads = withLoads(ctx)
		db.InstanceSet(loadsName, loads)
		var s *runtime.Scope
		if tx, ok := db.Statement.ConnPool.(*sql.Tx); ok {
			ctx, s = runtime.BeginTxScope(ctx, tx)
		} else {
			ctx, s = runtime.BeginScope(ctx)
		}
		db.InstanceSet(scopeKey, s)
		return withDB(ctx, db), nil
	}
	if runtime.ScopeFrom(ctx) != nil {
		return withDB(ctx, db), nil
	}
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx && p.defers(model) {
		return nil, fmt.Errorf("gormtrigger: %s has on_commit or async triggers and this write runs in a transaction without a trigger scope; run the transaction with gormtrigger.Transaction so that they wait for its commit", model)
	}
	return withDB(ctx, db), nil
}

// defers reports whether the model has enabled triggers that run after the
// operation (on_commit or async).
func (p *Plugin) defers(model string) bool {
	for _, t := range p.eng.List(runtime.ListFilter{Model: model, EnabledOnly: true}) {
		if t.OnCommit || t.Async {
			return true
		}
	}
	return false
}

// commit settles the scope begin opened, after GORM committed or rolled
// back the statement's transaction.
func (p *Plugin) commit(db *gorm.DB) {
	if v, ok := db.InstanceGet(loadsName); ok {
		v.(*txLoads).end(db.Error == nil)
	}
	v, ok := db.InstanceGet(scopeKey)
	if !ok {
		return
	}
	s := v.(*runtime.Scope)
	if db.Error != nil {
		s.Rollback()
		return
	}
	if err := s.Commit(db.Statement.Context); err != nil {
		_ = db.AddError(err)
	}
}

// afterCommit runs fn when the scope in ctx commits, or now without one.
func afterCommit(ctx context.Context, fn func()) {
	if s := runtime.ScopeFrom(ctx); s != nil {
		_ = s.AfterCommit(ctx, func(context.Context) error { fn(); return nil })
		return
	}
	fn()
}

// addError reports err on db unless it is the error the SQL itself set.
func addError(db *gorm.DB, err error) {
	if err != nil && err != db.Error {
		_ = db.AddError(err)
	}
}

type dbKey struct{}

func withDB(ctx context.Context, db *gorm.DB) context.Context {
	return context.WithValue(ctx, dbKey{}, db)
}

// DB returns, inside a trigger run from a GORM write, a *gorm.DB on that
// write's connection (its transaction, when it has one) with ctx as its
// context, so that the trigger's own writes commit or roll back with it;
// outside one it returns nil.
func DB(ctx context.Context) *gorm.DB {
	db, _ := ctx.Value(dbKey{}).(*gorm.DB)
	if db == nil {
		return nil
	}
	return db.Session(&gorm.Session{NewDB: true, Context: ctx})
}

// Transaction runs fn in a GORM transaction with a trigger scope bound to
// it: the on_commit work of the writes in fn runs after the transaction
// commits, and is dropped when it rolls back; durable async jobs are
// inserted in the transaction. The returned error is fn's, the commit's, or
// the on_commit work's. Nested calls use savepoints, as db.Transaction does.
func Transaction(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error, opts ...*sql.TxOptions) error {
	var scope *runtime.Scope
	ctx, loads := withLoads(ctx)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sctx context.Context
		if sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx); ok {
			sctx, scope = runtime.BeginTxScope(ctx, sqlTx)
		} else {
			sctx, scope = runtime.BeginScope(ctx)
		}
		return fn(tx.WithContext(sctx))
	}, opts...)
	loads.end(err == nil)
	if scope == nil {
		return err
	}
	if err != nil {
		scope.Rollback()
		return err
	}
	return scope.Commit(ctx)
}
