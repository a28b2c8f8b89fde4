package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
)

// queueWarnAge is how old the oldest queued email may grow before the log
// says so: mail that waits this long is what users report as "no email".
const queueWarnAge = 5 * time.Minute

// registerQueueMetrics exposes the outbox: queued and dead emails and the age
// of the oldest queued one, read from the database at each scrape (so every
// node reports the shared queue).
func registerQueueMetrics(reg prometheus.Registerer, store account.Store, now func() time.Time) {
	stats := func() account.MailStats {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, _ := store.MailStats(ctx) // a failed read reports zeros; /readyz tells the outage
		return st
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accountd_mail_queued",
			Help: "Emails waiting to be sent (all nodes)."}, func() float64 { return float64(stats().Queued) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accountd_mail_dead",
			Help: "Emails given up on (all nodes); see accountd mail list -status dead."},
			func() float64 { return float64(stats().Dead) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "accountd_mail_oldest_queued_age_seconds",
			Help: "Age of the oldest email waiting to be sent; 0 when none waits."},
			func() float64 { return queueAge(stats(), now()).Seconds() }),
	)
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
