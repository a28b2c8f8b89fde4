package password

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The five violations with the default policy's wording.
var (
	vShort    = Violation{"password_too_short", "This password is too short. It must contain at least 8 characters."}
	vLong     = Violation{"password_too_long", "This password is too long. It must contain at most 256 characters."}
	vSimilar  = Violation{"password_too_similar", "The password is too similar to the email."}
	vNumeric  = Violation{"password_entirely_numeric", "This password is entirely numeric."}
	vCommon   = Violation{"password_too_common", "This password is too common."}
	someEmail = "someone@example.org"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, pw, email string
		want            []Violation
	}{
		{"acceptable", "Zq8#vLp2", someEmail, nil},
		{"empty", "", someEmail, []Violation{vShort}},
		{"7 characters", "Zq8#vLp", someEmail, []Violation{vShort}},
		{"8 characters", "Zq8#vLp2", someEmail, nil},
		{"256 characters", strings.Repeat("aB3$", 64), someEmail, nil},
		{"257 characters", strings.Repeat("aB3$", 64) + "x", someEmail, []Violation{vLong}},
		{"7 three-byte runes", strings.Repeat("€", 7), someEmail, []Violation{vShort}},
		{"8 three-byte runes", strings.Repeat("€", 8), someEmail, nil},
		{"256 three-byte runes", strings.Repeat("€", 256), someEmail, nil},
		{"257 three-byte runes", strings.Repeat("€", 257), someEmail, []Violation{vLong}},
		{"8 runes of Japanese", "日本語パスワード", someEmail, nil},
		{"NFKC expands ligatures before counting", "ﬀﬀﬀﬀ", someEmail, nil},
		{"NFKC full-width is common", "ｐａｓｓｗｏｒｄ", someEmail, []Violation{vCommon}},
		{"common", "password", someEmail, []Violation{vCommon}},
		{"common compared lower-case", "PassWord", someEmail, []Violation{vCommon}},
		{"common with surrounding space", " password ", someEmail, []Violation{vCommon}},
		{"numeric", "73946201", someEmail, []Violation{vNumeric}},
		{"numeric full-width", "７３９４６２０１", someEmail, []Violation{vNumeric}},
		{"numeric Arabic-Indic", "٧٣٩٤٦٢٠١", someEmail, []Violation{vNumeric}},
		{"numeric and common", "12345678", someEmail, []Violation{vNumeric, vCommon}},
		{"similar to local part", "correcthorse", "correcthorse@example.org", []Violation{vSimilar}},
		{"similar ignores case", "CorrectHorse", "correcthorse@example.org", []Violation{vSimilar}},
		{"similar to whole email", "horse@example.org", "horse@example.org", []Violation{vSimilar}},
		{"similar to an anagram", "esrohtcerroc", "correcthorse@example.org", []Violation{vSimilar}},
		{"long password containing a short piece", "al-correct-horse-battery", "al@ex.io", nil},
		{"no email", "correcthorse", "", nil},
		{
			"four rules at once, in rule order", "1234567", "1234567@example.org",
			[]Violation{vShort, vSimilar, vNumeric, vCommon},
		},
		{"too long and numeric", strings.Repeat("1", 257), "111@x.io", []Violation{vLong, vNumeric}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultPolicy().Check(tt.pw, tt.email)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(%q, %q) mismatch (-want +got):\n%s", tt.pw, tt.email, diff)
			}
		})
	}
}

func TestCheckPolicyLengths(t *testing.T) {
	tests := []struct {
		policy Policy
		pw     string
		want   []Violation
	}{
		{Policy{}, "Zq8#vLp", []Violation{vShort}}, // zero policy is the default
		{Policy{MinLength: 12, MaxLength: 20}, "Zq8#vLp2wX4", []Violation{{
			"password_too_short", "This password is too short. It must contain at least 12 characters."}}},
		{Policy{MinLength: 12, MaxLength: 20}, "Zq8#vLp2wX4!", nil},
		{Policy{MinLength: 12, MaxLength: 20}, "Zq8#vLp2wX4!Zq8#vLp2w", []Violation{{
			"password_too_long", "This password is too long. It must contain at most 20 characters."}}},
		{Policy{MinLength: 1, MaxLength: 1}, "", []Violation{{
			"password_too_short", "This password is too short. It must contain at least 1 character."}}},
		{Policy{MinLength: 1, MaxLength: 1}, "Zq", []Violation{{
			"password_too_long", "This password is too long. It must contain at most 1 character."}}},
	}
	for _, tt := range tests {
		got := tt.policy.Check(tt.pw, someEmail)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%+v.Check(%q) mismatch (-want +got):\n%s", tt.policy, tt.pw, diff)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"ｐａｓｓｗｏｒｄ": "password",
		"ﬀ":        "ff",
		"e\u0301":  "é", // decomposed to composed
		"x²":       "x2",
		"plain":    "plain",
	}
	for in, want := range tests {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSkipPiece(t *testing.T) {
	tests := []struct {
		pl, vl int
		want   bool
	}{
		{20, 2, true},  // 10× and 2 < 7
		{19, 2, false}, // not 10×
		{24, 2, true},
		{10, 1, true},
		{9, 1, false},
		{0, 0, false}, // 0 < 0 is false: an empty password is compared with an empty piece
	}
	for _, tt := range tests {
		if got := skipPiece(tt.pl, tt.vl); got != tt.want {
			t.Errorf("skipPiece(%d, %d) = %v, want %v", tt.pl, tt.vl, got, tt.want)
		}
	}
}

func TestSimilarThreshold(t *testing.T) {
	tests := []struct {
		p, v string
		want bool
	}{
		{"abcdefghij", "abcdefgxyz", true},     // 2·7/20 = 0.7 exactly
		{"abcdefghij", "abcdefwxyz", false},    // 2·6/20 = 0.6
		{"aab", "abb", false},                  // multisets: {a,b} common, 4/6 < 0.7
		{"aabb", "abab", true},                 // order does not matter
		{"josé", "josé", true},                 // runes, not bytes
		{"ééé", "eee", false},                  // no rune in common
		{"abcdefghijklmn", "abcdefghij", true}, // 2·10/24 ≈ 0.83
	}
	for _, tt := range tests {
		if got := similar([]rune(tt.p), []rune(tt.v)); got != tt.want {
			t.Errorf("similar(%q, %q) = %v, want %v", tt.p, tt.v, got, tt.want)
		}
	}
}

func TestEmailPieces(t *testing.T) {
	got := emailPieces("josé.o'neil+tag@ex-ample.co.uk")
	want := []string{"josé", "o", "neil", "tag", "ex", "ample", "co", "uk"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("emailPieces mismatch (-want +got):\n%s", diff)
	}
}

func TestCommonListSize(t *testing.T) {
	if n := len(commonPasswords()); n < 20000 {
		t.Errorf("common password list has %d entries, want at least 20,000", n)
	}
	for pw := range commonPasswords() {
		if pw != strings.ToLower(pw) || pw != strings.TrimSpace(pw) {
			t.Fatalf("common password list entry %q is not lower-case and trimmed", pw)
		}
	}
}
