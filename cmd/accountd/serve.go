package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/mail"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	mailer "github.com/accountd/accountd/internal/mail"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/pwned"
	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/twofactor"
	"github.com/accountd/accountd/internal/web"
)

// app is the wired program.
type app struct {
	cfg *config
	log *slog.Logger
	db  *database
	// closeSenders closes the mail senders' connections once the workers
	// stopped.
	closeSenders []func() error
	store        account.Store
	svc          *account.Service
	// workers send mail side by side, each with its own SMTP connection;
	// the claim keeps them from sending one mail twice. They record what
	// they delivered through one recorder, in shared transactions.
	workers  []*mailer.Worker
	recorder *mailer.Recorder
	reg      *prometheus.Registry
	// redis is the client of ACCOUNTD_REDIS_URL, when set.
	redis *redis.Client
	// news tells the other nodes of changed credentials; nil without Redis.
	news *principalNews
	// limiter counts the rate limits; nil when they are off.
	limiter ratelimit.Limiter
}

// Close releases what newApp and newLimiter opened, once the workers have
// stopped: the mail recorder, the SMTP connections, the Redis client and
// the database. Every command that built an app closes it on every exit
// path (defer a.Close()).
func (a *app) Close() {
	if a.recorder != nil {
		a.recorder.Close()
	}
	for _, closeSender := range a.closeSenders {
		if err := closeSender(); err != nil {
			a.log.Warn("closing an SMTP connection", "err", err)
		}
	}
	a.news.flush()
	if a.redis != nil {
		if err := a.redis.Close(); err != nil {
			a.log.Warn("closing the Redis client", "err", err)
		}
	}
	a.db.Close()
}

