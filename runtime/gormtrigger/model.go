package gormtrigger

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/callbacks"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/field"
)

// Model binds a generated model (the MModel variable of its package) to the
// plugin.
func Model[M, C, B any](m *runtime.Model[M, C, B]) Binding {
	return &binding[M, C, B]{model: m, spec: runtime.Spec(m)}
}

type binding[M, C, B any] struct {
	model *runtime.Model[M, C, B]
	spec  runtime.ModelSpec[M, C, B]
	snaps snapshots[M]

	// saving holds the records of Save calls that found no row: GORM then
	// creates them in a statement with SkipHooks set, which still runs the
	// create triggers.
	mu     sync.Mutex
	saving map[*M]struct{}
}

func (b *binding[M, C, B]) name() string { return b.spec.Name }

// diff returns the tracked fields that differ between old and new, with
// each field's generated equality.
func (b *binding[M, C, B]) diff(old, new *M) field.Set {
	if b.spec.ChangedSet == nil || b.spec.Change == nil {
		return field.Set{}
	}
	var c C
	ch := b.spec.Change(&c)
	ch.Old, ch.New = old, new
	return b.spec.ChangedSet(&c)
}

// records returns the records a statement's destination holds, and
// reports whether they are the elements of one array.
func records[M any](v any) (ms []*M, single, array, ok bool) {
	switch v := v.(type) {
	case *M:
		return []*M{v}, true, false, v != nil
	case []M:
		return addrs(v), false, true, true
	case *[]M:
		if v == nil {
			return nil, false, false, false
		}
		return addrs(*v), false, true, true
	case []*M:
		return v, false, false, true
	case *[]*M:
		if v == nil {
			return nil, false, false, false
		}
		return *v, false, false, true
	}
	return nil, false, false, false
}

func addrs[M any](s []M) []*M {
	ps := make([]*M, len(s))
	for i := range s {
		ps[i] = &s[i]
	}
	return ps
}

// loaded snapshots the records a query loaded. Inside a transaction, loads
// collects them, to forget them if it rolls back.
func (b *binding[M, C, B]) loaded(db *gorm.DB, loads *txLoads) bool {
	ms, _, array, ok := records[M](db.Statement.Dest)
	if !ok {
		return false
	}
	ms = slices.DeleteFunc(ms, func(m *M) bool { return m == nil })
	b.put(ms, array)
	if loads != nil {
		loads.add(func() {
			for _, m := range ms {
				b.snaps.forget(m)
			}
		})
	}
	return true
}

// put records the current state of ms.
func (b *binding[M, C, B]) put(ms []*M, array bool) {
	if len(ms) == 0 {
		return
	}
	keys := make([]string, len(ms))
	states := make([]M, len(ms))
	for i, m := range ms {
		keys[i], states[i] = b.spec.Key(m), b.spec.Snapshot(m)
	}
	b.snaps.put(ms, keys, states, array)
}

// remember marks the snapshots of ms's keys out of date, and records the
// saved state of ms once the write commits; array says whether ms are the
// elements of one array.
func (b *binding[M, C, B]) remember(p *Plugin, ctx context.Context, ms []*M, array bool) {
	keys := make([]string, len(ms))
	states := make([]M, len(ms))
	for i, m := range ms {
		keys[i], states[i] = b.spec.Key(m), b.spec.Snapshot(m)
		b.snaps.touch(keys[i])
	}
	if p.AlwaysReadRows {
		return
	}
	afterCommit(ctx, func() { b.snaps.put(ms, keys, states, array) })
}

// touch marks the snapshots of the rows' keys out of date.
func (b *binding[M, C, B]) touch(rows []M) {
	for i := range rows {
		b.snaps.touch(b.spec.Key(&rows[i]))
	}
}

// reader returns a session on the statement's connection that reads rows
// of its table without hooks, locking them on PostgreSQL.
func reader(db *gorm.DB) *gorm.DB {
	q := db.Session(&gorm.Session{NewDB: true, SkipHooks: true}).Table(db.Statement.Table)
	if db.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return q
}

// readByKey reads the row of m by its primary key; ok is false when there
// is none.
func (b *binding[M, C, B]) readByKey(db *gorm.DB, m *M) (row M, ok bool, err error) {
	row = b.spec.Snapshot(m)
	res := reader(db).Limit(1).Find(&row)
	return row, res.RowsAffected == 1, res.Error
}

// old returns the database state of m: its snapshot, or its row.
func (b *binding[M, C, B]) old(db *gorm.DB, m *M) (M, bool, error) {
	if snap, ok := b.snaps.get(m); ok {
		return b.spec.Snapshot(&snap), true, nil
	}
	return b.readByKey(db, m)
}

