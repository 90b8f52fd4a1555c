package runtime

// CachedInstances returns how many instances Execute keeps cached, over
// every model of eng.
func CachedInstances(eng *Engine) int {
	eng.mu.Lock()
	defer eng.mu.Unlock()
	n := 0
	for _, h := range *eng.states.Load() {
		n += h.(interface{ cacheLen() int }).cacheLen()
	}
	return n
}

func (st *modelState[M, C, B]) cacheLen() int {
	st.loadMu.Lock()
	defer st.loadMu.Unlock()
	return len(st.cache)
}

// NewPool returns an in-process pool of workers with room for capacity
// waiting jobs, as the default Config.Queue is, for tests that fill it.
func NewPool(workers, capacity int) Queue { return newPool(workers, capacity) }

// Closed reports whether eng.Close was called.
func Closed(e *Engine) bool { return e.closed.Load() }

// EngineFrom, MaxBackoff and ParseObservation give the external tests the
// unexported engine lookup, backoff limit and observation parser.
var (
	EngineFrom       = engineFrom
	ParseObservation = parseObservation
)

const MaxBackoff = maxBackoff
