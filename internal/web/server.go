// Package web is the HTTP face of accountd: every route (routes.go), the JSON
// handlers, the one error writer, middleware, the dashboard pages and the
// development inbox. It imports account, captcha and mail's interfaces only
// through what main hands it.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/ratelimit"
)

// DevInbox is the development mailbox shown at /dev/mail/.
type DevInbox interface {
	DevMails(ctx context.Context, limit int) ([]account.DevMail, error)
	DevMailByID(ctx context.Context, id int64) (account.DevMail, error)
}

// Config holds what the handlers need besides the Service.
type Config struct {
	// DevInbox, when not nil, serves the development mailbox at /dev/mail/.
	DevInbox       DevInbox
	TrustedProxies []netip.Prefix
	// MinPasswordLength is shown on the dashboard pages.
	MinPasswordLength int
	// PageCaptcha is the captcha widget of the dashboard pages.
	PageCaptcha PageCaptcha
	// Limiter counts requests for the rate limits; nil turns them off.
	Limiter ratelimit.Limiter
	Limits  RateLimits
	// IPv6Prefix is how many leading bits of an IPv6 client address the
	// per-IP limits key on [DefaultIPv6Prefix]; IPv4 clients are keyed by
	// address.
	IPv6Prefix int
	// CORSOrigins are the origins (scheme://host[:port]) allowed to call the
	// API from a browser.
	CORSOrigins []string
	// PublicURL is the scheme, host and path prefix clients reach this
	// listener at (main passes ACCOUNTD_DASHBOARD_URL); the absolute links
	// the API returns (list pages) start with it. Empty: the request's Host,
	// http or https as the connection was, which is wrong behind a TLS proxy.
	PublicURL string
	// LoopbackHostsOnly answers only requests whose Host is localhost or a
	// loopback address (development mode): a page on another site cannot
	// then reach the development inbox through DNS rebinding.
	LoopbackHostsOnly bool
	// Dev serves an index page at / (development mode) linking the pages,
	// the development inbox and AdminURL's health check.
	Dev bool
	// AdminURL is the admin listener's base URL (http://host:port), linked
	// from the development index page; "" when that listener is off.
	AdminURL string
	// AppURL is the application's address: the reset done page links it
	// ("Go to the app") so the user has somewhere to sign in; "" links
	// nothing.
	AppURL string
	// ForwardAuthPath is where a reverse proxy asks whether a request is
	// signed in (forwardauth.go); "" turns it off.
	ForwardAuthPath string
	// ForwardAuthHosts are the hosts ("app.example.com", or "*.example.com"
	// for any host under it) that a browser may be sent back to after
	// signing in from forward auth.
	ForwardAuthHosts []string
	// CookieDomain, when set, is the domain of the forward-auth ticket
	// cookie (ACCOUNTD_COOKIE_DOMAIN), for apps on its hosts; "" keeps it
	// on this host. The session cookie itself is always host-only.
	CookieDomain string
	// Pages is ACCOUNTD_PAGES: PagesAll ("" too), PagesLinks or PagesOff.
	Pages string
}

// Server holds the handlers' dependencies.
type Server struct {
	svc     *account.Service
	captcha captcha.Verifier
	log     *slog.Logger
	metrics *Metrics
	cfg     Config
}

// DefaultIPv6Prefix is the IPv6 prefix length per-IP limits key on.
const DefaultIPv6Prefix = 64

// New returns the public HTTP handler of accountd.
func New(svc *account.Service, v captcha.Verifier, log *slog.Logger, m *Metrics, cfg Config) http.Handler {
	log = slog.New(LogHandler(log.Handler()))
	if cfg.IPv6Prefix == 0 {
		cfg.IPv6Prefix = DefaultIPv6Prefix
	}
	s := &Server{svc: svc, captcha: v, log: log, metrics: m, cfg: cfg}
	h := s.cors(s.routes())
	if cfg.LoopbackHostsOnly {
		h = s.loopbackHostsOnly(h)
	}
	return s.observe(s.securityHeaders(h))
}

// Metrics are the HTTP metrics, registered on the registry main made.
type Metrics struct {
	requests *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "accountd_http_request_duration_seconds",
		Help:    "HTTP requests by route pattern and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "status"})}
	reg.MustRegister(m.requests)
	return m
}

func (m *Metrics) observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
}

// methods maps HTTP methods to the handlers of one path.
type methods map[string]http.Handler

// handle registers a path with and without its final "/" (docs/api.md#conventions: served
// identically, never redirected). A method not listed gets 405 with Allow.
// HEAD is answered as GET wherever GET is routed (uptime checks use it);
// net/http drops the body of a HEAD response, so the headers are GET's.
func (s *Server) handle(mux *http.ServeMux, path string, ms methods) {
	if get, ok := ms[http.MethodGet]; ok {
		if _, ok := ms[http.MethodHead]; !ok {
			ms[http.MethodHead] = get
		}
	}
	allowed := make([]string, 0, len(ms))
	for m := range ms {
		allowed = append(allowed, m)
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := ms[r.Method]; ok {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		writeJSON(w, http.StatusMethodNotAllowed, detail{
			`Method "` + sanitizeMethod(r.Method) + `" not allowed.`, "method_not_allowed"})
	})
	if trimmed, ok := strings.CutSuffix(path, "/"); ok {
		// "{$}" makes the pattern match this path only, not its subtree.
		mux.Handle(path+"{$}", h)
		mux.Handle(trimmed, h)
		return
	}
	mux.Handle(path, h)
}

// sanitizeMethod keeps a client-chosen method printable in a message.
func sanitizeMethod(m string) string {
	if len(m) > 16 || strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "?"
	}
	return m
}
