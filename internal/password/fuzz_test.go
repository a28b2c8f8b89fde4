package password

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
)

func FuzzCheck(f *testing.F) {
	for _, seed := range [][2]string{
		{"", ""},
		{"Zq8#vLp2", "someone@example.org"},
		{"1234567", "1234567@example.org"},
		{"ｐａｓｓｗｏｒｄ", "ｐａｓｓ@example.org"},
		{"ﬀﬀﬀﬀ", "ff@ff.ff"},
		{strings.Repeat("€", 257), "€@€"},
		{"\xff\xfe", "\x00@\xff"},
		{"josé", "josé@example.org"},
	} {
		f.Add(seed[0], seed[1])
	}
	codes := map[string]bool{
		codeTooShort: true, codeTooLong: true, codeTooSimilar: true,
		codeEntirelyNumeric: true, codeTooCommon: true,
	}
	f.Fuzz(func(t *testing.T, pw, email string) {
		p := DefaultPolicy()
		got := p.Check(pw, email)
		if got != nil && len(got) == 0 {
			t.Errorf("Check(%q, %q) = empty non-nil slice, want nil", pw, email)
		}
		for _, v := range got {
			if !codes[v.Code] || v.Message == "" {
				t.Errorf("Check(%q, %q) returned unknown violation %+v", pw, email, v)
			}
		}
		if again := p.Check(pw, email); !cmp.Equal(got, again) {
			t.Errorf("Check(%q, %q) not deterministic: %v then %v", pw, email, got, again)
		}
		if normalised := p.Check(Normalize(pw), email); !cmp.Equal(got, normalised) {
			t.Errorf("Check(%q) = %v but Check(Normalize) = %v", pw, got, normalised)
		}
	})
}

func FuzzVerify(f *testing.F) {
	h := NewHasher(fastParams())
	good, err := h.Hash("pw")
	if err != nil {
		f.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"", good, string(bc),
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"pbkdf2_sha256$1000$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
		"$argon2id$v=19$m=64,t=1,p=1$$",
		"$2y$04$" + strings.Repeat(".", 53),
	} {
		f.Add("pw", seed)
	}
	f.Fuzz(func(t *testing.T, pw, encoded string) {
		if tooCostly(encoded) {
			t.Skip("valid but expensive parameters; parsing was still exercised")
		}
		ok, rehash, err := h.Verify(pw, encoded)
		if err != nil && (ok || rehash) {
			t.Errorf("Verify(%q, %q) = %v, %v, %v: ok or rehash with an error", pw, encoded, ok, rehash, err)
		}
		if rehash && !ok {
			t.Errorf("Verify(%q, %q) = needsRehash without ok", pw, encoded)
		}
		// An import stores what HashFormat accepts: exactly what Verify reads.
		if _, ferr := HashFormat(encoded); (ferr == nil) != (err == nil) {
			t.Errorf("HashFormat(%q) = %v but Verify = %v: they must agree", encoded, ferr, err)
		}
	})
}

// tooCostly reports whether encoded parses with parameters that are within
// the production caps but would make a fuzzing iteration slow.
func tooCostly(encoded string) bool {
	if a, err := parseArgon2id(encoded); err == nil {
		return a.params.Memory > 4096 || a.params.Time > 4 || a.params.Threads > 4
	}
	if isBcrypt(encoded) {
		cost, err := bcrypt.Cost([]byte(encoded))
		return err == nil && cost > bcrypt.MinCost
	}
	if parts := strings.Split(encoded, "$"); len(parts) == 4 && parts[0] == "pbkdf2_sha256" {
		return len(parts[1]) > 4 // more than 9,999 iterations
	}
	return false
}

func BenchmarkCheck(b *testing.B) {
	p := DefaultPolicy()
	commonPasswords() // build the set outside the timed loop
	for b.Loop() {
		p.Check("correct horse battery staple", "someone@example.org")
	}
}

func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams())
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
