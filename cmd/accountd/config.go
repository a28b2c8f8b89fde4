package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/twofactor"

	"github.com/accountd/accountd/internal/account"
)

// config holds every setting of accountd. Precedence: defaults < ACCOUNTD_*
// environment variables < flags.
type config struct {
	Dev                bool
	Addr               string
	AdminAddr          string
	DatabaseURL        string
	RedisURL           string
	DashboardURL       string
	AppURL             string
	SMTPURL            string
	MailFrom           string
	MailTemplates      string
	CaptchaProvider    string
	CaptchaSecret      string
	CaptchaVerifyURL   string
	CaptchaSiteKey     string
	CaptchaHostnames   string
	CaptchaMinScore    float64
	CaptchaAction      string
	ResetTokenTTL      time.Duration
	ResetEmailsPerHour int
	KeepAPIKeysOnReset bool
	TokenIdleTTL       time.Duration // 0: login tokens never end for want of use
	TokenMaxTTL        time.Duration // 0: login tokens have no absolute end
	NotifyUnknown      bool
	DeleteGrace        time.Duration
	MailRetention      time.Duration
	AuditRetention     time.Duration
	BreachedCheck      bool
	PasswordMinLength  int
	BreachedURL        string
	RateLimits         string
	TrustedProxies     string
	IPv6Prefix         int
	CORSOrigins        string
	ForwardAuthPath    string
	ForwardAuthHosts   string
	ForwardAuthCache   time.Duration
	CookieDomain       string
	TLSCert, TLSKey    string
	LogFormat          string
	LogLevel           string
	NoMigrate          bool
	MailMaxAttempts    int
	MailWorkers        int
	MailRetryBase      time.Duration
	MailLease          time.Duration
	SecretKey          string // base64; a secret: never printed
	TOTPSkew           int    // TOTP steps accepted either side of now (0–2)
	TOTPIssuer         string // the name authenticator apps show
	Email2FA           string // off, new_device or always (account.EmailTwoFactor*)
	SignInNotice       string // on or off: the "new sign-in" email
	// Sign in with Google (docs/api.md#social-login, google.go); off without a client id.
	GoogleClientID             string
	GoogleClientSecret         string // a secret: never printed
	GoogleRedirectURIs         string
	GoogleIssuer               string
	GoogleHostedDomains        string
	GoogleAuthoritativeDomains string
	FederatedAccess            string // off, read or write (docs/api.md#suspension-staff-and-federated-access)
	AdminToken                 string // enables the admin API; a secret: never printed, kept as its hash
	Pages                      string // all, links or off: which dashboard pages are served
	Pprof                      bool   // Go's profiles at /debug/pprof/ on the admin listener

	// proxies is TrustedProxies parsed, by finish.
	proxies []netip.Prefix
}

// setting describes one setting: its flag, its variable, its default and
// where it goes. The README's configuration table is made from this list.
type setting struct {
	flag, env, def, usage string
	set                   func(c *config, v string) error
}

func str(p func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error { *p(c) = v; return nil }
}

