package main

import (
	"strings"
	"testing"
)

// TestForwardAuthSettings: a forward-auth path that is not a plain path, or
// that sits among accountd's own routes, and a host list with a URL in it
// are refused at start with the setting named; good values pass.
func TestForwardAuthSettings(t *testing.T) {
	for _, c := range []struct{ path, hosts string }{
		{"/auth/verify", ""}, {"off", ""}, {"/_auth", "app.example.com, *.example.org,localhost"},
	} {
		if err := checkForwardAuth(c.path, c.hosts); err != nil {
			t.Errorf("checkForwardAuth(%q, %q) = %v, want nil", c.path, c.hosts, err)
		}
	}
	for _, c := range []struct{ path, hosts, want string }{
		{"auth", "", "ACCOUNTD_FORWARD_AUTH_PATH"},
		{"/auth/verify/", "", "ACCOUNTD_FORWARD_AUTH_PATH"},
		{"/", "", "ACCOUNTD_FORWARD_AUTH_PATH"},
		{"/auth/{x}", "", "ACCOUNTD_FORWARD_AUTH_PATH"},
		{"/api/verify", "", "accountd's own routes"},
		{"/resetpassword/x", "", "accountd's own routes"},
		{"/auth/return", "", "sends a browser back"},
		{"/auth/verify", "https://app.example.com", "ACCOUNTD_FORWARD_AUTH_HOSTS"},
		{"/auth/verify", "app.example.com:8443", "ACCOUNTD_FORWARD_AUTH_HOSTS"},
		{"/auth/verify", "*", "ACCOUNTD_FORWARD_AUTH_HOSTS"},
	} {
		if err := checkForwardAuth(c.path, c.hosts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("checkForwardAuth(%q, %q) = %v, want an error naming %s", c.path, c.hosts, err, c.want)
		}
	}
}

// TestCookieDomainSetting: the cookie domain must be the dashboard's host or
// a parent of it (a browser refuses any other), and a plain domain name.
func TestCookieDomainSetting(t *testing.T) {
	const dash = "https://accounts.example.com"
	for _, d := range []string{"", "example.com", "accounts.example.com", "Example.COM"} {
		if err := checkCookieDomain(d, dash); err != nil {
			t.Errorf("checkCookieDomain(%q) = %v, want nil", d, err)
		}
	}
	for _, d := range []string{"other.com", "ample.com", "app.example.com", ".example.com", "https://example.com", "com", "example.com:443"} {
		if err := checkCookieDomain(d, dash); err == nil || !strings.Contains(err.Error(), "ACCOUNTD_COOKIE_DOMAIN") {
			t.Errorf("checkCookieDomain(%q) = %v, want an error naming ACCOUNTD_COOKIE_DOMAIN", d, err)
		}
	}
}
