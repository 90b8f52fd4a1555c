package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// hookServer is a local stand-in for a Slack incoming webhook: it accepts
// POSTs of {"text": "..."} on 127.0.0.1 and keeps the texts.
type hookServer struct {
	url  string
	srv  *http.Server
	done chan error

	mu    sync.Mutex
	texts []string
}

// startHook starts the webhook server on a free local port.
func startHook() (*hookServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start fraud webhook: %w", err)
	}
	h := &hookServer{url: "http://" + ln.Addr().String() + "/hooks/fraud", done: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/fraud", h.receive)
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { h.done <- h.srv.Serve(ln) }()
	return h, nil
}

func (h *hookServer) receive(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&msg); err != nil || msg.Text == "" {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.texts = append(h.texts, msg.Text)
	h.mu.Unlock()
	_, _ = w.Write([]byte("ok"))
}

// received returns the texts posted so far.
func (h *hookServer) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.texts...)
}

// close stops the server and waits for it.
func (h *hookServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := h.srv.Shutdown(ctx)
	if serr := <-h.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("stop fraud webhook: %w", err)
	}
	return nil
}
