package runtime

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Outcomes of a run as recorded in ExecutionRecord.Outcome.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeTimeout = "timeout"
	OutcomePanic   = "panic"
)

// ExecutionRecord describes one attempt of one trigger run, as handed to an
// AuditSink.
type ExecutionRecord struct {
	// Trigger, Model and Key name the trigger, the model it is declared on
	// and the key of the instance it ran for; Event is the event's name,
	// ActorID the acting user and RequestID the request it ran in.
	Trigger, Model, Key, Event, ActorID, RequestID string
	// Start is when the attempt began; for an attempt that was not timed
	// (see Config.Observation), when its failure was seen.
	Start time.Time
	// Duration is how long the attempt took; 0 when it was not timed.
	Duration time.Duration
	// Outcome is one of the Outcome constants.
	Outcome string // "success", "failure", "timeout", "panic"
	// Error is the error's message, empty on success.
	Error string
	// Attempt numbers the attempt, from 1.
	Attempt int
}

// LogFilter selects records in LogReader.Logs. Empty fields match all
// records; Limit <= 0 means no limit.
type LogFilter struct {
	// Trigger, Model and Outcome, when not empty, must equal the record's.
	Trigger, Model, Outcome string
	// Limit caps how many records are returned; <= 0 means no limit.
	Limit int
}

// match reports whether r passes the filter (ignoring Limit).
func (f LogFilter) match(r *ExecutionRecord) bool {
	return (f.Trigger == "" || f.Trigger == r.Trigger) &&
		(f.Model == "" || f.Model == r.Model) &&
		(f.Outcome == "" || f.Outcome == r.Outcome)
}

// AuditSink receives one record per run attempt. Record must be safe for
// concurrent use and should not block.
type AuditSink interface {
	Record(ExecutionRecord)
}

// LogReader is implemented by sinks that can answer Engine.Logs.
type LogReader interface {
	Logs(LogFilter) []ExecutionRecord
}

// memoryAudit is the AuditSink and LogReader NewMemoryAudit returns: the last
// N records in a ring. It is safe for concurrent use; Record does not
// allocate.
type memoryAudit struct {
	mu   sync.Mutex
	buf  []ExecutionRecord // fixed length: the capacity
	next int               // index the next record is written to
	n    int               // number of valid records, <= len(buf)
}

// NewMemoryAudit returns the engine's default AuditSink: it keeps the last
// capacity records (capacity <= 0 means 1000) in a ring allocated up front,
// and it is a LogReader, so Engine.Logs answers from it. Record does not
// allocate and is safe for concurrent use; a full ring overwrites its
// oldest record.
func NewMemoryAudit(capacity int) AuditSink { return newMemoryAudit(capacity) }

func newMemoryAudit(capacity int) *memoryAudit {
	if capacity <= 0 {
		capacity = 1000
	}
	return &memoryAudit{buf: make([]ExecutionRecord, capacity)}
}

// Record stores r, overwriting the oldest record when the ring is full.
func (m *memoryAudit) Record(r ExecutionRecord) { m.put(&r) }

// put is Record for a record the caller keeps.
func (m *memoryAudit) put(r *ExecutionRecord) {
	m.mu.Lock()
	m.buf[m.next] = *r
	m.next++
	if m.next == len(m.buf) {
		m.next = 0
	}
	if m.n < len(m.buf) {
		m.n++
	}
	m.mu.Unlock()
}

// Logs returns the stored records that match f, newest first, at most
// f.Limit of them when f.Limit > 0. The result is a fresh slice (never nil)
// that the caller may keep.
func (m *memoryAudit) Logs(f LogFilter) []ExecutionRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	size := m.n
	if f.Limit > 0 && f.Limit < size {
		size = f.Limit
	}
	out := make([]ExecutionRecord, 0, size)
	i := m.next
	for range m.n {
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
		i--
		if i < 0 {
			i = len(m.buf) - 1
		}
		if f.match(&m.buf[i]) {
			out = append(out, m.buf[i])
		}
	}
	return out
}

