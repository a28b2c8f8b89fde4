package storetest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// newMail returns a queued mail due at next; n makes it distinct.
func newMail(n int, next time.Time) account.Mail {
	return account.Mail{
		Kind:      account.MailResetLink,
		To:        fmt.Sprintf("user.%d@example.com", n),
		Locale:    "de",
		Data:      map[string]string{"token": fmt.Sprintf("secret%d", n), "ip": "192.0.2.1", "empty": ""},
		MessageID: fmt.Sprintf("<%d.abc@accountd.example>", n),
		Status:    account.MailQueued,
		CreatedAt: at(time.Duration(n) * time.Second).In(elsewhere),
		NextAt:    next.In(elsewhere),
	}
}

// enqueue stores m and returns it with its ID.
func enqueue(t *testing.T, s account.Store, m account.Mail) account.Mail {
	t.Helper()
	noErr(t, fmt.Sprintf("EnqueueMail(%s)", m.MessageID), s.EnqueueMail(t.Context(), &m))
	if m.ID == 0 {
		t.Fatalf("EnqueueMail(%s) left ID = 0, want it set", m.MessageID)
	}
	return m
}

// mailByID returns the stored mail or stops the test.
func mailByID(t *testing.T, s account.Store, id int64) account.Mail {
	t.Helper()
	m, err := s.MailByID(t.Context(), id)
	noErr(t, fmt.Sprintf("MailByID(%d)", id), err)
	utc(t, fmt.Sprintf("MailByID(%d)", id), m.CreatedAt, m.NextAt, m.SentAt)
	return m
}

// claim calls ClaimMail and returns the IDs it leased, checking each
// returned mail against the stored row.
func claim(t *testing.T, s account.Store, now, until time.Time, limit int) []account.Mail {
	t.Helper()
	got, err := s.ClaimMail(t.Context(), now, until, limit)
	noErr(t, fmt.Sprintf("ClaimMail(%v, %v, %d)", now, until, limit), err)
	for _, m := range got {
		if !m.Lease.Equal(m.NextAt) {
			t.Errorf("ClaimMail(%v) mail %d: Lease %v, want its NextAt %v", now, m.ID, m.Lease, m.NextAt)
		}
		stored := mailByID(t, s, m.ID)
		stored.Lease = m.Lease // not stored: what ClaimMail hands out
		diff(t, fmt.Sprintf("ClaimMail(%v) result against MailByID(%d)", now, m.ID), m, stored)
	}
	return got
}

func mailID(m account.Mail) int64 { return m.ID }

// claimed returns ms as ClaimMail leases them until leaseUntil.
func claimed(leaseUntil time.Time, ms ...account.Mail) []account.Mail {
	out := make([]account.Mail, len(ms))
	for i, m := range ms {
		m.Attempts++
		m.NextAt = leaseUntil
		m.Lease = leaseUntil
		out[i] = m
	}
	return out
}

