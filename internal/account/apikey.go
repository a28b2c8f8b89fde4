package account

import (
	"context"
	"strings"
	"unicode/utf8"
)

// API key limits (docs/api.md#api-keys).
const (
	MaxAPIKeys        = 100
	maxAPIKeyLabel    = 200
	apiKeyPrefixChars = 4
)

var (
	errAPIKeyNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "Not found."}
	errTooManyAPIKeys = Invalid("non_field_errors", "invalid", "An account may have at most 100 API keys.")
)

// MaskedKey is how an API key is shown after the response that created it.
func MaskedKey(t Token) string {
	return t.Prefix + strings.Repeat("*", TokenLength-len(t.Prefix))
}

func checkLabel(label string) error {
	if utf8.RuneCountInString(label) > maxAPIKeyLabel {
		return Invalid("label", "max_length", "Ensure this field has no more than 200 characters.")
	}
	return nil
}

// CreateAPIKey creates an API key and returns it with its full value, which
// is shown this once.
func (s *Service) CreateAPIKey(ctx context.Context, u User, label string, c Client) (Token, string, error) {
	if err := checkLabel(label); err != nil {
		return Token{}, "", err
	}
	raw := NewToken()
	now := s.clock()
	t := Token{UserID: u.ID, Kind: TokenAPIKey, Hash: HashSecret(raw), Label: label,
		Prefix: raw[:apiKeyPrefixChars], CreatedAt: now, UpdatedAt: now}
	err := s.store.InTx(ctx, func(tx Store) error {
		// Locking the user makes the count and the insert one step, so
		// concurrent creates cannot pass the limit.
		if err := tx.LockUser(ctx, u.ID); err != nil {
			return err
		}
		if _, n, err := tx.APIKeys(ctx, u.ID, 0, 0); err != nil {
			return err
		} else if n >= MaxAPIKeys {
			return errTooManyAPIKeys
		}
		if err := tx.CreateToken(ctx, &t); err != nil {
			return err
		}
		return s.event(ctx, tx, "apikey_created", u.ID, u.Email, c, "")
	})
	if err != nil {
		return Token{}, "", wrapStore(err)
	}
	return t, raw, nil
}

// APIKeys lists the user's API keys, a page at a time, and counts them.
func (s *Service) APIKeys(ctx context.Context, u User, offset, limit int) ([]Token, int, error) {
	keys, n, err := s.store.APIKeys(ctx, u.ID, offset, limit)
	return keys, n, wrapStore(err)
}

// APIKey returns one of the user's API keys; another account's is not found.
func (s *Service) APIKey(ctx context.Context, u User, id int64) (Token, error) {
	t, err := s.store.APIKey(ctx, u.ID, id)
	if isNotFound(err) {
		return Token{}, errAPIKeyNotFound
	}
	return t, wrapStore(err)
}

// UpdateAPIKey changes an API key's label.
func (s *Service) UpdateAPIKey(ctx context.Context, u User, id int64, label string) (Token, error) {
	if err := checkLabel(label); err != nil {
		return Token{}, err
	}
	t, err := s.APIKey(ctx, u, id)
	if err != nil {
		return Token{}, err
	}
	now := s.clock()
	if err := s.store.SetTokenLabel(ctx, id, label, now); err != nil {
		return Token{}, wrapStore(err)
	}
	t.Label, t.UpdatedAt = label, now
	return t, nil
}

// DeleteAPIKey revokes an API key.
func (s *Service) DeleteAPIKey(ctx context.Context, u User, id int64, c Client) error {
	if _, err := s.APIKey(ctx, u, id); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.RevokeToken(ctx, id, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, "apikey_deleted", u.ID, u.Email, c, "")
	})
	return wrapStore(err)
}
