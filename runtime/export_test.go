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
