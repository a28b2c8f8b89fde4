package mail

import (
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
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
			"user_agent":   sampleAgent,
		}
	case "password_changed":
		return map[string]string{
			"email":      "ada@example.com",
			"changed_at": "27 November 2026, 14:02 UTC",
			"ip":         "203.0.113.7",
			"user_agent": sampleAgent,
			"reset_url":  "https://dash.example.com/resetpassword/",
		}
	case "two_factor":
		return map[string]string{
			"change":     "recovery_used",
			"remaining":  "9",
			"email":      "ada@example.com",
			"changed_at": "27 November 2026, 14:02 UTC",
			"ip":         "203.0.113.7",
			"user_agent": sampleAgent,
			"reset_url":  "https://dash.example.com/resetpassword/",
		}
	case "two_factor_code":
		return map[string]string{
			"code":         "042917",
			"minutes":      "10",
			"email":        "ada@example.com",
			"signed_in_at": "2026-11-27 14:02 UTC",
			"ip":           "203.0.113.7",
			"user_agent":   sampleAgent,
			"reset_url":    "https://dash.example.com/resetpassword/",
		}
	case "new_sign_in":
		return map[string]string{
			"email":        "ada@example.com",
			"signed_in_at": "2026-11-27 14:02 UTC",
			"ip":           "203.0.113.7",
			"user_agent":   sampleAgent,
			"reset_url":    "https://dash.example.com/resetpassword/",
		}
	case "social_linked":
		return map[string]string{
			"email":      "ada@gmail.com",
			"provider":   "Google",
			"linked_at":  "2026-11-27 14:02 UTC",
			"ip":         "203.0.113.7",
			"user_agent": sampleAgent,
			"reset_url":  "https://dash.example.com/resetpassword/",
		}
	case "suspension":
		return map[string]string{
			"change":     "suspended",
			"reason":     "abuse_report",
			"email":      "ada@example.com",
			"changed_at": "2026-11-27 14:02 UTC",
		}
	case "reset_no_account":
		return map[string]string{
			"email":        "nobody@example.com",
			"requested_at": "2026-11-27 13:58 UTC",
			"ip":           "203.0.113.7",
			"user_agent":   sampleAgent,
		}
	case "activation":
		return map[string]string{
			"email":      "ada@example.com",
			"token":      testToken,
			"link":       "https://dash.example.com/activation/" + testToken + "/confirm/",
			"expires_at": "2026-11-30 13:58 UTC",
		}
	case "email_change_confirm":
		return map[string]string{
			"email":      "ada@example.com",
			"new_email":  "ada.lovelace@example.org",
			"code":       testToken,
			"link":       "https://dash.example.com/changeemail/" + testToken + "/confirm/",
			"expires_at": "2026-11-28 13:58 UTC",
		}
	case "email_change_requested":
		return map[string]string{
			"email":        "ada@example.com",
			"new_email":    "ada.lovelace@example.org",
			"requested_at": "2026-11-27 13:58 UTC",
			"ip":           "203.0.113.7",
			"user_agent":   sampleAgent,
			"reset_url":    "https://dash.example.com/resetpassword/",
		}
	case "email_changed":
		return map[string]string{
			"email":      "ada@example.com",
			"new_email":  "ada.lovelace@example.org",
			"changed_at": "2026-11-27 14:05 UTC",
			"ip":         "203.0.113.7",
			"user_agent": sampleAgent,
		}
	}
	return nil
}

// sampleAgent is a User-Agent as a request carries it; the emails show it
// as "Firefox 132 on Linux" (Browser).
const sampleAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"

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

// kinds are the kinds of mail the account service sends; shippedLocales the
// locales with embedded templates for every kind ("en" is the default).
var (
	kinds = []string{"reset_link", "password_changed", "reset_no_account",
		"activation", "email_change_confirm", "email_change_requested", "email_changed", "two_factor",
		"two_factor_code", "new_sign_in",
		"social_linked", "suspension"}
	shippedLocales = []string{"en", "de"}
)

// goldenName names the golden file of one part of kind in locale, the way
// the templates are named: reset_link.txt.golden for English,
// reset_link.de.txt.golden for German.
func goldenName(kind, locale, part string) string {
	if locale != "en" {
		kind += "." + locale
	}
	return kind + "." + part + ".golden"
}

func TestRenderGolden(t *testing.T) {
	tmpl := loadTemplates(t, "")
	for _, kind := range kinds {
		for _, locale := range shippedLocales {
			t.Run(kind+"/"+locale, func(t *testing.T) {
				r, err := tmpl.Render(kind, locale, sampleData(kind))
				if err != nil {
					t.Fatalf("Render(%q, %q): %v", kind, locale, err)
				}
				checkGolden(t, goldenName(kind, locale, "subject"), r.Subject+"\n")
				checkGolden(t, goldenName(kind, locale, "txt"), r.Text)
				checkGolden(t, goldenName(kind, locale, "html"), r.HTML)
			})
		}
	}
}

