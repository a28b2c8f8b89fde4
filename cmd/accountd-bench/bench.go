package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/accountd/accountd/client"
)

// bench is one run of the tool against one accountd.
type bench struct {
	cfg    config
	log    io.Writer
	sink   *sink // nil without -smtp-listen
	tokens tokenSource
	known  []string // addresses of the registered accounts
	bodies bodies   // the fixed request bodies, built once
	runID  string   // distinguishes this run's markers
	runs   int      // mail-latency runs so far
}

func newBench(cfg config, log io.Writer) (*bench, error) {
	b := &bench{cfg: cfg, log: log, runID: randomID()}
	if cfg.smtpListen != "" {
		s, err := startSink(cfg.smtpListen)
		if err != nil {
			return nil, fmt.Errorf("-smtp-listen: %w", err)
		}
		b.sink, b.tokens = s, s
		b.logf("SMTP sink listening on %s", s.Addr)
	} else {
		b.tokens = &inbox{base: cfg.url, client: &http.Client{Timeout: 30 * time.Second}}
	}
	if cfg.seeded > 0 {
		for _, i := range spread(cfg.seeded, cfg.accounts) {
			b.known = append(b.known, seedEmail(i))
		}
	} else {
		for i := range cfg.accounts {
			b.known = append(b.known, knownEmail(i))
		}
	}
	b.bodies = newBodies(b.known, cfg.password)
	return b, nil
}

func (b *bench) close() {
	if b.sink != nil {
		b.sink.Close()
	}
}

func randomID() string {
	r := make([]byte, 3)
	rand.Read(r)
	return hex.EncodeToString(r)
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s %s\n", time.Now().Format(time.TimeOnly), fmt.Sprintf(format, args...))
}

// knownEmail is the address of the i-th bench account; unknownEmail one
// that has none.
func knownEmail(i int) string   { return fmt.Sprintf("bench-%05d@bench.example.org", i) }
func unknownEmail(i int) string { return fmt.Sprintf("ghost-%05d@bench.example.org", i) }

