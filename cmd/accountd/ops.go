package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// opsApp builds the app for a one-shot operator command: warnings go to
// stderr as text, nothing is served, the schema must be current.
func opsApp(ctx context.Context, cfg *config, stderr io.Writer) (*app, error) {
	if cfg.DashboardURL == "" {
		cfg.DashboardURL = "http://" + cfg.Addr
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return newApp(ctx, cfg, log, false)
}

// opsFlags are the flags of an operator command that opens the app: the
// database, the key that opens what it sealed, -dev, and more.
func opsFlags(more ...string) []string {
	return append([]string{"database-url", "secret-key", "dev"}, more...)
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := parseConfigFor(args, getenv, newFlags("migrate", stdout, stderr), "database-url")
	if err == nil {
		err = noArgs("migrate", rest)
	}
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.migrate(ctx)
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	if err == nil && len(applied) == 0 {
		fmt.Fprintln(stdout, "the schema is current; nothing to apply")
	}
	return err
}

func resetLink(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("reset-link", stdout, stderr)
	send := fs.Bool("send", false, "email the link to the account instead of printing it (the running service delivers it)")
	cfg, rest, err := parseConfigFor(args, getenv, fs, opsFlags("dashboard-url", "reset-token-ttl", "mail-from")...)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errUsage("reset-link", "want one email address")
	}
	// The link goes to a user: it must point at the real dashboard, never at
	// a default guessed from the listen address (outside -dev).
	if u, err := url.Parse(cfg.DashboardURL); !cfg.Dev && (err != nil || u.Scheme != "https" || u.Host == "") {
		return errors.New("reset-link needs the dashboard's https URL (ACCOUNTD_DASHBOARD_URL=https://…), or -dev")
	}
	a, err := opsApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	link, err := a.svc.ResetLink(ctx, rest[0], *send)
	if err != nil {
		return err
	}
	if *send {
		fmt.Fprintln(stdout, "reset email queued; the running accountd delivers it")
		return nil
	}
	fmt.Fprintln(stdout, link)
	return nil
}

func userTwoFactorReset(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("user 2fa-reset", stdout, stderr)
	cfg, rest, err := parseConfigFor(args, getenv, fs, opsFlags()...)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errUsage("user 2fa-reset", "want one email address")
	}
	a, err := opsApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.svc.ResetTwoFactor(ctx, rest[0]); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "two-factor authentication reset: the account signs in with its password and email again")
	return nil
}

func audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", stdout, stderr)
	email := fs.String("email", "", "only the events of this address and of the account that has it now")
	accountID := fs.Int64("account", 0, "only the events of this account id and of its current address")
	since := fs.String("since", "", "only events since: a duration back from now (24h, 7d) or a date (2026-11-27)")
	limit := fs.Int("limit", 1000, "at most this many events, newest first")
	typ := fs.String("type", "", "only events of this type (account_suspended, login_failed, …)")
	cfg, rest, err := parseConfigFor(args, getenv, fs, opsFlags()...)
	if err == nil {
		err = noArgs("audit", rest)
	}
	if err != nil {
		return err
	}
	if *email != "" && *accountID != 0 {
		return errUsage("audit", "give -email or -account, not both")
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return err
	}
	a, err := opsApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	f, err := auditFilter(ctx, a.store, *email, *accountID)
	if err != nil {
		return err
	}
	// The admin API's audit trail (GET /admin/v1/events/) reads the same way.
	f.Since, f.Limit, f.Type = from, *limit, *typ
	if f.Limit <= 0 {
		f.Limit = 1000 // as before: 0 is the default, not "none"
	}
	events, _, err := a.svc.AuditTrail(ctx, f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tACCOUNT\tEMAIL\tIP\tDETAIL\tUSER AGENT")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", e.Time.Format(time.RFC3339), e.Type, e.UserID,
			e.Email, e.IP, e.Detail, e.UserAgent)
	}
	return tw.Flush()
}

// auditFilter selects one account's whole history: an address's events
// and those of the account that has it now (its events from before a
// change of address carry the old one), or an account's events and those
// of its current address (a reset request is recorded before the worker
// resolves it to the account).
func auditFilter(ctx context.Context, store account.Store, email string, id int64) (account.EventFilter, error) {
	var f account.EventFilter
	switch {
	case email != "":
		f.EmailKey = account.EmailKey(email)
		u, err := store.UserByEmailKey(ctx, f.EmailKey)
		if err == nil {
			f.UserID = u.ID
		} else if !errors.Is(err, account.ErrNotFound) {
			return f, err
		}
	case id != 0:
		f.UserID = id
		u, err := store.UserByID(ctx, id)
		if err == nil {
			f.EmailKey = u.EmailKey
		} else if !errors.Is(err, account.ErrNotFound) {
			return f, err
		}
	}
	return f, nil
}

// parseSince reads -since: a duration back from now, or a date.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	// Days, which time.ParseDuration does not know: 1d, 7d, 30d.
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("-since %q: want a duration like 24h or 7d, or a date like 2026-11-27", s)
}

func purge(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := parseConfigFor(args, getenv, newFlags("purge", stdout, stderr), opsFlags("delete-grace", "mail-retention", "audit-retention")...)
	if err == nil {
		err = noArgs("purge", rest)
	}
	if err != nil {
		return err
	}
	a, err := opsApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.svc.Purge(ctx, cfg.DeleteGrace)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "purged %d accounts deleted more than %s ago\n", n, cfg.DeleteGrace)
	n, err = a.svc.PurgeMail(ctx, cfg.MailRetention)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %d sent or suppressed emails older than %s\n", n, cfg.MailRetention)
	n, err = a.svc.PurgeEvents(ctx, cfg.AuditRetention)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %d audit events older than %s\n", n, cfg.AuditRetention)
	return nil
}

// purgeEvery runs the purges (deleted accounts, old outbox rows, old audit
// events) once an hour inside serve; every node may run them, they are
// idempotent.
func purgeEvery(ctx context.Context, a *app, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := a.svc.Purge(ctx, a.cfg.DeleteGrace); err != nil {
			a.log.Warn("purging deleted accounts failed", "err", err)
		} else if n > 0 {
			a.log.Info("purged deleted accounts", "count", n)
		}
		if n, err := a.svc.PurgeMail(ctx, a.cfg.MailRetention); err != nil {
			a.log.Warn("purging old outbox rows failed", "err", err)
		} else if n > 0 {
			a.log.Info("deleted old outbox rows", "count", n, "older_than", a.cfg.MailRetention.String())
		}
		if n, err := a.svc.PurgeEvents(ctx, a.cfg.AuditRetention); err != nil {
			a.log.Warn("purging old audit events failed", "err", err)
		} else if n > 0 {
			a.log.Info("deleted old audit events", "count", n, "older_than", a.cfg.AuditRetention.String())
		}
	}
}
