package docs

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the module's root, seen from this package's directory.
const repoRoot = ".."

// sourceFiles calls f with the path and text of every Go, Markdown, SQL,
// HTML and JavaScript file of the repository (not dot directories such as
// .git or .ci/lint's tools).
func sourceFiles(t *testing.T, f func(path, text string)) {
	t.Helper()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != repoRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !hasSuffix(path, ".go", ".md", ".sql", ".html", ".js") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f(path, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// references reads references.tsv: a cited contract or design section → its
// home in the repository.
func references(t *testing.T) map[string]string {
	t.Helper()
	file, err := os.Open("references.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		from, to, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("references.tsv: line %q is not FROM<TAB>TO", sc.Text())
		}
		out[from] = to
	}
	return out
}

// citation is a reference to a section of the team's contract (SPEC.md) or
// design (DESIGN.md), which are not in this repository; a comment may wrap
// it across lines.
var citation = regexp.MustCompile(`(SPEC|DESIGN)\s*(//\s*)?§\s*([0-9]+(\.[0-9]+)?)`)

// TestNoCitationOutsideTheRepository: no code or document cites "SPEC §n"
// or "DESIGN §n": a newcomer with only the clone could not follow it. Each
// section has a home in docs/ (references.tsv says where); cite that.
func TestNoCitationOutsideTheRepository(t *testing.T) {
	refs := references(t)
	sourceFiles(t, func(path, text string) {
		for _, m := range citation.FindAllStringSubmatch(text, -1) {
			key := m[1] + " §" + m[3]
			home, ok := refs[key]
			if !ok {
				home = "a section of docs/ (add it to docs/references.tsv)"
			}
			t.Errorf("%s cites %s, which is not in this repository: cite %s instead", path, key, home)
		}
	})
}

// headingAnchors returns the GitHub anchors of the headings of a Markdown file.
func headingAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		out[slug(strings.TrimLeft(line, "#"))] = true
	}
	return out
}

// slug is GitHub's anchor of a heading: lower case, punctuation dropped,
// spaces as hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f && !strings.ContainsRune("§–—…·“”‘’", r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var docLink = regexp.MustCompile(`(docs/api\.md|docs/architecture\.md|README\.md)#([a-z0-9_-]+)`)

// TestReferencesPointAtHeadings: every place references.tsv names, and every
// docs/api.md#…, docs/architecture.md#… or README.md#… written in the code
// or the docs, is a heading that exists.
func TestReferencesPointAtHeadings(t *testing.T) {
	anchors := map[string]map[string]bool{}
	check := func(where, file, anchor string) {
		if anchors[file] == nil {
			anchors[file] = headingAnchors(t, filepath.Join(repoRoot, file))
		}
		if !anchors[file][anchor] {
			t.Errorf("%s points at %s#%s, which has no such heading", where, file, anchor)
		}
	}
	for from, to := range references(t) {
		if file, anchor, ok := strings.Cut(to, "#"); ok {
			check("references.tsv ("+from+")", file, anchor)
		}
	}
	sourceFiles(t, func(path, text string) {
		for _, m := range docLink.FindAllStringSubmatch(text, -1) {
			check(path, m[1], m[2])
		}
	})
}

// hasSuffix reports whether path ends in one of suffixes.
func hasSuffix(path string, suffixes ...string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}