// keyed reports whether the statement's model value has every primary key
// field set.
func keyed(db *gorm.DB) bool {
	s := db.Statement
	if len(s.Schema.PrimaryFields) == 0 {
		return false
	}
	for _, f := range s.Schema.PrimaryFields {
		if _, zero := f.ValueOf(s.Context, s.ReflectValue); zero {
			return false
		}
	}
	return true
}

// readWhere reads the rows the statement's conditions select, plus extra,
// in primary key order.
func (b *binding[M, C, B]) readWhere(db *gorm.DB, extra ...clause.Expression) ([]M, error) {
	q := reader(db)
	if w, ok := db.Statement.Clauses["WHERE"]; ok {
		if where, ok := w.Expression.(clause.Where); ok {
			q = q.Clauses(clause.Where{Exprs: where.Exprs})
		}
	}
	if len(extra) > 0 {
		q = q.Clauses(clause.Where{Exprs: extra})
	}
	for _, name := range db.Statement.Schema.PrimaryFieldDBNames {
		q = q.Order(clause.OrderByColumn{Column: clause.Column{Table: db.Statement.Table, Name: name}})
	}
	var rows []M
	return rows, q.Find(&rows).Error
}

// hasWhere reports whether the statement has conditions, or may run
// without them.
func hasWhere(db *gorm.DB) bool {
	_, ok := db.Statement.Clauses["WHERE"]
	return ok || db.AllowGlobalUpdate
}

// create runs the create triggers around GORM's insert.
func (b *binding[M, C, B]) create(p *Plugin, db *gorm.DB, next func(*gorm.DB)) bool {
	ms, single, array, ok := records[M](db.Statement.Dest)
	if !ok {
		if _, isMap := db.Statement.Dest.(map[string]any); isMap && !db.Statement.SkipHooks {
			_ = db.AddError(fmt.Errorf("gormtrigger: a %s created from a map runs no triggers; create it from the struct", b.name()))
			return true
		}
		if _, isMaps := db.Statement.Dest.([]map[string]any); isMaps && !db.Statement.SkipHooks {
			_ = db.AddError(fmt.Errorf("gormtrigger: %s values created from maps run no triggers; create them from structs", b.name()))
			return true
		}
		return false
	}
	if db.Statement.SkipHooks {
		if !single || !b.takeSaving(ms[0]) {
			next(db)
			return true
		}
	} else if _, upsert := db.Statement.Clauses["ON CONFLICT"]; upsert {
		_ = db.AddError(fmt.Errorf("gormtrigger: an upsert of %s (ON CONFLICT, or Save of a slice) cannot tell creates from updates; create and update the records separately", b.name()))
		return true
	}
	ctx, err := p.begin(db, b.name())
	if err != nil {
		_ = db.AddError(err)
		return true
	}
	persist := func(ctx context.Context) error {
		if err := b.exec(db, ctx, next); err != nil {
			return err
		}
		b.remember(p, ctx, ms, array)
		return nil
	}
	if single {
		err = runtime.Do(ctx, p.eng, b.model, runtime.OpCreate, nil, ms[0], func(ctx context.Context, _ *M) error { return persist(ctx) })
	} else {
		err = runtime.DoMany(ctx, p.eng, b.model, runtime.OpCreate, nil, ms, func(ctx context.Context, _ []*M) error { return persist(ctx) })
	}
	addError(db, err)
	return true
}

// exec runs GORM's own step with the triggers' context and returns its
// error. The statement keeps that context, so that the association writes
// GORM makes after it join the same trigger scope.
func (b *binding[M, C, B]) exec(db *gorm.DB, ctx context.Context, next func(*gorm.DB)) error {
	db.Statement.Context = ctx
	next(db)
	return db.Error
}

func (b *binding[M, C, B]) markSaving(m *M) {
	b.mu.Lock()
	if b.saving == nil {
		b.saving = make(map[*M]struct{})
	}
	b.saving[m] = struct{}{}
	b.mu.Unlock()
}

func (b *binding[M, C, B]) takeSaving(m *M) bool {
	b.mu.Lock()
	_, ok := b.saving[m]
	delete(b.saving, m)
	b.mu.Unlock()
	return ok
}