// newLogger builds the one logger, passed down from here (docs/architecture.md#style). A
// line logged with a request's context carries its request_id, whichever
// package writes it (web.LogHandler).
func newLogger(cfg *config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("ACCOUNTD_LOG_LEVEL: %q is not debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.LogFormat {
	case "json":
		return slog.New(web.LogHandler(slog.NewJSONHandler(w, opts))), nil
	case "text":
		return slog.New(web.LogHandler(slog.NewTextHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("ACCOUNTD_LOG_FORMAT: %q is not json or text", cfg.LogFormat)
}

// newApp wires the store, service and mail worker.
func newApp(ctx context.Context, cfg *config, log *slog.Logger, migrate bool) (*app, error) {
	secrets, err := cfg.secretBox(log) // first: without a key nothing else is worth opening
	if err != nil {
		return nil, err
	}
	db, err := openStore(ctx, cfg, migrate)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, db: db, store: db.store, reg: prometheus.NewRegistry()}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	templates, err := mailer.LoadTemplates(cfg.MailTemplates)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	from := cfg.mailFrom()
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accountd_audit_events_total", Help: "Audit events recorded, by type.",
	}, []string{"type"})
	a.reg.MustRegister(events)
	hashBusy := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accountd_hash_busy_total",
		Help: "Requests refused a password hashing slot, by reason: share (429, one account or IP past its share) or wait (503).",
	}, []string{"reason"})
	a.reg.MustRegister(hashBusy)
	for _, reason := range []string{"share", "wait"} {
		hashBusy.WithLabelValues(reason) // exported at 0, so an alert sees the series
	}
	var breached interface {
		Breached(ctx context.Context, pw string) bool
	}
	if cfg.BreachedCheck {
		breached = pwned.New(cfg.BreachedURL, nil, log)
	}
	if err := a.newRedis(); err != nil {
		a.Close()
		return nil, err
	}
	if a.limiter, err = a.newLimiter(); err != nil {
		a.Close()
		return nil, err
	}
	totp, err := twofactor.NewTOTP(cfg.TOTPSkew)
	if err != nil { // finish checked it
		a.Close()
		return nil, err
	}
	federation, err := account.ParseFederation(cfg.FederatedAccess)
	if err != nil { // finish checked it
		a.Close()
		return nil, fmt.Errorf("ACCOUNTD_FEDERATED_ACCESS: %w", err)
	}
	emailCodes, err := cfg.emailCodes()
	if err != nil { // finish checked the key
		a.Close()
		return nil, err
	}
	a.svc = account.NewService(a.store, password.NewHasher(password.DefaultParams()), account.Config{
		TOTP:                 &totp,
		EmailTwoFactor:       cfg.Email2FA,
		EmailCodes:           emailCodes,
		SignInNotice:         cfg.SignInNotice == "on",
		DeviceBrowser:        mailer.BrowserFamily,
		FederatedAccess:      federation,
		PrincipalCacheTTL:    cfg.ForwardAuthCache,
		OnPrincipalsChanged:  a.news.changed,
		TOTPIssuer:           cfg.TOTPIssuer,
		Social:               cfg.socialProviders(),
		Limiter:              a.productLimiter(),
		Breached:             breached,
		DashboardURL:         cfg.DashboardURL,
		ResetTokenTTL:        cfg.ResetTokenTTL,
		TokenIdleTTL:         cfg.TokenIdleTTL,
		TokenMaxTTL:          cfg.TokenMaxTTL,
		ResetEmailsPerHour:   cfg.ResetEmailsPerHour,
		KeepAPIKeysOnReset:   cfg.KeepAPIKeysOnReset,
		NotifyUnknownAddress: cfg.NotifyUnknown,
		MailDomain:           mailDomain(from),
		Policy:               cfg.policy(),
		OnEvent:              func(typ string) { events.WithLabelValues(typ).Inc() },
		OnAuditError:         auditErrorHook(log, a.reg),
		// With the rate limits off a proxy in front limits, and unless it is
		// a trusted proxy every client has its IP: one share for all.
		HashShareSkipIP: cfg.RateLimits == "off",
		OnHashBusy:      func(reason string) { hashBusy.WithLabelValues(reason).Inc() },
		// One argon2id buffer per slot in the heap, never a pile of dead
		// ones: peak RSS under hashing load (docs/benchmarks.md).
		CollectAfterHash: true,
		Secrets:          secrets,
	}, time.Now, a.wakeWorkers)
	sent, failed := mailMetrics(a.reg)
	registerQueueMetrics(a.reg, a.store, time.Now)
	a.recorder = mailer.NewRecorder(a.svc)
	for range max(1, cfg.MailWorkers) {
		sender, err := a.sender()
		if err != nil {
			a.Close() // the senders made so far too
			return nil, err
		}
		a.workers = append(a.workers, mailer.NewWorker(a.store, a.svc, templates, sender, mailer.WorkerConfig{
			From: from, MaxAttempts: cfg.MailMaxAttempts, BaseBackoff: cfg.MailRetryBase, Lease: cfg.MailLease,
			Logger: log, Recorder: a.recorder,
			OnSent: func(kind string, latency time.Duration) {
				sent.WithLabelValues(kind).Observe(latency.Seconds())
			},
			OnFailed: func(kind string, dead bool) {
				failed.WithLabelValues(kind, fmt.Sprint(dead)).Inc()
			},
		}))
	}
	return a, nil
}

// auditErrorHook logs and counts the audit events of failure paths that
// could not be written (account.Config.OnAuditError): the request was
// answered as usual, so this line and accountd_audit_event_errors_total are
// the only trace of the gap in the audit log.
func auditErrorHook(log *slog.Logger, reg prometheus.Registerer) func(context.Context, string, error) {
	failed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accountd_audit_event_errors_total", Help: "Audit events that could not be recorded, by type.",
	}, []string{"type"})
	reg.MustRegister(failed)
	return func(ctx context.Context, typ string, err error) {
		failed.WithLabelValues(typ).Inc()
		log.ErrorContext(ctx, "audit event not recorded", "type", typ, "err", err)
	}
}

