package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/accountd/accountd/internal/openapitest"
)

// answer is an answer of the API to call.
type answer struct {
	status int
	body   map[string]any
	raw    string
}

// call sends a JSON request to the API, for the routes the typed client
// does not cover; the answer is checked against docs/openapi.yaml, as the
// client's are.
func (r *running) call(method, path, token string, body any) answer {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.api+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "e2e-test/1.0")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	res, err := (&http.Client{Transport: openapitest.Transport(r.t, nil)}).Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// token sends a request that answers a token (register, login, social
// sign-in) and returns it, failing on anything but 200.
func (r *running) token(method, path string, body any) string {
	r.t.Helper()
	a := r.call(method, path, "", body)
	tok, _ := a.body["token"].(string)
	if a.status != 200 || tok == "" {
		r.t.Fatalf("%s %s = %d %s, want 200 with a token", method, path, a.status, a.raw)
	}
	return tok
}
