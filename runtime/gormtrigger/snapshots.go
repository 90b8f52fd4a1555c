package gormtrigger

import (
	goruntime "runtime"
	"sync"
	"unsafe"
	"weak"
)

// snapshots holds the last known database state of the records GORM loaded
// or saved. It never keeps a record alive: each entry is tied to a weak
// pointer to the allocation that holds the record (the record itself, or
// the array a Find filled), and entries go when that allocation is
// collected. Entries are found by the record's address, which is the
// record's identity while that allocation lives (Go's heap does not move),
// so a lookup makes no weak pointer; the checks of the weak pointer make a
// reused address harmless. One weak pointer and one cleanup per allocation,
// not per record, keep a large Find cheap: the runtime keeps them in a list
// per memory span.
//
// A snapshot is good only while no write of the same key happened in this
// process since it was taken: every write bumps its key's version, and a
// snapshot of an older version reads as missing, so that the write reads
// the row instead. Versions are kept only for keys that have snapshots.
type snapshots[M any] struct {
	mu   sync.Mutex
	m    map[uintptr]*snapshot[M]
	keys map[string]*keyVersion
}

type snapshot[M any] struct {
	owner   weak.Pointer[M] // the allocation holding the record
	state   M
	key     string
	version uint64
}

type keyVersion struct {
	version uint64
	refs    int // snapshots of this key
}

// owned is what the cleanup of one allocation removes.
type owned[M any] struct {
	owner weak.Pointer[M]
	addrs []uintptr
}

func addr[M any](p *M) uintptr { return uintptr(unsafe.Pointer(p)) }

// put records states[i] as the database state of the record at ps[i], whose
// key is keys[i]. With shared set, the records are the elements of one
// array, starting at ps[0]; otherwise each is an allocation of its own.
func (s *snapshots[M]) put(ps []*M, keys []string, states []M, shared bool) {
	var cleanups []owned[M]
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[uintptr]*snapshot[M])
		s.keys = make(map[string]*keyVersion)
	}
	group := -1 // the cleanup of the shared allocation, once made
	for i, p := range ps {
		a := addr(p)
		kv := s.keys[keys[i]]
		if kv == nil {
			kv = &keyVersion{}
			s.keys[keys[i]] = kv
		}
		kv.refs++
		if old, ok := s.m[a]; ok {
			s.release(old.key)
			if old.owner.Value() != nil {
				// The allocation that holds the record already has a
				// cleanup that covers this address: keep it.
				*old = snapshot[M]{owner: old.owner, state: states[i], key: keys[i], version: kv.version}
				continue
			}
		}
		if group < 0 || !shared {
			cleanups = append(cleanups, owned[M]{owner: weak.Make(p)})
			group = len(cleanups) - 1
		}
		g := &cleanups[group]
		s.m[a] = &snapshot[M]{owner: g.owner, state: states[i], key: keys[i], version: kv.version}
		g.addrs = append(g.addrs, a)
	}
	s.mu.Unlock()
	for _, c := range cleanups {
		goruntime.AddCleanup(c.owner.Value(), s.drop, c)
	}
}

// get returns the recorded state of the record at p, unless a write of its
// key happened since it was recorded.
func (s *snapshots[M]) get(p *M) (M, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero M
	e, ok := s.m[addr(p)]
	if !ok {
		return zero, false
	}
	if e.owner.Value() == nil { // an earlier record's address, reused
		s.remove(addr(p), e)
		return zero, false
	}
	if s.keys[e.key].version != e.version {
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
func (s *snapshots[M]) forget(p *M) {
	s.mu.Lock()
	if e, ok := s.m[addr(p)]; ok {
		s.remove(addr(p), e)
	}
	s.mu.Unlock()
}

// drop removes the entries of a collected allocation that still belong to
// it.
func (s *snapshots[M]) drop(c owned[M]) {
	s.mu.Lock()
	for _, a := range c.addrs {
		if e, ok := s.m[a]; ok && e.owner == c.owner {
			s.remove(a, e)
		}
	}
	s.mu.Unlock()
}

// remove drops the entry e at address a; s.mu is held.
func (s *snapshots[M]) remove(a uintptr, e *snapshot[M]) {
	delete(s.m, a)
	s.release(e.key)
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
