package sqlscope_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/sqlscope"
)

// fakeDB is a database/sql driver that only begins, commits and rolls back
// transactions, and counts them: enough to test sqlscope.InTx without a
// database.
type fakeDB struct {
	mu                  sync.Mutex
	commits, rollbacks  int
	failCommit          error
	committed, rollback chan struct{}
}

var (
	fakeOnce sync.Once
	fakeDBs  sync.Map // DSN -> *fakeDB
)

// openFakeDB returns a *sql.DB on a fresh fakeDB.
func openFakeDB(t *testing.T) (*sql.DB, *fakeDB) {
	fakeOnce.Do(func() { sql.Register("triggergen-fake", fakeDriver{}) })
	f := &fakeDB{}
	fakeDBs.Store(t.Name(), f)
	db, err := sql.Open("triggergen-fake", t.Name())
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, f
}

type fakeDriver struct{}

func (fakeDriver) Open(name string) (driver.Conn, error) {
	f, ok := fakeDBs.Load(name)
	if !ok {
		return nil, errors.New("no such fake database")
	}
	return &fakeConn{f.(*fakeDB)}, nil
}

type fakeConn struct{ db *fakeDB }

func (c *fakeConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("fake: no statements")
}
func (c *fakeConn) Close() error              { return nil }
func (c *fakeConn) Begin() (driver.Tx, error) { return &fakeTx{c.db}, nil }

type fakeTx struct{ db *fakeDB }

func (t *fakeTx) Commit() error {
	t.db.mu.Lock()
	defer t.db.mu.Unlock()
	if t.db.failCommit != nil {
		return t.db.failCommit
	}
	t.db.commits++
	return nil
}

func (t *fakeTx) Rollback() error {
	t.db.mu.Lock()
	defer t.db.mu.Unlock()
	t.db.rollbacks++
	return nil
}

func (f *fakeDB) counts() (commits, rollbacks int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.commits, f.rollbacks
}

var errBoom = errors.New("boom")

func TestInTx(t *testing.T) {
	errCommit := errors.New("commit failed")
	tests := []struct {
		name          string
		fnErr         error
		commitErr     error
		wantErr       error
		wantCommits   int
		wantRollbacks int
		wantRan       []string
	}{
		{name: "commit runs the after-commit work after the commit", wantCommits: 1, wantRan: []string{"after commit 1"}},
		{name: "an error from fn rolls back and drops the work", fnErr: errBoom, wantErr: errBoom, wantRollbacks: 1},
		{name: "a failed commit drops the work", commitErr: errCommit, wantErr: errCommit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, fake := openFakeDB(t)
			fake.failCommit = tt.commitErr
			var ran []string
			var sawTx, sawScope bool
			err := sqlscope.InTx(context.Background(), db, nil, func(ctx context.Context, tx *sql.Tx) error {
				sawTx = sqlscope.Tx(ctx) == tx
				sawScope = runtime.ScopeFrom(ctx).Tx() == any(tx)
				err := runtime.ScopeFrom(ctx).AfterCommit(ctx, func(context.Context) error {
					commits, _ := fake.counts()
					ran = append(ran, fmt.Sprintf("after commit %d", commits))
					return nil
				})
				require.NoError(t, err)
				return tt.fnErr
			})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.True(t, sawTx, "Tx returns the transaction of InTx")
			assert.True(t, sawScope, "the scope is bound to the transaction")
			commits, rollbacks := fake.counts()
			assert.Equal(t, tt.wantCommits, commits)
			assert.Equal(t, tt.wantRollbacks, rollbacks)
			assert.Equal(t, tt.wantRan, ran, "the work runs only after a commit")
		})
	}
}

func TestTxOutsideASQLScope(t *testing.T) {
	ctx := context.Background()
	assert.Nil(t, sqlscope.Tx(ctx), "no scope")
	sctx, scope := runtime.BeginScope(ctx)
	defer scope.Rollback()
	assert.Nil(t, sqlscope.Tx(sctx), "a scope without a transaction")
	tctx, tscope := runtime.BeginTxScope(ctx, "another kind of transaction")
	defer tscope.Rollback()
	assert.Nil(t, sqlscope.Tx(tctx), "a scope bound to something other than a *sql.Tx")
}

func TestInTxBeginError(t *testing.T) {
	db, _ := openFakeDB(t)
	require.NoError(t, db.Close())
	ran := false
	err := sqlscope.InTx(context.Background(), db, nil, func(context.Context, *sql.Tx) error { ran = true; return nil })
	require.Error(t, err)
	assert.False(t, ran, "fn does not run without a transaction")
}
