// Package captcha holds the verifier interface for the recaptcha field of
// requests (docs/api.md#captcha) and its implementations. It imports nothing of ours.
package captcha

import (
	"context"
	"errors"
)

// Errors a Verifier returns.
var (
	// ErrInvalid: the response is missing or the provider rejected it.
	ErrInvalid = errors.New("captcha rejected")
	// ErrUnavailable: the provider could not be asked; the request fails closed.
	ErrUnavailable = errors.New("captcha provider unavailable")
)

// Verifier checks the captcha response a client sent.
type Verifier interface {
	Verify(ctx context.Context, response, remoteIP string) error
}

// None accepts any response, or none: development only (docs/api.md#captcha).
type None struct{}

// Verify always succeeds.
func (None) Verify(context.Context, string, string) error { return nil }
