package gormtrigger

import (
	goruntime "runtime"
	"sync"
	"weak"
)

// snapshots holds the last known database state of the records GORM loaded
// or saved, keyed weakly by the record's address: an entry never keeps its
// record alive, and it is dropped once the record is collected.
//
// A snapshot is good only while no write of the same key happened in this
// process since it was taken: every write bumps its keys' versions, and a
// snapshot of an older version reads as missing, so that the write reads
// the row instead. Versions are kept only for keys that have snapshots.
type snapshots[M any] struct {
	mu   sync.Mutex
	m    map[weak.Pointer[M]]*snapshot[M]
	keys map[string]*keyVersion
}

type snapshot[M any] struct {
	state   M
	key     string
	version uint64
}

type keyVersion struct {
	version uint64
	refs    int // snapshots of this key
}

// put records state as the database state of the record at p, whose key is
// key.
func (s *snapshots[M]) put(p *M, key string, state M) {
	w := weak.Make(p)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[weak.Pointer[M]]*snapshot[M])
		s.keys = make(map[string]*keyVersion)
	}
	old, had := s.m[w]
	if had {
		s.release(old.key)
	}
	kv := s.keys[key]
	if kv == nil {
		kv = &keyVersion{}
		s.keys[key] = kv
	}
	kv.refs++
	s.m[w] = &snapshot[M]{state: state, key: key, version: kv.version}
	s.mu.Unlock()
	if !had {
		goruntime.AddCleanup(p, s.drop, w)
	}
}

// get returns the recorded state of the record at p, unless a write of its
// key happened since it was recorded.
func (s *snapshots[M]) get(p *M) (M, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[weak.Make(p)]
	if !ok || s.keys[e.key].version != e.version {
		var zero M
		return zero, false
	}
	return e.state, true
}

// touch marks the snapshots of key as out of date: a write changed its row.
func (s *snapshots[M]) touch(key string) {
	s.mu.Lock()
	if kv := s.keys[key]; kv != nil {
		kv.version++
	}
	s.mu.Unlock()
}

// forget drops the record's state, so that its next write reads the row.
func (s *snapshots[M]) forget(p *M) { s.drop(weak.Make(p)) }

func (s *snapshots[M]) drop(w weak.Pointer[M]) {
	s.mu.Lock()
	if e, ok := s.m[w]; ok {
		delete(s.m, w)
		s.release(e.key)
	}
	s.mu.Unlock()
}

// release drops one snapshot's hold on key's version; s.mu is held.
func (s *snapshots[M]) release(key string) {
	if kv := s.keys[key]; kv != nil {
		if kv.refs--; kv.refs <= 0 {
			delete(s.keys, key)
		}
	}
}

// len returns the number of records and of keys held.
func (s *snapshots[M]) len() (records, keys int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m), len(s.keys)
}