func settings() []setting {
	return []setting{
		{"addr", "ACCOUNTD_ADDR", "127.0.0.1:8080", "public listen address", str(func(c *config) *string { return &c.Addr })},
		{"admin-addr", "ACCOUNTD_ADMIN_ADDR", "127.0.0.1:9090", "metrics and health listener; off disables", str(func(c *config) *string { return &c.AdminAddr })},
		{"database-url", "ACCOUNTD_DATABASE_URL", "accountd.db", "postgres://… for PostgreSQL, else a SQLite file path", str(func(c *config) *string { return &c.DatabaseURL })},
		{"redis-url", "ACCOUNTD_REDIS_URL", "", "redis://… to share rate limits between nodes", str(func(c *config) *string { return &c.RedisURL })},
		{"dashboard-url", "ACCOUNTD_DASHBOARD_URL", "", "base of the links in emails (https; in development the public address)", str(func(c *config) *string { return &c.DashboardURL })},
		{"app-url", "ACCOUNTD_APP_URL", "", "the application's address: the page after a reset links it (\"Go to the app\")", str(func(c *config) *string { return &c.AppURL })},
		{"smtp-url", "ACCOUNTD_SMTP_URL", "", "smtp://user:pass@host:port (STARTTLS required, except to a loopback host or with ?tls=none: clear text, with a warning) or smtps://… (implicit TLS)", str(func(c *config) *string { return &c.SMTPURL })},
		{"mail-from", "ACCOUNTD_MAIL_FROM", "", "the From address of emails [noreply@ the dashboard host]", str(func(c *config) *string { return &c.MailFrom })},
		{"mail-templates", "ACCOUNTD_MAIL_TEMPLATES", "", "directory whose templates override the embedded ones", str(func(c *config) *string { return &c.MailTemplates })},
		{"mail-max-attempts", "ACCOUNTD_MAIL_MAX_ATTEMPTS", "10", "delivery attempts before an email is marked dead", intSetting(func(c *config) *int { return &c.MailMaxAttempts })},
		{"mail-workers", "ACCOUNTD_MAIL_WORKERS", "8", "mail workers per node, each with its own SMTP connection", intSetting(func(c *config) *int { return &c.MailWorkers })},
		{"mail-retry-base", "ACCOUNTD_MAIL_RETRY_BASE", "5s", "wait after a failed delivery; doubles each attempt, with jitter, up to 1h", durationSetting(func(c *config) *time.Duration { return &c.MailRetryBase })},
		{"mail-lease", "ACCOUNTD_MAIL_LEASE", "1m", "how long a node holds an email it claimed before another may (after a crash)", durationSetting(func(c *config) *time.Duration { return &c.MailLease })},
		{"captcha-provider", "ACCOUNTD_CAPTCHA_PROVIDER", "", "recaptcha, hcaptcha, turnstile or none (none only with -dev)", str(func(c *config) *string { return &c.CaptchaProvider })},
		{"captcha-secret", "ACCOUNTD_CAPTCHA_SECRET", "", "the captcha provider's secret", str(func(c *config) *string { return &c.CaptchaSecret })},
		{"captcha-verify-url", "ACCOUNTD_CAPTCHA_VERIFY_URL", "", "override the provider's siteverify URL", str(func(c *config) *string { return &c.CaptchaVerifyURL })},
		{"captcha-sitekey", "ACCOUNTD_CAPTCHA_SITEKEY", "", "the provider's site key, for the widget on the dashboard pages", str(func(c *config) *string { return &c.CaptchaSiteKey })},
		{"captcha-hostnames", "ACCOUNTD_CAPTCHA_HOSTNAMES", "", "comma-separated hostnames a solved captcha may come from [any]", str(func(c *config) *string { return &c.CaptchaHostnames })},
		{"captcha-min-score", "ACCOUNTD_CAPTCHA_MIN_SCORE", "0.5", "lowest reCAPTCHA v3 score accepted", floatSetting(func(c *config) *float64 { return &c.CaptchaMinScore })},
		{"captcha-action", "ACCOUNTD_CAPTCHA_ACTION", "", "the reCAPTCHA v3 action expected [any]", str(func(c *config) *string { return &c.CaptchaAction })},
		{"reset-token-ttl", "ACCOUNTD_RESET_TOKEN_TTL", "1h", "reset link lifetime", durationSetting(func(c *config) *time.Duration { return &c.ResetTokenTTL })},
		{"reset-emails-per-hour", "ACCOUNTD_RESET_EMAILS_PER_HOUR", "3", "per-address cap on reset emails", intSetting(func(c *config) *int { return &c.ResetEmailsPerHour })},
		{"reset-notify-unknown", "ACCOUNTD_RESET_NOTIFY_UNKNOWN", "false", "email an address without an account that someone asked to reset its password (same hourly cap)", boolSetting(func(c *config) *bool { return &c.NotifyUnknown })},
		{"keep-api-keys-on-reset", "ACCOUNTD_KEEP_API_KEYS_ON_RESET", "false", "keep API keys valid when a password is reset", boolSetting(func(c *config) *bool { return &c.KeepAPIKeysOnReset })},
		{"token-idle-ttl", "ACCOUNTD_TOKEN_IDLE_TTL", "14d", "a login token not used for this long stops working (14d, 12h; 0: never)", lifetimeSetting(func(c *config) *time.Duration { return &c.TokenIdleTTL })},
		{"token-max-ttl", "ACCOUNTD_TOKEN_MAX_TTL", "30d", "a login token stops working this long after sign-in (30d, 720h; 0: never); API keys never expire", lifetimeSetting(func(c *config) *time.Duration { return &c.TokenMaxTTL })},
		{"password-min-length", "ACCOUNTD_PASSWORD_MIN_LENGTH", "8", "the shortest password accepted (at most 256)", intSetting(func(c *config) *int { return &c.PasswordMinLength })},
		{"breached-check", "ACCOUNTD_BREACHED_CHECK", "false", "refuse passwords found in a breached-password corpus (k-anonymity range protocol)", boolSetting(func(c *config) *bool { return &c.BreachedCheck })},
		{"breached-url", "ACCOUNTD_BREACHED_URL", "https://api.pwnedpasswords.com/range/", "the range endpoint of the breached-password check", str(func(c *config) *string { return &c.BreachedURL })},
		{"delete-grace", "ACCOUNTD_DELETE_GRACE", "720h", "how long a deleted account keeps its address before the purge erases it", durationSetting(func(c *config) *time.Duration { return &c.DeleteGrace })},
		{"mail-retention", "ACCOUNTD_MAIL_RETENTION", "720h", "how long sent and suppressed emails stay in the outbox (accountd mail list) before the hourly purge deletes them; at least 24h", durationSetting(func(c *config) *time.Duration { return &c.MailRetention })},
		{"audit-retention", "ACCOUNTD_AUDIT_RETENTION", "2160h", "how long audit events (accountd audit) are kept before the hourly purge deletes them; at least 24h", durationSetting(func(c *config) *time.Duration { return &c.AuditRetention })},
		{"rate-limits", "ACCOUNTD_RATE_LIMITS", "on", "on, or off when a proxy in front already limits", str(func(c *config) *string { return &c.RateLimits })},
		{"trusted-proxies", "ACCOUNTD_TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is believed", str(func(c *config) *string { return &c.TrustedProxies })},
		{"ipv6-prefix", "ACCOUNTD_IPV6_PREFIX", "64", "IPv6 clients share per-IP limits by this prefix length (IPv4: per address)", intSetting(func(c *config) *int { return &c.IPv6Prefix })},
		{"cors-origins", "ACCOUNTD_CORS_ORIGINS", "", "origins allowed to call the API from a browser", str(func(c *config) *string { return &c.CORSOrigins })},
		{"forward-auth-path", "ACCOUNTD_FORWARD_AUTH_PATH", "/auth/verify", "where a reverse proxy asks whether a request is signed in; off disables", str(func(c *config) *string { return &c.ForwardAuthPath })},
		{"forward-auth-cache", "ACCOUNTD_FORWARD_AUTH_CACHE", "5s", "how long forward auth and token introspection may reuse an answer for a token (0: off; at most 1m); a change made on this node, or on another that shares ACCOUNTD_REDIS_URL, applies at once, one made elsewhere within this time", lifetimeSetting(func(c *config) *time.Duration { return &c.ForwardAuthCache })},
		{"cookie-domain", "ACCOUNTD_COOKIE_DOMAIN", "", "the domain of the pages' forward-auth ticket cookie (example.com), for forward auth of apps on its hosts [this host]", str(func(c *config) *string { return &c.CookieDomain })},
		{"forward-auth-hosts", "ACCOUNTD_FORWARD_AUTH_HOSTS", "", "hosts (or *.domain) a browser may return to after signing in from forward auth", str(func(c *config) *string { return &c.ForwardAuthHosts })},
		{"tls-cert", "ACCOUNTD_TLS_CERT", "", "certificate file to serve HTTPS directly", str(func(c *config) *string { return &c.TLSCert })},
		{"tls-key", "ACCOUNTD_TLS_KEY", "", "key file to serve HTTPS directly", str(func(c *config) *string { return &c.TLSKey })},
		{"log-format", "ACCOUNTD_LOG_FORMAT", "", "json or text [json; text with -dev]", str(func(c *config) *string { return &c.LogFormat })},
		{"log-level", "ACCOUNTD_LOG_LEVEL", "info", "debug, info, warn or error", str(func(c *config) *string { return &c.LogLevel })},
		{"totp-skew", "ACCOUNTD_TOTP_SKEW", "1", "TOTP codes accepted this many 30 s steps either side of now (0 to 2)", intSetting(func(c *config) *int { return &c.TOTPSkew })},
		{"totp-issuer", "ACCOUNTD_TOTP_ISSUER", "accountd", "the name authenticator apps show for this service", str(func(c *config) *string { return &c.TOTPIssuer })},
		{"email-2fa", "ACCOUNTD_EMAIL_2FA", "off", "when an email_code account's sign-in must give an emailed code: off, new_device (a client network and browser that has not passed 2FA in 90 days) or always", str(func(c *config) *string { return &c.Email2FA })},
		{"signin-notice", "ACCOUNTD_SIGNIN_NOTICE", "on", "on: email the owner when a client network and browser not seen in 90 days signs in with the password; off", str(func(c *config) *string { return &c.SignInNotice })},
		{"google-client-id", "ACCOUNTD_GOOGLE_CLIENT_ID", "", "the client id of a Google OAuth client of type Web application: turns on Sign in with Google", str(func(c *config) *string { return &c.GoogleClientID })},
		{"google-client-secret", "ACCOUNTD_GOOGLE_CLIENT_SECRET", "", "that client's secret (never shown)", str(func(c *config) *string { return &c.GoogleClientSecret })},
		{"google-redirect-uris", "ACCOUNTD_GOOGLE_REDIRECT_URIS", "", "comma-separated redirect_uri values a request may give, matched exactly; each must be an authorized redirect URI of the client [the dashboard URL's origin]", str(func(c *config) *string { return &c.GoogleRedirectURIs })},
		{"google-issuer", "ACCOUNTD_GOOGLE_ISSUER", "https://accounts.google.com", "the OpenID Connect issuer (https; http only for a loopback issuer, or with -dev)", str(func(c *config) *string { return &c.GoogleIssuer })},
		{"google-hosted-domains", "ACCOUNTD_GOOGLE_HOSTED_DOMAINS", "", "comma-separated Google Workspace domains (hd claim) whose accounts may sign in [any account]", str(func(c *config) *string { return &c.GoogleHostedDomains })},
		{"google-authoritative-domains", "ACCOUNTD_GOOGLE_AUTHORITATIVE_DOMAINS", "gmail.com,googlemail.com", "address domains whose mailboxes Google owns: a sign-in with such a verified address links to the account that has it (so does the domain an hd claim names)", str(func(c *config) *string { return &c.GoogleAuthoritativeDomains })},
		{"federated-access", "ACCOUNTD_FEDERATED_ACCESS", "off", "off, read or write: how far staff accounts may act as others with X-Webshare-Federated-Access", str(func(c *config) *string { return &c.FederatedAccess })},
		{"admin-token", "ACCOUNTD_ADMIN_TOKEN", "", "enables the admin API on the admin listener: the bearer token it wants (at least 32 characters; openssl rand -hex 32)", str(func(c *config) *string { return &c.AdminToken })},
		{"pages", "ACCOUNTD_PAGES", "all", "the built-in pages: all (sign-up, sign-in and the account), links (only the pages emailed links open) or off", str(func(c *config) *string { return &c.Pages })},
		{"pprof", "ACCOUNTD_PPROF", "false", "serve Go's runtime profiles (CPU, heap, goroutines) at /debug/pprof/ on the admin listener, for measuring; keep that listener private", boolSetting(func(c *config) *bool { return &c.Pprof })},
		{"secret-key", "ACCOUNTD_SECRET_KEY", "", "32 random bytes, base64 (openssl rand -base64 32): seals the secrets kept in the database; required outside -dev", str(func(c *config) *string { return &c.SecretKey })},
	}
}

