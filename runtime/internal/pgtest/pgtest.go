// Package pgtest gives tests a fresh PostgreSQL database on the server that
// TRIGGERGEN_TEST_POSTGRES names, and skips them with a message when it is
// unset.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that holds the DSN of the test server, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const Env = "TRIGGERGEN_TEST_POSTGRES"

// Enabled reports whether Env is set.
func Enabled() bool { return os.Getenv(Env) != "" }

// SkipMessage says why PostgreSQL tests skip when Env is unset.
const SkipMessage = Env + " is not set: skipping the PostgreSQL tests (.ci/run sets it, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)"

var seq atomic.Int64

// DSN creates a database named after prefix on the server Env names,
// dropped when the test ends, and returns its DSN. It skips the test when
// Env is unset.
func DSN(t testing.TB, prefix string) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skip(SkipMessage)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("%s_%d_%d", strings.ToLower(prefix), os.Getpid(), seq.Add(1))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", Env, err)
	}
	u.Path = "/" + name
	return u.String()
}
