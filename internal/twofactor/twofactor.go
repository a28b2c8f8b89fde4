// Package twofactor holds the building blocks of two-factor sign-in (see
// docs/api.md#two-factor-authentication, issue 14): TOTP codes per RFC 6238, the strict parser of what a user
// types, recovery codes, email codes and the per-account wait after wrong
// codes. It is pure: no store, no clock of its own (callers pass the time),
// no global state, and it keeps no secret longer than a call. account uses
// it and owns every rule about when a code is asked for and what a code
// unlocks; the replay rule (a step not newer than the last accepted one is
// refused) is decided here for a single check and made atomic by the
// caller's compare-and-set in the store.
//
// It imports only the standard library and github.com/pquerna/otp (the
// per-step HOTP computation; see docs/decisions.md).
package twofactor
