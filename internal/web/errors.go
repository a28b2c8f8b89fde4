package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/accountd/accountd/internal/account"
)

// detail is the non-field error shape of docs/api.md#errors.
type detail struct {
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

type fieldMessage struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

// Errors that belong to HTTP rather than the domain.
var (
	errNotFound         = &account.Error{Kind: account.KindNotFound, Code: "not_found", Message: "Not found."}
	errParse            = &account.Error{Kind: account.KindInvalid, Code: "parse_error", Message: "JSON parse error: the body must be a JSON object."}
	errTooLarge         = &httpError{http.StatusRequestEntityTooLarge, "request_too_large", "Request body is too large."}
	errUnsupportedMedia = &httpError{http.StatusUnsupportedMediaType, "unsupported_media_type", "Unsupported media type in request."}
	errNotAcceptable    = &httpError{http.StatusNotAcceptable, "not_acceptable", "Could not satisfy the request Accept header."}
)

// httpError is an error answered with a fixed status, code and detail.
type httpError struct {
	status       int
	code, detail string
}

func (e *httpError) Error() string { return e.code }

// writeJSON writes v as the JSON body with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusOf maps an error kind to its HTTP status.
func statusOf(e *account.Error) int {
	switch e.Kind {
	case account.KindInvalid:
		return http.StatusBadRequest
	case account.KindUnauthenticated:
		return http.StatusUnauthorized
	case account.KindForbidden:
		return http.StatusForbidden
	case account.KindNotFound:
		return http.StatusNotFound
	case account.KindConflict:
		return http.StatusConflict
	case account.KindRateLimited:
		return http.StatusTooManyRequests
	case account.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError is the one place an error becomes a response (in the shapes of
// docs/api.md#errors) and the one place a failed request is logged. Anything that is not
// one of our errors becomes a 500 with no detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeJSON(w, he.status, detail{he.detail, he.code})
		return
	}
	var ae *account.Error
	if !errors.As(err, &ae) {
		s.log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
		writeJSON(w, http.StatusInternalServerError, detail{"A server error occurred.", "error"})
		return
	}
	status := statusOf(ae)
	switch {
	case status >= 500:
		s.log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "code", ae.Code, "err", ae.Err)
	default:
		s.log.DebugContext(r.Context(), "request refused", "route", r.Pattern, "code", ae.Code)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Token")
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	if ae.Kind == account.KindInvalid && len(ae.Fields) > 0 {
		writeJSON(w, status, fieldBody(ae.Fields))
		return
	}
	// parse_error is the one 400 in the detail shape.
	writeJSON(w, status, detail{ae.Message, ae.Code})
}

// fieldBody groups field failures by field, keeping their order.
func fieldBody(fields []account.FieldError) map[string][]fieldMessage {
	out := map[string][]fieldMessage{}
	for _, f := range fields {
		out[f.Field] = append(out[f.Field], fieldMessage{f.Message, f.Code})
	}
	return out
}

// notFound answers every path that has no route.
func (s *Server) notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Dev && r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.renderPage(w, r, resetTemplates, "index.html", s.cfg)
			return
		}
		// A browser that opened a wrong address gets a page, not JSON;
		// API clients (Accept: application/json, or none) keep the JSON.
		if acceptsHTML(r) {
			s.renderPageStatus(w, r, resetTemplates, "notfound.html", nil, http.StatusNotFound)
			return
		}
		s.writeError(w, r, errNotFound)
	})
}

// acceptsHTML reports whether the client names text/html in Accept, as
// browsers do when they navigate; "*/*" alone is an API client's.
func acceptsHTML(r *http.Request) bool {
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		if strings.EqualFold(mt, "text/html") {
			return true
		}
	}
	return false
}
