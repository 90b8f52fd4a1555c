package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/triggerhttp"
)

func TestWebhookPostsSlackCompatibleJSON(t *testing.T) {
	var mu sync.Mutex
	var got []triggerhttp.WebhookPayload
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "Bearer s3cret", r.Header.Get("Authorization"))
		var p triggerhttp.WebhookPayload
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&p))
		mu.Lock()
		got = append(got, p)
		code := status
		mu.Unlock()
		w.WriteHeader(code)
	}))
	defer srv.Close()

	eng := runtime.New(runtime.Config{})
	hook := triggerhttp.Webhook(srv.URL, func(_ context.Context, c *CardChange) string {
		return "card " + c.New.ID + " flagged"
	}, triggerhttp.WebhookOptions{Header: http.Header{"Authorization": {"Bearer s3cret"}}})
	require.NoError(t, runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
		Name: "fraud_hook", Events: []runtime.Event{runtime.AfterUpdate},
		Actions: []runtime.Action[CardChange]{hook},
	}))
	ctx := runtime.WithRequestID(runtime.WithActor(context.Background(), runtime.Actor{ID: "u7"}), "req-1")
	old := &Card{ID: "c9"}
	require.NoError(t, UpdateCard(ctx, eng, old, &Card{ID: "c9", Fraud: true}, nil))
	require.Len(t, got, 1)
	assert.Equal(t, triggerhttp.WebhookPayload{Text: "card c9 flagged", Trigger: "fraud_hook", Model: "Card",
		Event: "after_update", Key: "c9", ActorID: "u7", RequestID: "req-1"}, got[0])

	mu.Lock()
	status = http.StatusBadRequest
	mu.Unlock()
	err := UpdateCard(ctx, eng, old, &Card{ID: "c9"}, nil)
	require.Error(t, err)
	assert.True(t, runtime.IsPermanent(err), "a 400 answer is not retried")
	assert.ErrorContains(t, err, "400 Bad Request")

	mu.Lock()
	status = http.StatusServiceUnavailable
	mu.Unlock()
	err = UpdateCard(ctx, eng, old, &Card{ID: "c9"}, nil)
	require.Error(t, err)
	assert.False(t, runtime.IsPermanent(err), "a 503 answer may be retried")
}

func TestLogAction(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	eng := runtime.New(runtime.Config{})
	require.NoError(t, runtime.On(eng, CardModel, runtime.Trigger[CardChange]{
		Name: "log_it", Events: []runtime.Event{runtime.AfterCreate},
		Actions: []runtime.Action[CardChange]{runtime.Log[CardChange](logger, "card created")},
	}))
	ctx := runtime.WithActor(context.Background(), runtime.Actor{ID: "ann"})
	require.NoError(t, CreateCard(ctx, eng, &Card{ID: "c1"}, nil))
	line := buf.String()
	for _, want := range []string{`msg="card created"`, "trigger=log_it", "model=Card", "key=c1", "event=after_create", "actor=ann"} {
		assert.Contains(t, line, want)
	}
}

func TestCurrentRunOutsideTrigger(t *testing.T) {
	_, ok := runtime.CurrentRun(context.Background())
	assert.False(t, ok)
	_, ok = runtime.EngineFrom(context.Background())
	assert.False(t, ok)
}
