package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	texttemplate "text/template"
)

//go:embed templates
var embedded embed.FS

// The three parts of every kind, as file name endings.
const (
	subjectExt = ".subject.txt"
	textExt    = ".txt"
	htmlExt    = ".html"
)

// TemplateData is what every template receives: {{.To}} is the recipient and
// {{.Data.link}} etc. the mail's data. A missing key renders as "".
type TemplateData struct {
	To   string
	Data map[string]string
}

// Rendered is one email rendered from its templates.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Templates holds every parsed template, keyed by file name
// (kind[.locale].subject.txt, kind[.locale].txt, kind[.locale].html, with
// the locale in lower case: reset_link.de-at.txt). It is safe for concurrent
// use.
type Templates struct {
	variants map[string]bool                   // "reset_link", "reset_link.de", …
	text     map[string]*texttemplate.Template // subjects and text bodies
	html     map[string]*htmltemplate.Template
}

// LoadTemplates parses the embedded templates and, when overrideDir is not
// "", the *.txt and *.html files of overrideDir, each replacing the embedded
// file of the same name or adding one (a new locale, a new kind). Every
// variant must have its subject, text and HTML part, and every template is
// executed once on empty data, so a broken template fails the boot rather
// than the first email.
func LoadTemplates(overrideDir string) (*Templates, error) {
	sources := map[string]string{}
	base, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}
	if err := readTemplateFiles(base, sources); err != nil {
		return nil, fmt.Errorf("mail: embedded templates: %w", err)
	}
	if overrideDir != "" {
		if err := readTemplateFiles(os.DirFS(overrideDir), sources); err != nil {
			return nil, fmt.Errorf("mail: template directory %s: %w", overrideDir, err)
		}
	}
	variants, err := checkComplete(sources)
	if err != nil {
		return nil, err
	}
	t := &Templates{
		variants: variants,
		text:     map[string]*texttemplate.Template{},
		html:     map[string]*htmltemplate.Template{},
	}
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		if err := t.parse(name, sources[name]); err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", name, err)
		}
	}
	return t, nil
}

// readTemplateFiles adds every *.txt and *.html file at the top of fsys to
// sources; other files and directories are ignored.
func readTemplateFiles(fsys fs.FS, sources map[string]string) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !(strings.HasSuffix(name, textExt) || strings.HasSuffix(name, htmlExt)) {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sources[name] = string(b)
	}
	return nil
}

// splitName splits "reset_link.de.subject.txt" into the variant
// "reset_link.de" and the part ending ".subject.txt".
func splitName(name string) (variant, part string) {
	for _, ext := range []string{subjectExt, textExt, htmlExt} {
		if v, ok := strings.CutSuffix(name, ext); ok {
			return v, ext
		}
	}
	return name, ""
}

// checkComplete returns the set of variants, and refuses one that lacks a
// part: falling back to English for the HTML alone would send a mail in two
// languages.
func checkComplete(sources map[string]string) (map[string]bool, error) {
	variants := map[string]bool{}
	for name := range sources {
		v, _ := splitName(name)
		variants[v] = true
	}
	var missing []string
	for v := range variants {
		for _, ext := range []string{subjectExt, textExt, htmlExt} {
			if _, ok := sources[v+ext]; !ok {
				missing = append(missing, v+ext)
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("mail: missing templates: %s", strings.Join(missing, ", "))
	}
	return variants, nil
}

// parse parses one file with the template package its ending calls for and
// executes it once on empty data: a reference to an unknown field is an
// execution error, and it should fail the boot too.
func (t *Templates) parse(name, src string) error {
	empty := TemplateData{Data: map[string]string{}}
	if _, part := splitName(name); part == htmlExt {
		tmpl, err := htmltemplate.New(name).Option("missingkey=zero").Parse(src)
		if err != nil {
			return err
		}
		t.html[name] = tmpl
		return tmpl.Execute(io.Discard, empty)
	}
	tmpl, err := texttemplate.New(name).Option("missingkey=zero").Parse(src)
	if err != nil {
		return err
	}
	t.text[name] = tmpl
	return tmpl.Execute(io.Discard, empty)
}

// ErrNoTemplate is returned by Render for a kind that has no templates.
var ErrNoTemplate = errors.New("mail: no template for this kind")

// Render renders the subject, text and HTML of kind in locale ("de", "de-AT",
// "de_AT"; "" or an unknown locale is English). data["email"] is also passed
// as {{.To}}; data["user_agent"] is shown as Browser describes it.
func (t *Templates) Render(kind, locale string, data map[string]string) (Rendered, error) {
	variant, ok := t.variant(kind, locale)
	if !ok {
		return Rendered{}, fmt.Errorf("%w: %q", ErrNoTemplate, kind)
	}
	td := TemplateData{To: data["email"], Data: forEmail(data)}
	var subject, text, html bytes.Buffer
	if err := t.text[variant+subjectExt].Execute(&subject, td); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s: %w", variant+subjectExt, err)
	}
	if err := t.text[variant+textExt].Execute(&text, td); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s: %w", variant+textExt, err)
	}
	if err := t.html[variant+htmlExt].Execute(&html, td); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s: %w", variant+htmlExt, err)
	}
	return Rendered{
		// One line whatever the template holds: a newline in a header would
		// end it.
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}

// variant picks the most specific variant of kind that exists for locale:
// "de-at", then "de", then the English default.
func (t *Templates) variant(kind, locale string) (string, bool) {
	locale = strings.ToLower(strings.ReplaceAll(locale, "_", "-"))
	var candidates []string
	if locale != "" {
		candidates = append(candidates, kind+"."+locale)
		if lang, _, ok := strings.Cut(locale, "-"); ok {
			candidates = append(candidates, kind+"."+lang)
		}
	}
	candidates = append(candidates, kind)
	for _, v := range candidates {
		if t.variants[v] {
			return v, true
		}
	}
	return "", false
}
