package account

import (
	"context"
	"time"
	"unicode/utf8"
)

// ProfilePatch holds the writable profile fields; nil leaves a field as is.
type ProfilePatch struct {
	FirstName *string
	LastName  *string
	Timezone  *string
}

// Name lengths follow Django's AbstractUser.
const maxNameLength = 150

// UpdateProfile applies a patch to the user's profile and returns the result.
func (s *Service) UpdateProfile(ctx context.Context, u User, p ProfilePatch) (User, error) {
	var fields []FieldError
	checkName := func(field string, v *string) {
		if v != nil && utf8.RuneCountInString(*v) > maxNameLength {
			fields = append(fields, FieldError{field, "max_length",
				"Ensure this field has no more than 150 characters."})
		}
	}
	checkName("first_name", p.FirstName)
	checkName("last_name", p.LastName)
	if p.Timezone != nil {
		if _, err := time.LoadLocation(*p.Timezone); err != nil || *p.Timezone == "" || *p.Timezone == "Local" {
			fields = append(fields, FieldError{"timezone", "invalid", "Enter a valid timezone."})
		}
	}
	if len(fields) > 0 {
		return User{}, InvalidFields(fields)
	}
	if p.FirstName != nil {
		u.FirstName = *p.FirstName
	}
	if p.LastName != nil {
		u.LastName = *p.LastName
	}
	if p.Timezone != nil {
		u.Timezone = *p.Timezone
	}
	u.UpdatedAt = s.clock()
	if err := s.store.UpdateProfile(ctx, u); err != nil {
		return User{}, wrapStore(err)
	}
	return u, nil
}
