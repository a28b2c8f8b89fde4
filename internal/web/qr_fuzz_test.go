package web

import (
	"strings"
	"testing"
)

// FuzzTOTPQR: whatever URL a page sends, the QR endpoint draws an SVG or
// refuses it as a field error; it never panics.
func FuzzTOTPQR(f *testing.F) {
	f.Add("otpauth://totp/accountd:ada@example.com?secret=JBSWY3DPEHPK3PXP&issuer=accountd")
	f.Add("otpauth://totp/")
	f.Add("https://example.com/")
	f.Add("otpauth://totp/\x00\xff" + strings.Repeat("é", 200))
	f.Fuzz(func(t *testing.T, u string) {
		svg, err := qrSVG(u)
		if err == nil && !strings.HasPrefix(svg, "<svg") {
			t.Fatalf("qrSVG(%q) = %.40q, want an SVG", u, svg)
		}
		if err == nil && (len(u) > maxOTPAuthURL || !strings.HasPrefix(u, "otpauth://totp/")) {
			t.Fatalf("qrSVG(%q) drew a URL it must refuse", u)
		}
	})
}
