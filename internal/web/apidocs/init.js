// Renders the OpenAPI document of this accountd with Swagger UI (vendored
// from the npm package swagger-ui-dist, scripts/vendor-swagger-ui.sh). A file
// of its own, not an inline script: the page's CSP allows scripts from this
// origin only.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v2/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Never send the document to the public validator service.
    validatorUrl: null,
    // Try-it-out calls this origin with the token the reader types in;
    // keep it off the address bar and out of any storage.
    persistAuthorization: false,
    defaultModelsExpandDepth: 0,
  });
});