// wakeWorkers tells the mail workers that a mail was queued.
func (a *app) wakeWorkers() {
	for _, w := range a.workers {
		w.Wake()
	}
}

// sender picks SMTP when configured, else the development inbox.
func (a *app) sender() (mailer.Sender, error) {
	if a.cfg.SMTPURL != "" {
		s, err := mailer.NewSMTPSender(a.cfg.SMTPURL, 30*time.Second)
		if err != nil {
			return nil, fmt.Errorf("ACCOUNTD_SMTP_URL: %w", err)
		}
		a.closeSenders = append(a.closeSenders, s.Close)
		return s, nil
	}
	return mailer.NewDevSender(a.store), nil
}

func mailMetrics(reg prometheus.Registerer) (*prometheus.HistogramVec, *prometheus.CounterVec) {
	sent := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "accountd_mail_sent_latency_seconds", Help: "Emails sent, by kind, and the time from queueing to SMTP acceptance.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
	}, []string{"kind"})
	failed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accountd_mail_failed_total", Help: "Failed delivery attempts, by kind and whether the email is now dead.",
	}, []string{"kind", "dead"})
	reg.MustRegister(sent, failed)
	return sent, failed
}

// mailDomain is the domain of the From address, for Message-IDs.
func mailDomain(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
			return a.Address[at+1:]
		}
	}
	return "accountd.localhost"
}

// verifier returns the captcha verifier the configuration names.
func verifier(cfg *config) (captcha.Verifier, error) {
	switch cfg.CaptchaProvider {
	case "none":
		return captcha.None{}, nil
	case "recaptcha", "hcaptcha", "turnstile":
		var hosts []string
		for _, h := range strings.Split(cfg.CaptchaHostnames, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hosts = append(hosts, h)
			}
		}
		return captcha.NewSiteverify(captcha.SiteverifyConfig{
			Provider: cfg.CaptchaProvider, Secret: cfg.CaptchaSecret, VerifyURL: cfg.CaptchaVerifyURL,
			Hostnames: hosts, MinScore: cfg.CaptchaMinScore, Action: cfg.CaptchaAction,
		})
	}
	return nil, fmt.Errorf("ACCOUNTD_CAPTCHA_PROVIDER: %q is not recaptcha, hcaptcha, turnstile or none", cfg.CaptchaProvider)
}

const devBanner = `
  ┌────────────────────────────────────────────────────────────────┐
  │  accountd DEVELOPMENT MODE — not for production                │
  │  captcha off, listening on loopback only, mail kept locally    │
  └────────────────────────────────────────────────────────────────┘
`

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("serve", args, getenv, newFlags("serve", stdout, stderr))
	if err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	v, err := verifier(cfg)
	if err != nil {
		return err
	}
	// One hash per core may run at once (account.Config.HashConcurrency).
	limit := setMemoryLimit(getenv, runtime.NumCPU(), password.DefaultParams())
	log.Info("soft memory limit", "MiB", limit>>20, "GOMEMLIMIT", getenv("GOMEMLIMIT"))
	a, err := newApp(ctx, cfg, log, !cfg.NoMigrate)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Dev {
		if cfg.LogFormat == "text" { // a banner among JSON lines would break their parsers
			fmt.Fprint(stderr, devBanner)
		}
		log.Warn("captcha provider is none: every captcha is accepted (development only)")
	}
	if mailer.SMTPCleartext(cfg.SMTPURL) {
		log.Warn("ACCOUNTD_SMTP_URL has tls=none: emails, reset links included, go to the SMTP server in clear text")
	}
	var inbox web.DevInbox
	if cfg.SMTPURL == "" {
		inbox = a.store
	}
	if cfg.googleOn() {
		log.Info("sign in with Google on", "issuer", cfg.GoogleIssuer, "redirect_uris", cfg.googleRedirectURIs())
	}
	if a.limiter == nil {
		log.Warn("rate limits are off (ACCOUNTD_RATE_LIMITS=off): a proxy in front must limit requests")
	}
	handler := web.New(a.svc, v, log, web.NewMetrics(a.reg), web.Config{
		Limiter: a.limiter, Limits: web.DefaultRateLimits(), IPv6Prefix: cfg.IPv6Prefix,
		DevInbox: inbox, TrustedProxies: cfg.proxies, MinPasswordLength: cfg.policy().MinLength,
		CORSOrigins: cfg.corsOrigins(), PublicURL: cfg.DashboardURL,
		PageCaptcha: web.PageCaptchaFor(cfg.CaptchaProvider, cfg.CaptchaSiteKey),
		// Development mode listens on loopback; it answers loopback names only.
		LoopbackHostsOnly: cfg.Dev,
		Dev:               cfg.Dev,
		AdminURL:          adminURL(cfg.AdminAddr),
		AppURL:            cfg.AppURL,
		ForwardAuthPath:   cfg.forwardAuthPath(),
		ForwardAuthHosts:  splitList(cfg.ForwardAuthHosts, true),
		CookieDomain:      strings.ToLower(cfg.CookieDomain),
		Pages:             cfg.Pages,
	})
	return a.listen(ctx, handler, stdout)
}