var mailTests = []test{
	{"EnqueueAndByID", func(t *testing.T, s account.Store) {
		a := enqueue(t, s, newMail(1, base))
		b := newMail(2, base)
		b.Status, b.Attempts, b.LastError, b.SentAt = account.MailSent, 2, "421 try later", at(time.Minute).In(elsewhere)
		b = enqueue(t, s, b)
		if a.ID == b.ID {
			t.Errorf("EnqueueMail gave both mails ID %d, want distinct IDs", a.ID)
		}
		diff(t, fmt.Sprintf("MailByID(%d)", a.ID), mailByID(t, s, a.ID), a)
		diff(t, fmt.Sprintf("MailByID(%d)", b.ID), mailByID(t, s, b.ID), b)
	}},
	{"NilDataReadsEmpty", func(t *testing.T, s account.Store) {
		m := newMail(1, base)
		m.Data = nil
		m = enqueue(t, s, m)
		if got := mailByID(t, s, m.ID).Data; len(got) != 0 {
			t.Errorf("MailByID(%d).Data = %v, want empty", m.ID, got)
		}
		m.Data = map[string]string{}
		m = enqueue(t, s, m)
		if got := mailByID(t, s, m.ID).Data; len(got) != 0 {
			t.Errorf("MailByID(%d).Data = %v, want empty", m.ID, got)
		}
	}},
	{"UnknownIsNotFound", func(t *testing.T, s account.Store) {
		m := enqueue(t, s, newMail(1, base))
		_, err := s.MailByID(t.Context(), m.ID+1000)
		wantErr(t, fmt.Sprintf("MailByID(%d)", m.ID+1000), err, account.ErrNotFound)
		m.ID += 1000
		wantErr(t, fmt.Sprintf("UpdateMail(%d)", m.ID), s.UpdateMail(t.Context(), m), account.ErrNotFound)
	}},
	{"ClaimOnlyDueQueued", func(t *testing.T, s account.Store) {
		m1 := enqueue(t, s, newMail(1, at(-2*time.Minute)))
		m2 := enqueue(t, s, newMail(2, at(-time.Minute)))
		m3 := enqueue(t, s, newMail(3, base)) // due exactly now
		later := enqueue(t, s, newMail(4, at(time.Minute)))
		for i, st := range []account.MailStatus{account.MailSent, account.MailDead, account.MailSuppressed} {
			m := newMail(10+i, at(-time.Hour))
			m.Status = st
			enqueue(t, s, m)
		}
		lease := at(5 * time.Minute)
		want := claimed(lease, m1, m2, m3)
		diff(t, "ClaimMail(now)", claim(t, s, base.In(elsewhere), lease.In(elsewhere), 10), want)
		diff(t, "ClaimMail(now) again", ids(claim(t, s, base, lease, 10), mailID), []int64{})
		// The lease of the first three ends at lease; later fell due meanwhile.
		got := claim(t, s, lease, at(10*time.Minute), 10)
		slices.SortFunc(got, func(a, b account.Mail) int { return int(a.ID - b.ID) })
		diff(t, "ClaimMail(after the lease)", got, claimed(at(10*time.Minute), append(want, later)...))
	}},
	{"ClaimRespectsLimitOldestFirst", func(t *testing.T, s account.Store) {
		var all []int64
		for i := range 5 {
			all = append(all, enqueue(t, s, newMail(i, at(time.Duration(i-10)*time.Minute))).ID)
		}
		lease := at(time.Hour)
		diff(t, "ClaimMail(limit 2)", ids(claim(t, s, base, lease, 2), mailID), all[:2])
		diff(t, "ClaimMail(limit 2) again", ids(claim(t, s, base, lease, 2), mailID), all[2:4])
		diff(t, "ClaimMail(limit 2) a third time", ids(claim(t, s, base, lease, 2), mailID), all[4:])
		diff(t, "ClaimMail(limit 2) a fourth time", ids(claim(t, s, base, lease, 2), mailID), []int64{})
	}},
	{"ClaimCountsAttempts", func(t *testing.T, s account.Store) {
		m := newMail(1, base)
		m.Attempts = 3
		m = enqueue(t, s, m)
		got := claim(t, s, base, at(time.Minute), 1)
		if len(got) != 1 || got[0].Attempts != 4 {
			t.Errorf("ClaimMail of a mail tried 3 times = %+v, want one mail with Attempts 4", got)
		}
	}},
	{"UpdateRoundTrip", func(t *testing.T, s account.Store) {
		m := enqueue(t, s, newMail(1, base))
		other := enqueue(t, s, newMail(2, base))
		m.Kind, m.To, m.Data = account.MailPasswordChanged, "Other@Example.com", map[string]string{"email": "x@example.com"}
		m.Status, m.Attempts, m.LastError = account.MailSent, 7, "550 mailbox unavailable"
		m.NextAt, m.SentAt = at(time.Hour).In(elsewhere), at(2*time.Minute).In(elsewhere)
		noErr(t, fmt.Sprintf("UpdateMail(%d)", m.ID), s.UpdateMail(t.Context(), m))
		diff(t, fmt.Sprintf("MailByID(%d) after UpdateMail", m.ID), mailByID(t, s, m.ID), m)
		diff(t, fmt.Sprintf("MailByID(%d) of another mail after UpdateMail", other.ID), mailByID(t, s, other.ID), other)

		m.Data, m.Status, m.SentAt, m.LastError = nil, account.MailQueued, time.Time{}, ""
		noErr(t, fmt.Sprintf("UpdateMail(%d) back", m.ID), s.UpdateMail(t.Context(), m))
		got := mailByID(t, s, m.ID)
		if len(got.Data) != 0 || !got.SentAt.IsZero() || got.Status != account.MailQueued || got.LastError != "" {
			t.Errorf("MailByID(%d) = %+v, want empty Data, zero SentAt, queued, no LastError", m.ID, got)
		}
	}},
	{"UpdatedNotQueuedIsNotClaimed", func(t *testing.T, s account.Store) {
		m := enqueue(t, s, newMail(1, base))
		m.Status = account.MailSuppressed
		noErr(t, fmt.Sprintf("UpdateMail(%d)", m.ID), s.UpdateMail(t.Context(), m))
		diff(t, "ClaimMail(now)", ids(claim(t, s, base, at(time.Minute), 10), mailID), []int64{})
	}},
	{"ListByStatusNewestFirst", testMails},
	{"CountByKindRecipientSince", func(t *testing.T, s account.Store) {
		for i, spec := range []struct {
			kind, to string
			ago      time.Duration
		}{{"a", "x@example.com", 0}, {"a", "x@example.com", 30 * time.Minute}, {"a", "x@example.com", 2 * time.Hour},
			{"b", "x@example.com", 0}, {"a", "y@example.com", 0}} {
			m := newMail(i, base)
			m.Kind, m.To, m.CreatedAt = spec.kind, spec.to, base.Add(-spec.ago)
			enqueue(t, s, m)
		}
		n, err := s.CountMail(t.Context(), "a", "x@example.com", base.Add(-time.Hour))
		noErr(t, "CountMail", err)
		diff(t, `CountMail("a", "x@example.com", an hour ago)`, n, 2)
	}},
	{"Stats", func(t *testing.T, s account.Store) {
		st, err := s.MailStats(t.Context())
		noErr(t, "MailStats() on an empty outbox", err)
		diff(t, "MailStats() on an empty outbox", st, account.MailStats{})
		for i, status := range []account.MailStatus{account.MailSent, account.MailQueued, account.MailDead,
			account.MailQueued, account.MailSuppressed} {
			m := newMail(i, base)
			m.Status, m.CreatedAt = status, at(time.Duration(i)*time.Minute)
			enqueue(t, s, m)
		}
		st, err = s.MailStats(t.Context())
		noErr(t, "MailStats()", err)
		diff(t, "MailStats()", st, account.MailStats{Queued: 2, Dead: 1, OldestQueued: at(time.Minute)})
	}},
	{"ConcurrentClaimsNeverShare", testConcurrentClaims},
	{"ConcurrentEnqueuesAllWritten", testConcurrentEnqueues},
	{"UpdateClaimedMailOnlyWhileTheClaimHolds", func(t *testing.T, s account.Store) {
		enqueue(t, s, newMail(1, base))
		first := claim(t, s, base, at(time.Minute), 1)[0]
		// The claim runs out; another worker claims the mail.
		second := claim(t, s, at(time.Minute), at(2*time.Minute), 1)[0]
		late := first
		late.Status, late.SentAt = account.MailSent, at(90*time.Second)
		wantErr(t, "UpdateMail with the ended claim", s.UpdateMail(t.Context(), late), account.ErrLeaseLost)
		stored := mailByID(t, s, first.ID)
		stored.Lease = second.Lease
		diff(t, "the mail after the late write", stored, second)

		second.Status, second.SentAt = account.MailSent, at(100*time.Second)
		noErr(t, "UpdateMail with the current claim", s.UpdateMail(t.Context(), second))
		wantErr(t, "UpdateMail of a mail no longer queued", s.UpdateMail(t.Context(), second), account.ErrLeaseLost)
		unclaimed := mailByID(t, s, first.ID) // no Lease: written whatever its state (mail retry)
		unclaimed.Status, unclaimed.NextAt = account.MailQueued, at(3*time.Minute)
		noErr(t, "UpdateMail without a claim", s.UpdateMail(t.Context(), unclaimed))
	}},
	{"PurgeMail", func(t *testing.T, s account.Store) {
		cutoff := at(time.Hour)
		var keep []int64
		for i, spec := range []struct {
			status account.MailStatus
			age    time.Duration // after base
			purged bool
		}{
			{account.MailSent, 0, true}, {account.MailSuppressed, 59 * time.Minute, true},
			{account.MailSent, time.Hour, false}, {account.MailSuppressed, 2 * time.Hour, false},
			{account.MailQueued, 0, false}, {account.MailDead, 0, false},
		} {
			m := newMail(i, base)
			m.Status, m.CreatedAt = spec.status, at(spec.age)
			m = enqueue(t, s, m)
			if !spec.purged {
				keep = append(keep, m.ID)
			}
		}
		n, err := s.PurgeMail(t.Context(), cutoff)
		noErr(t, "PurgeMail", err)
		diff(t, "PurgeMail(an hour in) count", n, 2)
		all, err := s.Mails(t.Context(), "", 100)
		noErr(t, "Mails", err)
		var left []int64
		for _, m := range all {
			left = append(left, m.ID)
		}
		slices.Sort(left)
		diff(t, "mails left after PurgeMail", left, keep)
	}},
}

