// Package docs holds the documents that ship inside the accountd binary: the
// OpenAPI description of the public API (openapi.yaml), which the web package
// serves and its tests validate every response against. It imports nothing.
package docs

import _ "embed"

// OpenAPIYAML is docs/openapi.yaml, the OpenAPI 3.0.3 description of every
// route of internal/web/routes.go.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
