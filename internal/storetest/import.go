package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// The bulk writes of a user import (docs/operations.md#importing-users).

// createIfAbsent calls CreateUsersIfAbsent and checks its count.
func createIfAbsent(t *testing.T, s account.Store, users []*account.User, want int) {
	t.Helper()
	n, err := s.CreateUsersIfAbsent(t.Context(), users)
	noErr(t, fmt.Sprintf("CreateUsersIfAbsent(%d users)", len(users)), err)
	if n != want {
		t.Errorf("CreateUsersIfAbsent(%d users) = %d, want %d", len(users), n, want)
	}
}

var importTests = []test{
	{"InsertsOnlyFreeAddresses", func(t *testing.T, s account.Store) {
		// A stored account, deleted but not purged: its address stays taken.
		stored := createUser(t, s, newUser(1))
		b, c := newActiveUser(2), newUser(3)
		again := newActiveUser(4)
		again.Email, again.EmailKey, again.PasswordHash = "USER.1@example.com", stored.EmailKey, "$2b$10$other"
		bAgain := newActiveUser(5)
		bAgain.EmailKey, bAgain.FirstName = b.EmailKey, "Second"
		users := []*account.User{&b, &again, &c, &bAgain}
		createIfAbsent(t, s, users, 2)
		if b.ID == 0 || c.ID == 0 || b.ID == c.ID || b.ID == stored.ID || c.ID == stored.ID {
			t.Errorf("IDs of the new users = %d, %d, want distinct new IDs", b.ID, c.ID)
		}
		if again.ID != 0 || bAgain.ID != 0 {
			t.Errorf("IDs of the users whose address was taken = %d, %d, want 0", again.ID, bAgain.ID)
		}
		diff(t, "the stored user after an import of its address", userByID(t, s, stored.ID), stored)
		diff(t, fmt.Sprintf("UserByID(%d)", b.ID), userByID(t, s, b.ID), b)
		diff(t, fmt.Sprintf("UserByID(%d)", c.ID), userByID(t, s, c.ID), c)
		userLookup(t, s, b.EmailKey, b.ID)
	}},
	{"NoneOrEmpty", func(t *testing.T, s account.Store) {
		createIfAbsent(t, s, nil, 0)
		u := createUser(t, s, newUser(1))
		dup := newUser(1)
		createIfAbsent(t, s, []*account.User{&dup}, 0)
		userLookup(t, s, u.EmailKey, u.ID)
	}},
	{"RollsBackWithTheTransaction", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		u := newActiveUser(1)
		err := s.InTx(ctx, func(tx account.Store) error {
			if _, err := tx.CreateUsersIfAbsent(ctx, []*account.User{&u}); err != nil {
				return err
			}
			return errFn
		})
		wantErr(t, "InTx(CreateUsersIfAbsent, then fail)", err, errFn)
		absent(t, s, u, "after the rolled-back import")
		stillWrites(t, s)
	}},
	{"ManyInOneCall", func(t *testing.T, s account.Store) {
		users := make([]*account.User, 1500)
		for i := range users {
			u := newActiveUser(i)
			users[i] = &u
		}
		// A repeat far from its first, as a store writing in chunks sees it.
		users[1000].Email, users[1000].EmailKey = "USER.3@example.com", users[3].EmailKey
		createIfAbsent(t, s, users, len(users)-1)
		for _, i := range []int{0, 3, 777, len(users) - 1} {
			diff(t, fmt.Sprintf("UserByID(%d)", users[i].ID), userByID(t, s, users[i].ID), *users[i])
		}
		if users[1000].ID != 0 {
			t.Errorf("the repeat of user 3's address got ID %d, want 0", users[1000].ID)
		}
		createIfAbsent(t, s, users[:10], 0)
	}},
	{"AddEvents", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		in := []account.Event{
			newEvent("user_imported", u.ID, u.Email, base),
			newEvent("user_imported", 0, "Nobody@Example.com", at(time.Second)),
		}
		noErr(t, "AddEvents(2 events)", s.AddEvents(t.Context(), in))
		noErr(t, "AddEvents(none)", s.AddEvents(t.Context(), nil))
		got := events(t, s, account.EventFilter{Limit: 10})
		for i := range got {
			got[i].ID = 0
		}
		for i := range in {
			in[i].ID = 0
		}
		diff(t, "Events(all) after AddEvents", got, []account.Event{in[1], in[0]})
	}},
}
