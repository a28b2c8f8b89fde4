package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
)

// queueWarnAge is how old the oldest queued email may grow before the log
// says so: mail that waits this long is what users report as "no email".
const queueWarnAge = 5 * time.Minute

// registerQueueMetrics exposes the outbox: queued and dead emails and the age
// of the oldest queued one, read from the database once per scrape (so every
// node reports the shared queue).
func registerQueueMetrics(reg prometheus.Registerer, store account.Store, now func() time.Time) {
	reg.MustRegister(newQueueCollector(store, now))
}

// queueCollector reads the outbox's numbers at each scrape. When the read
// fails it reports the last numbers it read, with the oldest email's age
// still growing, and counts the failure: zeros would clear a dead-mail alert
// during the very outage that may be killing mail, and no series at all
// would too (an absent series resolves an alert). Before any read succeeded
// it reports only the failures.
type queueCollector struct {
	store                account.Store
	now                  func() time.Time
	queued, dead, oldest *prometheus.Desc
	failures             prometheus.Counter

	mu   sync.Mutex
	last *account.MailStats // the last numbers read; nil before the first
}

func newQueueCollector(store account.Store, now func() time.Time) *queueCollector {
	return &queueCollector{
		store: store, now: now,
		queued: prometheus.NewDesc("accountd_mail_queued", "Emails waiting to be sent (all nodes).", nil, nil),
		dead: prometheus.NewDesc("accountd_mail_dead",
			"Emails given up on (all nodes); see accountd mail list -status dead.", nil, nil),
		oldest: prometheus.NewDesc("accountd_mail_oldest_queued_age_seconds",
			"Age of the oldest email waiting to be sent; 0 when none waits.", nil, nil),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "accountd_mail_stats_errors_total",
			Help: "Scrapes whose outbox read failed; the accountd_mail_* gauges then repeat the last read."}),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queued
	ch <- c.dead
	ch <- c.oldest
	c.failures.Describe(ch)
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	if st, ok := c.stats(); ok {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(st.Queued))
		ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(st.Dead))
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, queueAge(st, c.now()).Seconds())
	}
	c.failures.Collect(ch)
}

// stats reads the outbox's numbers, or returns the last ones read when the
// database does not answer; ok is false when there are none.
func (c *queueCollector) stats() (account.MailStats, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.store.MailStats(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failures.Inc()
		if c.last == nil {
			return account.MailStats{}, false
		}
		return *c.last, true
	}
	c.last = &st
	return st, true
}

func queueAge(st account.MailStats, now time.Time) time.Duration {
	if st.OldestQueued.IsZero() {
		return 0
	}
	return now.Sub(st.OldestQueued)
}

// watchQueue logs a warning, once a minute at most, while the oldest queued
// email is older than queueWarnAge.
func watchQueue(ctx context.Context, store account.Store, log *slog.Logger, now func() time.Time) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := store.MailStats(ctx)
		if err != nil {
			continue
		}
		if age := queueAge(st, now()); age > queueWarnAge {
			log.Warn("the email queue is old: check the SMTP server (accountd mail list -status queued)",
				"queued", st.Queued, "oldest_age", age.Round(time.Second).String(), "dead", st.Dead)
		}
	}
}
