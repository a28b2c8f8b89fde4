package web_test

import (
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accountd/accountd/internal/account"
)

// "Sign in with Google" on the account pages, in Chromium, against a real
// OpenID Connect provider on loopback (mockoidc): the browser goes to the
// provider and back to /login/google/callback/, which signs it in with the
// session cookie; page script never holds the token.

// withPagesGoogle starts the server on a listener of its own so that its
// callback URL is known, and allows it as a redirect URI of the provider.
func withPagesGoogle(t *testing.T, p *oidcProvider) (func(*envOptions), string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	return func(o *envOptions) {
		withSocial(p, func(c *account.SocialConfig) { c.RedirectURIs = []string{base + "/login/google/callback/"} })(o)
		o.Listener = ln
		o.Web.PublicURL = base
		o.Web.Dev = true // plain http on loopback: the cookies are not Secure
	}, base
}

func TestBrowserSignUpAndInWithGoogle(t *testing.T) {
	p := newOIDCProvider(t)
	opt, _ := withPagesGoogle(t, p)
	e := newEnv(t, opt)
	b := brAccountOpen(t, e)

	// Sign-up asks for the terms on this page first.
	b.page("/register/", "#google-register")
	b.axe("sign-up with the Google button")
	b.do("Google without the terms", chromedp.Click(chromedp.ID("google-register")))
	b.waitText("tos_accepted-error", "You must accept the terms of service.")
	p.m.QueueUser(googleUser{Sub: "g-7", Email: "grace@gmail.com", Given: "Grace", Family: "Hopper"})
	b.do("accept and go to Google", chromedp.Click(chromedp.ID("tos_accepted")), chromedp.Click(chromedp.ID("google-register")))
	b.waitPath("/account/")
	if err := b.poll(`document.getElementById("first_name").value === "Grace"`); err != nil {
		t.Errorf("the profile after a Google sign-up does not show the first name Google gave: %v", err)
	}

	// Signed out, the sign-in page's button signs the same person in.
	b.signOut()
	p.m.QueueUser(googleUser{Sub: "g-7", Email: "grace@gmail.com"})
	b.page("/login/", "#google-login")
	b.axe("sign-in with the Google button")
	b.shots("login-google")
	b.do("sign in with Google", chromedp.Click(chromedp.ID("google-login")))
	b.waitPath("/account/")
	if got := brRun(b, "cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(got, "accountd") {
		t.Errorf("document.cookie = %q after a Google sign-in, want no accountd cookie visible", got)
	}

	// Someone with no account here is told to sign up.
	b.signOut()
	p.m.QueueUser(googleUser{Sub: "g-8", Email: "linus@gmail.com"})
	b.page("/login/", "#google-login")
	b.do("an unknown Google account", chromedp.Click(chromedp.ID("google-login")))
	b.waitText("form-error", "No account here is linked to that Google account.")
}

// TestGoogleCallbackRefusesForeignState: a callback this browser did not
// start (login CSRF: an attacker's code in the victim's browser) signs
// nothing in.
func TestGoogleCallbackRefusesForeignState(t *testing.T) {
	p := newOIDCProvider(t)
	opt, _ := withPagesGoogle(t, p)
	e := newEnv(t, opt)
	code := p.code(googleUser{Sub: "g-9", Email: "mallory@gmail.com"})
	res := verifyPath(t, e, "/login/google/callback/?code="+code+"&state=whatever")
	if res.StatusCode != 302 || res.Header.Get("Location") != "/login/?social_error=state" {
		t.Errorf("callback without its cookie = %d %q, want 302 to /login/?social_error=state", res.StatusCode, res.Header.Get("Location"))
	}
	for _, c := range res.Cookies() {
		if c.Name == "accountd_session" && c.Value != "" {
			t.Errorf("a session cookie was set: %v", c)
		}
	}

}
