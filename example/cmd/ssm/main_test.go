package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/runtime"
)

var nine = []string{
	"sim_card_quality_update", "sim_card_status_notification", "sim_card_fraud_alert",
	"sim_card_assignment_tracking", "sim_card_registration_completion", "shop_status_change_handler",
	"shop_sales_performance_update", "shop_inventory_sale_tracking", "shop_transfer_workflow",
}

// fired parses the "Triggers fired" table: trigger name -> executions.
func fired(t *testing.T, out string) map[string]int {
	t.Helper()
	_, table, ok := strings.Cut(out, "Triggers fired\n")
	require.True(t, ok, "no Triggers fired section in:\n%s", out)
	table, _, _ = strings.Cut(table, "\n\n")
	row := regexp.MustCompile(`^\s+(\w+)\s+\w+\s+\S+\s+(\d+)$`)
	got := map[string]int{}
	for _, line := range strings.Split(table, "\n")[1:] {
		m := row.FindStringSubmatch(line)
		require.NotNil(t, m, "unexpected row %q", line)
		n, err := strconv.Atoi(m[2])
		require.NoError(t, err)
		got[m[1]] = n
	}
	return got
}

func runDemo(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return stdout.String()
}

func TestDemoFiresAllNineTriggers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sub", "ssm.db")
	out := runDemo(t, "-db", db)

	got := fired(t, out)
	assert.Len(t, got, len(nine))
	for _, name := range nine {
		assert.GreaterOrEqual(t, got[name], 1, "%s fired", name)
	}
	assert.Contains(t, out, db)
	assert.Contains(t, out, "Metrics")
	assert.Regexp(t, `all triggers\s+\d+`, out)
	// The work is in the database, and the rolled-back transaction left none.
	assert.Contains(t, out, "shop Central  OPEN      stock  5, performance: 2 sales, revenue 27.50")
	assert.Contains(t, out, "shop Harbour  OPEN      stock  5")
	assert.Contains(t, out, "shop Airport  SUSPENDED")
	assert.Regexp(t, `fraud alert #1: SIM 8944-01-0002 \(delivered `, out)
	assert.NotContains(t, out, "fraud alert #2")
	assert.Contains(t, out, `webhook received: {"text": "Fraud alert #1: SIM 8944-01-0002`)
	assert.Contains(t, out, "because trigger shop_transfer_workflow: transfer r1-t2: received before it was shipped")
	assert.Contains(t, out, "nothing kept, as before")
	assert.Contains(t, out, "no alert (condition `not role auditor`): still 1 fraud alerts, 1 webhook posts")
	assert.Contains(t, out, "the shop and operations are notified (2 notifications)")
	assert.Contains(t, out, "nothing moves yet (stock 8 and 2)")
}

// TestSettleWaitsForAsyncWork checks what the demo's outcome lines rely
// on: settle returns only once the async work queued so far has run.
func TestSettleWaitsForAsyncWork(t *testing.T) {
	eng := runtime.New(runtime.Config{})
	defer eng.Close(context.Background())
	var done atomic.Int32
	for range 3 {
		require.NoError(t, eng.Config().Queue.Enqueue(context.Background(), runtime.Job{Run: func(context.Context) error {
			time.Sleep(50 * time.Millisecond)
			done.Add(1)
			return nil
		}}))
	}
	sc := &scenario{eng: eng}
	require.NoError(t, sc.settle(context.Background()))
	assert.Equal(t, int32(3), done.Load())
}

func TestDemoDurable(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ssm.db")
	out := runDemo(t, "-durable", "-db", db)
	assert.Contains(t, out, "async          durable River jobs in the database (riverqueue)")
	got := fired(t, out)
	assert.Len(t, got, len(nine))
	assert.Equal(t, 1, got["sim_card_fraud_alert"])
	assert.Regexp(t, `fraud alert #1: SIM 8944-01-0002 \(delivered `, out)
	assert.NotContains(t, out, "fraud alert #2")
	// One job: the fraud flag of the rolled-back transaction was inserted in
	// that transaction and rolled back with it.
	assert.Contains(t, out, "durable jobs (river_job): 1 completed\n")

	out = runDemo(t, "-durable", "-keep", "-db", db)
	assert.Contains(t, out, "Scenario (run 2)")
	assert.Contains(t, out, "durable jobs (river_job): 2 completed\n")
}

