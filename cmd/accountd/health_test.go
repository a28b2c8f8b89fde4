package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestHealthCommand: `accountd health` (the container's HEALTHCHECK) answers
// ok, exit 0, for a running accountd's admin listener, -ready too; it fails
// when nothing listens there, and when the admin listener is off.
func TestHealthCommand(t *testing.T) {
	app := startServe(t, nil)
	addr := strings.TrimPrefix(app.admin, "http://")
	for _, args := range [][]string{{"health"}, {"health", "-ready"}} {
		out, _, err := runCmd(t, map[string]string{"ACCOUNTD_ADMIN_ADDR": addr}, args...)
		if err != nil || strings.TrimSpace(out) != "ok" {
			t.Errorf("accountd %v = %q, %v; want ok", args, out, err)
		}
	}
	// A port nothing listens on: one just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if _, _, err := runCmd(t, nil, "health", "-admin-addr", closed); err == nil {
		t.Errorf("accountd health -admin-addr %s (nothing listening) succeeded, want an error", closed)
	}
	if _, _, err := runCmd(t, nil, "health", "-admin-addr", "off"); err == nil || !strings.Contains(err.Error(), "off") {
		t.Errorf("accountd health -admin-addr off = %v, want an error saying the listener is off", err)
	}
}

// TestHealthURL: a listener on all interfaces is asked on loopback.
func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":9090":          "http://127.0.0.1:9090/healthz",
		"0.0.0.0:9090":   "http://127.0.0.1:9090/healthz",
		"[::]:9090":      "http://127.0.0.1:9090/healthz",
		"10.0.0.5:9090":  "http://10.0.0.5:9090/healthz",
		"[::1]:9090":     "http://[::1]:9090/healthz",
		"localhost:9090": "http://localhost:9090/healthz",
	} {
		if got, err := healthURL(addr, false); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := healthURL("9090", false); err == nil {
		t.Error("healthURL(\"9090\") succeeded, want an error (no host:port)")
	}
}

// TestPprofOnlyWhenAsked: the admin listener serves Go's profiles only with
// ACCOUNTD_PPROF, and never the command line, where a secret may be a flag.
func TestPprofOnlyWhenAsked(t *testing.T) {
	for _, c := range []struct {
		setting string
		want    map[string]int
	}{
		{"", map[string]int{"/debug/pprof/": 404, "/debug/pprof/heap": 404, "/debug/pprof/cmdline": 404}},
		{"true", map[string]int{"/debug/pprof/": 200, "/debug/pprof/heap": 200, "/debug/pprof/cmdline": 404}},
	} {
		vars := map[string]string{}
		if c.setting != "" {
			vars["ACCOUNTD_PPROF"] = c.setting
		}
		app := startServe(t, vars)
		for path, want := range c.want {
			res, err := http.Get(app.admin + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("ACCOUNTD_PPROF=%q: GET %s = %d, want %d", c.setting, path, res.StatusCode, want)
			}
		}
		if err := app.shutdown(); err != nil {
			t.Fatal(err)
		}
	}
}
