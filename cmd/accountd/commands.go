package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand as `accountd help` and its own -h show it.
type command struct {
	name    string // as typed: "mail list"
	args    string // what follows the name in its synopsis
	summary string // one line for `accountd help`
	about   string // more for `accountd NAME -h`; "" for none
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// commands lists every subcommand, in the order help shows them.
func commands() []command {
	return []command{
		{"serve", "[-dev] [flags]", "run the service", "Every setting is a flag and an ACCOUNTD_* variable; flags win.", serve},
		{"migrate", "[flags]", "apply the database migrations and exit (serve migrates by itself)", "", migrate},
		{"reset-link", "[-send] [-dev] [flags] EMAIL", "print, or email, a password reset link for an account",
			"The link points at ACCOUNTD_DASHBOARD_URL, which must be https, or at the -dev address.\n" +
				"With -send the running accountd emails it instead.", resetLink},
		{"user 2fa-reset", "[flags] EMAIL", "turn off an account's TOTP (a lost device): back to email, sessions signed out",
			"For a user who lost the authenticator and the recovery codes, once you know it is them.\n" +
				"The account's recovery codes are voided and its login tokens revoked; API keys stay.\n" +
				"The audit log records it.", userTwoFactorReset},
		{"user show", "[flags] EMAIL", "print an account as the admin API shows it: state, 2FA method, counts of sessions and keys",
			"Never a password hash, a token, a key or a TOTP secret: only what exists and how many.",
			userCommand("show", nil, userShow)},
		{"user suspend", "-reason R [flags] EMAIL", "suspend an account: every credential of it gets 403 account_suspended",
			"R is acceptable_use_violation, abuse_report or fraudulent_payment. Tokens are kept, so\n" +
				"unsuspend restores them; the owner can still sign in, reset the password and read the\n" +
				"reason at GET /api/v2/verification/suspension/. A notice email is queued.", userSuspend()},
		{"user unsuspend", "[flags] EMAIL", "lift a suspension: the account's tokens and API keys work again", "",
			userCommand("unsuspend", nil, userUnsuspend)},
		{"user revoke-tokens", "[flags] EMAIL", "sign an account out everywhere: every login token and API key revoked",
			"For a stolen laptop or a leaked key. The owner signs in again with the password (or a\n" +
				"reset link: accountd reset-link -send EMAIL).", userCommand("revoke-tokens", nil, userRevokeTokens)},
		{"user grant-staff", "[flags] EMAIL", "mark an account staff (X-Webshare-Federated-Access, ACCOUNTD_FEDERATED_ACCESS)", "",
			userCommand("grant-staff", nil, userStaff(true))},
		{"user revoke-staff", "[flags] EMAIL", "remove an account's staff mark", "", userCommand("revoke-staff", nil, userStaff(false))},
		{"user delete", "[flags] EMAIL", "delete an account as its owner would (purged after the grace period)", "",
			userCommand("delete", nil, userDelete)},
		{"import users", "[-batch N] [-progress N] [flags] FILE", "create accounts from a JSON-lines file (FILE - reads the standard input)",
			"One JSON object a line: email and password_hash (argon2id, bcrypt or Django's pbkdf2_sha256)\n" +
				"required; first_name, last_name, created_at (RFC 3339) and email_verified optional. An address\n" +
				"that has an account is skipped, never overwritten, so the same file can be imported again.\n" +
				"A bad line is reported on stderr with its number and skipped; the exit status is then 1.\n" +
				"The users sign in with their old passwords, rehashed with argon2id then. No email is sent.",
			importUsers(os.Stdin)},
		{"audit", "[-email E | -account ID] [-since D] [-type T] [flags]", "print audit events, newest first",
			"-email and -account each select one account's whole history, across changes of its address.", audit},
		{"mail list", "[-status S] [flags]", "list the email outbox (ID is for mail retry; INBOX is the /dev/mail/ page)", "", mailList},
		{"mail retry", "[flags] ID", "queue a dead email again", "", mailRetry},
		{"purge", "[flags]", "erase deleted accounts past the grace period and old sent mail (serve does it hourly)", "", purge},
		{"totp", "[-pair] SECRET", "print the current TOTP code of a secret_key, as an authenticator app would",
			"For trying two-factor authentication with curl; it opens no database.", totpCode},
		{"health", "[-ready] [flags]", "ask a running accountd's admin listener whether it is alive (or, with -ready, ready)",
			"Exits 0 when it answers 200, 1 otherwise; the container image's HEALTHCHECK uses it.", health},
		{"version", "", "print the version, commit and Go version", "", version},
		{"help", "", "print this list", "", nil},
	}
}

// lookupCommand finds the command args start with ("mail list" takes two
// words) and returns it with the rest of args.
func lookupCommand(args []string) (command, []string, bool) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], true
		}
	}
	return command{}, nil, false
}

// usage is `accountd help`: every command with one line.
func usage() string {
	var b strings.Builder
	b.WriteString("accountd — a self-hostable account service.\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  accountd %-18s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun `accountd COMMAND -h` for a command's flags. Each setting also reads its\n" +
		"ACCOUNTD_* environment variable; flags win. Flags may come before or after arguments.\n")
	return b.String()
}

// newFlags returns the flag set of the command name. -h prints the
// command's help to stdout (asked for, not an error: run returns nil); a
// usage error prints the error and a pointer to -h to stderr.
func newFlags(name string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("accountd "+name, flag.ContinueOnError)
	errs := &countingWriter{w: stderr}
	fs.SetOutput(errs)
	fs.Usage = func() {
		// The flag package prints a usage error's message before calling
		// Usage, and nothing before a -h.
		if errs.n > 0 {
			fmt.Fprintf(stderr, "Run `accountd %s -h` for its flags.\n", name)
			return
		}
		printHelp(fs, name, stdout)
	}
	return fs
}

// printHelp is a command's -h: synopsis, what it does, its flags.
func printHelp(fs *flag.FlagSet, name string, w io.Writer) {
	c, _, _ := lookupCommand(strings.Fields(name))
	fmt.Fprintf(w, "Usage: accountd %s %s\n\n%s.\n", name, c.args, upperFirst(c.summary))
	if c.about != "" {
		fmt.Fprintf(w, "%s\n", c.about)
	}
	fmt.Fprint(w, "\nFlags (a setting's flag wins over its ACCOUNTD_* variable):\n")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// flagsFirst moves the flags of args before the positional arguments, so
// `reset-link ada@example.com -send` means what it says (the flag package
// stops at the first argument). A flag's value stays with it; "--" ends
// the flags as usual.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") && takesValue(fs, name) && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) == 0 {
		return flags
	}
	return append(append(flags, "--"), pos...)
}

// takesValue reports whether the flag name is defined and not boolean.
func takesValue(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// parseFlags parses a command's own flags, anywhere in args, and returns
// its positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

// noArgs refuses positional arguments to a command that takes none.
func noArgs(name string, rest []string) error {
	if len(rest) > 0 {
		return fmt.Errorf("%s: unexpected argument %q", name, rest[0])
	}
	return nil
}

// errUsage is a usage error: the message says what was wrong.
func errUsage(name, format string, a ...any) error {
	c, _, _ := lookupCommand(strings.Fields(name))
	return errors.New(fmt.Sprintf(format, a...) + "; usage: accountd " + name + " " + c.args)
}
