package release

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlockmail/airlock/holdqueue"
)

// Metrics are what an operator asks at 3 a.m.: how much mail is held,
// how old the oldest is, what the loops did and how long mail waited.
type Metrics struct {
	results *prometheus.CounterVec
	held    prometheus.Histogram
}

// NewMetrics registers the release metrics and a collector that reads the
// queue's counts at scrape time.
func NewMetrics(reg prometheus.Registerer, store holdqueue.Store) *Metrics {
	m := &Metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_release_results_total",
			Help: "Messages the release loop acted on, by result (delivered, quarantined, failed, retried, lease_lost).",
		}, []string{"result"}),
		held: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "airlock_release_held_seconds",
			Help:    "Time from hold to delivery or quarantine.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600},
		}),
	}
	for _, r := range []string{"delivered", "quarantined", "failed", "retried", "lease_lost"} {
		m.results.WithLabelValues(r) // present from the start, at 0
	}
	reg.MustRegister(m.results, m.held, &queueCollector{store: store})
	return m
}

func (m *Metrics) result(r string, heldSince time.Time) {
	if m == nil {
		return
	}
	m.results.WithLabelValues(r).Inc()
	if r == "delivered" || r == "quarantined" {
		m.held.Observe(time.Since(heldSince).Seconds())
	}
}

var (
	descMessages = prometheus.NewDesc("airlock_holdqueue_messages", "Messages in the hold queue by state.", []string{"state"}, nil)
	descUp       = prometheus.NewDesc("airlock_holdqueue_up", "1 when the hold queue answered the scrape.", nil, nil)
)

// queueCollector reads Counts at scrape time (cheap in both backends): the
// messages by state. The held count and the oldest held message's age are
// airlock_held_messages and airlock_oldest_held_age_seconds (metrics.Set).
type queueCollector struct{ store holdqueue.Store }

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descMessages
	ch <- descUp
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := c.store.Counts(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, st := range holdqueue.States {
		ch <- prometheus.MustNewConstMetric(descMessages, prometheus.GaugeValue, float64(n.ByState[st]), string(st))
	}
}
