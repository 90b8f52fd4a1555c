package runtime_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// fakeDB is a database/sql driver that only begins, commits and rolls back
// transactions, and counts them: enough to test runtime.InTx without a
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
		{name: "commit runs the on_commit work after the commit", wantCommits: 1, wantRan: []string{"commit:SOLD"}},
		{name: "an error from fn rolls back and drops the work", fnErr: errBoom, wantErr: errBoom, wantRollbacks: 1},
		{name: "a failed commit drops the work", commitErr: errCommit, wantErr: errCommit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, fake := openFakeDB(t)
			fake.failCommit = tt.commitErr
			eng := newEngine(t, runtime.Config{})
			var rec recorder
			var sawTx bool
			onCommit(t, eng, &rec, "commit", nil)
			on(t, eng, runtime.Trigger[CardChange]{Name: "sync", Events: []runtime.Event{runtime.AfterUpdate}, Actions: acts(rec.action("sync"))})
			cards := newCardStore()
			err := runtime.InTx(context.Background(), db, nil, func(ctx context.Context, tx *sql.Tx) error {
				sawTx = runtime.ScopeFrom(ctx).Tx() == tx
				c := &Card{ID: "c1"}
				old := SnapshotCard(c)
				c.Status = "SOLD"
				if err := UpdateCard(ctx, eng, &old, c, cards.Save); err != nil {
					return err
				}
				return tt.fnErr
			})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.True(t, sawTx, "the scope carries the transaction for persist")
			commits, rollbacks := fake.counts()
			assert.Equal(t, tt.wantCommits, commits)
			assert.Equal(t, tt.wantRollbacks, rollbacks)
			assert.Equal(t, append([]string{"sync"}, tt.wantRan...), rec.get(),
				"synchronous triggers run in the transaction; on_commit work only after a commit")
		})
	}
}
