package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/web"
)

// The `accountd user …` commands act on one account by its address. Each
// calls the account.Service function the admin API calls for the same
// action (internal/web/admin.go), so the two cannot drift apart.

// userAction is the body of a `user` command: it acts on u and says what
// it did.
type userAction func(ctx context.Context, a *app, u account.User, op account.Operator, stdout io.Writer) error

// userCommand builds a `user NAME [flags] EMAIL` command; flags, when set,
// defines the command's own flags on its flag set first.
func userCommand(name string, flags func(fs *flag.FlagSet), act userAction) func(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
		fs := newFlags("user "+name, stdout, stderr)
		if flags != nil {
			flags(fs)
		}
		cfg, rest, err := parseConfigFor(args, getenv, fs, opsFlags()...)
		if err != nil {
			return err
		}
		if len(rest) != 1 {
			return errUsage("user "+name, "want one email address")
		}
		a, err := opsApp(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		defer a.Close()
		u, err := a.svc.FindUser(ctx, rest[0])
		if err != nil {
			return err
		}
		return act(ctx, a, u, account.Operator{Via: "accountd user " + name}, stdout)
	}
}

func userSuspend() func(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
	var reason *string
	return userCommand("suspend", func(fs *flag.FlagSet) {
		reason = fs.String("reason", "", "why: "+strings.Join(account.SuspensionReasons, ", "))
	}, func(ctx context.Context, a *app, u account.User, op account.Operator, stdout io.Writer) error {
		if *reason == "" {
			return errUsage("user suspend", "want -reason, one of %s", strings.Join(account.SuspensionReasons, ", "))
		}
		if _, err := a.svc.Suspend(ctx, u.ID, *reason, op); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %d suspended (%s): its credentials get 403 account_suspended; a notice is queued\n", u.ID, *reason)
		return nil
	})
}

func userUnsuspend(ctx context.Context, a *app, u account.User, op account.Operator, stdout io.Writer) error {
	if _, err := a.svc.Unsuspend(ctx, u.ID, op); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %d unsuspended: its tokens and API keys work again; a notice is queued\n", u.ID)
	return nil
}

func userStaff(grant bool) userAction {
	return func(ctx context.Context, a *app, u account.User, op account.Operator, stdout io.Writer) error {
		if _, err := a.svc.SetStaff(ctx, u.ID, grant, op); err != nil {
			return err
		}
		if grant {
			fmt.Fprintf(stdout, "account %d is staff: with ACCOUNTD_FEDERATED_ACCESS on it may act as other accounts\n", u.ID)
		} else {
			fmt.Fprintf(stdout, "account %d is no longer staff\n", u.ID)
		}
		return nil
	}
}

func userRevokeTokens(ctx context.Context, a *app, u account.User, op account.Operator, stdout io.Writer) error {
	if _, err := a.svc.RevokeAllTokens(ctx, u.ID, op); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %d: every login token and API key revoked\n", u.ID)
	return nil
}

func userDelete(ctx context.Context, a *app, u account.User, op account.Operator, stdout io.Writer) error {
	if err := a.svc.DeleteUser(ctx, u.ID, op); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %d deleted: purged after the grace period (ACCOUNTD_DELETE_GRACE)\n", u.ID)
	return nil
}

// userShow prints what GET /admin/v1/users/{id}/ answers, as indented JSON.
func userShow(ctx context.Context, a *app, u account.User, op account.Operator, stdout io.Writer) error {
	d, err := a.svc.ViewUser(ctx, u.ID, op)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(web.AdminUserDetail(d))
}
