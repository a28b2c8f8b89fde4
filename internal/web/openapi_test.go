package web_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIDocumentServed: GET /api/v2/openapi.json (and .yaml) answers
// the document, which an independent loader accepts as valid OpenAPI, with
// every path of the API in it, with or without the final "/" as elsewhere.
func TestOpenAPIDocumentServed(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ path, contentType string }{
		{"/api/v2/openapi.json", "application/json"},
		{"/api/v2/openapi.yaml", "application/yaml"},
	} {
		r := e.do("GET", c.path, nil, "")
		if r.Status != 200 || r.Header.Get("Content-Type") != c.contentType {
			t.Fatalf("GET %s = %d %s, want 200 %s", c.path, r.Status, r.Header.Get("Content-Type"), c.contentType)
		}
		doc, err := openapi3.NewLoader().LoadFromData(r.Body)
		if err != nil {
			t.Fatalf("GET %s: the document does not load: %v", c.path, err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Errorf("GET %s: the document is not valid OpenAPI: %v", c.path, err)
		}
		if doc.Paths.Value("/api/v2/resetpassword/") == nil {
			t.Errorf("GET %s: the document has no /api/v2/resetpassword/", c.path)
		}
	}
}
