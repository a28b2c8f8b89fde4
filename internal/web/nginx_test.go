package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/testenv"
)

// startNginx runs Debian's nginx on a free loopback port with the site of
// docs/proxy/nginx.conf (the file users copy), its app and accountd
// addresses pointed at the given ones, and returns its base URL.
func startNginx(t *testing.T, accountdURL, appURL string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/nginx"); err != nil {
			testenv.Skip(t, testenv.Nginx, "nginx is not installed")
		}
		bin = "/usr/sbin/nginx"
	}
	site, err := os.ReadFile("../../docs/proxy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nginx binds it next; nothing else on this machine picks ports from :0's range so soon
	conf := strings.NewReplacer(
		"listen 80;", "listen "+addr+";",
		"127.0.0.1:8080", strings.TrimPrefix(accountdURL, "http://"),
		"127.0.0.1:3000", strings.TrimPrefix(appURL, "http://"),
	).Replace(string(site))
	for _, placeholder := range []string{"listen 80;", "127.0.0.1:8080", "127.0.0.1:3000"} {
		if strings.Contains(conf, placeholder) {
			t.Fatalf("docs/proxy/nginx.conf: %q is left after replacing the placeholders", placeholder)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/site.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// Ready when it accepts a connection; an nginx that exits (a bad
	// config) ends the wait at once.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited (%v): %s%s", err, out, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s within 10 s: %s", addr, out)
		}
	}
}

// TestNginxForwardAuth: nginx with docs/proxy/nginx.conf passes a signed-in
// request to the app with the user's headers (a forged one replaced), sends a
// browser that is not signed in to the sign-in page and back, and answers an
// API client 401, the app never reached.
func TestNginxForwardAuth(t *testing.T) {
	var appHits atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		appHits.Add(1)
		json.NewEncoder(w).Encode(map[string]string{
			"path": r.URL.RequestURI(), "user": r.Header.Get("X-Accountd-User-Id"),
			"email": r.Header.Get("X-Accountd-Email"), "two_factor": r.Header.Get("X-Accountd-Two-Factor"),
			"authorization": r.Header.Get("Authorization"), "cookie": r.Header.Get("Cookie"),
		})
	}))
	t.Cleanup(app.Close)
	// Development mode: nginx here speaks plain http, and only development
	// mode lets a browser return to an http URL.
	e := newEnv(t, withForwardAuth("127.0.0.1"), func(o *envOptions) { o.Web.Dev = true; o.Web.CookieDomain = "example.com" })
	proxy := startNginx(t, e.URL, app.URL)

	token := e.register("ada@example.com", testPassword)
	id := strconv.FormatInt(int64(sfProfile(t, e, token)["id"].(float64)), 10)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, h http.Header) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", proxy+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	res, body := get("/reports?q=1", http.Header{"Authorization": {"Token " + token}, "X-Accountd-User-Id": {"999"}})
	var seen map[string]string
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &seen) != nil {
		t.Fatalf("signed in through nginx = %d %s, want 200 from the app", res.StatusCode, body)
	}
	want := map[string]string{"path": "/reports?q=1", "user": id, "email": "ada@example.com", "two_factor": "false", "authorization": "", "cookie": ""}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("the app saw %s = %q, want %q (all: %v)", k, seen[k], v, seen)
		}
	}

	// A browser signed in on the account pages: its forward-auth ticket
	// passes, and the app gets the request's other cookies without it.
	pageSignIn := e.request("POST", "/api/v2/login/", `{"email":"ada@example.com","password":"`+testPassword+`","recaptcha":"x"}`, pcPage())
	cookie := namedCookie(pageSignIn, "accountd_forward")
	if cookie == nil {
		t.Fatalf("page sign-in = %d %s, want a session cookie", pageSignIn.Status, pageSignIn.Body)
	}
	for _, jar := range []struct{ sent, app string }{
		{"theme=dark; accountd_forward=" + cookie.Value + "; lang=en", "theme=dark;lang=en"},
		{"accountd_forward=" + cookie.Value + "; lang=en", "lang=en"},
		{"theme=dark; accountd_forward=" + cookie.Value, "theme=dark;"},
		{"accountd_forward=" + cookie.Value, ""},
	} {
		res, body = get("/reports?q=1", http.Header{"Cookie": {jar.sent}, "Accept": {"text/html"}})
		seen = nil
		if res.StatusCode != 200 || json.Unmarshal([]byte(body), &seen) != nil || seen["user"] != id {
			t.Errorf("with the session cookie (%q) = %d %s, want 200 from the app as ada", jar.sent, res.StatusCode, body)
			continue
		}
		if seen["cookie"] != jar.app {
			t.Errorf("the app saw Cookie %q for %q, want %q (accountd's ticket removed)", seen["cookie"], jar.sent, jar.app)
		}
	}

	hits := appHits.Load()
	res, body = get("/reports?q=1", http.Header{"Accept": {"application/json"}, "X-Accountd-User-Id": {id}})
	if res.StatusCode != 401 || !strings.Contains(body, "not_authenticated") {
		t.Errorf("an API client without a token = %d %s, want 401 not_authenticated", res.StatusCode, body)
	}
	res, _ = get("/reports?q=1", http.Header{"Accept": {"text/html"}})
	back := proxy + "/reports?q=1"
	if loc := res.Header.Get("Location"); res.StatusCode != 302 || loc != "https://accounts.example.com/login/?rd="+url.QueryEscape(back) {
		t.Errorf("a browser without a session = %d to %q, want 302 to the sign-in page with rd=%s", res.StatusCode, loc, back)
	}
	res, _ = get("/", http.Header{"Authorization": {"Token " + strings.Repeat("x", 40)}})
	if res.StatusCode != 401 {
		t.Errorf("an unknown token = %d, want 401", res.StatusCode)
	}
	if n := appHits.Load() - hits; n != 0 {
		t.Errorf("the app was reached %d times by requests that were not signed in", n)
	}
}