// productLimiter keeps the budgets of the product's rules (password
// failures, activation resends): the rate limiter, shared between nodes
// when it is Redis, or this node's memory when the rate limits are off, as
// a proxy in front cannot count those.
func (a *app) productLimiter() account.Limiter {
	if a.limiter == nil {
		return ratelimit.Budget{Limiter: ratelimit.NewMemory(time.Now)}
	}
	return ratelimit.Budget{Limiter: a.limiter}
}

// newRedis makes the Redis client when ACCOUNTD_REDIS_URL is set: for the
// shared rate limits and the news of changed credentials between nodes.
func (a *app) newRedis() error {
	if a.cfg.RedisURL == "" {
		return nil
	}
	opt, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("ACCOUNTD_REDIS_URL: %s", redactedURLError(err))
	}
	routeRedisLog(a.log)
	// Fail fast: during an outage the fallback should answer at once, not
	// after go-redis's default retries.
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	opt.MaxRetries, opt.DialerRetries = -1, 1
	a.redis = redis.NewClient(opt)
	a.news = newPrincipalNews(a.redis, a.log)
	return nil
}

// newLimiter returns the rate limiter: in memory on one node, in Redis (with
// memory as the fallback while Redis is unreachable) when ACCOUNTD_REDIS_URL
// is set, none when ACCOUNTD_RATE_LIMITS is off.
func (a *app) newLimiter() (ratelimit.Limiter, error) {
	if a.cfg.RateLimits == "off" {
		return nil, nil
	}
	mem := ratelimit.NewMemory(time.Now)
	if a.redis == nil {
		return mem, nil
	}
	degraded := prometheus.NewGauge(prometheus.GaugeOpts{Name: "accountd_ratelimit_redis_degraded",
		Help: "1 while Redis cannot be reached and rate limits are counted in this node's memory."})
	a.reg.MustRegister(degraded)
	return ratelimit.NewFallback(ratelimit.NewRedis(a.redis, "accountd:rl:"), mem, a.log,
		func(d bool) {
			if d {
				degraded.Set(1)
			} else {
				degraded.Set(0)
			}
		}), nil
}

// redisLogOnce guards go-redis's logger, a global of that library: it is
// set once per process, before the first client exists, so no client reads
// it while it changes.
var redisLogOnce sync.Once

// routeRedisLog sends go-redis's own messages (a failed dial, a broken
// pool), which it otherwise prints unstructured to stderr, into log as
// warnings.
func routeRedisLog(log *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{log}) })
}

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "message", strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}

