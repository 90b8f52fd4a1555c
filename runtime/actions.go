package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// RunInfo describes the trigger run a context belongs to.
type RunInfo struct {
	Trigger, Model, Key, Event string
	// Depth is the nesting depth of the operation (1 for the application's own).
	Depth int
	// Attempt numbers the attempt running now, from 1: the retry count of
	// an in-process run plus one, or the durable queue's count of
	// deliveries for a run from a durable job (as ExecutionRecord.Attempt).
	Attempt int
}

// CurrentRun returns what the trigger that ctx was passed to is running on.
func CurrentRun(ctx context.Context) (RunInfo, bool) {
	f := frameFrom(ctx)
	if f == nil {
		return RunInfo{}, false
	}
	t := f.running.Load()
	if t == nil {
		return RunInfo{}, false
	}
	ri := RunInfo{Trigger: t.name, Model: t.model, Depth: f.depth, Attempt: int(f.attempt.Load())}
	if f.inst != nil {
		ri.Key = f.inst.instanceKey()
	}
	ev := Event(f.event.Load())
	ri.Event = ev.String()
	if ev.IsCustom() {
		for i, e := range t.events {
			if e == ev {
				ri.Event = t.eventNames[i]
			}
		}
	}
	return ri, true
}

// Log returns an action that logs each run through logger (slog.Default()
// when nil) at info level, with the trigger, model, key, event and actor.
func Log[C any](logger *slog.Logger, msg string) Action[C] {
	return func(ctx context.Context, _ *C) error {
		l := logger
		if l == nil {
			l = slog.Default()
		}
		ri, _ := CurrentRun(ctx)
		a, _ := ActorFrom(ctx)
		l.LogAttrs(ctx, slog.LevelInfo, msg,
			slog.String("trigger", ri.Trigger), slog.String("model", ri.Model), slog.String("key", ri.Key),
			slog.String("event", ri.Event), slog.String("actor", a.ID), slog.String("request_id", RequestIDFrom(ctx)))
		return nil
	}
}

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
func Webhook[C any](url string, text func(ctx context.Context, c *C) string, opts WebhookOptions) Action[C] {
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return func(ctx context.Context, c *C) error {
		ri, _ := CurrentRun(ctx)
		a, _ := ActorFrom(ctx)
		p := WebhookPayload{Trigger: ri.Trigger, Model: ri.Model, Event: ri.Event, Key: ri.Key,
			ActorID: a.ID, RequestID: RequestIDFrom(ctx)}
		if text != nil {
			p.Text = text(ctx, c)
		} else {
			p.Text = fmt.Sprintf("%s: %s %s %s", ri.Trigger, ri.Model, ri.Key, ri.Event)
		}
		body, err := json.Marshal(p)
		if err != nil {
			return Permanent(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return Permanent(err)
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
			return Permanent(fmt.Errorf("webhook: %s: %s", resp.Status, bytes.TrimSpace(msg)))
		}
		return fmt.Errorf("webhook: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
}
