package password

import (
	"strings"
	"unicode"
)

// tooSimilar applies docs/api.md#password-rules rule 3, which is Django's
// UserAttributeSimilarityValidator with max_similarity 0.7 and the email as the
// only attribute. The email is NFKC-normalised like the password so both sides
// are compared in the same form.
func tooSimilar(pw, email string) bool {
	if email == "" {
		return false
	}
	p := []rune(strings.ToLower(pw))
	whole := strings.ToLower(Normalize(email))
	for _, piece := range append(emailPieces(whole), whole) {
		v := []rune(piece)
		if skipPiece(len(p), len(v)) {
			continue
		}
		if similar(p, v) {
			return true
		}
	}
	return false
}

// emailPieces splits on runs of non-word characters, like Python's
// re.split(r"\W+", ...), dropping empty pieces. Go's regexp \W is ASCII-only
// while Python 3's is Unicode-aware, so the word test is spelled out here to
// keep "josé" one piece.
func emailPieces(email string) []string {
	return strings.FieldsFunc(email, func(r rune) bool { return !isWordRune(r) })
}

// isWordRune is Python's Unicode \w: letters, numbers and underscore.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_'
}

// skipPiece reports whether a piece is too short, relative to the password,
// to be worth comparing: the password is at least 10 times its length and
// the piece is shorter than 0.35 × the password length (0.35 = 0.7/2).
// Integers keep the comparison exact: vl < 0.35·pl ⇔ 20·vl < 7·pl.
// Skipping bounds the work on very long passwords; it never hides a match,
// since such a piece could not reach the 0.7 ratio anyway.
func skipPiece(pl, vl int) bool {
	return pl >= 10*vl && 20*vl < 7*pl
}

// similar reports whether 2·|common runes| / (len(p)+len(v)) ≥ 0.7, which is
// Python's SequenceMatcher.quick_ratio as Django uses it. In integers:
// 2m/L ≥ 7/10 ⇔ 20m ≥ 7L; this agrees with Python's float division exactly,
// because the float quotient rounds to the same double as the literal 0.7
// whenever the true ratio is exactly 0.7.
func similar(p, v []rune) bool {
	total := len(p) + len(v)
	if total == 0 {
		return false
	}
	return 20*commonRunes(p, v) >= 7*total
}

// commonRunes is the size of the multiset intersection of a and b.
func commonRunes(a, b []rune) int {
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	n := 0
	for _, r := range a {
		if avail[r] > 0 {
			avail[r]--
			n++
		}
	}
	return n
}