// redactedURLError keeps the password of a URL out of an error message.
func redactedURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "the URL does not parse"
}

// newServer returns an http.Server with the timeouts of docs/architecture.md#http, logging
// net/http's own errors as warnings.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return web.HTTPServer(h, slog.NewLogLogger(log.Handler(), slog.LevelWarn))
}

// listen serves the public and admin listeners and the mail worker until ctx
// ends, then shuts down gracefully: in-flight requests and the email in hand
// finish.
func (a *app) listen(ctx context.Context, handler http.Handler, stdout io.Writer) error {
	pub, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return err
	}
	servers := []*http.Server{newServer(handler, a.log)}
	listeners := []net.Listener{pub}
	adminURL := "off"
	if a.cfg.AdminAddr != "off" {
		adm, err := net.Listen("tcp", a.cfg.AdminAddr)
		if err != nil {
			pub.Close()
			return err
		}
		servers = append(servers, newServer(a.adminHandler(), a.log))
		listeners = append(listeners, adm)
		adminURL = "http://" + adm.Addr().String()
	}
	scheme := "http"
	if a.cfg.TLSCert != "" {
		scheme = "https"
	}
	a.announce(stdout, scheme+"://"+pub.Addr().String(), adminURL)

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			var err error
			if i == 0 && a.cfg.TLSCert != "" {
				err = srv.ServeTLS(listeners[i], a.cfg.TLSCert, a.cfg.TLSKey)
			} else {
				err = srv.Serve(listeners[i])
			}
			if !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, w := range a.workers {
		wg.Go(func() { _ = w.Run(workerCtx) })
	}
	wg.Go(func() { watchQueue(workerCtx, a.store, a.log, time.Now) })
	if a.news != nil {
		wg.Go(func() { a.news.publishLoop(workerCtx) })
		wg.Go(func() { a.news.listen(workerCtx, a.svc.ForgetPrincipals) })
	}
	wg.Go(func() { purgeEvery(workerCtx, a, time.Hour) })

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdownCtx)
	}
	stopWorker()
	wg.Wait() // the caller's a.Close() may now close what the workers used
	return err
}

// announce says where the service listens. The log line is for operators
// and tools (JSON in production). A person who ran serve at a terminal (text
// logs: -dev) also gets one plain line on stdout with the address to open,
// the port chosen included; with JSON logs nothing else is printed, so
// journald and log shippers see JSON lines only (issue 20).
func (a *app) announce(stdout io.Writer, public, adminURL string) {
	a.log.Info("listening", "url", public, "admin", adminURL, "dashboard_url", a.cfg.DashboardURL)
	if a.cfg.LogFormat == "text" {
		fmt.Fprintf(stdout, "accountd listening on %s (admin %s)\n", public, adminURL)
	}
}

// adminHandler serves /healthz, /readyz and /metrics (docs/architecture.md#http).
func (a *app) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.svc.Ready(ctx); err != nil {
			a.log.Warn("not ready", "err", err)
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	// The admin API (docs/api.md#admin-api): 404 throughout unless ACCOUNTD_ADMIN_TOKEN
	// is set. Only the token's hash is kept; the setting is blanked.
	hash := web.AdminTokenHash(a.cfg.AdminToken)
	a.cfg.AdminToken = ""
	mux.Handle("/admin/", web.NewAdmin(a.svc, a.log, a.reg, web.AdminConfig{TokenHash: hash}))
	if a.cfg.Pprof {
		// Off by default: a profile shows the process's internals (goroutine
		// stacks, allocation sites), never a secret's value, and a CPU
		// profile costs while it runs (docs/operations.md#profiling). No
		// /debug/pprof/cmdline: a secret may have been given as a flag.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// adminURL is the admin listener's base URL for the development index page:
// "" when it is off; a listener on all interfaces is linked on loopback.
func adminURL(addr string) string {
	if addr == "" || addr == "off" {
		return ""
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	return "http://" + addr
}
