package mail

import (
	"strings"
	"testing"
	"unicode"
)

func TestBrowserFamily(t *testing.T) {
	for _, tt := range []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox on Linux"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
		{"Firefox/132.0", "Firefox"},
		{"curl/8.5.0", "curl"},
		{"rf-test-browser/1.0 (X11; Linux x86_64)", "rf-test-browser on Linux"},
		{"du-req-003", "du-req-003"},
		{"", ""},
	} {
		if got := BrowserFamily(tt.ua); got != tt.want {
			t.Errorf("BrowserFamily(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}

func TestBrowser(t *testing.T) {
	for _, tt := range []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox 132 on Linux"},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on Windows"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36", "Chrome 131 on Android"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari 17 on iOS"},
		{"Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome 131 on iOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/132.0 Mobile/15E148 Safari/605.1.15", "Firefox 132 on iOS"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari 17 on macOS"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on macOS"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70", "Edge 131 on Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/114.0.0.0", "Opera 114 on Windows"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet 26 on Android"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on ChromeOS"},
		{"Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer 11 on Windows"},
		{"Firefox/132.0", "Firefox 132"},
		{"Firefox/1234567", "Firefox"},
		{"curl/8.5.0", "curl"},
		{"Wget/1.21.4", "Wget"},
		{"python-requests/2.32.3", "Python requests"},
		{"Go-http-client/1.1", "Go HTTP client"},
		{"okhttp/4.12.0", "OkHttp"},
		{"HTTPie/3.2.4", "HTTPie"},
		{"PostmanRuntime/7.42.0", "Postman"},
		// Not recognised: the first product, sanitised, and the system.
		{"", ""},
		{"rf-test-browser/1.0 (X11; Linux x86_64)", "rf-test-browser/1.0 on Linux"},
		{"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A)", "Dalvik/2.1.0 on Android"},
		{"m-run1-0/1 accountd-bench/1", "m-run1-0/1"},
		{"accountd reset-link", "accountd"},
		{"du-req-003", "du-req-003"},
		{"MyApp/1.2 (+https://evil.example/reset)", "MyApp/1.2"},
		{"Your account is locked, visit evil.example now", "Your"},
		{"evil.example/login is where to go", ""},
		{"Mozilla/5.0 (X11; Linux x86_64) Visit evil.example", "Mozilla/5.0 on Linux"},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Mozilla/5.0"},
		{"a\u2028b\u202ec<script>", "a"},
		{"\u202eab\u200bc d", "abc"},
		{"bot\xff\xfe", "bot"},
		{"mailto:ada@evil.example", ""},
		{"hxxps://evil[.]example", ""},
		{"http\u200b://evil.example/reset", ""},
		{strings.Repeat("abcdefghij", 20), strings.Repeat("abcdefghij", 6)},
		{strings.Repeat("abcdefghij", 20) + " (Windows NT 10.0)", strings.Repeat("abcdefghij", 5)[:49] + " on Windows"},
		{"(iPhone; Windows)", "iPhone on iOS"},
		{"(evil.example; Windows)", "Windows"},
	} {
		if got := Browser(tt.ua); got != tt.want {
			t.Errorf("Browser(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}

// FuzzBrowser: whatever the User-Agent, what an email shows is short,
// printable ASCII, and holds no link.
func FuzzBrowser(f *testing.F) {
	for _, s := range []string{"Mozilla/5.0 (X11; Linux x86_64) Firefox/1", "curl/8", "a\u2028http://x.example", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := Browser(ua)
		if len(got) > maxAgentLength {
			t.Errorf("Browser(%q) = %q, longer than %d", ua, got, maxAgentLength)
		}
		for _, r := range got {
			if r < ' ' || r > '~' || unicode.IsControl(r) {
				t.Fatalf("Browser(%q) = %q holds %U", ua, got, r)
			}
		}
		for _, w := range strings.Fields(got) {
			if linkLike(w) {
				t.Errorf("Browser(%q) = %q holds the link-like word %q", ua, got, w)
			}
		}
	})
}

// FuzzBrowserFamily: the device key's browser is never longer than what
// Browser says, holds only printable ASCII, and has no version number: two
// versions of one browser are one device.
func FuzzBrowserFamily(f *testing.F) {
	for _, s := range []string{"Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0", "MyApp/1.2 (Linux)", "curl/8", "a/ on b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got, full := BrowserFamily(ua), Browser(ua)
		if len(got) > len(full) {
			t.Errorf("BrowserFamily(%q) = %q, longer than Browser's %q", ua, got, full)
		}
		for _, r := range got {
			if r < ' ' || r > '~' {
				t.Fatalf("BrowserFamily(%q) = %q holds %U", ua, got, r)
			}
		}
		head, _, _ := strings.Cut(got, " on ")
		if words := strings.Fields(head); len(words) > 1 && isDigits(words[len(words)-1]) {
			t.Errorf("BrowserFamily(%q) = %q ends its browser with a version", ua, got)
		}
	})
}
