package runtime

import (
	"context"
	"errors"
	"sync"
)

// Scope collects on_commit work of the operations run with its context.
// Commit runs the work, Rollback drops it. A scope begun inside another
// scope hands its work to the outer one on Commit.
type Scope struct {
	mu     sync.Mutex
	parent *Scope
	tx     any
	work   []deferredWork
	done   bool
	rolled bool // done by Rollback
}

type deferredWork struct {
	origin context.Context
	run    func(context.Context) error
}

// ErrScopeDone is returned by Commit on a scope that was already committed
// or rolled back.
var ErrScopeDone = errors.New("triggergen: scope already committed or rolled back")

// BeginScope returns a context carrying a new scope, and the scope. Pass the
// context to the operations of the transaction, then call Commit or
// Rollback exactly once.
func BeginScope(ctx context.Context) (context.Context, *Scope) {
	s := &Scope{parent: ScopeFrom(ctx)}
	if s.parent != nil {
		s.tx = s.parent.tx
	}
	return context.WithValue(ctx, scopeKey, s), s
}

// BeginTxScope is BeginScope for a scope bound to a transaction: a
// *sql.Tx (runtime/sqlscope.InTx begins one and its scope), or the
// transaction type of a durable queue (runtime/riverqueue reads a *sql.Tx
// or a pgx.Tx), which then enqueues async work in that transaction. Scopes
// begun inside it inherit the transaction.
func BeginTxScope(ctx context.Context, tx any) (context.Context, *Scope) {
	ctx, s := BeginScope(ctx)
	s.tx = tx
	return ctx, s
}

// ScopeFrom returns the innermost scope carried by ctx, or nil.
func ScopeFrom(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey).(*Scope)
	return s
}

// Tx returns the transaction the scope is bound to (BeginTxScope), or nil;
// on a nil scope it returns nil. For a *sql.Tx, runtime/sqlscope.Tx(ctx)
// returns it typed.
func (s *Scope) Tx() any {
	if s == nil {
		return nil
	}
	return s.tx
}

// Done reports whether the scope was committed or rolled back (false for a
// nil scope): work queued on a done scope no longer runs inside its
// transaction.
func (s *Scope) Done() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

// add queues work; when the scope is already done it runs the work now if
// the scope committed and drops it if it rolled back.
func (s *Scope) add(origin context.Context, run func(context.Context) error) error {
	s.mu.Lock()
	if !s.done {
		s.work = append(s.work, deferredWork{origin, run})
		s.mu.Unlock()
		return nil
	}
	rolled := s.rolled
	s.mu.Unlock()
	if rolled {
		return nil
	}
	return run(origin)
}

// AfterCommit queues fn to run when the scope commits, in order with the
// on_commit triggers queued before it, and drops it on rollback. ctx is the
// context fn runs with (without its cancellation). On a scope that already
// committed, fn runs now; on one that rolled back, never.
func (s *Scope) AfterCommit(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.add(ctx, fn)
}

// Commit runs the queued on_commit work in order before it returns, and
// returns its errors joined; in a nested scope it hands the work to the
// outer scope instead.
func (s *Scope) Commit(ctx context.Context) error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return ErrScopeDone
	}
	s.done = true
	work := s.work
	s.work = nil
	s.mu.Unlock()
	if s.parent != nil {
		var errs []error
		for _, w := range work {
			errs = append(errs, s.parent.add(w.origin, w.run))
		}
		return errors.Join(errs...)
	}
	var errs []error
	for _, w := range work {
		wctx, cancel := detach(w.origin, ctx, 0)
		errs = append(errs, w.run(wctx))
		cancel()
	}
	return errors.Join(errs...)
}

// Rollback drops the queued work. It is safe to call after Commit (it does
// nothing then), so `defer scope.Rollback()` is the usual pattern.
func (s *Scope) Rollback() {
	s.mu.Lock()
	if !s.done {
		s.done, s.rolled = true, true
		s.work = nil
	}
	s.mu.Unlock()
}