// update runs the update triggers around GORM's update.
func (b *binding[M, C, B]) update(p *Plugin, db *gorm.DB, next func(*gorm.DB)) bool {
	m, ok := db.Statement.Model.(*M)
	if !ok || m == nil {
		if _, _, _, many := records[M](db.Statement.Model); many && !db.Statement.SkipHooks {
			_ = db.AddError(fmt.Errorf("gormtrigger: an update of a slice of %s runs no triggers; update each record, or update by query with Model(&%s{}).Where(...)", b.name(), b.name()))
			return true
		}
		return false
	}
	if db.Statement.SkipHooks {
		next(db)
		return true
	}
	if _, ok := db.Statement.Clauses["SET"]; ok {
		_ = db.AddError(fmt.Errorf("gormtrigger: an update of %s with its own SET clause runs no triggers; use Updates or Update", b.name()))
		return true
	}
	// What GORM will write: the columns and their values. For a map or a
	// struct other than the model, GORM also copies the values into m, and
	// it adds the condition on m's primary key.
	_, where := db.Statement.Clauses["WHERE"]
	set := callbacks.ConvertToAssignments(db.Statement)
	if db.Error != nil {
		return true
	}
	if keyed(db) && !where {
		b.updateOne(p, db, next, m, set)
		return true
	}
	if !hasWhere(db) {
		next(db) // GORM refuses it: gorm.ErrMissingWhereClause
		return true
	}
	b.updateWhere(p, db, next, m, set)
	return true
}

// apply sets the non-expression values of set on the statement's model
// value (*target), and reports whether any value is an SQL expression,
// whose result only the database knows.
func apply(db *gorm.DB, set clause.Set) (exprs bool) {
	s := db.Statement
	for _, a := range set {
		if isExpr(a.Value) {
			exprs = true
			continue
		}
		if f := s.Schema.LookUpField(a.Column.Name); f != nil {
			_ = db.AddError(f.Set(s.Context, s.ReflectValue, a.Value))
		}
	}
	return exprs
}

func isExpr(v any) bool {
	switch v.(type) {
	case clause.Expression, *gorm.DB, []any:
		return true
	}
	return false
}

// columns returns the updatable columns of the fields in set, by the
// model's field numbers.
func (b *binding[M, C, B]) columns(s *schema.Schema, fields field.Set) []*schema.Field {
	var out []*schema.Field
	for i, name := range b.spec.Fields {
		if !fields.Has(uint16(i)) {
			continue
		}
		if f := s.LookUpField(name); f != nil && f.DBName != "" && f.Updatable {
			out = append(out, f)
		}
	}
	return out
}

// updateOne is the update of one record, m, which has its primary key.
func (b *binding[M, C, B]) updateOne(p *Plugin, db *gorm.DB, next func(*gorm.DB), m *M, set clause.Set) {
	old, found, err := b.old(db, m)
	if err != nil {
		_ = db.AddError(err)
		return
	}
	if !found {
		// No row: the update changes nothing. Save creates the record
		// next, and its create triggers run then.
		if len(db.Statement.Selects) == 1 && db.Statement.Selects[0] == "*" {
			b.markSaving(m)
		}
		next(db)
		if db.Error != nil || db.RowsAffected != 0 {
			b.takeSaving(m)
		}
		return
	}
	ctx, err := p.begin(db, b.name())
	if err != nil {
		_ = db.AddError(err)
		return
	}
	// m becomes the row with GORM's assignments: what the update saves.
	*m = b.spec.Snapshot(&old)
	exprs := apply(db, set)
	before := b.spec.Snapshot(m)
	assigned := make(map[string]bool, len(set))
	for _, a := range set {
		assigned[a.Column.Name] = true
	}
	err = runtime.Do(ctx, p.eng, b.model, runtime.OpUpdate, &old, m, func(ctx context.Context, m *M) error {
		// Save what GORM meant to write, with the values the before
		// triggers left, and every field they changed besides.
		s := db.Statement
		out := make(clause.Set, 0, len(set))
		for _, a := range set {
			if !isExpr(a.Value) {
				if f := s.Schema.LookUpField(a.Column.Name); f != nil {
					a.Value, _ = f.ValueOf(s.Context, s.ReflectValue)
				}
			}
			out = append(out, a)
		}
		for _, f := range b.columns(s.Schema, b.diff(&before, m)) {
			if !assigned[f.DBName] {
				v, _ := f.ValueOf(s.Context, s.ReflectValue)
				out = append(out, clause.Assignment{Column: clause.Column{Name: f.DBName}, Value: v})
			}
		}
		if len(out) > 0 {
			s.AddClause(out)
		}
		if err := b.exec(db, ctx, next); err != nil {
			return err
		}
		if exprs {
			if err := reader(db).Limit(1).Find(m).Error; err != nil {
				return err
			}
		}
		b.remember(p, ctx, []*M{m}, false)
		return nil
	})
	addError(db, err)
}

