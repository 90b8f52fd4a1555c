package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// querier is what both *sql.DB and *sql.Tx offer: loaders read through
// either.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// formatTime encodes t as RFC 3339 text in UTC, and the zero time as "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTime decodes what formatTime encoded.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", s, err)
	}
	return t, nil
}

// encodeJSON encodes a slice or map column; nil encodes as null, so that it
// reads back as nil.
func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %T: %w", v, err)
	}
	return string(b), nil
}

// decodeJSON decodes a column encodeJSON wrote into dst.
func decodeJSON(s string, dst any) error {
	if err := json.Unmarshal([]byte(s), dst); err != nil {
		return fmt.Errorf("decode %T: %w", dst, err)
	}
	return nil
}

// nullString maps nil to NULL.
func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

// stringPtr maps NULL to nil.
func stringPtr(n sql.NullString) *string {
	if !n.Valid {
		return nil
	}
	s := n.String
	return &s
}

// emptyNull maps "" to NULL, for optional foreign keys.
func emptyNull(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// checkOne reports a write that changed no row as not found.
func checkOne(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, id, err)
	}
	if n == 0 {
		return notFound(what, id)
	}
	return nil
}
