package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

// nine are the SSM triggers the scenario must fire.
var nine = []string{
	"sim_card_quality_update", "sim_card_status_notification", "sim_card_fraud_alert",
	"sim_card_assignment_tracking", "sim_card_registration_completion", "shop_status_change_handler",
	"shop_sales_performance_update", "shop_inventory_sale_tracking", "shop_transfer_workflow",
}

func TestScenarioFiresEveryTriggerAndTheRollbackLeavesNothing(t *testing.T) {
	a, err := open(filepath.Join(t.TempDir(), "ssm.db"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.close()) })
	var out bytes.Buffer
	require.NoError(t, a.scenario(context.Background(), &out), "output so far:\n%s", out.String())

	listed := a.eng.List(runtime.ListFilter{})
	require.Len(t, listed, len(nine))
	for _, name := range nine {
		info, ok := a.eng.Trigger(name)
		require.True(t, ok, "%s is registered", name)
		assert.GreaterOrEqual(t, info.Stats.Executions, int64(1), "%s ran", name)
		assert.Zero(t, info.Stats.Failures, "%s failed", name)
	}
	assert.Equal(t, int64(1), executions(a.eng, "sim_card_fraud_alert"), "one alert: not for the auditor's flag, not for the rolled-back one")

	// The rolled-back transaction sold SIM card sim3 at Central and flagged
	// it: none of that, nor its triggers' work, is in the database.
	db := a.db
	n, err := count[models.Sale](db, "id = ?", "sale2")
	require.NoError(t, err)
	assert.Zero(t, n, "the rolled-back sale")
	card, err := row[models.SimCard](db, "id = ?", "sim3")
	require.NoError(t, err)
	assert.Equal(t, models.SimInactive, card.Status)
	assert.False(t, card.FraudFlag)
	n, err = count[FraudAlert](db, "sim_card_id = ?", "sim3")
	require.NoError(t, err)
	assert.Zero(t, n, "no fraud alert for the rolled-back flag")
	n, err = count[Notification](db, "message LIKE ?", "%"+serial(3)+"%")
	require.NoError(t, err)
	assert.Zero(t, n, "no notification about the rolled-back sale")
	central, err := row[models.Shop](db, "id = ?", "central")
	require.NoError(t, err)
	assert.Equal(t, 6, central.Stock, "10, one sold, three shipped")
	assert.Equal(t, 1, central.SalesCount)
	assert.InDelta(t, 15.0, central.Revenue, 1e-9)
	perf, err := row[ShopPerformance](db, "shop_id = ?", "central")
	require.NoError(t, err)
	assert.Equal(t, 1, perf.Sales)
	assert.Contains(t, out.String(), "nothing was kept")
}

func TestRunFlags(t *testing.T) {
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept", "ssm.db")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-db", kept, "-keep"}, &stdout, &stderr), "stderr: %s", stderr.String())
	assert.FileExists(t, kept)
	assert.Contains(t, stdout.String(), "Metrics")
	assert.Regexp(t, `all triggers\s+\d+\s+\d+\s+0\s`, stdout.String())

	stdout.Reset()
	stderr.Reset()
	assert.Equal(t, 1, run(context.Background(), []string{"-db", kept}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "already exists")

	removed := filepath.Join(dir, "removed.db")
	stderr.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"-db", removed}, &stdout, &stderr), "stderr: %s", stderr.String())
	for _, p := range []string{removed, removed + "-wal", removed + "-shm"} {
		_, err := os.Stat(p)
		assert.ErrorIs(t, err, os.ErrNotExist, "%s is removed without -keep", p)
	}

	assert.Equal(t, 2, run(context.Background(), []string{"-nosuchflag"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"extra"}, &stdout, &stderr))
}