// Len returns how many records are stored.
func (m *memoryAudit) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// NewSlogAudit returns an AuditSink that logs each record to l and then,
// when next is not nil, forwards it to next. A nil l means slog.Default()
// at the time of each Record.
//
// Successful runs are logged at Info, failures and timeouts at Warn and
// panics at Error, with the message "trigger run" and the attributes
// trigger, model, key, event, actor_id, request_id, start, duration,
// outcome, attempt and (when not empty) error. Logging is synchronous, so
// Record blocks as long as l's handler does.
//
// When next implements LogReader, so does the returned sink: its Logs
// delegates to next. Otherwise the returned sink does not implement
// LogReader, so a type assertion tells whether logs can be read.
func NewSlogAudit(l *slog.Logger, next AuditSink) AuditSink {
	s := &slogAudit{l: l, next: next}
	if lr, ok := next.(LogReader); ok {
		return &slogAuditReader{slogAudit: s, lr: lr}
	}
	return s
}

// slogAudit is the AuditSink returned by NewSlogAudit.
type slogAudit struct {
	l    *slog.Logger
	next AuditSink
}

// Record logs r and forwards it to the next sink.
func (s *slogAudit) Record(r ExecutionRecord) {
	l := s.l
	if l == nil {
		l = slog.Default()
	}
	level := slog.LevelInfo
	switch r.Outcome {
	case OutcomeSuccess:
	case OutcomePanic:
		level = slog.LevelError
	default:
		level = slog.LevelWarn
	}
	ctx := context.Background()
	if l.Enabled(ctx, level) {
		attrs := [...]slog.Attr{
			slog.String("trigger", r.Trigger),
			slog.String("model", r.Model),
			slog.String("key", r.Key),
			slog.String("event", r.Event),
			slog.String("actor_id", r.ActorID),
			slog.String("request_id", r.RequestID),
			slog.Time("start", r.Start),
			slog.Duration("duration", r.Duration),
			slog.String("outcome", r.Outcome),
			slog.Int("attempt", r.Attempt),
			slog.String("error", r.Error),
		}
		n := len(attrs)
		if r.Error == "" {
			n--
		}
		l.LogAttrs(ctx, level, "trigger run", attrs[:n]...)
	}
	if s.next != nil {
		s.next.Record(r)
	}
}

// slogAuditReader is a slogAudit whose next sink is a LogReader.
type slogAuditReader struct {
	*slogAudit
	lr LogReader
}

// Logs delegates to the next sink.
func (s *slogAuditReader) Logs(f LogFilter) []ExecutionRecord { return s.lr.Logs(f) }

// Tee returns an AuditSink that records to every sink in order (nil sinks
// are ignored). When one of the sinks implements LogReader, so does the
// returned sink, and its Logs reads from the first such sink; otherwise the
// returned sink does not implement LogReader. With a single non-nil sink
// Tee returns that sink itself.
func Tee(sinks ...AuditSink) AuditSink {
	t := &teeAudit{sinks: make([]AuditSink, 0, len(sinks))}
	var lr LogReader
	for _, s := range sinks {
		if s == nil {
			continue
		}
		t.sinks = append(t.sinks, s)
		if r, ok := s.(LogReader); ok && lr == nil {
			lr = r
		}
	}
	if len(t.sinks) == 1 {
		return t.sinks[0]
	}
	if lr != nil {
		return &teeAuditReader{teeAudit: t, lr: lr}
	}
	return t
}

// teeAudit is the AuditSink returned by Tee.
type teeAudit struct {
	sinks []AuditSink
}

// Record forwards r to every sink.
func (t *teeAudit) Record(r ExecutionRecord) {
	for _, s := range t.sinks {
		s.Record(r)
	}
}

// teeAuditReader is a teeAudit with at least one LogReader among its sinks.
type teeAuditReader struct {
	*teeAudit
	lr LogReader
}

// Logs reads from the first sink that is a LogReader.
func (t *teeAuditReader) Logs(f LogFilter) []ExecutionRecord { return t.lr.Logs(f) }
