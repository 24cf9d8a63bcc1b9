package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/internal/testredis"
)

// TestRedisDurabilityGauge: airlock_store_durable follows the real Redis's
// appendonly/appendfsync, read with CONFIG GET.
func TestRedisDurabilityGauge(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts testredis.Options
		want float64
	}{
		{"appendfsync always", testredis.Options{AOF: true}, 1},
		{"no AOF", testredis.Options{}, 0},
		{"AOF every second", testredis.Options{Args: []string{"--appendonly", "yes", "--appendfsync", "everysec"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testredis.Start(t, tc.opts)
			o, log := newOps(slog.New(slog.DiscardHandler))
			rc := config.DefaultHoldQueue().Redis
			rc.Addrs = []string{srv.Addr()}
			// Start from the opposite value so the check must set it.
			o.set.StoreDurable(tc.want == 0)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { o.watchRedisDurability(ctx, rc, log); close(done) }()
			defer func() { cancel(); <-done }()
			expo := "# HELP airlock_store_durable 1 when the hold queue fsyncs every write (bbolt, or Redis with appendfsync always), 0 when it does not.\n# TYPE airlock_store_durable gauge\n"
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				err := testutil.GatherAndCompare(o.reg, strings.NewReader(expo+"airlock_store_durable "+map[float64]string{0: "0", 1: "1"}[tc.want]+"\n"), "airlock_store_durable")
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal(err)
				}
			}
		})
	}
}
