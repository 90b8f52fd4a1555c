package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/triggergen/triggergen/example/models"
)

// FraudAlert is an alert raised for the fraud team when a SIM card is
// flagged.
type FraudAlert struct {
	ID           int64
	SimCardID    string
	SerialNumber string
	ShopID       string
	CardStatus   models.SimStatus
	RaisedAt     time.Time
	// DeliveredAt is when the Notifier delivered the alert; zero when it
	// was only recorded.
	DeliveredAt time.Time
}

// Text is the alert as one line for a chat channel.
func (a FraudAlert) Text() string {
	shop := a.ShopID
	if shop == "" {
		shop = "no shop"
	}
	return fmt.Sprintf("Fraud alert #%d: SIM %s (card %s, %s) flagged while %s",
		a.ID, a.SerialNumber, a.SimCardID, shop, a.CardStatus)
}

// FraudNotifier delivers fraud alerts. The Store calls it after the
// transaction that raised the alert has committed, so a rolled-back alert is
// never delivered.
type FraudNotifier interface {
	NotifyFraud(ctx context.Context, a FraudAlert) error
}

// SlackWebhook is a FraudNotifier that POSTs each alert as Slack-compatible
// JSON, {"text": "..."}, to URL (a Slack incoming webhook or anything that
// accepts the same body).
type SlackWebhook struct {
	URL string
	// Client sends the request; nil means a client with a 10s timeout.
	Client *http.Client
}

// NotifyFraud POSTs the alert; any status other than 2xx is an error.
func (w SlackWebhook) NotifyFraud(ctx context.Context, a FraudAlert) error {
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{a.Text()})
	if err != nil {
		return fmt.Errorf("encode fraud alert %d: %w", a.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post fraud alert %d: %w", a.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post fraud alert %d: %w", a.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post fraud alert %d to %s: %s", a.ID, w.URL, resp.Status)
	}
	return nil
}

// deliver hands a committed alert to n and marks it delivered. Its data is
// committed whatever happens here, so a failure is logged, not returned.
func (s *Store) deliver(ctx context.Context, n FraudNotifier, a FraudAlert, now func() time.Time) {
	if err := n.NotifyFraud(ctx, a); err != nil {
		s.logger().LogAttrs(ctx, slog.LevelError, "fraud alert not delivered",
			slog.Int64("alert", a.ID), slog.String("sim_card", a.SimCardID), slog.String("error", err.Error()))
		return
	}
	_, err := s.db.ExecContext(ctx, `UPDATE fraud_alerts SET delivered_at = ? WHERE id = ?`, formatTime(now()), a.ID)
	if err != nil {
		s.logger().LogAttrs(ctx, slog.LevelError, "fraud alert delivered, not marked",
			slog.Int64("alert", a.ID), slog.String("error", err.Error()))
	}
}

// FraudAlerts returns the recorded fraud alerts, oldest first.
func (s *Store) FraudAlerts(ctx context.Context) ([]FraudAlert, error) {
	return list(ctx, s.db, "fraud alerts", `SELECT id, sim_card_id, serial_number, COALESCE(shop_id, ''),
		card_status, raised_at, delivered_at FROM fraud_alerts ORDER BY id`, nil, scanFraudAlert)
}

func scanFraudAlert(sc scanner) (FraudAlert, error) {
	var (
		a              FraudAlert
		status, raised string
		delivered      sql.NullString
	)
	if err := sc.Scan(&a.ID, &a.SimCardID, &a.SerialNumber, &a.ShopID, &status, &raised, &delivered); err != nil {
		return a, err
	}
	a.CardStatus = models.SimStatus(status)
	var err error
	if a.RaisedAt, err = parseTime(raised); err != nil {
		return a, err
	}
	if a.DeliveredAt, err = parseTime(delivered.String); err != nil {
		return a, err
	}
	return a, nil
}
