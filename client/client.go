// Package client is a small typed Go client of the accountd API (and of
// Webshare's "Registration and Login" API v2, which accountd speaks). Each
// method is one operation of docs/openapi.yaml; a refused request is an
// *Error with the status and either the field errors or the detail and code.
//
//	c := client.New("https://accounts.example.com")
//	token, err := c.Login(ctx, client.LoginRequest{Email: "ada@example.com", Password: pw})
//	if err != nil {
//		var e *client.Error
//		if errors.As(err, &e) && e.FieldCode("non_field_errors") == "authorization" {
//			// wrong address or password
//		}
//		return err
//	}
//	profile, err := c.WithToken(token).Profile(ctx)
//
// It imports only the standard library.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client calls one accountd. Its zero value is not usable: use New.
type Client struct {
	base  string
	token string
	http  *http.Client
	agent string
	// bearer is the admin API's token (Introspector), sent as
	// "Authorization: Bearer <bearer>".
	bearer string
}

// Option changes a Client made by New.
type Option func(*Client)

// WithHTTPClient sends the requests with hc (default http.DefaultClient).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithUserAgent sets the User-Agent header (accountd names it in notices).
func WithUserAgent(ua string) Option { return func(c *Client) { c.agent = ua } }

// New returns a client of the accountd at baseURL (scheme, host and any path
// prefix in front of /api/v2/), without credentials.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithToken returns a copy of c that sends token (a login token or an API
// key) as "Authorization: Token <token>".
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = token
	return &cc
}

// Token is the credential c sends ("" for none).
func (c *Client) Token() string { return c.token }

// Error is an answer other than 2xx: the field errors of a 400 in Fields,
// or the detail and code of any other error.
type Error struct {
	Status int
	Detail string
	Code   string
	Fields map[string][]FieldError
	// RetryAfter is the Retry-After of a 429, in seconds.
	RetryAfter int
}

// FieldError is one error on one field of the request.
type FieldError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		var parts []string
		for f, errs := range e.Fields {
			for _, fe := range errs {
				parts = append(parts, f+": "+fe.Code)
			}
		}
		return fmt.Sprintf("accountd: %d %s", e.Status, strings.Join(parts, ", "))
	}
	return fmt.Sprintf("accountd: %d %s: %s", e.Status, e.Code, e.Detail)
}

// FieldCode is the code of the first error on field, or "".
func (e *Error) FieldCode(field string) string {
	if errs := e.Fields[field]; len(errs) > 0 {
		return errs[0].Code
	}
	return ""
}

// do sends one request: in (when not nil) as a JSON body, and decodes a 2xx
// JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Token "+c.token)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return apiError(res, raw)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("accountd: %s %s: the answer is not the documented JSON: %w", method, path, err)
	}
	return nil
}

// apiError reads an error answer in either shape.
func apiError(res *http.Response, raw []byte) error {
	e := &Error{Status: res.StatusCode}
	e.RetryAfter, _ = strconv.Atoi(res.Header.Get("Retry-After"))
	var d struct{ Detail, Code string }
	if json.Unmarshal(raw, &d) == nil && d.Code != "" {
		e.Detail, e.Code = d.Detail, d.Code
		return e
	}
	if json.Unmarshal(raw, &e.Fields) == nil && len(e.Fields) > 0 {
		return e
	}
	e.Detail = strings.TrimSpace(string(raw))
	return e
}

// pageQuery is "?page=N&page_size=M" for the non-zero ones.
func pageQuery(page, pageSize int) string {
	q := url.Values{}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if pageSize > 0 {
		q.Set("page_size", strconv.Itoa(pageSize))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// idPath is prefix/{id}/suffix.
func idPath(prefix string, id int64, suffix string) string {
	return prefix + strconv.FormatInt(id, 10) + "/" + suffix
}
