package twofactor

import (
	"strings"
	"testing"
)

func TestParseCode(t *testing.T) {
	for _, v := range []struct {
		in   string
		want Code
		ok   bool
	}{
		{"123456", Code{Value: "123456"}, true},
		{" 123456\n", Code{Value: "123456"}, true},
		{"123 456", Code{Value: "123456"}, true},
		{"\t012345\r\n", Code{Value: "012345"}, true},
		{"abcd-efgh-ijkl-mnop-qrst-uvwx", Code{Value: "ABCDEFGHIJKLMNOPQRSTUVWX", Recovery: true}, true},
		{"ABCDEFGHIJKLMNOPQRSTUVWX", Code{Value: "ABCDEFGHIJKLMNOPQRSTUVWX", Recovery: true}, true},
		{" abcd efgh ijkl mnop qrst uvwx ", Code{Value: "ABCDEFGHIJKLMNOPQRSTUVWX", Recovery: true}, true},
		{"", Code{}, false},
		{"12345", Code{}, false},
		{"1234567", Code{}, false},
		{"123-456", Code{}, false},                        // a dash belongs to recovery codes
		{"+12345", Code{}, false},                         // no signs
		{"12345a", Code{}, false},                         // no letters in a six-digit code
		{"１２３４５６", Code{}, false},                         // full-width digits are not normalised
		{"١٢٣٤٥٦", Code{}, false},                         // nor Arabic-Indic digits
		{"123\u00a0456", Code{}, false},                   // a no-break space is not ASCII space
		{"123456\x00", Code{}, false},                     // nor is NUL
		{"ABCD-EFGH-IJKL-MNOP-QRST-UVW", Code{}, false},   // 23 characters
		{"ABCD-EFGH-IJKL-MNOP-QRST-UVWXY", Code{}, false}, // 25
		{"ABCD-EFGH-IJKL-MNOP-QRST-UVW0", Code{}, false},  // 0 is not base32; not mapped to O
		{"ABCD-EFGH-IJKL-MNOP-QRST-UVW1", Code{}, false},  // nor 1 to I
		{"ＡBCD-EFGH-IJKL-MNOP-QRST-UVWX", Code{}, false},  // full-width letter
		{strings.Repeat(" ", 100) + "123456", Code{}, false},
	} {
		got, err := ParseCode(v.in)
		if (err == nil) != v.ok || got != v.want {
			t.Errorf("ParseCode(%q) = %+v, %v; want %+v, ok %v", v.in, got, err, v.want, v.ok)
		}
	}
}

// TestParseOTPRefusesRecoveryCodes: where only a six-digit code may come
// (activation, email codes), a recovery code is refused.
func TestParseOTPRefusesRecoveryCodes(t *testing.T) {
	if _, err := ParseOTP("ABCD-EFGH-IJKL-MNOP-QRST-UVWX"); err == nil {
		t.Error("ParseOTP accepted a recovery code")
	}
}

// FuzzParseCode: no input panics, and what is accepted is exactly a code:
// six ASCII digits or 24 base32 characters, parsing to itself again, made
// only from the input's own ASCII characters (no normalisation).
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "abcd-efgh-ijkl-mnop-qrst-uvwx", "１２３４５６",
		"", "-", "123456123456123456123456", "ABCDEFGHIJKLMNOPQRSTUVWX", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			if c != (Code{}) {
				t.Fatalf("ParseCode(%q) failed but returned %+v", s, c)
			}
			return
		}
		if !wellFormed(c) {
			t.Fatalf("ParseCode(%q) = %+v: not a code", s, c)
		}
		if again, err := ParseCode(c.Value); err != nil || again != c {
			t.Fatalf("ParseCode(%q) = %+v, but its value parses as %+v, %v", s, c, again, err)
		}
		kept := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' || (c.Recovery && r == '-') {
				return -1
			}
			return r
		}, s)
		if strings.ToUpper(kept) != c.Value {
			t.Fatalf("ParseCode(%q) = %q: not the input's own characters", s, c.Value)
		}
	})
}

func wellFormed(c Code) bool {
	alphabet, n := "0123456789", Digits
	if c.Recovery {
		alphabet, n = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", recoveryLength
	}
	if len(c.Value) != n {
		return false
	}
	for i := 0; i < len(c.Value); i++ {
		if !strings.ContainsRune(alphabet, rune(c.Value[i])) {
			return false
		}
	}
	return true
}
