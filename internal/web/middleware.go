package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/accountd/accountd/internal/account"
)

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe gives each request an id, in its context (so every line logged
// for it carries the id, see LogHandler) and in X-Request-Id, recovers from
// panics with a generic 500, and logs one access line: the route pattern,
// never the path (page paths hold tokens), the status and the duration.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		raw := make([]byte, 8)
		rand.Read(raw)
		id := hex.EncodeToString(raw)
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(withRequestID(r.Context(), id))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic in handler", "route", r.Pattern, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					writeJSON(rec, http.StatusInternalServerError, detail{"A server error occurred.", "error"})
				}
			}
			d := time.Since(start)
			s.log.InfoContext(r.Context(), "request", "method", r.Method, "route", r.Pattern,
				"status", rec.status, "duration_ms", float64(d.Microseconds())/1000)
			if s.metrics != nil {
				s.metrics.observe(r.Pattern, rec.status, d)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// acceptsJSON reports whether the Accept header allows a JSON answer.
func acceptsJSON(r *http.Request) bool {
	accept := r.Header.Values("Accept")
	if len(accept) == 0 {
		return true
	}
	for _, part := range strings.Split(strings.Join(accept, ","), ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch strings.ToLower(mt) {
		case "", "*/*", "application/*", "application/json":
			return true
		}
	}
	return false
}

// clientOf describes who sent the request.
func (s *Server) clientOf(r *http.Request) account.Client {
	return account.Client{IP: s.clientIP(r), Network: s.clientNet(r), UserAgent: cleanAgent(r.UserAgent()), Locale: locale(r)}
}

// maxAgentBytes bounds the User-Agent kept for audit events.
const maxAgentBytes = 512

// cleanAgent is the User-Agent as audit events keep it, whatever bytes the
// client sent: valid UTF-8, at most maxAgentBytes, without NUL, and with
// every control, format (bidirectional overrides, zero-width characters) and
// line or paragraph separator shown as U+FFFD, so an operator reading
// `accountd audit` sees the text as it is. Emails never quote it raw: they
// name the browser (mail.Browser).
func cleanAgent(ua string) string {
	ua = strings.ReplaceAll(strings.ToValidUTF8(ua, "\uFFFD"), "\x00", "")
	ua = strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return '\uFFFD'
		}
		return r
	}, ua)
	if len(ua) > maxAgentBytes {
		cut := maxAgentBytes
		for cut > 0 && !utf8.RuneStart(ua[cut]) {
			cut-- // at a rune boundary
		}
		ua = ua[:cut]
	}
	return ua
}

// clientIP returns the peer address, or the nearest untrusted address of
// X-Forwarded-For when the peer is a trusted proxy (docs/api.md#rate-limits).
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := forwardedAddr(hops[i])
		if !ok {
			break
		}
		if !s.trusted(a) {
			return a.String()
		}
	}
	return host
}

// forwardedAddr parses one X-Forwarded-For entry: an address, or an address
// with a port ("203.0.113.4:4711", "[2001:db8::1]:4711", which some proxies
// write). Falling back to the proxy's address on such an entry would put
// every client behind it in one rate-limit bucket.
func forwardedAddr(hop string) (netip.Addr, bool) {
	hop = strings.TrimSpace(hop)
	if a, err := netip.ParseAddr(hop); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr(), true
	}
	// "[2001:db8::1]" without a port.
	if inner, ok := strings.CutPrefix(hop, "["); ok {
		if inner, ok := strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil && a.Is6() {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// locale picks the language of emails from Accept-Language: the first
// language tag, reduced to its primary subtag ("de-AT" → "de").
func locale(r *http.Request) string {
	al := r.Header.Get("Accept-Language")
	if al == "" {
		return ""
	}
	tag := strings.TrimSpace(strings.SplitN(strings.SplitN(al, ",", 2)[0], ";", 2)[0])
	tag = strings.ToLower(strings.SplitN(tag, "-", 2)[0])
	if len(tag) < 2 || len(tag) > 3 || strings.Trim(tag, "abcdefghijklmnopqrstuvwxyz") != "" {
		return ""
	}
	return tag
}

// loopbackHostsOnly refuses a request whose Host is not a loopback name or
// address with 400 invalid_host, as Django refuses a host outside
// ALLOWED_HOSTS. A browser sends the name it resolved, so a site whose name
// an attacker rebinds to 127.0.0.1 arrives with its own name and is refused.
func (s *Server) loopbackHostsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			writeJSON(w, http.StatusBadRequest, detail{
				"Invalid Host header: development mode answers only localhost, 127.0.0.1 and [::1].", "invalid_host"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header ("localhost:8080",
// "127.0.0.1", "[::1]:8080") names this machine's loopback interface.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if inner, ok := strings.CutPrefix(host, "["); ok {
		host, _ = strings.CutSuffix(inner, "]")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && a.IsLoopback()
}
