// Package openapitest checks, in tests, that every answer of the public API
// matches docs/openapi.yaml: its status is documented for that path and
// method, its headers and its body fit the schema (no field more, none
// missing). The HTTP tests of internal/web wrap their server's handler with
// Handler, the end-to-end tests of cmd/accountd their client with Transport,
// so the document cannot drift from what accountd sends. Test-only: it
// imports testing and must stay out of the binary.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/accountd/accountd/docs"
)

// Document loads docs/openapi.yaml and checks it is a valid OpenAPI document.
func Document() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(docs.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml does not load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
}

var (
	loadOnce sync.Once
	loaded   *openapi3.T
	loadErr  error
)

// document is Document, loaded once per test binary.
func document(t testing.TB) *openapi3.T {
	t.Helper()
	loadOnce.Do(func() {
		loaded, loadErr = Document()
		// The YAML copy of the document is a string, not JSON.
		openapi3filter.RegisterBodyDecoder("application/yaml", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(r)
			return string(b), err
		})
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

// Handler returns h, checking every answer it gives to an /api/ path
// against docs/openapi.yaml; a mismatch fails t (t.Errorf: the handler runs
// on the server's goroutines).
func Handler(t testing.TB, h http.Handler) http.Handler {
	doc := document(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		// The handler may change r (the mux sets its pattern); keep what
		// the client sent.
		sent := r.Clone(r.Context())
		h.ServeHTTP(rec, r)
		if err := Check(doc, sent, rec.status, w.Header(), rec.body.Bytes()); err != nil {
			t.Errorf("%v", err)
		}
	})
}

// Transport returns base (nil: http.DefaultTransport), checking every answer
// to an /api/ path against docs/openapi.yaml; a mismatch fails t.
func Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, doc: document(t), base: base}
}

type transport struct {
	t    testing.TB
	doc  *openapi3.T
	base http.RoundTripper
}

func (tr *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := tr.base.RoundTrip(r)
	if err != nil {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return res, nil // the client sees the short body and fails itself
	}
	if err := Check(tr.doc, r, res.StatusCode, res.Header, body); err != nil {
		tr.t.Errorf("%v", err)
	}
	return res, nil
}

// recorder passes the answer through and keeps a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Check says how the answer (status, header, body) to req departs from doc,
// or nil when it fits. Paths outside /api/v2/ (the pages, the development
// inbox, the reference page) are not described there and pass, and so do
// HEAD (GET's headers, no body) and CORS preflights (OPTIONS, answered
// before routing).
func Check(doc *openapi3.T, req *http.Request, status int, header http.Header, body []byte) error {
	if !strings.HasPrefix(req.URL.Path, "/api/v2/") || req.Method == http.MethodHead || req.Method == http.MethodOptions {
		return nil
	}
	what := fmt.Sprintf("%s %s answered %d %s", req.Method, req.URL.Path, status, truncate(body))
	// Development mode answers a Host that is not loopback with 400
	// invalid_host on every path, before any route (docs/api.md).
	if status == http.StatusBadRequest && isDetail(body, "invalid_host") {
		return nil
	}
	path, item, params := match(doc, req.URL.Path)
	if item == nil {
		// An unknown path is 404 not_found. Anything else means a route
		// that the document lacks.
		if status == http.StatusNotFound && isDetail(body, "not_found") {
			return nil
		}
		return fmt.Errorf("%s, but docs/openapi.yaml has no path %s: document the route (paths with their final /)", what, slashed(req.URL.Path))
	}
	op := item.GetOperation(req.Method)
	if op == nil {
		if status == http.StatusMethodNotAllowed && isDetail(body, "method_not_allowed") && header.Get("Allow") != "" {
			return nil
		}
		return fmt.Errorf("%s, but docs/openapi.yaml has no %s operation on %s: document it", what, req.Method, path)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      &routers.Route{Spec: doc, Path: path, PathItem: item, Method: req.Method, Operation: op},
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		return fmt.Errorf("%s, which does not match docs/openapi.yaml (%s %s): %v", what, req.Method, path, err)
	}
	return nil
}

// match finds the documented path of a request path: served with or
// without its final "/", "{name}" matching one segment, a literal segment
// winning over "{name}" (/sessions/revoke_others/ is not /sessions/{id}/).
func match(doc *openapi3.T, p string) (string, *openapi3.PathItem, map[string]string) {
	want := strings.Split(strings.Trim(slashed(p), "/"), "/")
	best, bestLiterals := "", -1
	var bestParams map[string]string
	for path := range doc.Paths.Map() {
		got := strings.Split(strings.Trim(path, "/"), "/")
		if len(got) != len(want) {
			continue
		}
		params, literals := map[string]string{}, 0
		for i, seg := range got {
			switch {
			case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && want[i] != "":
				params[seg[1:len(seg)-1]] = want[i]
			case seg == want[i]:
				literals++
			default:
				literals = -1
			}
			if literals < 0 {
				break
			}
		}
		if literals > bestLiterals {
			best, bestLiterals, bestParams = path, literals, params
		}
	}
	if best == "" {
		return "", nil, nil
	}
	return best, doc.Paths.Value(best), bestParams
}

// slashed is p with its final "/" (the document's form), except for the
// documents whose names end in an extension.
func slashed(p string) string {
	if strings.HasSuffix(p, "/") || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".yaml") {
		return p
	}
	return p + "/"
}

// isDetail reports whether body is {"detail": ..., "code": code}.
func isDetail(body []byte, code string) bool {
	return bytes.Contains(body, []byte(`"code":"`+code+`"`)) && bytes.HasPrefix(body, []byte(`{"detail":`))
}

func truncate(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Verify fails tb when the answer to req does not match docs/openapi.yaml
// (for callers that read the answer themselves, such as fuzz targets).
func Verify(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	if err := Check(document(tb), req, status, header, body); err != nil {
		tb.Errorf("%v", err)
	}
}
