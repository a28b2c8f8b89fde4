package mail

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleData is the data the account service puts in each kind of mail.
func sampleData(kind string) map[string]string {
	switch kind {
	case "reset_link":
		return map[string]string{
			"email":        "ada@example.com",
			"token":        testToken,
			"link":         testLink,
			"cancel_link":  testCancelLink,
			"expires_at":   "27 November 2026, 14:58 UTC",
			"requested_at": "27 November 2026, 13:58 UTC",
			"ip":           "203.0.113.7",
			"user_agent":   "Firefox 132 on Linux",
		}
	case "password_changed":
		return map[string]string{
			"email":      "ada@example.com",
			"changed_at": "27 November 2026, 14:02 UTC",
			"ip":         "203.0.113.7",
			"user_agent": "Firefox 132 on Linux",
			"reset_url":  "https://dash.example.com/resetpassword/",
		}
	}
	return nil
}

const (
	testToken      = "0f3c9a7e5b2d4c6a8e1f0b3d5c7a9e2f4b6d8c0a1e3f5b7d9c2a4e6f8b0d1c3e"
	testLink       = "https://dash.example.com/resetpassword/" + testToken + "/confirm/"
	testCancelLink = "https://dash.example.com/resetpassword/" + testToken + "/cancel/"
)

func loadTemplates(t *testing.T, dir string) *Templates {
	t.Helper()
	tmpl, err := LoadTemplates(dir)
	if err != nil {
		t.Fatalf("LoadTemplates(%q): %v", dir, err)
	}
	return tmpl
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestRenderGolden(t *testing.T) {
	tmpl := loadTemplates(t, "")
	for _, kind := range []string{"reset_link", "password_changed"} {
		t.Run(kind, func(t *testing.T) {
			r, err := tmpl.Render(kind, "en", sampleData(kind))
			if err != nil {
				t.Fatalf("Render(%q): %v", kind, err)
			}
			checkGolden(t, kind+".subject.golden", r.Subject+"\n")
			checkGolden(t, kind+".txt.golden", r.Text)
			checkGolden(t, kind+".html.golden", r.HTML)
		})
	}
}

// The reset email must carry what SPEC §4.1 asks for, in both bodies.
func TestRenderResetLinkContent(t *testing.T) {
	tmpl := loadTemplates(t, "")
	data := sampleData("reset_link")
	r, err := tmpl.Render("reset_link", "", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{r.Text, r.HTML} {
		for _, key := range []string{"link", "cancel_link", "expires_at", "requested_at", "ip", "user_agent"} {
			if !strings.Contains(body, data[key]) {
				t.Errorf("body lacks %s %q:\n%s", key, data[key], body)
			}
		}
		if !strings.Contains(body, "ignore this email") {
			t.Errorf("body does not say the mail can be ignored:\n%s", body)
		}
	}
}

func TestRenderMissingKeys(t *testing.T) {
	tmpl := loadTemplates(t, "")
	for _, kind := range []string{"reset_link", "password_changed"} {
		for _, data := range []map[string]string{nil, {}} {
			r, err := tmpl.Render(kind, "", data)
			if err != nil {
				t.Fatalf("Render(%q, %v): %v", kind, data, err)
			}
			for _, s := range []string{r.Subject, r.Text, r.HTML} {
				if strings.Contains(s, "no value") {
					t.Errorf("Render(%q, %v) shows a missing key:\n%s", kind, data, s)
				}
			}
		}
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	tmpl := loadTemplates(t, "")
	data := sampleData("reset_link")
	data["user_agent"] = `<script>alert(1)</script>`
	data["link"] = `javascript:alert(1)`
	r, err := tmpl.Render("reset_link", "", data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, `href="javascript:`) {
		t.Errorf("HTML is not escaped:\n%s", r.HTML)
	}
}

func TestRenderUnknownKind(t *testing.T) {
	tmpl := loadTemplates(t, "")
	for _, kind := range []string{"nope", "reset_request", "reset_link.subject", ""} {
		if _, err := tmpl.Render(kind, "", nil); !errors.Is(err, ErrNoTemplate) {
			t.Errorf("Render(%q) error = %v, want ErrNoTemplate", kind, err)
		}
	}
}

// writeFiles writes name → content into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOverrideReplacesTemplate(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"reset_link.subject.txt": "Your {{.To}}\nreset link",
		"notes.md":               "not a template: ignored",
	})
	tmpl := loadTemplates(t, dir)
	r, err := tmpl.Render("reset_link", "", sampleData("reset_link"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Your ada@example.com reset link"; r.Subject != want {
		t.Errorf("Subject = %q, want %q", r.Subject, want)
	}
	// The other parts and kinds stay embedded.
	if !strings.Contains(r.Text, testLink) {
		t.Errorf("Text lost the embedded body:\n%s", r.Text)
	}
	if r, _ := tmpl.Render("password_changed", "", nil); r.Subject != "Your password was changed" {
		t.Errorf("password_changed Subject = %q", r.Subject)
	}
}

func TestLocale(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"reset_link.de.subject.txt": "Passwort zurücksetzen",
		"reset_link.de.txt":         "Hallo {{.Data.email}}",
		"reset_link.de.html":        "<p>Hallo {{.Data.email}}</p>",
	})
	tmpl := loadTemplates(t, dir)
	for locale, want := range map[string]string{
		"de": "Passwort zurücksetzen", "de-AT": "Passwort zurücksetzen", "de_at": "Passwort zurücksetzen",
		"": "Reset your password", "en": "Reset your password", "fr": "Reset your password",
		"subject": "Reset your password",
	} {
		r, err := tmpl.Render("reset_link", locale, sampleData("reset_link"))
		if err != nil {
			t.Fatalf("Render(reset_link, %q): %v", locale, err)
		}
		if r.Subject != want {
			t.Errorf("Render(reset_link, %q).Subject = %q, want %q", locale, r.Subject, want)
		}
	}
	// A kind without German falls back to English.
	if r, _ := tmpl.Render("password_changed", "de", nil); r.Subject != "Your password was changed" {
		t.Errorf("password_changed in de: Subject = %q", r.Subject)
	}
}

func TestBrokenOverrideFailsLoad(t *testing.T) {
	tests := map[string]map[string]string{
		"parse error":       {"reset_link.txt": "{{.Data.link"},
		"html parse error":  {"reset_link.html": "<a href='{{.Data.link}}'>{{end}}"},
		"unknown field":     {"reset_link.subject.txt": "{{.Link}}"},
		"unknown function":  {"password_changed.txt": "{{shout .Data.email}}"},
		"incomplete locale": {"reset_link.de.txt": "Hallo"},
		"stray txt file":    {"README.txt": "read me"},
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadTemplates(writeFiles(t, files)); err == nil {
				t.Error("LoadTemplates succeeded, want an error")
			}
		})
	}
	t.Run("no such directory", func(t *testing.T) {
		if _, err := LoadTemplates(filepath.Join(t.TempDir(), "nope")); err == nil {
			t.Error("LoadTemplates succeeded, want an error")
		}
	})
}
