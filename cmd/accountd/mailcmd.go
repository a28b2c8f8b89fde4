package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// mailCommand is `accountd mail list|retry`: what the outbox holds, and a
// second chance for a dead email.
func mailCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "retry") {
		return errors.New("usage: accountd mail list [-status queued|sent|dead|suppressed] | accountd mail retry ID")
	}
	fs := newFlags("mail "+args[0], stderr)
	status := fs.String("status", "", "only emails in this state: queued, sent, dead or suppressed")
	limit := fs.Int("limit", 100, "at most this many, newest first")
	cfg, rest, err := parseConfigArgs(args[1:], getenv, fs)
	if err != nil {
		return err
	}
	a, err := opsApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if args[0] == "list" {
		return listMail(ctx, a, account.MailStatus(*status), *limit, stdout)
	}
	if len(rest) != 1 {
		return errors.New("usage: accountd mail retry ID")
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return fmt.Errorf("mail retry: %q is not an email id", rest[0])
	}
	if err := a.svc.RetryMail(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "email %d queued again; the running accountd delivers it\n", id)
	return nil
}

func listMail(ctx context.Context, a *app, status account.MailStatus, limit int, stdout io.Writer) error {
	switch status {
	case "", account.MailQueued, account.MailSent, account.MailDead, account.MailSuppressed:
	default:
		return fmt.Errorf("-status %q is not queued, sent, dead or suppressed", status)
	}
	mails, err := a.store.Mails(ctx, status, limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tKIND\tTO\tATTEMPTS\tQUEUED\tNEXT TRY\tMESSAGE-ID\tLAST ERROR")
	for _, m := range mails {
		next := "-"
		if m.Status == account.MailQueued {
			next = m.NextAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.Status, m.Kind, m.To, m.Attempts,
			m.CreatedAt.Format(time.RFC3339), next, m.MessageID, m.LastError)
	}
	return tw.Flush()
}