func intSetting(p func(*config) *int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p(c) = n
		return nil
	}
}

func floatSetting(p func(*config) *float64) func(*config, string) error {
	return func(c *config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("%q is not a number from 0 to 1", v)
		}
		*p(c) = f
		return nil
	}
}

func durationSetting(p func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration such as 1h or 30m", v)
		}
		*p(c) = d
		return nil
	}
}

// lifetimeSetting reads a lifetime: whole days ("14d"), a Go duration
// ("36h"), or 0 for none.
func lifetimeSetting(p func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := parseLifetime(v)
		if err != nil {
			return fmt.Errorf("%q is not a lifetime such as 14d or 36h, or 0 for none", v)
		}
		*p(c) = d
		return nil
	}
}

// parseLifetime parses what lifetimeSetting reads.
func parseLifetime(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		// 100,000 days keeps n*24h far from overflowing a Duration.
		if err != nil || n < 0 || n > 100_000 || strings.HasPrefix(days, "+") {
			return 0, errors.New("not a number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("not a duration")
	}
	return d, nil
}

func boolSetting(p func(*config) *bool) func(*config, string) error {
	return func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p(c) = b
		return nil
	}
}

// settingValue is a flag.Value that applies a setting, so a flag overrides
// the environment.
type settingValue struct {
	c   *config
	s   setting
	cur string
	// err is a secret setting's refusal of its flag's value, reported after
	// parsing: the flag package would quote the value in its message.
	err error
}

