// Command accountd is a self-hostable account service whose API is
// wire-compatible with the Registration and Login part of Webshare's API v2.
// main is the only package that knows every other one: it reads the
// configuration and wires the store, the service, the mail worker and the
// HTTP listeners together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // profile time zones work on machines without tzdata
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "accountd:", err)
		}
		os.Exit(1)
	}
}

const usage = `accountd — a self-hostable account service.

Usage:
  accountd serve [-dev] [flags]          run the service (see accountd serve -h)
  accountd migrate [flags]               apply database migrations and exit
  accountd reset-link [-send] EMAIL      print (or email) a password reset link for an account
  accountd audit [-email E] [-since D]   print audit events (D: a duration like 24h, or a date)
  accountd mail list [-status S]         list the email outbox (S: queued, sent, dead, suppressed)
  accountd mail retry ID                 queue a dead email again
  accountd purge                         erase accounts deleted longer ago than the grace period

Every flag has an ACCOUNTD_* environment variable; flags win.
`

// run is accountd without the process around it, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "reset-link":
		return resetLink(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return audit(ctx, rest, getenv, stdout, stderr)
	case "mail":
		return mailCommand(ctx, rest, getenv, stdout, stderr)
	case "purge":
		return purge(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// newFlags returns a flag set for a subcommand that prints to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("accountd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