func testMails(t *testing.T, s account.Store) {
	var queued, all []int64
	for i, st := range []account.MailStatus{account.MailQueued, account.MailSent, account.MailQueued,
		account.MailDead, account.MailQueued, account.MailSuppressed} {
		m := newMail(i, base)
		m.Status = st
		m = enqueue(t, s, m)
		all = slices.Insert(all, 0, m.ID)
		if st == account.MailQueued {
			queued = slices.Insert(queued, 0, m.ID)
		}
	}
	list := func(st account.MailStatus, limit int) []int64 {
		t.Helper()
		ms, err := s.Mails(t.Context(), st, limit)
		noErr(t, fmt.Sprintf("Mails(%q, %d)", st, limit), err)
		return ids(ms, mailID)
	}
	diff(t, `Mails("", 10)`, list("", 10), all)
	diff(t, `Mails("", 2)`, list("", 2), all[:2])
	diff(t, `Mails("queued", 10)`, list(account.MailQueued, 10), queued)
	diff(t, `Mails("queued", 2)`, list(account.MailQueued, 2), queued[:2])
	diff(t, `Mails("dead", 10)`, list(account.MailDead, 10), all[2:3])
	diff(t, `Mails("nonesuch", 10)`, list("nonesuch", 10), []int64{})
	ms, err := s.Mails(t.Context(), account.MailSent, 10)
	noErr(t, `Mails("sent", 10)`, err)
	if len(ms) == 1 {
		diff(t, `Mails("sent", 10)[0] against MailByID`, ms[0], mailByID(t, s, ms[0].ID))
	}
}

