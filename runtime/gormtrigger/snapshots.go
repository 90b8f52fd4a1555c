package gormtrigger

import (
	goruntime "runtime"
	"sync"
	"weak"
)

// snapshots holds the last known database state of the records GORM loaded
// or saved, keyed weakly by the record's address: an entry never keeps its
// record alive, and it is dropped once the record is collected.
type snapshots[M any] struct {
	mu sync.Mutex
	m  map[weak.Pointer[M]]M
}

// put records snap as the database state of the record at p.
func (s *snapshots[M]) put(p *M, snap M) {
	w := weak.Make(p)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[weak.Pointer[M]]M)
	}
	_, had := s.m[w]
	s.m[w] = snap
	s.mu.Unlock()
	if !had {
		goruntime.AddCleanup(p, s.drop, w)
	}
}

// get returns the recorded state of the record at p.
func (s *snapshots[M]) get(p *M) (M, bool) {
	s.mu.Lock()
	snap, ok := s.m[weak.Make(p)]
	s.mu.Unlock()
	return snap, ok
}

// forget drops the record's state, so that its next write reads the row.
func (s *snapshots[M]) forget(p *M) {
	s.mu.Lock()
	delete(s.m, weak.Make(p))
	s.mu.Unlock()
}

func (s *snapshots[M]) drop(w weak.Pointer[M]) {
	s.mu.Lock()
	delete(s.m, w)
	s.mu.Unlock()
}

// len returns the number of records held.
func (s *snapshots[M]) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
