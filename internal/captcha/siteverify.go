package captcha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The providers' siteverify endpoints. All three speak the same protocol: a
// form POST of secret, response and remoteip, answered with JSON.
var defaultVerifyURLs = map[string]string{
	"recaptcha": "https://www.google.com/recaptcha/api/siteverify",
	"hcaptcha":  "https://api.hcaptcha.com/siteverify",
	"turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
}

// SiteverifyConfig configures a Siteverify verifier.
type SiteverifyConfig struct {
	Provider string // recaptcha, hcaptcha or turnstile
	Secret   string
	// VerifyURL overrides the provider's endpoint ("" keeps it).
	VerifyURL string
	// Hostnames, when not empty, lists the hostnames a solved captcha may
	// come from; any other is rejected.
	Hostnames []string
	// MinScore and Action apply to reCAPTCHA v3 answers (those with a score).
	MinScore float64
	Action   string
	// Client is the HTTP client; its Timeout bounds each check [5 s].
	Client *http.Client
}

// Siteverify checks captcha responses with a provider's siteverify endpoint.
type Siteverify struct {
	cfg SiteverifyConfig
}

// NewSiteverify returns a verifier for the provider, or an error naming what
// is wrong with the configuration.
func NewSiteverify(cfg SiteverifyConfig) (*Siteverify, error) {
	def, ok := defaultVerifyURLs[cfg.Provider]
	if !ok {
		return nil, fmt.Errorf("captcha provider %q is not recaptcha, hcaptcha or turnstile", cfg.Provider)
	}
	if cfg.Secret == "" {
		return nil, errors.New("the captcha provider needs its secret (ACCOUNTD_CAPTCHA_SECRET)")
	}
	if cfg.VerifyURL == "" {
		cfg.VerifyURL = def
	}
	if u, err := url.Parse(cfg.VerifyURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("captcha verify URL %q is not an http(s) URL", cfg.VerifyURL)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	return &Siteverify{cfg: cfg}, nil
}

// answer is the siteverify JSON answer; Score and Action only in reCAPTCHA v3.
type answer struct {
	Success  bool     `json:"success"`
	Hostname string   `json:"hostname"`
	Score    *float64 `json:"score"`
	Action   string   `json:"action"`
}

// Verify asks the provider about response. A missing response or a negative
// answer is ErrInvalid; a provider that cannot be asked, or answers
// something that is not a siteverify answer, is ErrUnavailable (fail closed).
func (s *Siteverify) Verify(ctx context.Context, response, remoteIP string) error {
	if strings.TrimSpace(response) == "" || len(response) > 4096 {
		return ErrInvalid
	}
	form := url.Values{"secret": {s.cfg.Secret}, "response": {response}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", s.cfg.VerifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrUnavailable, redactURLError(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: siteverify answered %d", ErrUnavailable, res.StatusCode)
	}
	var a answer
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&a); err != nil {
		return fmt.Errorf("%w: siteverify answer is not JSON", ErrUnavailable)
	}
	return s.judge(a)
}

// judge applies the configured expectations to a provider's answer.
func (s *Siteverify) judge(a answer) error {
	switch {
	case !a.Success:
		return ErrInvalid
	case len(s.cfg.Hostnames) > 0 && !slices.Contains(s.cfg.Hostnames, a.Hostname):
		return fmt.Errorf("%w: hostname %q is not expected", ErrInvalid, a.Hostname)
	case a.Score != nil && *a.Score < s.cfg.MinScore:
		return fmt.Errorf("%w: score %.2f below %.2f", ErrInvalid, *a.Score, s.cfg.MinScore)
	case a.Score != nil && s.cfg.Action != "" && a.Action != s.cfg.Action:
		return fmt.Errorf("%w: action %q is not %q", ErrInvalid, a.Action, s.cfg.Action)
	}
	return nil
}

// redactURLError keeps the cause of a transport error without the request
// URL, so no query or secret reaches a log.
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
