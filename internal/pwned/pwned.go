// Package pwned checks passwords against a breached-password corpus through
// the k-anonymity range protocol (docs/api.md#password-rules rule 6): only the first five hex
// characters of the password's SHA-1 leave the process. It imports nothing
// of ours.
package pwned

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// DefaultURL is the range endpoint of Have I Been Pwned.
const DefaultURL = "https://api.pwnedpasswords.com/range/"

// Checker asks a range endpoint whether a password is in its corpus.
type Checker struct {
	url    string
	client *http.Client
	log    *slog.Logger
}

// New returns a Checker for the range endpoint (the prefix is
// appended to it); client may be nil for one with a 3 s timeout.
func New(endpoint string, client *http.Client, log *slog.Logger) *Checker {
	if client == nil {
		client = &http.Client{Timeout: 3 * time.Second}
	}
	if !strings.HasSuffix(endpoint, "/") {
		endpoint += "/"
	}
	return &Checker{url: endpoint, client: client, log: log}
}

// Breached reports whether the (NFKC-normalised) password is in the corpus.
// When the endpoint cannot be asked the check is skipped — logged, and the
// password treated as not breached — so an outage there never blocks a user.
func (c *Checker) Breached(ctx context.Context, password string) bool {
	sum := sha1.Sum([]byte(norm.NFKC.String(password)))
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	found, err := c.lookup(ctx, digest[:5], digest[5:])
	if err != nil {
		c.log.WarnContext(ctx, "breached-password check skipped", "err", err)
		return false
	}
	return found
}

// lookup fetches the range of prefix and looks for suffix in it.
func (c *Checker) lookup(ctx context.Context, prefix, suffix string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.url+prefix, nil)
	if err != nil {
		return false, err
	}
	// Padding hides, from anyone watching the traffic, how many suffixes
	// the range holds.
	req.Header.Set("Add-Padding", "true")
	res, err := c.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("range request: %w", unwrapURL(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false, fmt.Errorf("range request answered %d", res.StatusCode)
	}
	sc := bufio.NewScanner(io.LimitReader(res.Body, 4<<20))
	for sc.Scan() {
		s, count, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		// Padding lines have a count of 0.
		if ok && strings.EqualFold(s, suffix) && strings.TrimSpace(count) != "0" {
			return true, nil
		}
	}
	return false, sc.Err()
}

// unwrapURL drops the request URL from a transport error: the log needs
// the cause, not the address.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
