package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
)

// statsStore answers MailStats with what the test sets; nothing else.
type statsStore struct {
	account.Store
	mu  sync.Mutex
	st  account.MailStats
	err error
}

func (s *statsStore) set(st account.MailStats, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st, s.err = st, err
}

func (s *statsStore) MailStats(context.Context) (account.MailStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, s.err
}

// scrape gathers reg and returns each metric without labels by name.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() error = %v", err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetGauge() != nil:
				out[f.GetName()] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[f.GetName()] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// TestQueueMetricsDuringADatabaseOutage: while the outbox cannot be read,
// the gauges keep the last numbers read (a dead-mail alert keeps firing, the
// oldest mail keeps ageing) and the failed reads are counted; before any
// read succeeded, no gauge is exported rather than zeros.
func TestQueueMetricsDuringADatabaseOutage(t *testing.T) {
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	now := start
	store := &statsStore{}
	reg := prometheus.NewRegistry()
	registerQueueMetrics(reg, store, func() time.Time { return now })
	down := errors.New("connection refused")

	store.set(account.MailStats{}, down)
	got := scrape(t, reg)
	if _, ok := got["accountd_mail_dead"]; ok || got["accountd_mail_stats_errors_total"] != 1 {
		t.Errorf("scrape before any read = %v, want no accountd_mail_dead and 1 error", got)
	}

	store.set(account.MailStats{Queued: 3, Dead: 2, OldestQueued: start.Add(-time.Minute)}, nil)
	if got := scrape(t, reg); got["accountd_mail_dead"] != 2 || got["accountd_mail_queued"] != 3 {
		t.Errorf("scrape with the database up = %v, want 2 dead, 3 queued", got)
	}

	store.set(account.MailStats{}, down)
	now = start.Add(10 * time.Minute)
	got = scrape(t, reg)
	want := map[string]float64{"accountd_mail_dead": 2, "accountd_mail_queued": 3,
		"accountd_mail_oldest_queued_age_seconds": 660, "accountd_mail_stats_errors_total": 2}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("scrape during the outage: %s = %v, want %v", name, got[name], w)
		}
	}
}
