// Package metrics is Airlock's Prometheus instrumentation: one Set that
// creates every metric an operator asks for at 3 a.m. (messages by
// decision, held now, oldest held age, hold duration, verdict and release
// latency, sandbox up, lookups, uploads and deliveries by result, store
// errors, panics recovered) on a registry the caller passes in, and the
// /metrics handler that serves it.
//
// It promises:
//   - no global state: nothing is registered on prometheus.DefaultRegisterer,
//     so tests and several Sets in one process never collide;
//   - a nil *Set is valid and records nothing, so a part takes an optional
//     *Set field and needs no branches ("nil means no metrics");
//   - label values are from small fixed vocabularies chosen by the caller
//     (decision, result, next hop); never a sender, subject or file name.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "airlock"

// Result label values shared by lookups, uploads and deliveries.
const (
	ResultOK        = "ok"
	ResultError     = "error"
	ResultTemporary = "temporary" // delivery: 4xx or connection failure, will retry
	ResultPermanent = "permanent" // delivery: 5xx, the message failed for good
)

// Set is every Airlock metric. Create it with New; the zero value is not
// usable, but a nil *Set is (it records nothing).
type Set struct {
	reg prometheus.Registerer

	messages        *prometheus.CounterVec
	holdDuration    prometheus.Histogram
	verdictLatency  prometheus.Histogram
	releaseLatency  prometheus.Histogram
	sandboxUp       prometheus.Gauge
	lookups         *prometheus.CounterVec
	uploads         *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	storeErrors     *prometheus.CounterVec
	storeDurable    prometheus.Gauge
	panicsRecovered *prometheus.CounterVec
}

// latencyBuckets span an inline static verdict (tens of milliseconds) to a
// message held for the default 30-minute timeout and beyond.
var latencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200}

// New creates every metric on reg. Go runtime and process collectors are
// added too, so one scrape also shows memory, goroutines and open files.
func New(reg prometheus.Registerer) *Set {
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	s := &Set{reg: reg}
	s.messages = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "messages_total",
		Help: "Messages seen by the gate, by decision (deliver, hold, reject, quarantine, bypass, error)."}, []string{"decision"})
	s.holdDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "hold_duration_seconds",
		Help: "Time from hold to leaving the hold queue (delivered, quarantined or failed).", Buckets: latencyBuckets})
	s.verdictLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "verdict_latency_seconds",
		Help: "Time from uploading a file to sandboxd to its verdict.", Buckets: latencyBuckets})
	s.releaseLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "release_latency_seconds",
		Help: "Time from the last verdict (or deadline) of a held message to its delivery.", Buckets: latencyBuckets})
	s.sandboxUp = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "sandbox_up",
		Help: "1 when sandboxd answered the last health check or request, 0 when it did not."})
	s.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sandbox_lookups_total",
		Help: "Hash lookups at sandboxd by result (known, unknown, error)."}, []string{"result"})
	s.uploads = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sandbox_uploads_total",
		Help: "File uploads to sandboxd by result (ok, error)."}, []string{"result"})
	s.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "deliveries_total",
		Help: "Deliveries of released mail by result (ok, temporary, permanent) and next hop."}, []string{"result", "next_hop"})
	s.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "store_errors_total",
		Help: "Hold queue operations that failed, by operation (hold, claim, complete, list, ...)."}, []string{"op"})
	s.storeDurable = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "store_durable",
		Help: "1 when the hold queue fsyncs every write (bbolt, or Redis with appendfsync always), 0 when it does not."})
	s.panicsRecovered = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "panics_recovered_total",
		Help: "Panics recovered per connection or worker, by component. Any non-zero value is a bug."}, []string{"component"})
	for _, c := range []prometheus.Collector{s.messages, s.holdDuration, s.verdictLatency, s.releaseLatency, s.sandboxUp,
		s.lookups, s.uploads, s.deliveries, s.storeErrors, s.storeDurable, s.panicsRecovered} {
		f(c)
	}
	// Pre-create the label values an alert or a dashboard expects, so a
	// series exists (at 0) before the first event: rate() and "== 0"
	// alerts work from the first scrape.
	for _, d := range []string{"deliver", "hold", "reject", "quarantine"} {
		s.messages.WithLabelValues(d)
	}
	for _, r := range []string{"known", "unknown", ResultError} {
		s.lookups.WithLabelValues(r)
	}
	for _, r := range []string{ResultOK, ResultError} {
		s.uploads.WithLabelValues(r)
	}
	for _, c := range []string{"milter", "proxy", "gate", "release", "sandboxd"} {
		s.panicsRecovered.WithLabelValues(c)
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// ExtractWorkerStarts exports how many extract worker processes were
// started (count returns the running total): with a pool sized to the
// concurrency it stays at the pool size; a steady rise means workers die
// (killed for time or memory) or are recycled.
func (s *Set) ExtractWorkerStarts(count func() int64) {
	if s == nil {
		return
	}
	s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "extract_worker_starts_total",
		Help: "Extract worker processes started (third-party decompressors run in them)."}, func() float64 { return float64(count()) }))
}

