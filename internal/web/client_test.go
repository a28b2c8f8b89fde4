package web_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/accountd/accountd/internal/account"
)

// TestForwardedForWithPortKeepsClientsApart: behind a trusted proxy that
// writes X-Forwarded-For entries with a port, each client is limited on its
// own address. Before, such an entry made accountd fall back to the proxy's
// address, so every client shared one bucket: one could throttle them all
// (issue 12, defect 9).
func TestForwardedForWithPortKeepsClientsApart(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		first, same, another string
	}{
		{"IPv4", "203.0.113.4:4711", "203.0.113.4", "203.0.113.5:4711"},
		// Distinct /64s: IPv6 clients may be keyed by their /64.
		{"IPv6", "[2001:db8:1::1]:4711", "2001:db8:1::1", "[2001:db8:2::1]:4711"},
		{"IPv6 without port", "[2001:db8:1::1]", "2001:db8:1::1", "[2001:db8:2::1]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withLimits(nil))
			body := `{"email": "ada@example.com", "recaptcha": "x"}`
			for i := 0; i < 10; i++ {
				if r := e.from(tt.first, "/api/v2/resetpassword/", body); r.Status != 204 {
					t.Fatalf("reset request %d from %s = %d %s, want 204", i+1, tt.first, r.Status, r.Body)
				}
			}
			if r := e.from(tt.same, "/api/v2/resetpassword/", body); r.Status != 429 {
				t.Errorf("11th reset request from %s (as %s) = %d, want 429", tt.first, tt.same, r.Status)
			}
			if r := e.from(tt.another, "/api/v2/resetpassword/", body); r.Status != 204 {
				t.Errorf("first reset request from %s after %s used its limit = %d %s, want 204 (its own bucket)",
					tt.another, tt.first, r.Status, r.Body)
			}
		})
	}
}

// getWithHost sends a GET with the Host header set to host ("" keeps the
// server's own address).
func (e *env) getWithHost(path, host string) response {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// TestDevModeAnswersLoopbackHostsOnly: in development mode a request whose
// Host is not a loopback name gets 400 invalid_host and nothing of the
// inbox. A page on evil.example that rebinds its name to 127.0.0.1 sends
// Host: evil.example, so it can no longer read reset links from /dev/mail/
// (issue 12, defect 14).
func TestDevModeAnswersLoopbackHostsOnly(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Web.LoopbackHostsOnly = true })
	e.register("ada@example.com", testPassword)
	tok := e.resetToken("ada@example.com")
	port := e.URL[strings.LastIndexByte(e.URL, ':')+1:]
	for _, host := range []string{"evil.example", "evil.example:" + port, "127.0.0.1.evil.example:" + port,
		"localhost.evil.example", "0.0.0.0:" + port, "192.0.2.1:" + port, "[2001:db8::1]:" + port} {
		for _, path := range []string{"/dev/mail/", "/api/v2/profile/"} {
			r := e.getWithHost(path, host)
			if r.Status != 400 || r.Code(t, "") != "invalid_host" {
				t.Errorf("GET %s with Host %s = %d %s, want 400 invalid_host", path, host, r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), tok) || strings.Contains(string(r.Body), "Reset your password") {
				t.Errorf("GET %s with Host %s shows the inbox", path, host)
			}
		}
	}
	for _, host := range []string{"", "localhost:" + port, "LOCALHOST", "localhost.:" + port, "127.0.0.1",
		"127.0.0.2:" + port, "[::1]:" + port, "[::1]"} {
		r := e.getWithHost("/dev/mail/", host)
		if r.Status != 200 || !strings.Contains(string(r.Body), "Reset your password") {
			t.Errorf("GET /dev/mail/ with Host %q = %d, want 200 with the inbox", host, r.Status)
		}
	}
}

// TestAnyHostOutsideDevMode: outside development mode the Host is not
// checked (a reverse proxy in front names the service); links never come
// from it (docs/api.md#password-reset).
func TestAnyHostOutsideDevMode(t *testing.T) {
	e := newEnv(t)
	if r := e.getWithHost("/api/v2/profile/", "account.example.com"); r.Status != 401 {
		t.Errorf("GET /api/v2/profile/ with Host account.example.com = %d %s, want 401", r.Status, r.Body)
	}
}

// phishingAgents are User-Agents an attacker sends to put text into a real
// email from the service: one dressed as Firefox, one not recognised, each
// with a link, line separators and a bidirectional override, 512 bytes long.
func phishingAgents() []string {
	pad := func(s string) string { return s + strings.Repeat(" pad", (512-len(s))/4) }
	return []string{
		pad("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0\u2028\u2028" +
			"URGENT: your account will be deleted. Confirm at https://evil.example/login\u2029\u202e"),
		pad("Support\u2028URGENT: your account will be deleted. Confirm at https://evil.example/login " +
			"or at evil.example\u2029\u202eCall 555 0100"),
	}
}

// TestEmailsNeverQuoteTheUserAgent: a reset request, a reset request for an
// address without an account (with the notice on), and a password change,
// each sent with a phishing User-Agent, produce emails that name the browser
// or quote at most a short, link-free, printable remainder; never the raw
// User-Agent (issue 12, defect 7). The audit events keep the User-Agent,
// cleaned of invisible characters and at most 512 bytes.
func TestEmailsNeverQuoteTheUserAgent(t *testing.T) {
	for i, ua := range phishingAgents() {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if len(ua) < 500 {
				t.Fatalf("the User-Agent is %d bytes, want about 512", len(ua))
			}
			e := newEnv(t, func(o *envOptions) { o.Config.NotifyUnknownAddress = true })
			token := e.register("ada@example.com", testPassword)
			h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {ua}}
			for _, req := range []struct{ path, body, tok string }{
				{"/api/v2/resetpassword/", `{"email": "ada@example.com", "recaptcha": "x"}`, ""},
				{"/api/v2/resetpassword/", `{"email": "nobody@example.com", "recaptcha": "x"}`, ""},
				{"/api/v2/changepassword/", `{"password": "` + testPassword + `", "new_password": "Battery-Staple-5501"}`, token},
			} {
				hh := h.Clone()
				if req.tok != "" {
					hh.Set("Authorization", "Token "+req.tok)
				}
				if r := e.request("POST", req.path, req.body, hh); r.Status != 204 {
					t.Fatalf("POST %s = %d %s, want 204", req.path, r.Status, r.Body)
				}
			}
			e.deliver()
			mails := e.inbox()
			if len(mails) != 3 {
				t.Fatalf("inbox holds %d mails, want the reset link, the no-account notice and the password change", len(mails))
			}
			for _, m := range mails {
				for part, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
					for _, bad := range []string{"evil.example", "URGENT", "deleted", "555 0100", "\u2028", "\u2029", "\u202e", " pad pad"} {
						if strings.Contains(body, bad) {
							t.Errorf("%q %s part holds %q from the User-Agent:\n%s", m.Subject, part, bad, body)
						}
					}
				}
			}
			events, err := e.Store.Events(t.Context(), account.EventFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				if ev.UserAgent == "" {
					continue
				}
				if len(ev.UserAgent) > 512 || strings.ContainsAny(ev.UserAgent, "\u2028\u2029\u202e") {
					t.Errorf("event %s keeps the User-Agent %q, want at most 512 bytes without invisible characters", ev.Type, ev.UserAgent)
				}
			}
		})
	}
}
