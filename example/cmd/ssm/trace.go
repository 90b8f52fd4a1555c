package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/triggergen/triggergen/runtime/otel"
)

// printTrace prints the trace of the first span named name as a tree: each
// span with its duration and the attributes that say what it was, its
// children below it in the order they started.
func printTrace(out io.Writer, spans []sdktrace.ReadOnlySpan, name string) {
	i := slices.IndexFunc(spans, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == name })
	if i < 0 {
		fmt.Fprintf(out, "\nTrace: no span %q was recorded\n", name)
		return
	}
	id := spans[i].SpanContext().TraceID()
	var in []sdktrace.ReadOnlySpan
	known := map[trace.SpanID]bool{}
	for _, s := range spans {
		if s.SpanContext().TraceID() == id {
			in = append(in, s)
			known[s.SpanContext().SpanID()] = true
		}
	}
	slices.SortFunc(in, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	fmt.Fprintf(out, "\nTrace %s (%d spans, OpenTelemetry, runtime/otel)\n", id, len(in))
	var walk func(parent trace.SpanID, depth int)
	walk = func(parent trace.SpanID, depth int) {
		for _, s := range in {
			p := s.Parent().SpanID()
			if !known[p] {
				p = trace.SpanID{} // a root of what was recorded
			}
			if p != parent {
				continue
			}
			fmt.Fprintf(out, "  %s%s  %s%s\n", strings.Repeat("  ", depth), s.Name(),
				s.EndTime().Sub(s.StartTime()).Round(time.Microsecond), describe(s))
			walk(s.SpanContext().SpanID(), depth+1)
		}
	}
	walk(trace.SpanID{}, 0)
}

// describe returns the attributes of a span that say what it was.
func describe(s sdktrace.ReadOnlySpan) string {
	var parts []string
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case otel.AttrKey, otel.AttrEvent, otel.AttrAttempt, otel.AttrOutcome:
			parts = append(parts, strings.TrimPrefix(string(kv.Key), "triggergen.")+"="+kv.Value.Emit())
		}
	}
	if s.Status().Code == codes.Error {
		parts = append(parts, "error="+attribute.StringValue(s.Status().Description).Emit())
	}
	if len(parts) == 0 {
		return ""
	}
	return "  " + strings.Join(parts, " ")
}
