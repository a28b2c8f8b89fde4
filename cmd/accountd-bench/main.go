// Command accountd-bench drives a running accountd over HTTP on loopback
// and measures it against the two limits that bound it, both measured in
// the same run: the "HTTP floor" (a bare net/http server with accountd's
// timeouts answering 204, driven by the same client) and the "hash bound"
// (argon2id hashes per second on every core with accountd's parameters).
//
// Scenarios: reset-request (half known, half unknown addresses), login,
// complete (reset tokens read from its own SMTP sink or from the development
// inbox), mail-latency (reset request → SMTP acceptance at the sink) and
// enum-timing (known against unknown addresses, for reset and login, with
// the two-sample Kolmogorov–Smirnov test). It prints a table, Markdown or
// JSON. It uses the standard library for load (docs/architecture.md#dependencies) and
// github.com/emersion/go-smtp for the sink. Its seed subcommand writes up to
// millions of accounts straight into a database, for -seeded runs at scale
// (seed.go). See docs/benchmarks.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "accountd-bench:", err)
		}
		os.Exit(1)
	}
}

// defaultBenchPassword is the password of the bench's accounts, registered
// or seeded.
const defaultBenchPassword = "Bench-Horse-7391-Staple"

// scenarioNames are the scenarios, in the order they run by default.
var scenarioNames = []string{"reset-request", "login", "complete", "mail-latency", "enum-timing", "forward-auth"}

// config holds the flags.
type config struct {
	url, adminURL    string
	alsoURLs         []string
	label            string
	scenarios        []string
	conc, enumConc   []int
	duration         time.Duration
	max              int
	enumN            int
	enumDuration     time.Duration
	accounts         int
	seeded           int
	setupConcurrency int
	password         string
	smtpListen       string
	pid              int
	floorDuration    time.Duration
	hashDuration     time.Duration
	mailMax          int
	mailRate         float64
	drainTimeout     time.Duration
	format, jsonOut  string
	enumOrder        string
}

