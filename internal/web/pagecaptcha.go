package web

import "strings"

// PageCaptcha tells the dashboard pages how to show the captcha widget of
// the configured provider. The zero value shows none (development).
type PageCaptcha struct {
	// ScriptURL is the provider's widget script, loaded by reset.js only after
	// the reset token was taken out of the address bar and the page.
	ScriptURL string
	// Origins are added to the pages' Content-Security-Policy for the widget.
	Origins []string
	// WidgetClass is the class of the element the provider's script turns
	// into a widget; ResponseField the form field it then fills.
	WidgetClass   string
	ResponseField string
	SiteKey       string
}

// PageCaptchaFor returns the widget settings of a provider (docs/api.md#captcha): all
// three render an element of a known class and fill a known form field.
func PageCaptchaFor(provider, siteKey string) PageCaptcha {
	switch provider {
	case "recaptcha":
		return PageCaptcha{ScriptURL: "https://www.google.com/recaptcha/api.js",
			Origins:     []string{"https://www.google.com", "https://www.gstatic.com"},
			WidgetClass: "g-recaptcha", ResponseField: "g-recaptcha-response", SiteKey: siteKey}
	case "hcaptcha":
		return PageCaptcha{ScriptURL: "https://js.hcaptcha.com/1/api.js",
			Origins:     []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
			WidgetClass: "h-captcha", ResponseField: "h-captcha-response", SiteKey: siteKey}
	case "turnstile":
		return PageCaptcha{ScriptURL: "https://challenges.cloudflare.com/turnstile/v0/api.js",
			Origins:     []string{"https://challenges.cloudflare.com"},
			WidgetClass: "cf-turnstile", ResponseField: "cf-turnstile-response", SiteKey: siteKey}
	}
	return PageCaptcha{}
}

// csp returns the pages' policy: this origin only, plus the captcha
// provider's origins for its script, frames and calls when one is set.
func (c PageCaptcha) csp() string {
	extra := ""
	if len(c.Origins) > 0 {
		extra = " " + strings.Join(c.Origins, " ")
	}
	return "default-src 'none'; script-src 'self'" + extra + "; style-src 'self'" + extra +
		"; connect-src 'self'" + extra + "; img-src 'self'" + extra +
		"; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; frame-src 'self'" + extra
}
