package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// fastParams keep argon2id tests quick; only TestHashDefaultParams uses the real cost.
func fastParams() Params {
	return Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// mustHash hashes pw or fails the test.
func mustHash(t *testing.T, h *Hasher, pw string) string {
	t.Helper()
	encoded, err := h.Hash(pw)
	if err != nil {
		t.Fatalf("Hash(%q) error: %v", pw, err)
	}
	return encoded
}

// checkVerify runs Verify and compares all three results.
func checkVerify(t *testing.T, h *Hasher, pw, encoded string, wantOK, wantRehash bool) {
	t.Helper()
	ok, rehash, err := h.Verify(pw, encoded)
	if err != nil || ok != wantOK || rehash != wantRehash {
		t.Errorf("Verify(%q, %q) = %v, %v, %v, want %v, %v, nil", pw, encoded, ok, rehash, err, wantOK, wantRehash)
	}
}

func TestHashRoundTrip(t *testing.T) {
	h := NewHasher(fastParams())
	encoded := mustHash(t, h, "Zq8#vLp2")
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(encoded) {
		t.Errorf("Hash = %q, want a PHC string matching %s", encoded, format)
	}
	checkVerify(t, h, "Zq8#vLp2", encoded, true, false)
	checkVerify(t, h, "Zq8#vLp3", encoded, false, false)
	checkVerify(t, h, "", encoded, false, false)
	if again := mustHash(t, h, "Zq8#vLp2"); again == encoded {
		t.Errorf("two hashes of the same password are equal (%q): salt not random", again)
	}
}

func TestHashNormalizes(t *testing.T) {
	h := NewHasher(fastParams())
	checkVerify(t, h, "password", mustHash(t, h, "ｐａｓｓｗｏｒｄ"), true, false)
	checkVerify(t, h, "ｐａｓｓｗｏｒｄ", mustHash(t, h, "password"), true, false)
	checkVerify(t, h, "e\u0301te\u0301", mustHash(t, h, "été"), true, false)
}

func TestHashDefaultParams(t *testing.T) {
	h := NewHasher(DefaultParams())
	encoded := mustHash(t, h, "Zq8#vLp2")
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(encoded, want) {
		t.Errorf("Hash = %q, want prefix %q", encoded, want)
	}
	checkVerify(t, h, "Zq8#vLp2", encoded, true, false)
	checkVerify(t, h, "Zq8#vLp", encoded, false, false)
}

func TestHashInvalidParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1, KeyLen: 32, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 0, KeyLen: 32, SaltLen: 16},
		{Memory: 7, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 0, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 4},
		{Memory: 2 << 20, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
	} {
		if got, err := NewHasher(p).Hash("Zq8#vLp2"); err == nil {
			t.Errorf("NewHasher(%+v).Hash = %q, nil, want an error", p, got)
		}
	}
}

// TestVerifyReferenceVector checks compatibility with the reference
// implementation (phc-winner-argon2, src/test.c).
func TestVerifyReferenceVector(t *testing.T) {
	const ref = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	h := NewHasher(fastParams())
	checkVerify(t, h, "password", ref, true, true) // other params: rehash
	checkVerify(t, h, "passwore", ref, false, false)
	same := NewHasher(Params{Memory: 256, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 8})
	checkVerify(t, same, "password", ref, true, false)
}

