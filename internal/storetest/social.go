package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accountd/accountd/internal/account"
)

// newIdentity returns an identity of u at issuer, its times in a zone other
// than UTC.
func newIdentity(u account.User, issuer, subject string) account.SocialIdentity {
	return account.SocialIdentity{UserID: u.ID, Provider: "google", Issuer: issuer, Subject: subject,
		Email: u.Email, CreatedAt: at(-time.Hour).In(elsewhere), LastLoginAt: at(-time.Hour).In(elsewhere)}
}

// createIdentity stores si and returns it with its ID and times in UTC.
func createIdentity(t *testing.T, s account.Store, si account.SocialIdentity) account.SocialIdentity {
	t.Helper()
	noErr(t, "CreateSocialIdentity", s.CreateSocialIdentity(t.Context(), &si))
	if si.ID == 0 {
		t.Fatal("CreateSocialIdentity left ID = 0, want it set")
	}
	si.CreatedAt, si.LastLoginAt = si.CreatedAt.UTC(), si.LastLoginAt.UTC()
	return si
}

const (
	googleIssuer = "https://accounts.google.com"
	otherIssuer  = "https://login.example.com"
)

var socialTests = []test{
	{"CreateAndLookUpByIssuerAndSubject", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		want := createIdentity(t, s, newIdentity(u, googleIssuer, "1001"))
		got, err := s.SocialIdentity(t.Context(), googleIssuer, "1001")
		noErr(t, "SocialIdentity", err)
		utc(t, "SocialIdentity", got.CreatedAt, got.LastLoginAt)
		diff(t, "SocialIdentity", got, want)
	}},
	{"UnknownIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		createIdentity(t, s, newIdentity(u, googleIssuer, "1001"))
		for _, k := range [][2]string{{googleIssuer, "1002"}, {otherIssuer, "1001"}, {googleIssuer, ""}} {
			_, err := s.SocialIdentity(t.Context(), k[0], k[1])
			wantErr(t, "SocialIdentity("+k[0]+", "+k[1]+")", err, account.ErrNotFound)
		}
	}},
	{"IssuerAndSubjectAreUnique", func(t *testing.T, s account.Store) {
		a := createUser(t, s, newActiveUser(1))
		b := createUser(t, s, newActiveUser(2))
		createIdentity(t, s, newIdentity(a, googleIssuer, "1001"))
		dup := newIdentity(b, googleIssuer, "1001")
		wantErr(t, "CreateSocialIdentity of a linked identity", s.CreateSocialIdentity(t.Context(), &dup), account.ErrConflict)
		// The same subject at another issuer is another person.
		createIdentity(t, s, newIdentity(b, otherIssuer, "1001"))
	}},
	{"ListsTheUsersIdentitiesOldestFirst", func(t *testing.T, s account.Store) {
		a := createUser(t, s, newActiveUser(1))
		b := createUser(t, s, newActiveUser(2))
		first := createIdentity(t, s, newIdentity(a, googleIssuer, "1001"))
		createIdentity(t, s, newIdentity(b, googleIssuer, "2002"))
		second := createIdentity(t, s, newIdentity(a, otherIssuer, "x"))
		got, err := s.SocialIdentities(t.Context(), a.ID)
		noErr(t, "SocialIdentities", err)
		diff(t, "SocialIdentities", got, []account.SocialIdentity{first, second})
		none, err := s.SocialIdentities(t.Context(), 999)
		noErr(t, "SocialIdentities(unknown)", err)
		diff(t, "SocialIdentities(unknown)", none, []account.SocialIdentity{}, cmpopts.EquateEmpty())
	}},
	{"TouchRecordsTheSignInAndAddress", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		si := createIdentity(t, s, newIdentity(u, googleIssuer, "1001"))
		noErr(t, "TouchSocialIdentity", s.TouchSocialIdentity(t.Context(), si.ID, "new@example.com", base.In(elsewhere)))
		got, err := s.SocialIdentity(t.Context(), googleIssuer, "1001")
		noErr(t, "SocialIdentity", err)
		si.Email, si.LastLoginAt = "new@example.com", base
		diff(t, "SocialIdentity after TouchSocialIdentity", got, si)
		wantErr(t, "TouchSocialIdentity(unknown)", s.TouchSocialIdentity(t.Context(), si.ID+100, "x@example.com", base), account.ErrNotFound)
	}},
	{"PurgeErasesTheIdentitiesOfPurgedUsers", func(t *testing.T, s account.Store) {
		gone := createUser(t, s, newUser(1)) // deleted an hour before base
		kept := createUser(t, s, newActiveUser(2))
		createIdentity(t, s, newIdentity(gone, googleIssuer, "1001"))
		keptID := createIdentity(t, s, newIdentity(kept, googleIssuer, "2002"))
		_, err := s.PurgeDeleted(t.Context(), base)
		noErr(t, "PurgeDeleted", err)
		_, err = s.SocialIdentity(t.Context(), googleIssuer, "1001")
		wantErr(t, "SocialIdentity of a purged user", err, account.ErrNotFound)
		// The identity is free again: its owner may register anew.
		createIdentity(t, s, newIdentity(kept, googleIssuer, "1001"))
		got, err := s.SocialIdentity(t.Context(), googleIssuer, "2002")
		noErr(t, "SocialIdentity of a kept user", err)
		diff(t, "SocialIdentity of a kept user", got, keptID)
	}},
	{"WrittenInATransaction", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		err := s.InTx(t.Context(), func(tx account.Store) error {
			si := newIdentity(u, googleIssuer, "1001")
			if err := tx.CreateSocialIdentity(t.Context(), &si); err != nil {
				return err
			}
			return account.ErrConflict // roll back
		})
		wantErr(t, "InTx", err, account.ErrConflict)
		_, err = s.SocialIdentity(t.Context(), googleIssuer, "1001")
		wantErr(t, "SocialIdentity after a rolled-back link", err, account.ErrNotFound)
	}},
}