// String is what `-h` and a usage error show as the default: never a
// secret's value (displayValue).
func (v *settingValue) String() string { return displayValue(v.s.env, v.cur) }

func (v *settingValue) Set(s string) error {
	if err := v.s.set(v.c, s); err != nil {
		if secretSetting(v.s.env) {
			v.err = fmt.Errorf("-%s: the value is not valid (not shown: it is a secret)", v.s.flag)
			return nil
		}
		return err
	}
	v.cur = s
	return nil
}

// secretSetting reports whether the setting env holds a secret as a whole:
// its name has the word SECRET (ACCOUNTD_SECRET_KEY, ACCOUNTD_CAPTCHA_SECRET)
// or ends in PASSWORD or TOKEN (ACCOUNTD_ADMIN_TOKEN). Such a value is never
// shown, only "(set)". Words, not substrings: ACCOUNTD_TOKEN_IDLE_TTL and
// ACCOUNTD_PASSWORD_MIN_LENGTH are not secrets, and help shows their defaults.
func secretSetting(env string) bool {
	words := strings.Split(env, "_")
	switch words[len(words)-1] {
	case "PASSWORD", "TOKEN":
		return true
	}
	return slices.Contains(words, "SECRET")
}

// displayValue is a setting's value as help and messages may show it: "(set)"
// for a secret, a URL with its password and the values of password-like
// query parameters replaced by "xxxxx" (SMTP, database and Redis URLs carry
// passwords), "(set)" for a URL that does not parse, else the value.
func displayValue(env, v string) string {
	switch {
	case v == "":
		return ""
	case secretSetting(env):
		return "(set)"
	case !strings.Contains(v, "://"):
		return v // a path, an address, a number: no credentials
	}
	u, err := url.Parse(v)
	if err != nil {
		return "(set)" // the parse error would quote it
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			if lk := strings.ToLower(k); strings.Contains(lk, "pass") || strings.Contains(lk, "secret") ||
				strings.Contains(lk, "token") || strings.Contains(lk, "key") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// parseConfig reads defaults, then the environment, then the flags of args
// (every setting is a flag, with -dev and -no-migrate: serve's flags); it
// refuses positional arguments.
func parseConfig(name string, args []string, getenv func(string) string, fs *flag.FlagSet) (*config, error) {
	c, rest, err := parseConfigArgs(args, getenv, fs)
	if err == nil {
		err = noArgs(name, rest)
	}
	return c, err
}

// parseConfigArgs is parseConfig that returns the positional arguments.
func parseConfigArgs(args []string, getenv func(string) string, fs *flag.FlagSet) (*config, []string, error) {
	return parseSettings(settings(), args, getenv, fs)
}

// parseConfigFor is parseConfigArgs for a command that offers only the
// flags it uses: the settings named (by flag), and "dev" for -dev. Every
// setting still reads its ACCOUNTD_* variable.
func parseConfigFor(args []string, getenv func(string) string, fs *flag.FlagSet, flags ...string) (*config, []string, error) {
	return parseSettingsFor(settings(), flags, args, getenv, fs)
}

// parseSettings is parseConfigArgs for the given settings.
func parseSettings(list []setting, args []string, getenv func(string) string, fs *flag.FlagSet) (*config, []string, error) {
	return parseSettingsFor(list, nil, args, getenv, fs)
}

// parseSettingsFor reads the settings of list and the flags of args; only
// the settings named in flags are flags (all of them, with -dev and
// -no-migrate, when flags is nil). Flags may follow positional arguments.
func parseSettingsFor(list []setting, flags []string, args []string, getenv func(string) string, fs *flag.FlagSet) (*config, []string, error) {
	offered := func(name string) bool { return flags == nil || slices.Contains(flags, name) }
	c := &config{}
	var values []*settingValue
	for _, s := range list {
		val := s.def
		if e := getenv(s.env); e != "" {
			val = e
		}
		if err := s.set(c, val); err != nil {
			if secretSetting(s.env) {
				// The error may quote the value.
				return nil, nil, fmt.Errorf("%s: the value is not valid (not shown: it is a secret)", s.env)
			}
			return nil, nil, fmt.Errorf("%s: %w", s.env, err)
		}
		if offered(s.flag) {
			values = append(values, &settingValue{c: c, s: s, cur: val})
			fs.Var(values[len(values)-1], s.flag, s.usage+" ("+s.env+")")
		}
	}
	if offered("dev") {
		fs.BoolVar(&c.Dev, "dev", false, "development mode: SQLite, captcha none, mail in /dev/mail/, loopback only")
	}
	if flags == nil {
		fs.BoolVar(&c.NoMigrate, "no-migrate", false, "do not apply migrations at start; refuse to start on an old schema")
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range values {
		if v.err != nil {
			return nil, nil, v.err
		}
	}
	return c, rest, nil
}

// finish applies development mode and checks that the settings make a
// service that may start (README.md#configuration), naming everything that is missing.
func (c *config) finish() error {
	if c.Dev {
		if c.CaptchaProvider == "" {
			c.CaptchaProvider = "none"
		}
		if c.LogFormat == "" {
			c.LogFormat = "text"
		}
		if c.DashboardURL == "" {
			c.DashboardURL = "http://" + c.Addr
		}
		if !loopback(c.Addr) {
			return fmt.Errorf("development mode listens on loopback only, but ACCOUNTD_ADDR is %q", c.Addr)
		}
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
	}
	var missing []string
	if !c.Dev {
		if c.CaptchaProvider == "" || c.CaptchaProvider == "none" {
			missing = append(missing, "a captcha provider (ACCOUNTD_CAPTCHA_PROVIDER=recaptcha, hcaptcha or turnstile; none is for -dev only)")
		}
		if u, err := url.Parse(c.DashboardURL); err != nil || u.Scheme != "https" || u.Host == "" {
			missing = append(missing, "an https dashboard URL (ACCOUNTD_DASHBOARD_URL=https://…)")
		}
		if c.SMTPURL == "" {
			missing = append(missing, "an SMTP server (ACCOUNTD_SMTP_URL=smtp://user:pass@host:587)")
		}
		if c.CaptchaProvider != "" && c.CaptchaProvider != "none" && (c.CaptchaSecret == "" || c.CaptchaSiteKey == "") {
			missing = append(missing, "the captcha provider's secret and site key (ACCOUNTD_CAPTCHA_SECRET, ACCOUNTD_CAPTCHA_SITEKEY)")
		}
		if c.SecretKey == "" {
			missing = append(missing, errNoSecretKey)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("refusing to start outside development mode without %s; or run `accountd serve -dev` to try it locally",
			strings.Join(missing, ", "))
	}
	if _, err := url.Parse(c.DashboardURL); err != nil {
		return fmt.Errorf("ACCOUNTD_DASHBOARD_URL: %w", err)
	}
	if c.PasswordMinLength < 1 || c.PasswordMinLength > 256 {
		return fmt.Errorf("ACCOUNTD_PASSWORD_MIN_LENGTH: %d is not from 1 to 256", c.PasswordMinLength)
	}
	if c.TokenIdleTTL > 0 && c.TokenIdleTTL < account.MinTokenIdleTTL {
		return fmt.Errorf("ACCOUNTD_TOKEN_IDLE_TTL: %s is below the minimum of %s (a use is recorded once a minute); 0 turns it off",
			c.TokenIdleTTL, account.MinTokenIdleTTL)
	}
	if c.MailRetention < account.MinMailRetention {
		return fmt.Errorf("ACCOUNTD_MAIL_RETENTION: %s is below the minimum of %s", c.MailRetention, account.MinMailRetention)
	}
	if c.AuditRetention < account.MinAuditRetention {
		return fmt.Errorf("ACCOUNTD_AUDIT_RETENTION: %s is below the minimum of %s", c.AuditRetention, account.MinAuditRetention)
	}
	if _, err := twofactor.NewTOTP(c.TOTPSkew); err != nil {
		return fmt.Errorf("ACCOUNTD_TOTP_SKEW: %w", err)
	}
	if err := checkEmail2FA(c.Email2FA); err != nil {
		return err
	}
	if err := checkForwardAuth(c.ForwardAuthPath, c.ForwardAuthHosts); err != nil {
		return err
	}
	if c.ForwardAuthCache > time.Minute {
		return fmt.Errorf("ACCOUNTD_FORWARD_AUTH_CACHE: %s is above the maximum of 1m; 0 turns the cache off", c.ForwardAuthCache)
	}
	if err := checkCookieDomain(c.CookieDomain, c.DashboardURL); err != nil {
		return err
	}
	if c.SignInNotice != "on" && c.SignInNotice != "off" {
		return fmt.Errorf("ACCOUNTD_SIGNIN_NOTICE: %q is not on or off", c.SignInNotice)
	}
	if err := c.checkGoogle(); err != nil {
		return err
	}
	if _, err := account.ParseFederation(c.FederatedAccess); err != nil {
		return fmt.Errorf("ACCOUNTD_FEDERATED_ACCESS: %w", err)
	}
	if c.AdminToken != "" && len(c.AdminToken) < minAdminToken {
		return fmt.Errorf("ACCOUNTD_ADMIN_TOKEN: want at least %d characters (openssl rand -hex 32)", minAdminToken)
	}
	switch c.Pages {
	case "all", "links", "off":
	default:
		return fmt.Errorf("ACCOUNTD_PAGES: %q is not all, links or off", c.Pages)
	}
	if c.RateLimits != "on" && c.RateLimits != "off" {
		return fmt.Errorf("ACCOUNTD_RATE_LIMITS: %q is not on or off", c.RateLimits)
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return errors.New("ACCOUNTD_REDIS_URL: want redis://… or rediss://…")
	}
	if c.IPv6Prefix < 1 || c.IPv6Prefix > 128 {
		return fmt.Errorf("ACCOUNTD_IPV6_PREFIX: %d is not from 1 to 128", c.IPv6Prefix)
	}
	proxies, err := c.trustedProxies()
	if err != nil {
		return err
	}
	c.proxies = proxies
	for _, o := range c.corsOrigins() {
		if u, err := url.Parse(o); err != nil || u.Host == "" || u.Path != "" || o == "*" ||
			(u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Errorf("ACCOUNTD_CORS_ORIGINS: %q is not an origin such as https://app.example.com", o)
		}
	}
	if c.SecretKey != "" {
		if _, err := secretbox.ParseKey(c.SecretKey); err != nil {
			return secretKeyError(err)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("ACCOUNTD_TLS_CERT and ACCOUNTD_TLS_KEY go together: set both or neither")
	}
	return nil
}

// errNoSecretKey names the missing key and how to make one.
const errNoSecretKey = "a secret key (ACCOUNTD_SECRET_KEY: 32 random bytes, base64, e.g. from `openssl rand -base64 32`)"

// secretKeyError reports a key that is not 32 bytes of base64, without its
// value (secretbox.ParseKey's errors never hold it).
func secretKeyError(err error) error {
	return fmt.Errorf("ACCOUNTD_SECRET_KEY: %w; generate one with `openssl rand -base64 32`", err)
}

// emailCodes returns the keyed HMAC of stored email codes, its key derived
// from ACCOUNTD_SECRET_KEY; nil without one (-dev only: secretBox refuses
// elsewhere), and the service then keys it for this process.
func (c *config) emailCodes() (*twofactor.EmailCodes, error) {
	if c.SecretKey == "" {
		return nil, nil
	}
	key, err := secretbox.ParseKey(c.SecretKey)
	if err != nil {
		return nil, secretKeyError(err)
	}
	return twofactor.NewEmailCodes(key)
}

// secretBox returns the box that seals the secrets kept in the database
// (issue 12 A8), under ACCOUNTD_SECRET_KEY. Outside -dev the key is
// required; in -dev without one, a key is generated for this process and a
// warning logged: emails queued by it cannot be sent after a restart.
func (c *config) secretBox(log *slog.Logger) (*secretbox.Box, error) {
	if c.SecretKey == "" {
		if !c.Dev {
			return nil, errors.New("refusing to start outside development mode without " + errNoSecretKey)
		}
		log.Warn("ACCOUNTD_SECRET_KEY is not set: sealing with a key generated for this process; " +
			"emails still queued when it stops cannot be sent after a restart (development only)")
		return secretbox.NewRandom(), nil
	}
	key, err := secretbox.ParseKey(c.SecretKey)
	if err != nil {
		return nil, secretKeyError(err)
	}
	return secretbox.New(key)
}

// trustedProxies parses ACCOUNTD_TRUSTED_PROXIES.
func (c *config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("ACCOUNTD_TRUSTED_PROXIES: %q is not a CIDR", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// policy returns the password rules the settings ask for.
func (c *config) policy() password.Policy {
	p := password.DefaultPolicy()
	if c.PasswordMinLength > 0 {
		p.MinLength = c.PasswordMinLength
	}
	return p
}

// corsOrigins parses ACCOUNTD_CORS_ORIGINS: origins without a final "/".
func (c *config) corsOrigins() []string {
	var out []string
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// mailFrom is the From address: the setting, or noreply@ the dashboard host.
func (c *config) mailFrom() string {
	if c.MailFrom != "" {
		return c.MailFrom
	}
	host := "localhost"
	if u, err := url.Parse(c.DashboardURL); err == nil && u.Hostname() != "" && net.ParseIP(u.Hostname()) == nil {
		host = u.Hostname()
	}
	return "noreply@" + host
}

// loopback reports whether a listen address is on a loopback interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// minAdminToken is the shortest admin token accepted: the admin API has no
// rate limit of its own, so its token must not be guessable.
const minAdminToken = 32

// checkEmail2FA refuses a value of ACCOUNTD_EMAIL_2FA that is not a
// policy, rather than run without the second factor asked for.
func checkEmail2FA(v string) error {
	switch v {
	case account.EmailTwoFactorOff, account.EmailTwoFactorNewDevice, account.EmailTwoFactorAlways:
		return nil
	}
	return fmt.Errorf("ACCOUNTD_EMAIL_2FA: %q is not off, new_device or always", v)
}
