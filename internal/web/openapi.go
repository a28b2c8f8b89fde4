package web

import (
	"net/http"

	"sigs.k8s.io/yaml"

	"github.com/accountd/accountd/docs"
)

// openAPIJSON is docs/openapi.yaml as JSON, converted once: the document is
// part of the binary, so a document that does not parse fails every test
// (and the start-up), never a request.
var openAPIJSON = mustJSON(docs.OpenAPIYAML)

func mustJSON(y []byte) []byte {
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		panic("docs/openapi.yaml: " + err.Error())
	}
	return j
}

// openAPIDocument serves the OpenAPI document of the API (docs/openapi.yaml)
// in one of its two encodings. It is public and the same for everyone, so
// caches may keep it for a while.
func openAPIDocument(contentType string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}
