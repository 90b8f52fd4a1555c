// Package triggerhttp joins triggers and net/http: Webhook, an action that
// posts a JSON message (Slack-compatible) for each run, and
// RequestMiddleware, which puts a request ID and an actor into every
// request's context so that the audit records of the triggers a handler
// runs, synchronous or queued, carry both.
package triggerhttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/triggergen/triggergen/runtime"
)

// WebhookOptions configure Webhook. The zero value works.
type WebhookOptions struct {
	// Client sends the request (default: a client with a 10s timeout).
	Client *http.Client
	// Header is added to every request (for example Authorization).
	Header http.Header
}

// WebhookPayload is the JSON body Webhook posts. Text makes it a valid
// Slack incoming-webhook message; the other fields are for other receivers.
type WebhookPayload struct {
	Text      string `json:"text"`
	Trigger   string `json:"trigger"`
	Model     string `json:"model"`
	Event     string `json:"event"`
	Key       string `json:"key"`
	ActorID   string `json:"actor_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Webhook returns an action that POSTs a WebhookPayload as JSON to url, with
// text(ctx, c) as its text. A 2xx answer is success; 4xx answers other than
// 408 and 429 are Permanent failures (not retried); others may be retried.
func Webhook[C any](url string, text func(ctx context.Context, c *C) string, opts WebhookOptions) runtime.Action[C] {
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return func(ctx context.Context, c *C) error {
		ri, _ := runtime.CurrentRun(ctx)
		a, _ := runtime.ActorFrom(ctx)
		p := WebhookPayload{Trigger: ri.Trigger, Model: ri.Model, Event: ri.Event, Key: ri.Key,
			ActorID: a.ID, RequestID: runtime.RequestIDFrom(ctx)}
		if text != nil {
			p.Text = text(ctx, c)
		} else {
			p.Text = fmt.Sprintf("%s: %s %s %s", ri.Trigger, ri.Model, ri.Key, ri.Event)
		}
		body, err := json.Marshal(p)
		if err != nil {
			return runtime.Permanent(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return runtime.Permanent(err)
		}
		for k, vs := range opts.Header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
			return runtime.Permanent(fmt.Errorf("webhook: %s: %s", resp.Status, bytes.TrimSpace(msg)))
		}
		return fmt.Errorf("webhook: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
}

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
func RequestMiddleware(actor func(*http.Request) (runtime.Actor, bool)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(RequestIDHeader)
			if !validRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set(RequestIDHeader, id)
			ctx := runtime.WithRequestID(r.Context(), id)
			if actor != nil {
				if a, ok := actor(r); ok {
					ctx = runtime.WithActor(ctx, a)
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
