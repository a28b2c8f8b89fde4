package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
)

// claimAll claims every due mail of the store.
func claimAll(t *testing.T, st account.Store) []account.Mail {
	t.Helper()
	now := time.Now()
	ms, err := st.ClaimMail(context.Background(), now.Add(time.Hour), now.Add(2*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func requestResets(t *testing.T, svc *account.Service, emails ...string) {
	t.Helper()
	for _, e := range emails {
		if err := svc.RequestReset(context.Background(), e, account.Client{IP: "192.0.2.7"}); err != nil {
			t.Fatalf("RequestReset(%s) = %v", e, err)
		}
	}
}

func register(t *testing.T, svc *account.Service, emails ...string) {
	t.Helper()
	for _, e := range emails {
		if _, _, err := svc.Register(context.Background(), account.RegisterInput{Email: e,
			Password: "Correct-Horse-7391", TOSAccepted: true}, account.Client{IP: "127.0.0.1"}); err != nil {
			t.Fatalf("Register(%s) = %v", e, err)
		}
	}
}

// claimedResets registers ada and bob on a new service, requests a reset
// for each of requested, and claims those requests.
func claimedResets(t *testing.T, requested ...string) (*account.Service, *rfLog, account.Store, []account.Mail) {
	t.Helper()
	svc, log, st := rfNewService(t)
	register(t, svc, "ada@example.com", "bob@example.com")
	claimAll(t, st) // the activation emails
	requestResets(t, svc, requested...)
	return svc, log, st, claimAll(t, st)
}

// outcome is what a resolved mail became: its kind, address and status.
func outcome(m account.Mail) string {
	return m.Kind + " " + m.To + " " + string(m.Status)
}

// A claimed batch is resolved in one transaction, with the per-address cap
// counting the tokens created earlier in the same batch, and every result
// stored.
func TestResolveMailsOneTransaction(t *testing.T) {
	ctx := context.Background()
	svc, log, st := rfNewService(t) // cap: 3 reset emails per hour
	register(t, svc, "ada@example.com", "bob@example.com")
	claimAll(t, st) // the activation emails
	requestResets(t, svc, "bob@example.com", "ada@example.com", "nobody@example.com",
		"ada@example.com", "ada@example.com", "ada@example.com")
	claimed := claimAll(t, st)
	log.take()

	got, errs := svc.ResolveMails(ctx, claimed)
	if calls := log.take(); calls[0] != "InTx" || countOf(calls, "InTx") != 1 {
		t.Errorf("store calls = %v, want one transaction", calls)
	}
	want := []string{"reset_link bob@example.com queued", "reset_link ada@example.com queued",
		"reset_request nobody@example.com suppressed", "reset_link ada@example.com queued",
		"reset_link ada@example.com queued", "reset_request ada@example.com suppressed"}
	var outcomes []string
	for i, m := range got {
		if errs[i] != nil {
			t.Errorf("mail %d: error %v", i, errs[i])
		}
		outcomes = append(outcomes, outcome(m))
		stored, err := st.MailByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored.Lease = m.Lease // the claim's, not stored
		if diff := cmp.Diff(m, stored); diff != "" {
			t.Errorf("mail %d as stored (-returned +stored):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("outcomes in claim order (-want +got):\n%s", diff)
	}
	tokens := map[string]bool{}
	for _, m := range got {
		if tok := m.Data["token"]; tok != "" {
			tokens[tok] = true
		}
	}
	if len(tokens) != 4 {
		t.Errorf("%d distinct tokens, want 4", len(tokens))
	}
}

func countOf(calls []string, name string) int {
	n := 0
	for _, c := range calls {
		if c == name {
			n++
		}
	}
	return n
}

// failingStore fails UpdateMail for one mail id, inside transactions too.
type failingStore struct {
	account.Store
	failID int64
}

func (f failingStore) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	return f.Store.InTx(ctx, func(tx account.Store) error { return fn(failingStore{tx, f.failID}) })
}

func (f failingStore) UpdateMail(ctx context.Context, m account.Mail) error {
	if m.ID == f.failID {
		return errors.New("disk on fire")
	}
	return f.Store.UpdateMail(ctx, m)
}

// When the batch's transaction fails, each mail is resolved on its own: the
// one that fails comes back unchanged with its error, the others resolve,
// and the failed batch leaves no token behind.
func TestResolveMailsFallsBackOneByOne(t *testing.T) {
	ctx := context.Background()
	_, _, st, claimed := claimedResets(t, "ada@example.com", "bob@example.com", "ada@example.com")

	bad := claimed[1] // bob's: the same settings, on a store that fails it
	svc2 := rfServiceOn(t, failingStore{st, bad.ID})
	got, errs := svc2.ResolveMails(ctx, claimed)
	if errs[0] != nil || errs[2] != nil || errs[1] == nil {
		t.Fatalf("errors = %v, want only the second mail's", errs)
	}
	if diff := cmp.Diff(bad, got[1]); diff != "" {
		t.Errorf("the failed mail came back changed (-given +returned):\n%s", diff)
	}
	for _, i := range []int{0, 2} {
		if outcome(got[i]) != "reset_link ada@example.com queued" {
			t.Errorf("mail %d = %s, want a reset link to ada", i, outcome(got[i]))
		}
	}
	ada, err := st.UserByEmailKey(ctx, account.EmailKey("ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.CountResetTokens(ctx, ada.ID, time.Time{}); err != nil || n != 2 {
		t.Errorf("ada's reset tokens = %d, %v; want 2 (none left by the failed batch)", n, err)
	}
}

// RecordDeliveries writes sent mails back and audits the reset emails
// among them, all in one transaction.
func TestRecordDeliveriesOneTransaction(t *testing.T) {
	ctx := context.Background()
	svc, log, st, claimed := claimedResets(t, "ada@example.com", "bob@example.com")
	got, _ := svc.ResolveMails(ctx, claimed)
	var ds []account.Delivery
	for i, m := range got {
		m.Status, m.SentAt = account.MailSent, time.Now().UTC().Truncate(time.Microsecond)
		d := account.Delivery{Mail: m}
		if i == 1 {
			m.Status, m.SentAt = account.MailDead, time.Time{}
			d = account.Delivery{Mail: m, SendErr: errors.New("550 no such user"), Dead: true}
		}
		ds = append(ds, d)
	}
	log.take()
	if err := svc.RecordDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"InTx", "UpdateMail", "AddEvent", "UpdateMail", "AddEvent"}, log.take()); diff != "" {
		t.Errorf("store calls (-want +got):\n%s", diff)
	}
	for i, want := range []string{"reset_sent", "reset_delivery_failed"} {
		to := got[i].To
		evs, err := st.Events(ctx, account.EventFilter{EmailKey: account.EmailKey(to), Limit: 1})
		if err != nil || len(evs) != 1 || evs[0].Type != want {
			t.Errorf("latest event of %s = %+v, %v; want %s", to, evs, err, want)
		}
		if stored, err := st.MailByID(ctx, got[i].ID); err != nil || stored.Status != ds[i].Mail.Status {
			t.Errorf("stored mail %d status = %q, %v; want %q", i, stored.Status, err, ds[i].Mail.Status)
		}
	}
}

// commitThenFailStore commits its first transaction and then reports an
// error, as a connection lost during COMMIT does.
type commitThenFailStore struct {
	account.Store
	failed *bool
}

func (c commitThenFailStore) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	err := c.Store.InTx(ctx, fn)
	if err == nil && !*c.failed {
		*c.failed = true
		return errors.New("connection lost during commit")
	}
	return err
}

// When the batch did commit but said it failed, the fallback takes the
// stored results: no request gets a second token.
func TestResolveMailsAfterAnUnknownCommit(t *testing.T) {
	ctx := context.Background()
	_, _, st, claimed := claimedResets(t, "ada@example.com", "bob@example.com")
	failed := false
	got, errs := rfServiceOn(t, commitThenFailStore{st, &failed}).ResolveMails(ctx, claimed)
	for i, m := range got {
		if errs[i] != nil || m.Kind != account.MailResetLink {
			t.Errorf("mail %d = %s, %v; want a reset link", i, outcome(m), errs[i])
		}
		stored, err := st.MailByID(ctx, m.ID)
		if err != nil || stored.Data["token"] != m.Data["token"] {
			t.Errorf("mail %d: returned token differs from the stored one (%v)", i, err)
		}
	}
	for _, e := range []string{"ada@example.com", "bob@example.com"} {
		u, err := st.UserByEmailKey(ctx, account.EmailKey(e))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := st.CountResetTokens(ctx, u.ID, time.Time{}); err != nil || n != 1 {
			t.Errorf("%s has %d reset tokens, %v; want 1", e, n, err)
		}
	}
}