// Each kind has its own German variant, picked for "de" and its regional
// forms; a locale without templates gets English.
func TestRenderShippedLocales(t *testing.T) {
	tmpl := loadTemplates(t, "")
	for _, kind := range kinds {
		en, err := tmpl.Render(kind, "en", sampleData(kind))
		if err != nil {
			t.Fatalf("Render(%q, en): %v", kind, err)
		}
		de, err := tmpl.Render(kind, "de", sampleData(kind))
		if err != nil {
			t.Fatalf("Render(%q, de): %v", kind, err)
		}
		if !strings.Contains(de.HTML, `<html lang="de">`) || !strings.Contains(de.Text, "Guten Tag,") {
			t.Errorf("Render(%q, de) is not German:\n%s\n%s", kind, de.Text, de.HTML)
		}
		if de.Subject == en.Subject || de.Text == en.Text || de.HTML == en.HTML {
			t.Errorf("Render(%q, de) shares a part with English: %+v", kind, de)
		}
		for locale, want := range map[string]Rendered{
			"de-AT": de, "de_CH": de, "DE": de,
			"fr": en, "fr-FR": en, "": en, "deu": en,
		} {
			got, err := tmpl.Render(kind, locale, sampleData(kind))
			if err != nil {
				t.Fatalf("Render(%q, %q): %v", kind, locale, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Render(%q, %q) differs (-want +got):\n%s", kind, locale, diff)
			}
		}
	}
}

// The reset email must carry what docs/api.md#password-reset asks for, in both bodies and in
// every locale.
func TestRenderResetLinkContent(t *testing.T) {
	tmpl := loadTemplates(t, "")
	data := sampleData("reset_link")
	ignore := map[string]string{"en": "ignore this email", "de": "diese E-Mail\nignorieren"}
	for _, locale := range shippedLocales {
		r, err := tmpl.Render("reset_link", locale, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{r.Text, r.HTML} {
			for _, key := range []string{"link", "cancel_link", "expires_at", "requested_at", "ip", "user_agent"} {
				want := data[key]
				if key == "user_agent" {
					want = Browser(want) // never the raw User-Agent
				}
				if !strings.Contains(body, want) {
					t.Errorf("%s body lacks %s %q:\n%s", locale, key, want, body)
				}
			}
			// The text body wraps where the HTML does not.
			if !strings.Contains(strings.Join(strings.Fields(body), " "), strings.Join(strings.Fields(ignore[locale]), " ")) {
				t.Errorf("%s body does not say the mail can be ignored:\n%s", locale, body)
			}
		}
	}
}

func TestRenderMissingKeys(t *testing.T) {
	tmpl := loadTemplates(t, "")
	for _, kind := range kinds {
		for _, locale := range shippedLocales {
			for _, data := range []map[string]string{nil, {}} {
				r, err := tmpl.Render(kind, locale, data)
				if err != nil {
					t.Fatalf("Render(%q, %q, %v): %v", kind, locale, data, err)
				}
				for _, s := range []string{r.Subject, r.Text, r.HTML} {
					if strings.Contains(s, "no value") {
						t.Errorf("Render(%q, %q, %v) shows a missing key:\n%s", kind, locale, data, s)
					}
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

// An override directory can add a locale the embedded templates lack.
func TestLocale(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"reset_link.nl.subject.txt": "Wachtwoord opnieuw instellen",
		"reset_link.nl.txt":         "Hallo {{.Data.email}}",
		"reset_link.nl.html":        "<p>Hallo {{.Data.email}}</p>",
	})
	tmpl := loadTemplates(t, dir)
	for locale, want := range map[string]string{
		"nl": "Wachtwoord opnieuw instellen", "nl-BE": "Wachtwoord opnieuw instellen", "nl_be": "Wachtwoord opnieuw instellen",
		"": "Reset your password", "en": "Reset your password", "fr": "Reset your password",
		"subject": "Reset your password", "de": "Passwort zurücksetzen",
	} {
		r, err := tmpl.Render("reset_link", locale, sampleData("reset_link"))
		if err != nil {
			t.Fatalf("Render(reset_link, %q): %v", locale, err)
		}
		if r.Subject != want {
			t.Errorf("Render(reset_link, %q).Subject = %q, want %q", locale, r.Subject, want)
		}
	}
	// A kind without Dutch falls back to English.
	if r, _ := tmpl.Render("password_changed", "nl", nil); r.Subject != "Your password was changed" {
		t.Errorf("password_changed in nl: Subject = %q", r.Subject)
	}
}

// An override file replaces one part of an embedded locale; the other parts
// stay embedded German.
func TestOverrideReplacesLocalePart(t *testing.T) {
	dir := writeFiles(t, map[string]string{"reset_link.de.subject.txt": "Neues Passwort"})
	tmpl := loadTemplates(t, dir)
	r, err := tmpl.Render("reset_link", "de", sampleData("reset_link"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Neues Passwort" {
		t.Errorf("Subject = %q, want %q", r.Subject, "Neues Passwort")
	}
	if !strings.Contains(r.Text, "Guten Tag,") || !strings.Contains(r.HTML, `<html lang="de">`) {
		t.Errorf("the German bodies were lost:\n%s\n%s", r.Text, r.HTML)
	}
}

func TestBrokenOverrideFailsLoad(t *testing.T) {
	tests := map[string]map[string]string{
		"parse error":       {"reset_link.txt": "{{.Data.link"},
		"html parse error":  {"reset_link.html": "<a href='{{.Data.link}}'>{{end}}"},
		"unknown field":     {"reset_link.subject.txt": "{{.Link}}"},
		"unknown function":  {"password_changed.txt": "{{shout .Data.email}}"},
		"incomplete locale": {"reset_link.nl.txt": "Hallo"},
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

// TestTemplatesMatchMailKinds keeps the templates and account.MailKinds,
// where each kind declares its template and its secrets, in step: a
// template without a declared kind, or a declared kind without templates,
// fails here, and so does a kind these tests' golden files do not cover.
func TestTemplatesMatchMailKinds(t *testing.T) {
	tmpl := loadTemplates(t, "")
	bases := map[string]bool{}
	for v := range tmpl.variants {
		base, _, _ := strings.Cut(v, ".")
		bases[base] = true
	}
	declared := map[string]bool{}
	for _, k := range account.MailKinds {
		if k.Template == "" {
			continue
		}
		declared[k.Template] = true
		if !tmpl.variants[k.Template] {
			t.Errorf("account.MailKinds declares %q with template %q, which has no embedded templates", k.Name, k.Template)
		}
	}
	for base := range bases {
		if !declared[base] {
			t.Errorf("templates %q.* render no kind declared in account.MailKinds: declare it with its secret keys", base)
		}
	}
	if got := slices.Sorted(maps.Keys(declared)); !cmp.Equal(got, slices.Sorted(slices.Values(kinds))) {
		t.Errorf("the kinds these tests render = %q, want the declared templates %q", kinds, got)
	}
}

// TestRenderOperatorResetLink: a link an operator emailed (accountd
// reset-link -send) says an administrator sent it, and never "if you did not
// ask for this" as if the user had asked.
func TestRenderOperatorResetLink(t *testing.T) {
	tmpl := loadTemplates(t, "")
	data := sampleData("reset_link")
	data["issued_by"], data["ip"], data["user_agent"] = "operator", "operator", "accountd reset-link"
	said := map[string]string{"en": "An administrator sent you a link", "de": "ein Administrator hat Ihnen einen Link geschickt"}
	for _, locale := range shippedLocales {
		r, err := tmpl.Render("reset_link", locale, data)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, goldenName("reset_link_operator", locale, "txt"), r.Text)
		checkGolden(t, goldenName("reset_link_operator", locale, "html"), r.HTML)
		for _, body := range []string{r.Text, r.HTML} {
			flat := strings.Join(strings.Fields(body), " ")
			if !strings.Contains(flat, said[locale]) {
				t.Errorf("%s operator reset mail does not say %q:\n%s", locale, said[locale], body)
			}
			for _, bad := range []string{"did not ask", "nicht angefordert", "accountd reset-link", "Someone asked", "jemand hat"} {
				if strings.Contains(flat, bad) {
					t.Errorf("%s operator reset mail says %q:\n%s", locale, bad, body)
				}
			}
			if !strings.Contains(body, data["link"]) || !strings.Contains(body, data["cancel_link"]) {
				t.Errorf("%s operator reset mail lacks its links", locale)
			}
		}
	}
}

// TestTwoFactorNoticeNamesEachChange: each change of the two_factor notice
// has its own subject and text, in English and German.
func TestTwoFactorNoticeNamesEachChange(t *testing.T) {
	tmpl := loadTemplates(t, "")
	for _, locale := range shippedLocales {
		subjects := map[string]bool{}
		for _, change := range []string{"totp_on", "totp_off", "recovery_used", "failures", "operator_reset"} {
			data := sampleData("two_factor")
			data["change"], data["failures"] = change, "5"
			r, err := tmpl.Render("two_factor", locale, data)
			if err != nil {
				t.Fatalf("Render(two_factor, %s, %s): %v", locale, change, err)
			}
			if subjects[r.Subject] || !strings.Contains(r.Text, "ada@example.com") || !strings.Contains(r.HTML, "ada@example.com") {
				t.Errorf("%s %s: subject %q repeated, or the address missing:\n%s", locale, change, r.Subject, r.Text)
			}
			subjects[r.Subject] = true
		}
	}
}
