package prom_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/prom"
)

// ExampleNewSink wraps the engine's audit sink so that every run is
// counted, and serves the registry at /metrics.
func ExampleNewSink() {
	reg := prometheus.NewRegistry()
	sink, err := prom.NewSink(reg, runtime.NewMemoryAudit(1000))
	if err != nil {
		panic(err)
	}
	eng := runtime.New(runtime.Config{Audit: sink})
	defer eng.Close(context.Background())
	reg.MustRegister(prom.NewCollector(eng))

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))

	// The engine records every run; here we record one by hand.
	sink.Record(runtime.ExecutionRecord{
		Trigger: "notify_owner", Model: "Card", Event: "after_update",
		Outcome: runtime.OutcomeFailure, Duration: 3 * time.Millisecond, Attempt: 1,
	})

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "triggergen_trigger_executions_total") ||
			strings.HasPrefix(line, "triggergen_trigger_failures_total") ||
			strings.HasPrefix(line, "triggergen_trigger_duration_seconds_count") ||
			strings.HasPrefix(line, "triggergen_engine_enabled") {
			fmt.Println(line)
		}
	}
	// Output:
	// triggergen_engine_enabled 1
	// triggergen_trigger_duration_seconds_count{model="Card",trigger="notify_owner"} 1
	// triggergen_trigger_executions_total{event="after_update",model="Card",outcome="failure",trigger="notify_owner"} 1
	// triggergen_trigger_failures_total{model="Card",trigger="notify_owner"} 1
}
