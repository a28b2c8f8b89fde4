package mail

import (
	"maps"
	"strings"
	"unicode"
)

// The User-Agent is chosen by whoever sends the request, and a reset request
// needs no account: whatever an email quotes from it, an attacker can put
// into a real email from the service to any address. So an email names the
// browser and system it recognises ("Firefox 132 on Linux"), and otherwise
// quotes one sanitised word of it: printable ASCII only (no control, format
// or bidirectional characters, no U+2028), never a link or a domain, at
// most maxAgentLength characters.

// maxAgentLength bounds what an email quotes of an unrecognised User-Agent.
const maxAgentLength = 60

// browsers are recognised by a product token of the User-Agent, first match
// wins: Edge, Opera and Samsung Internet also send "Chrome/", and Chrome
// also sends "Safari/". The major version follows version, when set (Safari
// puts its own in "Version/", not in "Safari/").
var browsers = []struct{ name, token, version string }{
	{"Edge", "Edg/", "Edg/"}, {"Edge", "EdgA/", "EdgA/"}, {"Edge", "EdgiOS/", "EdgiOS/"}, {"Edge", "Edge/", "Edge/"},
	{"Opera", "OPR/", "OPR/"}, {"Opera", "OPiOS/", "OPiOS/"}, {"Opera", "Opera/", "Version/"},
	{"Samsung Internet", "SamsungBrowser/", "SamsungBrowser/"},
	{"Yandex Browser", "YaBrowser/", "YaBrowser/"},
	{"Firefox", "Firefox/", "Firefox/"}, {"Firefox", "FxiOS/", "FxiOS/"},
	{"Chrome", "CriOS/", "CriOS/"}, {"Chrome", "Chrome/", "Chrome/"}, {"Chromium", "Chromium/", "Chromium/"},
	{"Safari", "Safari/", "Version/"},
	{"Internet Explorer", "MSIE ", "MSIE "}, {"Internet Explorer", "Trident/", "rv:"},
}

// systems are recognised by a word of the User-Agent's comment, first match
// wins: an iPhone says "like Mac OS X", Android says "Linux".
var systems = []struct{ name, token string }{
	{"iOS", "iPhone"}, {"iOS", "iPad"}, {"iOS", "iPod"},
	{"Android", "Android"},
	{"Windows", "Windows"},
	{"ChromeOS", "CrOS"},
	{"macOS", "Macintosh"}, {"macOS", "Mac OS X"},
	{"Linux", "Linux"}, {"Linux", "X11"},
}

// tools are command-line clients and libraries, recognised by the name of
// the User-Agent's first product, case-insensitively.
var tools = map[string]string{
	"curl": "curl", "wget": "Wget", "httpie": "HTTPie", "python-requests": "Python requests",
	"python-urllib": "Python urllib", "go-http-client": "Go HTTP client", "okhttp": "OkHttp",
	"postmanruntime": "Postman", "axios": "axios", "node-fetch": "node-fetch", "insomnia": "Insomnia",
}

// Browser describes a User-Agent for an email: "Firefox 132 on Linux",
// "Chrome 131 on Android", "Safari 17 on iOS", "curl"; or, for a User-Agent it does not
// recognise, its first product, sanitised, with the system when recognised
// ("MyApp/1.2 on Linux"), at most 60 characters; "" when nothing of it is
// safe to show. The result never holds a URL, a control or format
// character, or anything but printable ASCII.
func Browser(ua string) string {
	if len(ua) > 512 {
		ua = ua[:512] // the checks below need no more, and cost in its length
	}
	if name := toolName(ua); name != "" {
		return name
	}
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			name := b.name
			if v := majorVersion(ua, b.version); v != "" {
				name += " " + v
			}
			if sys := systemName(ua); sys != "" {
				return name + " on " + sys
			}
			return name
		}
	}
	return sanitizeAgent(ua)
}

