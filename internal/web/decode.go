package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/accountd/accountd/internal/account"
)

// MaxBodyBytes is the largest request body accepted (docs/api.md#conventions).
const MaxBodyBytes = 64 << 10

// body holds a decoded request body and collects the field errors found
// while reading it, like a DRF serializer: every failing field is reported.
type body struct {
	values map[string]any
	errs   []account.FieldError
}

// decodeBody reads a JSON object or a form body (docs/api.md#conventions). An empty body is
// an empty object.
func decodeBody(w http.ResponseWriter, r *http.Request) (*body, error) {
	b := &body{values: map[string]any{}}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, errParse
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return b, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err != nil:
		return nil, errUnsupportedMedia
	case mt == "application/json":
		return b, decodeJSON(raw, b)
	case mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, errParse
		}
		for k, v := range form {
			b.values[k] = v[len(v)-1]
		}
		return b, nil
	}
	return nil, errUnsupportedMedia
}

// decodeJSON parses a JSON object into b.values; anything else is
// parse_error. A key given twice is reported as invalid rather than letting
// one of the values silently win.
func decodeJSON(raw []byte, b *body) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errParse
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errParse
		}
		key, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return errParse
		}
		if _, dup := b.values[key]; dup {
			b.fail(key, "invalid", "This field was given more than once.")
		}
		b.values[key] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return errParse
	}
	if _, err := dec.Token(); err != io.EOF {
		return errParse // trailing data after the object
	}
	return nil
}

func (b *body) fail(field, code, msg string) {
	b.errs = append(b.errs, account.FieldError{Field: field, Code: code, Message: msg})
}

// str reads a string field. A required field that is missing, null or blank
// is reported; numbers are read as their text, as DRF's CharField does.
func (b *body) str(name string, required bool) string {
	v, ok := b.values[name]
	switch t := v.(type) {
	case nil:
		switch {
		case ok:
			b.fail(name, "null", "This field may not be null.")
		case required:
			b.fail(name, "required", "This field is required.")
		}
		return ""
	case string:
		if msg := unstorableText(t); msg != "" {
			b.fail(name, "invalid", msg)
			return ""
		}
		switch {
		case required && strings.TrimSpace(t) == "":
			b.fail(name, "blank", "This field may not be blank.")
		}
		return t
	case json.Number:
		return t.String()
	}
	b.fail(name, "invalid", "Not a valid string.")
	return ""
}

// optStr reads an optional string field for a PATCH: nil when absent.
func (b *body) optStr(name string) *string {
	if _, ok := b.values[name]; !ok {
		return nil
	}
	if b.values[name] == nil {
		b.fail(name, "null", "This field may not be null.")
		return nil
	}
	s := b.str(name, false)
	return &s
}

// boolean reads a boolean field, accepting DRF's spellings in form bodies.
func (b *body) boolean(name string, required bool) bool {
	v, ok := b.values[name]
	switch t := v.(type) {
	case nil:
		switch {
		case ok:
			b.fail(name, "null", "This field may not be null.")
		case required:
			b.fail(name, "required", "This field is required.")
		}
		return false
	case bool:
		return t
	case string:
		switch strings.ToLower(t) {
		case "true", "1", "yes", "on":
			return true
		case "false", "0", "no", "off":
			return false
		}
	case json.Number:
		switch t.String() {
		case "1":
			return true
		case "0":
			return false
		}
	}
	b.fail(name, "invalid", "Must be a valid boolean.")
	return false
}

// err returns the collected field errors, or nil.
func (b *body) err() error {
	if len(b.errs) == 0 {
		return nil
	}
	return account.InvalidFields(b.errs)
}

// merge adds the field errors of a domain error to the collected ones, so a
// response reports the format errors and the domain's together.
func (b *body) merge(err error) error {
	var ae *account.Error
	if len(b.errs) == 0 || !errors.As(err, &ae) || ae.Kind != account.KindInvalid {
		return err
	}
	return account.InvalidFields(append(b.errs, ae.Fields...))
}

// unstorableText says why s cannot reach the store, "" when it can:
// invalid UTF-8, or NUL, which PostgreSQL can neither store nor compare
// (DRF refuses NUL with these words).
func unstorableText(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "Not a valid string."
	case strings.ContainsRune(s, 0):
		return "Null characters are not allowed."
	}
	return ""
}

// queryText reads the free-text query parameter name, refusing on the
// parameter what unstorableText refuses: a filter value goes to the store
// as it is.
func queryText(q url.Values, name string) (string, *account.FieldError) {
	v := q.Get(name)
	if msg := unstorableText(v); msg != "" {
		return "", &account.FieldError{Field: name, Code: "invalid", Message: msg}
	}
	return v, nil
}
