package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestAuditErrorHookLogsAndCounts: an audit event that could not be written
// is one error line and one count of accountd_audit_event_errors_total.
func TestAuditErrorHookLogsAndCounts(t *testing.T) {
	var buf bytes.Buffer
	reg := prometheus.NewRegistry()
	hook := auditErrorHook(slog.New(slog.NewTextHandler(&buf, nil)), reg)
	hook(context.Background(), "login_failed", errors.New("disk full"))
	if line := buf.String(); !strings.Contains(line, `level=ERROR msg="audit event not recorded" type=login_failed err="disk full"`) {
		t.Errorf("log = %q, want one error line naming the type and the error", line)
	}
	if got := scrape(t, reg)["accountd_audit_event_errors_total"]; got != 1 {
		t.Errorf("accountd_audit_event_errors_total = %v, want 1", got)
	}
}
