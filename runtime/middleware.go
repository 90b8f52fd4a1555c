package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// RequestIDHeader is the header RequestMiddleware reads a request ID from
// and echoes it in.
const RequestIDHeader = "X-Request-ID"

// maxRequestIDLen is the longest request ID RequestMiddleware accepts.
const maxRequestIDLen = 128

// RequestMiddleware returns net/http middleware that puts a request ID and
// an actor into every request's context, so that the audit records of the
// triggers the handler runs, synchronous or queued, carry both.
//
// The request ID is the X-Request-ID header when it is 1 to 128 bytes of
// visible ASCII (no spaces or control characters), and otherwise a new
// random one of 32 hex digits; either way it is set as the response's
// X-Request-ID header before the handler runs. actor, when not nil, is asked
// for the request's actor; when it reports false the context gets none.
func RequestMiddleware(actor func(*http.Request) (Actor, bool)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(RequestIDHeader)
			if !validRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set(RequestIDHeader, id)
			ctx := WithRequestID(r.Context(), id)
			if actor != nil {
				if a, ok := actor(r); ok {
					ctx = WithActor(ctx, a)
				}
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// validRequestID reports whether id may be used as a request ID as is.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand.Read crashes the program instead
	return hex.EncodeToString(b[:])
}