const usage = `accountd-bench drives a running accountd on loopback and measures it.

Usage:
  accountd-bench [flags] [scenario ...]   run scenarios (default: all) against -url
  accountd-bench sink [-smtp-listen A]    only run the SMTP sink, until interrupted
  accountd-bench report [-format F] FILE  print a saved -json-out report again
  accountd-bench history -database-url U  fill a database with a month of mail and
                                          audit history and measure claim, stats, purges
  accountd-bench seed -database-url U -users N [-password P]
                                          write N accounts straight into a database, for -seeded N

Scenarios: reset-request, login, complete, mail-latency, enum-timing.

Start accountd first, for example:
  ACCOUNTD_RATE_LIMITS=off ACCOUNTD_RESET_EMAILS_PER_HOUR=1000000 \
  ACCOUNTD_SMTP_URL=smtp://127.0.0.1:2525 accountd serve -dev
and run accountd-bench -smtp-listen 127.0.0.1:2525 -pid $(pidof accountd).

Flags:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sink" {
		return runSink(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "report" {
		return runReport(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "history" {
		return runHistory(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "seed" {
		return runSeed(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b, err := newBench(cfg, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	rep := b.run(ctx)
	rep.Command = "accountd-bench " + strings.Join(args, " ")
	if cfg.jsonOut != "" {
		f, err := os.Create(cfg.jsonOut)
		if err != nil {
			return err
		}
		if err := writeJSON(f, rep); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if err := write(stdout, rep, cfg.format); err != nil {
		return err
	}
	return ctx.Err()
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("accountd-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	conc, enumConc, also := "8,64", "1,8", ""
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "accountd's public address (loopback only)")
	fs.StringVar(&also, "also-url", "", "comma-separated public addresses of more nodes of the same deployment: each scenario's clients are spread over -url and these in turn (setup, the floor and -pid stay the first node's)")
	fs.StringVar(&c.adminURL, "admin-url", "http://127.0.0.1:9090", "accountd's admin address, to wait for the email queue to drain between runs; \"\" to not wait")
	fs.StringVar(&c.label, "label", "", "what is measured, e.g. sqlite or postgres, for the report")
	fs.StringVar(&conc, "c", conc, "comma-separated numbers of concurrent clients")
	fs.StringVar(&enumConc, "enum-c", enumConc, "comma-separated numbers of concurrent clients for enum-timing")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each run sends requests")
	fs.IntVar(&c.max, "n", 0, "requests per run at most; 0 for no bound but -duration")
	fs.IntVar(&c.enumN, "enum-n", 2000, "enum-timing requests of each kind (known, unknown)")
	fs.StringVar(&c.enumOrder, "enum-order", "shuffle", "enum-timing order of known and unknown requests: shuffle or alternate")
	fs.DurationVar(&c.enumDuration, "enum-duration", 10*time.Minute, "bound on each enum-timing run")
	fs.IntVar(&c.accounts, "accounts", 256, "accounts to register (or reuse) before the scenarios; with -seeded, how many of the seeded accounts to use")
	fs.IntVar(&c.seeded, "seeded", 0, "use the accounts 0 … N-1 made by accountd-bench seed -users N instead of registering; the -accounts used are spread over the whole range")
	fs.IntVar(&c.setupConcurrency, "setup-c", 16, "concurrent clients while registering accounts and asking for reset tokens")
	fs.StringVar(&c.password, "password", defaultBenchPassword, "password of the accounts")
	fs.StringVar(&c.smtpListen, "smtp-listen", "", "run an SMTP sink on this loopback address (point ACCOUNTD_SMTP_URL at it); without it, complete reads /dev/mail/ and mail-latency is skipped")
	fs.IntVar(&c.pid, "pid", 0, "accountd's process id, to report its peak resident memory")
	fs.DurationVar(&c.floorDuration, "floor-duration", 5*time.Second, "how long to measure the HTTP floor before each reset-request run")
	fs.DurationVar(&c.hashDuration, "hash-duration", 3*time.Second, "how long to measure the hash bound before each login and complete run")
	fs.IntVar(&c.mailMax, "mail-n", 20000, "mail-latency requests per run at most")
	fs.Float64Var(&c.mailRate, "mail-rate", 0, "request rate of the paced mail-latency run; 0 for 80 % of min(1000, the emails/s measured)")
	fs.DurationVar(&c.drainTimeout, "drain-timeout", 3*time.Minute, "longest wait for the email queue to drain")
	fs.StringVar(&c.format, "format", "table", "output: table, markdown or json")
	fs.StringVar(&c.jsonOut, "json-out", "", "also write the JSON report to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.conc, err = intList(conc); err != nil {
		return c, fmt.Errorf("-c: %w", err)
	}
	if c.enumConc, err = intList(enumConc); err != nil {
		return c, fmt.Errorf("-enum-c: %w", err)
	}
	if also != "" {
		c.alsoURLs = strings.Split(also, ",")
	}
	c.scenarios = fs.Args()
	if len(c.scenarios) == 0 {
		c.scenarios = scenarioNames
	}
	return c, c.check()
}

// check refuses what the tool must not do: drive anything but loopback.
func (c config) check() error {
	for _, s := range c.scenarios {
		if !slices.Contains(scenarioNames, s) {
			return fmt.Errorf("unknown scenario %q: want one of %s", s, strings.Join(scenarioNames, ", "))
		}
	}
	if err := loopbackURL(c.url); err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	for _, u := range c.alsoURLs {
		if err := loopbackURL(u); err != nil {
			return fmt.Errorf("-also-url: %w", err)
		}
	}
	if c.adminURL != "" {
		if err := loopbackURL(c.adminURL); err != nil {
			return fmt.Errorf("-admin-url: %w", err)
		}
	}
	if c.smtpListen != "" && !loopbackAddr(c.smtpListen) {
		return fmt.Errorf("-smtp-listen %q: want a loopback address such as 127.0.0.1:2525", c.smtpListen)
	}
	if c.accounts < 1 || c.duration <= 0 || c.enumN < 1 {
		return errors.New("-accounts, -duration and -enum-n must be positive")
	}
	if c.seeded < 0 || c.seeded > maxSeedUsers {
		return fmt.Errorf("-seeded %d: want 0 to %d", c.seeded, maxSeedUsers)
	}
	if c.seeded > 0 && c.accounts > c.seeded {
		return fmt.Errorf("-accounts %d is more than the %d -seeded accounts", c.accounts, c.seeded)
	}
	if c.enumOrder != "shuffle" && c.enumOrder != "alternate" {
		return fmt.Errorf("-enum-order %q: want shuffle or alternate", c.enumOrder)
	}
	if !slices.Contains([]string{"table", "markdown", "json"}, c.format) {
		return fmt.Errorf("-format %q: want table, markdown or json", c.format)
	}
	return nil
}

// intList parses "8,64".
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a list of positive numbers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// loopbackURL accepts http:// URLs on loopback hosts only.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("%q is not an http:// URL", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("%q is not on loopback: the tool only drives this machine", raw)
	}
	return nil
}

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && loopbackHost(host)
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// runSink runs only the SMTP sink, printing what it accepted every ten
// seconds.
func runSink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("accountd-bench sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("smtp-listen", "127.0.0.1:2525", "loopback address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !loopbackAddr(*addr) {
		return fmt.Errorf("-smtp-listen %q: want a loopback address", *addr)
	}
	s, err := startSink(*addr)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "SMTP sink listening on %s; ACCOUNTD_SMTP_URL=smtp://%s\n", s.Addr, s.Addr)
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n, last := s.Count()
			fmt.Fprintf(stdout, "%d messages accepted, the last at %s\n", n, last.Format(time.TimeOnly))
		}
	}
}

// runReport prints saved reports again.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("accountd-bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "table", "table, markdown or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		var rep Report
		if err := json.Unmarshal(b, &rep); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := write(stdout, rep, *format); err != nil {
			return err
		}
	}
	return nil
}
