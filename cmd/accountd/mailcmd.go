package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// mailList is `accountd mail list`: what the outbox holds.
func mailList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("mail list", stdout, stderr)
	status := fs.String("status", "", "only emails in this state: queued, sent, dead or suppressed")
	limit := fs.Int("limit", 100, "at most this many, newest first")
	cfg, rest, err := parseConfigFor(args, getenv, fs, opsFlags()...)
	if err == nil {
		err = noArgs("mail list", rest)
	}
	if err != nil {
		return err
	}
	a, err := opsApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	return listMail(ctx, a, account.MailStatus(*status), *limit, stdout)
}

// mailRetry is `accountd mail retry ID`: a second chance for a dead email.
func mailRetry(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := parseConfigFor(args, getenv, newFlags("mail retry", stdout, stderr), opsFlags()...)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errUsage("mail retry", "want one email id (the ID column of accountd mail list)")
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return fmt.Errorf("mail retry: %q is not an email id", rest[0])
	}
	a, err := opsApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
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
	inbox, err := devInboxPages(ctx, a.store, limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if len(inbox) > 0 {
		fmt.Fprint(tw, "ID\tINBOX\t")
	} else {
		fmt.Fprint(tw, "ID\t")
	}
	fmt.Fprintln(tw, "STATUS\tKIND\tTO\tATTEMPTS\tQUEUED\tNEXT TRY\tMESSAGE-ID\tLAST ERROR")
	for _, m := range mails {
		next := "-"
		if m.Status == account.MailQueued {
			next = m.NextAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t", m.ID)
		if len(inbox) > 0 {
			page := "-"
			if id, ok := inbox[m.MessageID]; ok {
				page = fmt.Sprintf("/dev/mail/%d/", id)
			}
			fmt.Fprintf(tw, "%s\t", page)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", m.Status, m.Kind, m.To, m.Attempts,
			m.CreatedAt.Format(time.RFC3339), next, m.MessageID, m.LastError)
	}
	return tw.Flush()
}

// devInboxPages maps the Message-IDs of the development inbox's emails to
// their ids there: the outbox row (ID, for mail retry) and the copy the
// inbox shows at /dev/mail/{id}/ are numbered apart. The newest copy wins
// (a retried email is kept again). Empty when the inbox holds nothing, as
// with SMTP.
func devInboxPages(ctx context.Context, store account.Store, limit int) (map[string]int64, error) {
	// The inbox keeps a copy per delivery, so it may hold more than the
	// outbox rows listed.
	devs, err := store.DevMails(ctx, max(4*limit, 1000))
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, d := range devs { // newest first
		if _, seen := ids[d.MessageID]; !seen {
			ids[d.MessageID] = d.ID
		}
	}
	return ids, nil
}