// spread picks k distinct numbers in [0, n), one at random in each of k
// equal stretches, and shuffles them: the known addresses of a run over
// seeded accounts then reach every part of the tables and their indexes,
// in no order a cache could follow, not just the first k rows.
func spread(n, k int) []int {
	out := make([]int, k)
	for i := range out {
		lo, hi := i*n/k, (i+1)*n/k
		out[i] = lo + mrand.N(hi-lo)
	}
	mrand.Shuffle(k, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// run runs every scenario at every concurrency and returns the report.
func (b *bench) run(ctx context.Context) Report {
	rep := Report{Label: b.cfg.label, URL: b.cfg.url, Started: time.Now(), Machine: machine()}
	if b.cfg.pid != 0 {
		if kb, err := statusKiB(b.cfg.pid, "VmRSS"); err == nil {
			rep.Machine.AccountdRSS = fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	b.logf("machine: %d CPUs (%s), load %s", rep.Machine.CPUs, rep.Machine.CPUModel, rep.Machine.LoadStart)
	if err := b.setupAccounts(ctx); err != nil {
		rep.Rows = append(rep.Rows, Row{Scenario: "setup", Note: err.Error()})
		b.logf("setup: %v", err)
		return b.finish(rep)
	}
	for _, sc := range b.cfg.scenarios {
		concs := b.cfg.conc
		if sc == "enum-timing" {
			concs = b.cfg.enumConc
		}
		for _, c := range concs {
			if ctx.Err() != nil {
				return b.finish(rep)
			}
			b.logf("%s at %d clients", sc, c)
			for _, r := range b.scenario(ctx, sc, c) {
				b.logf("  %v", r.cells())
				rep.Rows = append(rep.Rows, r)
			}
		}
	}
	return b.finish(rep)
}

func (b *bench) finish(rep Report) Report {
	rep.Finished = time.Now()
	rep.Machine.LoadEnd = loadAverage()
	return rep
}

// scenario runs one scenario at one concurrency. Each row carries the load
// average at its start: the machine may be shared.
func (b *bench) scenario(ctx context.Context, name string, c int) []Row {
	var rows []Row
	switch name {
	case "reset-request":
		rows = []Row{b.resetRequest(ctx, c)}
	case "login":
		rows = []Row{b.login(ctx, c)}
	case "complete":
		rows = []Row{b.complete(ctx, c)}
	case "mail-latency":
		rows = b.mailLatency(ctx, c)
	case "enum-timing":
		rows = b.enumTiming(ctx, c)
	case "forward-auth":
		rows = []Row{b.forwardAuth(ctx, c)}
	}
	return rows
}

// setupAccounts registers the bench accounts, or logs in to those that
// exist already (with -seeded, only checks that the last seeded one does) (register answers 200 with logged_in_existing_user then),
// with the Go client, setupConcurrency at a time. Setup is not measured.
func (b *bench) setupAccounts(ctx context.Context) error {
	start := time.Now()
	c := client.New(b.cfg.url, client.WithUserAgent(userAgent),
		client.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	if b.cfg.seeded > 0 {
		return b.checkSeeded(ctx, c)
	}
	emails := make(chan string)
	errs := make(chan error, len(b.known))
	var wg sync.WaitGroup
	for range max(1, b.cfg.setupConcurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for email := range emails {
				_, err := c.Register(ctx, client.RegisterRequest{Email: email, Password: b.cfg.password,
					TOSAccepted: true, Recaptcha: "x"})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
feed:
	for _, email := range b.known {
		select {
		case emails <- email:
		case <-ctx.Done():
			break feed
		}
	}
	close(emails)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("registering the bench accounts: %w (is accountd running at %s, with a captcha of none?)",
			err, b.cfg.url)
	}
	b.logf("%d accounts ready in %v", len(b.known), time.Since(start).Round(time.Millisecond))
	return ctx.Err()
}

// checkSeeded logs in to the last seeded account, so a run against a
// database seeded with fewer accounts (or another password) stops at once
// rather than measuring unknown addresses.
func (b *bench) checkSeeded(ctx context.Context, c *client.Client) error {
	last := seedEmail(b.cfg.seeded - 1)
	if _, err := c.Login(ctx, client.LoginRequest{Email: last, Password: b.cfg.password, Recaptcha: "x"}); err != nil {
		return fmt.Errorf("signing in as %s: %w (was the database seeded with accountd-bench seed -users %d and this -password?)",
			last, err, b.cfg.seeded)
	}
	b.logf("%d of %d seeded accounts in use", len(b.known), b.cfg.seeded)
	return ctx.Err()
}

// settle waits until accountd's email queue is empty and the sink has been
// quiet for a moment, so a run does not pay for the mail of the one before.
func (b *bench) settle(ctx context.Context) {
	start := time.Now()
	end := start.Add(b.cfg.drainTimeout)
	for b.cfg.adminURL != "" && ctx.Err() == nil {
		q, err := queuedMail(ctx, b.cfg.adminURL)
		if err != nil {
			b.logf("settle: %v; not waiting for the email queue", err)
			break
		}
		if q == 0 {
			break
		}
		if time.Now().After(end) {
			b.logf("settle: %.0f emails still queued after %v", q, b.cfg.drainTimeout)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	for b.sink != nil && ctx.Err() == nil && time.Now().Before(end) {
		if _, last := b.sink.Count(); time.Since(last) > 500*time.Millisecond {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := time.Since(start); d > 2*time.Second {
		b.logf("settled in %v", d.Round(100*time.Millisecond))
	}
}

// spec returns the load of a scenario run with the common bounds.
func (b *bench) spec(c int, next func(int) (call, bool)) loadSpec {
	return loadSpec{base: b.cfg.url, others: b.cfg.alsoURLs, concurrency: c, duration: b.cfg.duration, max: b.cfg.max, next: next}
}

// observed stops watching accountd and stamps the row with its peak
// memory and CPU time, and the load average at the run's start.
func (b *bench) observed(r *Row, load string, w *procWatch) {
	u := w.stop()
	r.PeakRSSMiB, r.StartRSSMiB, r.CPUSeconds = u.peakMiB, u.startMiB, u.cpuSeconds
	if u.wallSeconds > 0 {
		r.CPUCores, r.ToolCores = u.cpuSeconds/u.wallSeconds, u.toolSeconds/u.wallSeconds
	}
	if load != "" {
		r.Note = joinNote(r.Note, "load "+load)
	}
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