// Decision counts one message seen by the gate with its decision.
func (s *Set) Decision(decision string) {
	if s == nil {
		return
	}
	s.messages.WithLabelValues(decision).Inc()
}

// HoldEnded records how long a message stayed in the hold queue.
func (s *Set) HoldEnded(d time.Duration) {
	if s == nil {
		return
	}
	s.holdDuration.Observe(d.Seconds())
}

// VerdictLatency records upload → verdict for one file.
func (s *Set) VerdictLatency(d time.Duration) {
	if s == nil {
		return
	}
	s.verdictLatency.Observe(d.Seconds())
}

// ReleaseLatency records verdict (or deadline) → delivered for one message.
func (s *Set) ReleaseLatency(d time.Duration) {
	if s == nil {
		return
	}
	s.releaseLatency.Observe(d.Seconds())
}

// SandboxUp records whether sandboxd answered.
func (s *Set) SandboxUp(up bool) {
	if s == nil {
		return
	}
	s.sandboxUp.Set(b2f(up))
}

// Lookup counts hashes looked up at sandboxd by result: "known",
// "unknown" or ResultError (then n is the size of the failed batch).
func (s *Set) Lookup(result string, n int) {
	if s == nil || n <= 0 {
		return
	}
	s.lookups.WithLabelValues(result).Add(float64(n))
}

// Upload counts one upload by result (ResultOK, ResultError).
func (s *Set) Upload(result string) {
	if s == nil {
		return
	}
	s.uploads.WithLabelValues(result).Inc()
}

// Delivery counts one delivery attempt by result (ResultOK,
// ResultTemporary, ResultPermanent) and next hop (host:port).
func (s *Set) Delivery(result, nextHop string) {
	if s == nil {
		return
	}
	s.deliveries.WithLabelValues(result, nextHop).Inc()
}

// StoreError counts one failed hold queue operation.
func (s *Set) StoreError(op string) {
	if s == nil {
		return
	}
	s.storeErrors.WithLabelValues(op).Inc()
}

// StoreDurable records whether the store fsyncs every write.
func (s *Set) StoreDurable(durable bool) {
	if s == nil {
		return
	}
	s.storeDurable.Set(b2f(durable))
}

// Panic counts one recovered panic in component (milter, proxy, gate,
// release, sandboxd, ...).
func (s *Set) Panic(component string) {
	if s == nil {
		return
	}
	s.panicsRecovered.WithLabelValues(component).Inc()
}

// QueueCounts is what the held-now and oldest-held-age gauges read at each
// scrape: holdqueue.Store.Counts fits with a small adapter.
type QueueCounts func(ctx context.Context) (held int64, oldest time.Time, err error)

// WatchQueue makes every scrape read the hold queue once through counts,
// for airlock_held_messages and airlock_oldest_held_age_seconds. Reading at
// scrape time (not from a loop) keeps the numbers exact across nodes that
// share one Redis. A failed read is counted as a store error ("counts") and
// the two gauges are left out of that scrape, rather than reported as 0,
// which would look like an empty queue.
func (s *Set) WatchQueue(counts QueueCounts, now func() time.Time) {
	if s == nil {
		return
	}
	if now == nil {
		now = time.Now
	}
	s.reg.MustRegister(&queueCollector{s: s, counts: counts, now: now})
}

var (
	heldDesc = prometheus.NewDesc(Namespace+"_held_messages",
		"Messages held now, waiting for verdicts or the deadline.", nil, nil)
	oldestDesc = prometheus.NewDesc(Namespace+"_oldest_held_age_seconds",
		"Age of the oldest message still held (0 when none).", nil, nil)
)

// queueCollector reads the queue once per scrape.
type queueCollector struct {
	s      *Set
	counts QueueCounts
	now    func() time.Time
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- heldDesc
	ch <- oldestDesc
}

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	// A scrape has no context; bound the store read so a stuck Redis
	// cannot hang /metrics past Prometheus's own scrape timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	held, oldest, err := q.counts(ctx)
	if err != nil {
		q.s.StoreError("counts")
		return
	}
	age := 0.0
	if held > 0 && !oldest.IsZero() {
		age = q.now().Sub(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(heldDesc, prometheus.GaugeValue, float64(held))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}

// Handler serves g in the Prometheus text format. Errors of a collector are
// served with the rest (ContinueOnError): one bad source must not hide the
// others from the operator.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
