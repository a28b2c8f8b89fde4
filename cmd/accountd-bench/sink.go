package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// sink is an SMTP server on loopback that accepts every message and records
// when it was accepted, the reset token it carries, and the marker of the
// request that caused it. accountd's ACCOUNTD_SMTP_URL points at it.
type sink struct {
	Addr string
	srv  *gosmtp.Server

	mu     sync.Mutex
	seq    int64                // messages accepted so far
	last   time.Time            // when the last one was accepted
	tokens map[string]delivered // recipient → the latest reset token sent to it
	track  string               // the marker prefix recorded in marks; "" for none
	marks  map[string]time.Time // marker → when its message was accepted
}

// delivered is a reset token and the sequence number of its message.
type delivered struct {
	token string
	seq   int64
}

// startSink listens on addr (a loopback address) and serves until Close.
func startSink(addr string) (*sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &sink{Addr: ln.Addr().String(), tokens: map[string]delivered{}}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &sinkSession{sink: s}, nil
	}))
	srv.Domain = "sink.localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 10
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	go srv.Serve(ln) //nolint:errcheck // returns when closed
	return s, nil
}

// Close stops the server.
func (s *sink) Close() error { return s.srv.Close() }

// accept records one message accepted at t.
func (s *sink) accept(to []string, data []byte, t time.Time) {
	token, mark := scanMessage(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.last = t
	if token != "" {
		for _, r := range to {
			s.tokens[strings.ToLower(r)] = delivered{token: token, seq: s.seq}
		}
	}
	if mark != "" && s.track != "" && strings.HasPrefix(mark, s.track) {
		s.marks[mark] = t
	}
}

// cursor returns the number of messages accepted so far: tokens delivered
// after it are new.
func (s *sink) cursor(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq, nil
}

// Count returns how many messages were accepted and when the last was.
func (s *sink) Count() (int64, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq, s.last
}

// waitTokens waits until every address has a token delivered after cursor,
// or timeout passes, and returns the tokens found.
func (s *sink) waitTokens(ctx context.Context, cursor int64, emails []string, timeout time.Duration) map[string]string {
	end := time.Now().Add(timeout)
	for {
		got := map[string]string{}
		s.mu.Lock()
		for _, e := range emails {
			if d, ok := s.tokens[e]; ok && d.seq > cursor {
				got[e] = d.token
			}
		}
		s.mu.Unlock()
		if len(got) == len(emails) || time.Now().After(end) || ctx.Err() != nil {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// trackMarks starts recording the markers that begin with prefix, forgetting
// those recorded before.
func (s *sink) trackMarks(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.track, s.marks = prefix, map[string]time.Time{}
}

// waitMarks waits until want tracked markers arrived, no message arrived
// for idle, or timeout passed, and returns them; tracking stops.
func (s *sink) waitMarks(ctx context.Context, want int, idle, timeout time.Duration) map[string]time.Time {
	start := time.Now()
	end := start.Add(timeout)
	for {
		s.mu.Lock()
		n, last := len(s.marks), s.last
		s.mu.Unlock()
		if last.Before(start) {
			last = start
		}
		if n >= want || ctx.Err() != nil || time.Since(last) > idle || time.Now().After(end) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	marks := s.marks
	s.track, s.marks = "", nil
	return marks
}

// sinkSession is one SMTP session of the sink.
type sinkSession struct {
	sink *sink
	to   []string
}

func (ss *sinkSession) Mail(string, *gosmtp.MailOptions) error { return nil }

func (ss *sinkSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.sink.accept(ss.to, b, time.Now())
	return nil
}

func (ss *sinkSession) Reset()        { ss.to = nil }
func (ss *sinkSession) Logout() error { return nil }

var (
	// resetLinkPattern finds the token of a reset link.
	resetLinkPattern = regexp.MustCompile(`/resetpassword/([0-9a-f]{64})/confirm/`)
	// markPattern finds the marker the tool puts in a request's User-Agent,
	// which accountd names in the email ("the browser of the request").
	markPattern = regexp.MustCompile(`accountd-bench-m-([0-9a-z]+-[0-9]+)/`)
)

// markAgent is the User-Agent that carries a marker. The marker is in the
// product name: of a User-Agent it does not recognise, an email shows only
// the first product (mail.Browser).
func markAgent(mark string) string { return "accountd-bench-m-" + mark + "/1" }

// scanMessage returns the reset token and the marker in a message's text,
// decoding its MIME parts; "" for what it does not carry.
func scanMessage(data []byte) (token, mark string) {
	text := messageText(data)
	if m := resetLinkPattern.FindStringSubmatch(text); m != nil {
		token = m[1]
	}
	if m := markPattern.FindStringSubmatch(text); m != nil {
		mark = m[1]
	}
	return token, mark
}

// messageText returns the decoded text of every part of a message, or the
// raw message when it does not parse.
func messageText(data []byte) string {
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return string(data)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return decodePart(m.Body, m.Header.Get("Content-Transfer-Encoding"))
	}
	var out strings.Builder
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil { // io.EOF after the last part
			return out.String()
		}
		// NextPart decodes quoted-printable itself and drops the header.
		out.WriteString(decodePart(p, p.Header.Get("Content-Transfer-Encoding")))
		out.WriteByte('\n')
	}
}

func decodePart(r io.Reader, encoding string) string {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // it skips the line breaks
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}
