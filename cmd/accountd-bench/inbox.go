package main

import (
	"cmp"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// tokenSource hands out the reset tokens that accountd emailed: the SMTP
// sink, or the development inbox of accountd serve -dev.
type tokenSource interface {
	// cursor marks the present: waitTokens returns only tokens sent after it.
	cursor(ctx context.Context) (int64, error)
	// waitTokens waits until every address has a token sent after cursor, or
	// timeout passes, and returns the tokens found by address.
	waitTokens(ctx context.Context, cursor int64, emails []string, timeout time.Duration) map[string]string
}

// inbox reads reset tokens from the development inbox at /dev/mail/, which
// lists the newest 200 messages.
type inbox struct {
	base   string
	client *http.Client
}

// inboxRow finds the recipient and id of each message of the list page.
var inboxRow = regexp.MustCompile(`<td>([^<]*)</td><td><a href="/dev/mail/(\d+)/">`)

type inboxEntry struct {
	id int64
	to string
}

// list returns the messages the inbox shows, oldest first.
func (in *inbox) list(ctx context.Context) ([]inboxEntry, error) {
	page, err := in.get(ctx, "/dev/mail/")
	if err != nil {
		return nil, err
	}
	var out []inboxEntry
	for _, m := range inboxRow.FindAllStringSubmatch(page, -1) {
		id, _ := strconv.ParseInt(m[2], 10, 64)
		out = append(out, inboxEntry{id: id, to: html.UnescapeString(m[1])})
	}
	slices.SortFunc(out, func(a, b inboxEntry) int { return cmp.Compare(a.id, b.id) })
	return out, nil
}

func (in *inbox) get(ctx context.Context, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", in.base+path, nil)
	if err != nil {
		return "", err
	}
	res, err := in.client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s (is accountd in -dev mode without ACCOUNTD_SMTP_URL?)", path, res.Status)
	}
	return string(b), nil
}

func (in *inbox) cursor(ctx context.Context) (int64, error) {
	list, err := in.list(ctx)
	if err != nil || len(list) == 0 {
		return 0, err
	}
	return list[len(list)-1].id, nil
}

func (in *inbox) waitTokens(ctx context.Context, cursor int64, emails []string, timeout time.Duration) map[string]string {
	want := map[string]bool{}
	for _, e := range emails {
		want[e] = true
	}
	got := map[string]string{}
	end := time.Now().Add(timeout)
	for len(got) < len(want) && time.Now().Before(end) && ctx.Err() == nil {
		list, err := in.list(ctx)
		if err != nil {
			return got
		}
		for _, e := range list {
			if e.id <= cursor {
				continue
			}
			cursor = e.id
			if !want[e.to] {
				continue
			}
			page, err := in.get(ctx, "/dev/mail/"+strconv.FormatInt(e.id, 10)+"/")
			if m := resetLinkPattern.FindStringSubmatch(page); err == nil && m != nil {
				got[e.to] = m[1]
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got
}