// BrowserFamily is Browser without versions ("Firefox on Linux", "curl",
// "MyApp on Linux"): the browser part of the device key of
// ACCOUNTD_EMAIL_2FA=new_device and the "new sign-in" notice, so that a
// browser's update does not make a known device new.
func BrowserFamily(ua string) string {
	name := Browser(ua)
	head, sys, hasSys := strings.Cut(name, " on ")
	words := strings.Fields(head)
	if n := len(words); n > 1 && isDigits(words[n-1]) {
		words = words[:n-1] // "Firefox 132"
	}
	head = strings.Join(words, " ")
	if product, _, ok := strings.Cut(head, "/"); ok {
		head = product // an unrecognised "MyApp/1.2"
	}
	if hasSys {
		return head + " on " + sys
	}
	return head
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// majorVersion returns the digits (at most 4) that follow prefix in ua, or "".
func majorVersion(ua, prefix string) string {
	_, after, ok := strings.Cut(ua, prefix)
	if !ok {
		return ""
	}
	n := 0
	for n < len(after) && after[n] >= '0' && after[n] <= '9' {
		n++
	}
	if n == 0 || n > 4 {
		return ""
	}
	return after[:n]
}

// toolName returns the name of a known tool that ua's first product names.
func toolName(ua string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(ua), " ")
	product, _, _ := strings.Cut(first, "/")
	return tools[strings.ToLower(product)]
}

// systemName returns the operating system ua names, or "".
func systemName(ua string) string {
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			return s.name
		}
	}
	return ""
}

// sanitizeAgent is what an email shows of a User-Agent it does not
// recognise: its first product ("MyApp/1.2"), and the system when one is
// recognised ("MyApp/1.2 on Linux"). Only the first word, because any
// further words may be a sentence an attacker wrote. The word keeps the
// printable ASCII a product is made of (letters, digits and / . - _ + :),
// is dropped when it reads as a link or a domain, and is cut to
// maxAgentLength characters. Characters are filtered first, and invisible
// (format) ones dropped, so a link broken up by a zero-width character is
// still seen as a link.
func sanitizeAgent(ua string) string {
	kept := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		case strings.ContainsRune("/.-_+:", r):
			return r
		case unicode.Is(unicode.Cf, r):
			return -1 // invisible: "http\u200b://" is "http://"
		}
		return ' ' // any other character ends the word
	}, ua)
	product, _, _ := strings.Cut(strings.TrimSpace(kept), " ")
	if linkLike(product) {
		product = ""
	}
	if len(product) > maxAgentLength {
		product = product[:maxAgentLength]
	}
	switch sys := systemName(ua); {
	case sys == "":
		return product
	case product == "":
		return sys
	case len(product)+len(" on "+sys) > maxAgentLength:
		return product[:maxAgentLength-len(" on "+sys)] + " on " + sys
	default:
		return product + " on " + sys
	}
}

// linkLike reports whether a word could be read, or turned into a link by a
// mail client, as a URL or a domain: "http:", "www", "//", or a dot between a letter or digit and a letter ("evil.example",
// but not "Mozilla/5.0" or "rv:109.0").
func linkLike(w string) bool {
	lw := strings.ToLower(w)
	for _, marker := range []string{"http:", "https:", "ftp:", "mailto:", "www", "//"} {
		if strings.Contains(lw, marker) {
			return true
		}
	}
	for i := 1; i+1 < len(lw); i++ {
		if lw[i] == '.' && isAlnum(lw[i-1]) && lw[i+1] >= 'a' && lw[i+1] <= 'z' {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// forEmail returns data with its "user_agent" as Browser describes it, so
// no template, embedded or an operator's, can quote the raw User-Agent.
func forEmail(data map[string]string) map[string]string {
	ua, ok := data["user_agent"]
	if !ok {
		return data
	}
	out := maps.Clone(data)
	out["user_agent"] = Browser(ua)
	return out
}