// TestDemoTrace checks that -trace prints the fraud alert as one trace:
// the update that flagged the card, the commit that queued the async
// trigger, and its run; with -durable, the update and the run of the River
// job, which carried the trace context.
func TestDemoTrace(t *testing.T) {
	out := runDemo(t, "-trace", "-db", filepath.Join(t.TempDir(), "ssm.db"))
	assert.Regexp(t, `(?m)^Trace [0-9a-f]{32} \(3 spans, OpenTelemetry, runtime/otel\)\n`+
		`  update SimCard  \S+  key=r1-sim2\n`+
		`    on_commit sim_card_fraud_alert  \S+  key=r1-sim2 event=after_update\n`+
		`      trigger sim_card_fraud_alert  \S+  key=r1-sim2 event=after_update attempt=1 outcome=success\n`, out)

	out = runDemo(t, "-trace", "-durable", "-db", filepath.Join(t.TempDir(), "ssm.db"))
	assert.Regexp(t, `(?m)^Trace [0-9a-f]{32} \(2 spans, OpenTelemetry, runtime/otel\)\n`+
		`  update SimCard  \S+  key=r1-sim2\n`+
		`    trigger sim_card_fraud_alert  \S+  key=r1-sim2 event=after_update attempt=1 outcome=success\n`, out)
}

func TestDemoRecreatesOrKeepsTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ssm.db")
	runDemo(t, "-db", db)
	out := runDemo(t, "-db", db)
	assert.Contains(t, out, "Scenario (run 1)", "recreated")

	out = runDemo(t, "-db", db, "-keep")
	assert.Contains(t, out, "Scenario (run 2)", "kept")
	assert.Contains(t, out, "rows: 6 shops, 8 SIM cards, 4 sales")
	for _, name := range nine {
		assert.GreaterOrEqual(t, fired(t, out)[name], 1, "%s fired", name)
	}
}

func TestBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-nope"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"extra"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "usage: ssm")
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &stdout, &stderr))
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeManagementAPIUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	db := filepath.Join(t.TempDir(), "ssm.db")
	go func() { done <- run(ctx, []string{"-db", db, "-serve", "127.0.0.1:0"}, &stdout, &stderr) }()

	serving := regexp.MustCompile(`Management API on (http://\S+) \(token (\w+)\)`)
	var m []string
	require.Eventually(t, func() bool {
		m = serving.FindStringSubmatch(stdout.String())
		return m != nil
	}, time.Minute, 20*time.Millisecond, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	api, token := m[1], m[2]

	call := func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, api+path, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var got map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got), "every answer is a JSON object")
		return resp.StatusCode, got
	}

	code, _ := call(http.MethodGet, "status/", "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the token is required")
	code, status := call(http.MethodGet, "status/", token, "")
	require.Equal(t, http.StatusOK, code, status)
	assert.EqualValues(t, 9, status["total_triggers"])

	// Executing a trigger through the API does its work in the database.
	code, got := call(http.MethodPost, "execute/sim_card_fraud_alert/", token, `{"instance_id": "r1-sim1"}`)
	require.Equal(t, http.StatusOK, code, got)
	st, err := store.Open(ctx, db)
	require.NoError(t, err)
	defer st.Close()
	alerts, err := st.FraudAlerts(ctx)
	require.NoError(t, err)
	require.Len(t, alerts, 2)
	assert.Equal(t, "r1-sim1", alerts[1].SimCardID)
	assert.False(t, alerts[1].DeliveredAt.IsZero(), "posted to the demo's webhook")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "stderr:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}
