package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/accountd/accountd/internal/web"
)

// forwardAuthPathRE: an absolute path of plain segments, without a
// trailing slash, so it cannot hold a route pattern.
var forwardAuthPathRE = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

// reservedPrefixes are the first path segments of accountd's own routes:
// the forward-auth path may not sit among them.
var reservedPrefixes = []string{"api", "dev", "static", "resetpassword", "changeemail", "activation",
	"favicon.ico", "login", "logout", "register", "account"}

// checkForwardAuth validates ACCOUNTD_FORWARD_AUTH_PATH and _HOSTS.
func checkForwardAuth(path, hosts string) error {
	if path != "off" {
		if !forwardAuthPathRE.MatchString(path) {
			return fmt.Errorf("ACCOUNTD_FORWARD_AUTH_PATH: %q is not an absolute path like /auth/verify (letters, digits, . _ ~ -; no trailing slash), or off", path)
		}
		if path == web.ReturnPath {
			return fmt.Errorf("ACCOUNTD_FORWARD_AUTH_PATH: %s is where the sign-in page sends a browser back; choose another, such as /auth/verify", path)
		}
		first, _, _ := strings.Cut(path[1:], "/")
		for _, r := range reservedPrefixes {
			if first == r {
				return fmt.Errorf("ACCOUNTD_FORWARD_AUTH_PATH: %q is among accountd's own routes (/%s/…); choose another, such as /auth/verify", path, r)
			}
		}
	}
	for _, h := range splitList(hosts, true) {
		name := strings.TrimPrefix(h, "*.")
		if strings.ContainsAny(name, "/:*@ ") || !strings.Contains(name, ".") && name != "localhost" {
			return fmt.Errorf("ACCOUNTD_FORWARD_AUTH_HOSTS: %q is not a host name (app.example.com) or *.example.com", h)
		}
	}
	return nil
}

// forwardAuthPath is the path web.Config wants: "" when off.
func (c *config) forwardAuthPath() string {
	if c.ForwardAuthPath == "off" {
		return ""
	}
	return c.ForwardAuthPath
}

// checkCookieDomain validates ACCOUNTD_COOKIE_DOMAIN: a domain name that is
// the dashboard's host or one of its parents, since a browser refuses a
// cookie for any other domain (and the pages would silently not sign in).
func checkCookieDomain(domain, dashboardURL string) error {
	if domain == "" {
		return nil
	}
	d := strings.ToLower(domain)
	if strings.ContainsAny(d, "/:*@ ") || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") {
		return fmt.Errorf("ACCOUNTD_COOKIE_DOMAIN: %q is not a domain name such as example.com", domain)
	}
	u, err := url.Parse(dashboardURL)
	host := ""
	if err == nil {
		host = strings.ToLower(u.Hostname())
	}
	if host != d && !strings.HasSuffix(host, "."+d) {
		return fmt.Errorf("ACCOUNTD_COOKIE_DOMAIN: %q is not the dashboard's host %q or a parent of it, so browsers would refuse the cookie", domain, host)
	}
	return nil
}
