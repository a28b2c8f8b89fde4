// Package mail holds the email side of accountd: the templates (text and
// HTML, embedded and overridable from a directory), the senders (SMTP for
// production, the database-backed development inbox) and the Worker that
// drains the outbox with leases, retries and backoff.
//
// It imports internal/account for the outbox row and nothing else of ours.
package mail