func TestVerifyNeedsRehash(t *testing.T) {
	old := NewHasher(fastParams())
	encoded := mustHash(t, old, "Zq8#vLp2")
	for _, p := range []Params{
		{Memory: 128, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
		{Memory: 64, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 2, KeyLen: 32, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 8},
	} {
		h := &Hasher{Params: p}
		checkVerify(t, h, "Zq8#vLp2", encoded, true, true)
		checkVerify(t, h, "wrong", encoded, false, false)
	}
}

func TestVerifyBcrypt(t *testing.T) {
	h := NewHasher(fastParams())
	b, err := bcrypt.GenerateFromPassword([]byte("Zq8#vLp2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	encoded := string(b) // $2a$04$...
	checkVerify(t, h, "Zq8#vLp2", encoded, true, true)
	checkVerify(t, h, "Zq8#vLp3", encoded, false, false)
	for _, prefix := range []string{"$2b$", "$2y$"} {
		checkVerify(t, h, "Zq8#vLp2", prefix+encoded[4:], true, true)
	}
}

func TestVerifyBcryptNormalization(t *testing.T) {
	h := NewHasher(fastParams())
	// Imported hashes of a non-NFKC password still match the password as typed…
	raw, err := bcrypt.GenerateFromPassword([]byte("ｐａｓｓ"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	checkVerify(t, h, "ｐａｓｓ", string(raw), true, true)
	// …and a hash of the NFKC form matches a non-normalised input.
	nfkc, err := bcrypt.GenerateFromPassword([]byte("pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	checkVerify(t, h, "ｐａｓｓ", string(nfkc), true, true)
}

func TestVerifyDjango(t *testing.T) {
	h := NewHasher(fastParams())
	// Published in Django 1.10's tests/auth_tests/test_hashers.py.
	const vector = "pbkdf2_sha256$24000$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc="
	checkVerify(t, h, "lètmein", vector, true, true)
	checkVerify(t, h, "lètmeinz", vector, false, false)

	// A hash of the raw, decomposed form (Django does not normalise) matches
	// the raw input; the NFKC attempt covers a composed hash and decomposed input.
	decomposed := "le\u0300tmein"
	checkVerify(t, h, decomposed, djangoHash(t, decomposed, "s4lt", 1000), true, true)
	checkVerify(t, h, decomposed, djangoHash(t, "lètmein", "s4lt", 1000), true, true)
}

// djangoHash builds a pbkdf2_sha256 hash the way Django's PBKDF2PasswordHasher does.
func djangoHash(t *testing.T, pw, salt string, iter int) string {
	t.Helper()
	key, err := pbkdf2.Key(sha256.New, pw, []byte(salt), iter, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iter, salt, base64.StdEncoding.EncodeToString(key))
}

func TestVerifyMalformed(t *testing.T) {
	h := NewHasher(fastParams())
	good := mustHash(t, h, "pw")
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, encoded := range []string{
		"",
		"pw",
		"!unusable",
		"$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ",
		"$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$m=64,t=1,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$t=1,m=64,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=64,t=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=-64,t=1,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=64,t=1,p=0$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=64,t=4294967295,p=1$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=64,t=1,p=255$c29tZXNhbHQ$c29tZWhhc2g",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZQ$c29tZWhhc2g",        // salt too short
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$c29t",          // key too short
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ=$c29tZWhhc2g",  // padded
		"$argon2id$v=19$m=64,t=1,p=1$c29t*XNhbHQ$c29tZWhhc2g",   // not base64
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$c29tZWhhc2g$x", // extra field
		good + "$",
		good[:len(good)-1] + "!",
		"$2b$",
		"$2b$04$short",
		string(bc) + "x",
		string(bc[:59]),
		"$2b$99" + string(bc[6:]), // cost out of range
		"$2b$31" + string(bc[6:]), // cost above our cap
		"$2b$04$" + strings.Repeat("!", 53),
		string(bc[:59]) + "!", // damaged in the hash part, which x/crypto compares without parsing
		"pbkdf2_sha256$",
		"pbkdf2_sha256$24000$seasalt",
		"pbkdf2_sha256$0$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
		"pbkdf2_sha256$-1$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
		"pbkdf2_sha256$x$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
		"pbkdf2_sha256$99999999999$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
		"pbkdf2_sha256$24000$$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
		"pbkdf2_sha256$24000$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc",
		"pbkdf2_sha256$24000$seasalt$c2hvcnQ=",
		"pbkdf2_sha256$24000$sea$salt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
		"pbkdf2_sha1$24000$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=",
	} {
		ok, rehash, err := h.Verify("pw", encoded)
		if err == nil || ok || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v, want false, false, an error", encoded, ok, rehash, err)
		}
		// An import refuses what Verify refuses, without quoting it.
		if format, err := HashFormat(encoded); err == nil || format != "" ||
			len(encoded) > 8 && strings.Contains(err.Error(), encoded) {
			t.Errorf("HashFormat(%q) = %q, %v, want an error that does not quote the hash", encoded, format, err)
		}
	}
}

// TestHashFormat: each format Verify reads is named, parameters other
// than ours included (they are rehashed at the next sign-in).
func TestHashFormat(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	other := mustHash(t, &Hasher{Params: Params{Memory: 128, Time: 3, Threads: 2, KeyLen: 16, SaltLen: 8}}, "pw")
	for _, c := range []struct{ encoded, want string }{
		{mustHash(t, NewHasher(fastParams()), "pw"), FormatArgon2id},
		{other, FormatArgon2id},
		{string(bc), FormatBcrypt},
		{"$2b$" + string(bc[4:]), FormatBcrypt},
		{"$2y$" + string(bc[4:]), FormatBcrypt},
		{"pbkdf2_sha256$24000$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=", FormatDjangoPBKDF2},
		{"pbkdf2_sha256$1000000$" + strings.Repeat("s", 22) + "$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=", FormatDjangoPBKDF2},
	} {
		if got, err := HashFormat(c.encoded); got != c.want || err != nil {
			t.Errorf("HashFormat(%q) = %q, %v, want %q", c.encoded, got, err, c.want)
		}
	}
}

// TestHashFormatRefusesOddSalts: an import refuses a Django salt outside
// printable ASCII (a NUL made PostgreSQL refuse the whole batch), while
// Verify still reads such a hash if one was stored before.
func TestHashFormatRefusesOddSalts(t *testing.T) {
	for _, salt := range []string{"sea\x00salt", "sea salt", "seasälz", "sea\tsalt"} {
		encoded := djangoHash(t, "pw", salt, 1000)
		if format, err := HashFormat(encoded); err == nil || format != "" {
			t.Errorf("HashFormat(salt %q) = %q, %v, want an error", salt, format, err)
		}
		if ok, _, err := NewHasher(fastParams()).Verify("pw", encoded); !ok || err != nil {
			t.Errorf("Verify(salt %q) = %v, %v, want true", salt, ok, err)
		}
	}
}

func TestVerifyDummy(t *testing.T) {
	h := NewHasher(fastParams())
	if h.dummyHash() == "" {
		t.Fatal("NewHasher made no dummy hash")
	}
	if h.VerifyDummy("Zq8#vLp2") {
		t.Error("VerifyDummy = true, want false")
	}
	// A Hasher built without NewHasher makes its dummy on first use.
	lazy := &Hasher{Params: fastParams()}
	if lazy.VerifyDummy("") || lazy.dummyHash() == "" {
		t.Error("zero-built Hasher: VerifyDummy = true or no dummy hash")
	}
	// Invalid params: nothing to hash with, and still false rather than a panic.
	if (&Hasher{}).VerifyDummy("x") {
		t.Error("VerifyDummy with invalid params = true, want false")
	}
}

func TestHasherConcurrent(t *testing.T) {
	h := &Hasher{Params: fastParams()}
	encoded := mustHash(t, h, "Zq8#vLp2")
	done := make(chan bool)
	for range 8 {
		go func() {
			ok, _, _ := h.Verify("Zq8#vLp2", encoded)
			done <- ok && !h.VerifyDummy("Zq8#vLp2")
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("concurrent Verify or VerifyDummy gave a wrong answer")
		}
	}
}
