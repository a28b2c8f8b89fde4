package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/boombuler/barcode/qr"

	"github.com/accountd/accountd/internal/account"
)

// maxOTPAuthURL bounds what the QR endpoint draws: an otpauth URL of a
// 20-byte secret with a long issuer and address stays well below it.
const maxOTPAuthURL = 512

// errNotFromPage refuses a page-only endpoint called from anywhere else.
var errNotFromPage = &account.Error{Kind: account.KindForbidden, Code: "permission_denied",
	Message: "You do not have permission to perform this action."}

// totpQR draws the otpauth URL of an authenticator enrolment as an SVG the
// security page inserts into its DOM (its CSP allows no data: image). The
// URL holds the TOTP secret: it is neither logged nor kept, and the answer
// is not cached.
func (s *Server) totpQR(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !fromOwnPage(r) {
		s.writeError(w, r, errNotFromPage)
		return
	}
	b, err := decodeBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u := b.str("otpauth_url", true)
	if err := b.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	svg, err := qrSVG(u)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_, _ = w.Write([]byte(svg))
}

// qrSVG returns the QR code of an otpauth://totp/ URL as one SVG path, one
// unit per module with a quiet zone of four.
func qrSVG(u string) (string, error) {
	if len(u) > maxOTPAuthURL || !strings.HasPrefix(u, "otpauth://totp/") {
		return "", account.Invalid("otpauth_url", "invalid", "Enter an otpauth://totp/ URL.")
	}
	code, err := qr.Encode(u, qr.M, qr.Auto)
	if err != nil {
		return "", account.Invalid("otpauth_url", "invalid", "Enter an otpauth://totp/ URL.")
	}
	n := code.Bounds().Dx()
	var path strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	size := n + 8
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="QR code of the authenticator key" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, size*5, size*5, size, size, path.String()), nil
}
