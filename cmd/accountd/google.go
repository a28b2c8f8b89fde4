package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/social"
)

// Sign in with Google (docs/api.md#social-login): its settings' checks and the provider
// they make.

// googleOn reports whether Sign in with Google is configured.
func (c *config) googleOn() bool { return c.GoogleClientID != "" || c.GoogleClientSecret != "" }

// checkGoogle refuses settings that would make Sign in with Google unsafe
// or broken: half a client, an issuer that is not https (a loopback http
// issuer is fine: tests and a local provider), a redirect URI that is not
// https outside -dev. No message holds the client secret.
func (c *config) checkGoogle() error {
	if !c.googleOn() {
		return nil
	}
	if c.GoogleClientID == "" || c.GoogleClientSecret == "" {
		return errors.New("ACCOUNTD_GOOGLE_CLIENT_ID and ACCOUNTD_GOOGLE_CLIENT_SECRET go together: set both or neither")
	}
	u, err := url.Parse(c.GoogleIssuer)
	switch {
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("ACCOUNTD_GOOGLE_ISSUER: %q is not an issuer URL such as https://accounts.google.com", c.GoogleIssuer)
	case u.Scheme == "https", u.Scheme == "http" && (c.Dev || loopbackHost(u.Hostname())):
	default:
		return fmt.Errorf("ACCOUNTD_GOOGLE_ISSUER: %q is not https (http only for a loopback issuer, or with -dev)", c.GoogleIssuer)
	}
	uris := c.googleRedirectURIs()
	if len(uris) == 0 {
		return errors.New("ACCOUNTD_GOOGLE_REDIRECT_URIS: none given, and the dashboard URL has no origin to default to")
	}
	for _, r := range uris {
		u, err := url.Parse(r)
		if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" || u.Fragment != "" {
			return fmt.Errorf("ACCOUNTD_GOOGLE_REDIRECT_URIS: %q is not an absolute URL", r)
		}
		if u.Scheme != "https" && !c.Dev {
			return fmt.Errorf("ACCOUNTD_GOOGLE_REDIRECT_URIS: %q is not https (http only with -dev)", r)
		}
	}
	return nil
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// googleRedirectURIs is the allow-list: the setting, or the origin of the
// dashboard URL (what Google's popup code flow sends as redirect_uri).
func (c *config) googleRedirectURIs() []string {
	if out := splitList(c.GoogleRedirectURIs, false); len(out) > 0 {
		return out
	}
	u, err := url.Parse(c.DashboardURL)
	if err != nil || u.Host == "" {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// splitList splits a comma-separated setting, trimming space; lower folds
// case (domains).
func splitList(v string, lower bool) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if lower {
				s = strings.ToLower(s)
			}
			out = append(out, s)
		}
	}
	return out
}

// socialProviders returns the configured providers for account.Config.
func (c *config) socialProviders() map[string]account.SocialConfig {
	if !c.googleOn() {
		return nil
	}
	return map[string]account.SocialConfig{"google": {
		Provider: social.New(social.Config{Issuer: c.GoogleIssuer, ClientID: c.GoogleClientID,
			ClientSecret: c.GoogleClientSecret}),
		RedirectURIs:         c.googleRedirectURIs(),
		AuthoritativeDomains: splitList(c.GoogleAuthoritativeDomains, true),
		HostedDomains:        splitList(c.GoogleHostedDomains, true),
	}}
}