// testConcurrentClaims has two workers claim from 50 due mails until none
// is left: no mail may be leased twice, and none may be missed.
func testConcurrentClaims(t *testing.T, s account.Store) {
	const n = 50
	want := make([]int64, 0, n)
	for i := range n {
		want = append(want, enqueue(t, s, newMail(i, at(-time.Duration(n-i)*time.Second))).ID)
	}
	got := make([][]int64, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for w := range got {
		wg.Go(func() {
			for {
				ms, err := s.ClaimMail(t.Context(), base, at(time.Hour), 3)
				if err != nil || len(ms) == 0 {
					errs[w] = err
					return
				}
				got[w] = append(got[w], ids(ms, mailID)...)
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		noErr(t, fmt.Sprintf("ClaimMail by worker %d", w), err)
	}
	seen := map[int64]int{}
	for w, list := range got {
		for _, id := range list {
			if prev, ok := seen[id]; ok {
				t.Errorf("ClaimMail leased mail %d to worker %d and to worker %d, want once", id, prev, w)
			}
			seen[id] = w
		}
	}
	diff(t, "mails claimed by both workers", slices.Sorted(maps.Keys(seen)), want)
}

// testConcurrentEnqueues: 200 concurrent enqueues, which the stores batch
// into shared transactions, each get their own id and row.
func testConcurrentEnqueues(t *testing.T, s account.Store) {
	const n = 200
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := account.Mail{Kind: "reset_request", To: fmt.Sprintf("u%d@example.com", i),
				MessageID: fmt.Sprintf("<%d@example.com>", i), Status: account.MailQueued,
				CreatedAt: time.Now(), NextAt: time.Now()}
			if err := s.EnqueueMail(t.Context(), &m); err != nil {
				t.Errorf("EnqueueMail %d: %v", i, err)
			}
			ids[i] = m.ID
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, id := range ids {
		if id == 0 || seen[id] {
			t.Fatalf("mail %d got id %d, want a distinct id", i, id)
		}
		seen[id] = true
		if m, err := s.MailByID(t.Context(), id); err != nil || m.To != fmt.Sprintf("u%d@example.com", i) {
			t.Errorf("MailByID(%d) = %q, %v; want mail %d", id, m.To, err, i)
		}
	}
}

// newDevMail returns a development mail created at when.
func newDevMail(n int, when time.Time) account.DevMail {
	return account.DevMail{MessageID: fmt.Sprintf("<%d@accountd.example>", n),
		To: fmt.Sprintf("user.%d@example.com", n), Subject: fmt.Sprintf("Reset your password (%d)", n),
		Text: "Open the link.\n", HTML: "<p>Open the <a href=\"https://x.example/\">link</a>.</p>",
		CreatedAt: when.In(elsewhere)}
}

// saveDevMail stores m and returns it with its ID.
func saveDevMail(t *testing.T, s account.Store, m account.DevMail) account.DevMail {
	t.Helper()
	noErr(t, fmt.Sprintf("SaveDevMail(%s)", m.MessageID), s.SaveDevMail(t.Context(), &m))
	if m.ID == 0 {
		t.Fatalf("SaveDevMail(%s) left ID = 0, want it set", m.MessageID)
	}
	return m
}

// devMails lists the development inbox.
func devMails(t *testing.T, s account.Store, limit int) []account.DevMail {
	t.Helper()
	ms, err := s.DevMails(t.Context(), limit)
	noErr(t, fmt.Sprintf("DevMails(%d)", limit), err)
	for _, m := range ms {
		utc(t, fmt.Sprintf("DevMails(%d)", limit), m.CreatedAt)
	}
	if ms == nil {
		ms = []account.DevMail{}
	}
	return ms
}

var devMailTests = []test{
	{"EmptyInbox", func(t *testing.T, s account.Store) {
		diff(t, "DevMails(10)", devMails(t, s, 10), []account.DevMail{})
	}},
	{"SaveListNewestFirst", func(t *testing.T, s account.Store) {
		var want []account.DevMail
		for i := range 3 {
			want = append([]account.DevMail{saveDevMail(t, s, newDevMail(i, at(time.Duration(i)*time.Second)))}, want...)
		}
		diff(t, "DevMails(10)", devMails(t, s, 10), want)
		diff(t, "DevMails(2)", devMails(t, s, 2), want[:2])
	}},
	{"ByID", func(t *testing.T, s account.Store) {
		a, b := saveDevMail(t, s, newDevMail(1, base)), saveDevMail(t, s, newDevMail(2, base))
		if a.ID == b.ID {
			t.Errorf("SaveDevMail gave both mails ID %d, want distinct IDs", a.ID)
		}
		got, err := s.DevMailByID(t.Context(), a.ID)
		noErr(t, fmt.Sprintf("DevMailByID(%d)", a.ID), err)
		utc(t, fmt.Sprintf("DevMailByID(%d)", a.ID), got.CreatedAt)
		diff(t, fmt.Sprintf("DevMailByID(%d)", a.ID), got, a)
		_, err = s.DevMailByID(t.Context(), b.ID+1000)
		wantErr(t, fmt.Sprintf("DevMailByID(%d)", b.ID+1000), err, account.ErrNotFound)
	}},
}
