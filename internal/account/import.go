package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
)

// A user import (docs/operations.md#importing-users): accounts moved from
// another system, their password hashes kept until each user's first
// sign-in replaces them with argon2id.

// DefaultImportBatch is how many users an import writes per transaction
// unless told otherwise.
const DefaultImportBatch = 1000

// ImportOptions tunes ImportUsers.
type ImportOptions struct {
	// BatchSize is how many lines make one transaction [DefaultImportBatch].
	BatchSize int
	// Via names who imports in the audit events ["accountd import users"].
	Via string
	// OnBadLine, when set, is told of each line not imported for a fault of
	// its own (malformed, against the rules, or the address of an earlier
	// line of the file), in the order of the lines, once its batch is
	// written.
	OnBadLine func(line int, err error)
	// OnBatch, when set, is told the running counts after each batch is
	// written.
	OnBatch func(ImportSummary)
}

// ImportSummary counts the lines of an import; blank lines are not counted.
type ImportSummary struct {
	Read     int // lines read
	Imported int // accounts created
	Existing int // skipped: an account had the address already
	Bad      int // skipped and reported to OnBadLine
}

// ImportUsers creates an account for each valid line of r (JSON lines,
// DecodeImportLine) whose address no account has; an address already
// taken is skipped and counted, never overwritten, so running the same
// file again imports only what is missing. Each batch of lines is one
// transaction with the audit event (user_imported) of each account it
// creates: an interruption leaves whole accounts or none. Imported
// accounts get no token and no email.
//
// The summary counts what was written; the error, if any, is a store
// failure, a read failure or ctx's, and the lines of the batch in hand
// were not written.
func (s *Service) ImportUsers(ctx context.Context, r io.Reader, opt ImportOptions) (ImportSummary, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultImportBatch
	}
	if opt.Via == "" {
		opt.Via = "accountd import users"
	}
	im := &importer{s: s, opt: opt, seed: maphash.MakeSeed(), seen: map[uint64]int{}, keys: map[string]int{}}
	lines := newImportLines(r)
	for {
		if err := ctx.Err(); err != nil {
			return im.sum, im.unwritten(err)
		}
		line, err := lines.next()
		switch {
		case err == io.EOF:
			return im.sum, im.flush(ctx)
		case errors.Is(err, errLineTooLong):
			im.sum.Read++
			im.batch = append(im.batch, pendingLine{line: lines.n, err: err})
		case err != nil:
			return im.sum, im.unwritten(fmt.Errorf("reading line %d: %w", lines.n, err))
		case len(bytes.Trim(line, " \t\r")) > 0: // JSON's white space; a blank line is no line
			im.add(lines.n, line)
		}
		if len(im.batch) >= opt.BatchSize {
			if err := im.flush(ctx); err != nil {
				return im.sum, err
			}
		}
	}
}

// importer is the state of one ImportUsers run.
type importer struct {
	s   *Service
	opt ImportOptions
	sum ImportSummary
	// batch holds the lines read since the last write, bad ones included,
	// so that they are reported in order.
	batch []pendingLine
	// keys maps the email keys of batch to their index in it.
	keys map[string]int
	// seen maps a hash of each email key of the file's valid lines to the
	// first line with it: 8 bytes a line where the keys would take tens.
	// Two different keys with one hash (about one chance in 10^7 for 10^6
	// lines) are told apart by the store: see flush.
	seed maphash.Seed
	seen map[uint64]int
}

// pendingLine is a line read and not yet written.
type pendingLine struct {
	line  int
	user  *ImportedUser // nil for a bad line
	err   error         // why the line is bad
	dupOf int           // an earlier line with the same address, probably
}

// add checks a line and queues it.
func (im *importer) add(n int, raw []byte) {
	im.sum.Read++
	p := pendingLine{line: n}
	l, err := DecodeImportLine(raw)
	if err == nil {
		var u ImportedUser
		u, err = l.User(im.s.clock())
		p.user = &u
	}
	switch {
	case err != nil:
		p.user, p.err = nil, err
	case im.hasKey(p.user.EmailKey):
		p.user, p.err = nil, sameAddress(im.batch[im.keys[p.user.EmailKey]].line)
	default:
		h := maphash.String(im.seed, p.user.EmailKey)
		if first, ok := im.seen[h]; ok {
			p.dupOf = first
		} else {
			im.seen[h] = n
		}
		im.keys[p.user.EmailKey] = len(im.batch)
	}
	im.batch = append(im.batch, p)
}

// hasKey reports whether a valid line of the batch has the email key.
func (im *importer) hasKey(key string) bool {
	_, ok := im.keys[key]
	return ok
}

func sameAddress(line int) error {
	return badLine(importEmail, fmt.Sprintf("the address of line %d again (the first line of an address wins)", line))
}

// flush writes the batch in one transaction and then reports its lines.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	var users []*User
	for _, p := range im.batch {
		if p.user != nil {
			users = append(users, &p.user.User)
		}
	}
	if len(users) > 0 {
		if err := im.s.store.InTx(ctx, func(tx Store) error { return im.write(ctx, tx, users) }); err != nil {
			return im.unwritten(err)
		}
	}
	for _, p := range im.batch {
		switch {
		case p.err != nil:
			im.bad(p.line, p.err)
		case p.user.ID != 0:
			im.sum.Imported++
			if im.s.cfg.OnEvent != nil {
				im.s.cfg.OnEvent("user_imported")
			}
		case p.dupOf != 0:
			// The store found the key taken and an earlier line hashed
			// alike: that line's account has it (or had it before this run).
			im.bad(p.line, sameAddress(p.dupOf))
		default:
			im.sum.Existing++
		}
	}
	im.batch = im.batch[:0]
	clear(im.keys)
	if im.opt.OnBatch != nil {
		im.opt.OnBatch(im.sum)
	}
	return nil
}

// write creates the accounts whose address is free and records an event
// for each.
func (im *importer) write(ctx context.Context, tx Store, users []*User) error {
	if _, err := tx.CreateUsersIfAbsent(ctx, users); err != nil {
		return err
	}
	c := Operator{Via: im.opt.Via}.client()
	now := im.s.clock()
	var events []Event
	for _, p := range im.batch {
		if p.user == nil || p.user.ID == 0 {
			continue
		}
		u := p.user
		events = append(events, Event{Time: now, Type: "user_imported", UserID: u.ID, Email: u.Email,
			EmailKey: u.EmailKey, IP: c.IP, UserAgent: c.UserAgent, Detail: u.HashFormat})
	}
	return tx.AddEvents(ctx, events)
}

func (im *importer) bad(line int, err error) {
	im.sum.Bad++
	if im.opt.OnBadLine != nil {
		im.opt.OnBadLine(line, err)
	}
}

// unwritten says which lines an error left unwritten.
func (im *importer) unwritten(err error) error {
	if len(im.batch) == 0 {
		return err
	}
	first, last := im.batch[0].line, im.batch[len(im.batch)-1].line
	return fmt.Errorf("lines %d to %d not written: %w", first, last, err)
}

// SetInsertedIDs is for stores implementing CreateUsersIfAbsent: given the
// IDs of the rows a bulk insert made, by email key, it sets the ID of the
// first user of each key (the one inserted: later ones of the same key
// were skipped) and returns how many it set.
func SetInsertedIDs(users []*User, ids map[string]int64) int {
	n := 0
	for _, u := range users {
		if id, ok := ids[u.EmailKey]; ok {
			u.ID = id
			delete(ids, u.EmailKey)
			n++
		}
	}
	return n
}
