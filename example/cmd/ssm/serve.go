package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/manage"
	"github.com/triggergen/triggergen/runtime/triggerhttp"
)

// serve serves the management API on addr until ctx ends. Each request's
// context carries a Store bound to the database, so that the triggers the
// API executes do their work there.
func serve(ctx context.Context, addr string, st *store.Store, eng *runtime.Engine, out io.Writer) error {
	token, err := newToken()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve management API: %w", err)
	}
	h := withStore(managementAPI(eng, token), st, eng)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(out, "Management API on http://%s%s (token %s); interrupt to stop\n", ln.Addr(), manage.Prefix, token)
	fmt.Fprintf(out, "Operator console on http://%s%s (sign in with the token)\n", ln.Addr(), manage.ConsolePath)

	select {
	case err := <-done:
		return fmt.Errorf("serve management API: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("stop management API: %w", err)
	}
	return nil
}

// withStore binds the store to every request's context (see store.Bind).
func withStore(h http.Handler, st *store.Store, eng *runtime.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(st.Bind(r.Context(), eng)))
	})
}

// managementAPI is runtime/manage's handler for eng, behind token, with a
// request ID in every request's context for the audit log.
func managementAPI(eng *runtime.Engine, token string) http.Handler {
	return triggerhttp.RequestMiddleware(nil)(manage.New(eng, manage.Options{Token: token}))
}

// newToken returns a random bearer token.
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
