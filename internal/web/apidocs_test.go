package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accountd/accountd/internal/openapitest"
)

// TestAPIReferencePageServedFromTheBinary: /api/docs/ and its assets come
// from this origin, under a CSP that allows no inline script and no other
// origin.
func TestAPIReferencePageServedFromTheBinary(t *testing.T) {
	e := newEnv(t)
	page := e.request("GET", "/api/docs/", "", nil)
	csp := page.Header.Get("Content-Security-Policy")
	if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /api/docs/ = %d %s, want 200 HTML", page.Status, page.Header.Get("Content-Type"))
	}
	if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
		t.Errorf("GET /api/docs/: Content-Security-Policy = %q, want scripts from this origin only", csp)
	}
	for _, asset := range []string{"/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css", "/api/docs/init.js"} {
		if !strings.Contains(string(page.Body), `"`+asset+`"`) {
			t.Errorf("the page does not load %s", asset)
		}
		if r := e.request("GET", asset, "", nil); r.Status != 200 || len(r.Body) == 0 {
			t.Errorf("GET %s = %d (%d bytes), want 200", asset, r.Status, len(r.Body))
		}
	}
	if strings.Contains(string(page.Body), "//") && strings.Contains(string(page.Body), "https://") {
		t.Error("the page names another origin")
	}
}

// TestBrowserAPIReference: in a real Chromium, /api/docs/ renders every
// operation of docs/openapi.yaml, with no script error or CSP violation
// (brOpen fails the test on console errors).
func TestBrowserAPIReference(t *testing.T) {
	doc, err := openapitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, item := range doc.Paths.Map() {
		want += len(item.Operations())
	}
	e := newEnv(t)
	b := brOpen(t)
	b.do("open the reference", chromedp.Navigate(e.URL+"/api/docs/"),
		chromedp.WaitVisible(chromedp.CSS(`.opblock`)))
	n := brRun(b, "count the operations", chromedp.Poll[int](fmt.Sprintf(
		`document.querySelectorAll(".opblock").length >= %d && document.querySelectorAll(".opblock").length`, want)))
	if n != want {
		t.Errorf("the reference shows %d operations, want the document's %d", n, want)
	}
	paths := brRun(b, "read the paths", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll(".opblock-summary-path")).map(e => e.textContent).join(" ")`))
	for _, p := range []string{"/api/v2/resetpassword/", "/api/v2/twofactorauth/codeauth/", "/api/v2/apikey/{id}/"} {
		if !strings.Contains(strings.ReplaceAll(paths, "\u200b", ""), p) {
			t.Errorf("the reference does not show %s (paths: %s)", p, paths)
		}
	}
	b.shot("api-reference.png")
}