// updateWhere is an update by query: a bulk update of the rows it selects.
func (b *binding[M, C, B]) updateWhere(p *Plugin, db *gorm.DB, next func(*gorm.DB), target *M, set clause.Set) {
	rows, err := b.readWhere(db)
	if err != nil {
		_ = db.AddError(err)
		return
	}
	if len(rows) == 0 {
		next(db)
		return
	}
	ctx, err := p.begin(db, b.name())
	if err != nil {
		_ = db.AddError(err)
		return
	}
	// Each row with the assignments, built on the statement's model value,
	// which GORM's setters write to.
	saved := *target
	items := make([]*M, len(rows))
	before := make([]M, len(rows))
	var exprs bool
	for i := range rows {
		*target = b.spec.Snapshot(&rows[i])
		exprs = apply(db, set)
		items[i] = new(M)
		*items[i] = *target
		before[i] = b.spec.Snapshot(items[i])
	}
	*target = saved
	err = runtime.DoMany(ctx, p.eng, b.model, runtime.OpUpdate, rows, items, func(ctx context.Context, items []*M) error {
		if err := b.exec(db, ctx, next); err != nil {
			return err
		}
		b.touch(rows)
		// One statement updated every row; save the before triggers' own
		// edits row by row, and read back what SQL expressions wrote.
		tx := func() *gorm.DB {
			return db.Session(&gorm.Session{NewDB: true, SkipHooks: true, Context: ctx}).Table(db.Statement.Table)
		}
		for i, it := range items {
			cols := b.columns(db.Statement.Schema, b.diff(&before[i], it))
			if len(cols) > 0 {
				names := make([]string, len(cols))
				for j, f := range cols {
					names[j] = f.DBName
				}
				if err := tx().Model(it).Select(names).Updates(it).Error; err != nil {
					return err
				}
			}
			if exprs {
				if err := tx().Limit(1).Find(it).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	addError(db, err)
}

// delete runs the delete triggers around GORM's delete.
func (b *binding[M, C, B]) delete(p *Plugin, db *gorm.DB, next func(*gorm.DB)) bool {
	ms, single, _, ok := records[M](db.Statement.Dest)
	if !ok {
		return false
	}
	if db.Statement.SkipHooks {
		next(db)
		return true
	}
	if mm, ok := db.Statement.Model.(*M); ok && single && mm != ms[0] {
		_ = db.AddError(fmt.Errorf("gormtrigger: a delete of %s with a Model other than its value runs no triggers; pass the record to Delete", b.name()))
		return true
	}
	s := db.Statement
	var keys []clause.Expression
	values := make([]any, 0, len(ms))
	for _, m := range ms {
		values = append(values, m)
	}
	if _, vals := schema.GetIdentityFieldValuesMapFromValues(s.Context, values, s.Schema.PrimaryFields); len(vals) > 0 {
		column, in := schema.ToQueryValues(s.Table, s.Schema.PrimaryFieldDBNames, vals)
		keys = append(keys, clause.IN{Column: column, Values: in})
	}
	if len(keys) == 0 && !hasWhere(db) {
		next(db) // GORM refuses it: gorm.ErrMissingWhereClause
		return true
	}
	_, where := s.Clauses["WHERE"]
	if single && len(keys) > 0 && !where {
		b.deleteOne(p, db, next, ms[0])
		return true
	}
	rows, err := b.readWhere(db, keys...)
	if err != nil {
		_ = db.AddError(err)
		return true
	}
	if len(rows) == 0 {
		next(db)
		return true
	}
	ctx, err := p.begin(db, b.name())
	if err != nil {
		_ = db.AddError(err)
		return true
	}
	err = runtime.DoMany(ctx, p.eng, b.model, runtime.OpDelete, nil, addrs(rows), func(ctx context.Context, _ []*M) error {
		if err := b.exec(db, ctx, next); err != nil {
			return err
		}
		b.touch(rows)
		for _, m := range ms {
			afterCommit(ctx, func() { b.snaps.forget(m) })
		}
		return nil
	})
	addError(db, err)
	return true
}

// deleteOne is the delete of one record by its primary key.
func (b *binding[M, C, B]) deleteOne(p *Plugin, db *gorm.DB, next func(*gorm.DB), m *M) {
	old, found, err := b.old(db, m)
	if err != nil {
		_ = db.AddError(err)
		return
	}
	if !found {
		next(db)
		return
	}
	ctx, err := p.begin(db, b.name())
	if err != nil {
		_ = db.AddError(err)
		return
	}
	err = runtime.Do(ctx, p.eng, b.model, runtime.OpDelete, nil, &old, func(ctx context.Context, _ *M) error {
		if err := b.exec(db, ctx, next); err != nil {
			return err
		}
		b.snaps.touch(b.spec.Key(&old))
		afterCommit(ctx, func() { b.snaps.forget(m) })
		return nil
	})
	addError(db, err)
}
