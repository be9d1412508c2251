package voicemail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"callbox/firmware/store"
)

// ErrNoSuchBox: the id names no extension with voicemail, no queue and
// no mailbox with anything in it.
var ErrNoSuchBox = errors.New("voicemail: no such mailbox")

// The kinds of mailbox BoxInfo reports.
const (
	BoxExtension = "extension"
	BoxQueue     = "queue"
	// BoxOther is a directory with messages whose extension or queue has
	// gone (or no longer has voicemail): kept until someone deletes them.
	BoxOther = "other"
)

// BoxInfo describes a mailbox for the admin pages and the API: whose it
// is and what it holds.
type BoxInfo struct {
	Mailbox string `json:"mailbox"`
	// Name is the extension's or queue's display name.
	Name string `json:"name"`
	// Kind is BoxExtension, BoxQueue or BoxOther.
	Kind string `json:"kind"`
	// Owner is the ID of the agent whose extension this is, and
	// OwnerUser that agent's web login; "" when none.
	Owner     string                `json:"owner"`
	OwnerUser string                `json:"ownerUser"`
	New       int                   `json:"new"`
	Old       int                   `json:"old"`
	Greetings map[GreetingKind]bool `json:"greetings"`
	// HasPIN: the extension has a voicemail PIN; without one only its
	// own phone reaches the owner's menu.
	HasPIN bool `json:"hasPin"`
}

// Boxes lists every mailbox: extensions with voicemail, queues (any queue
// may take messages) and directories left with messages in them, sorted
// by id. Names that cannot be mailbox ids are left out.
func Boxes(st *store.Store, vm *Store) ([]BoxInfo, error) {
	exts, err := store.List[store.Extension](st)
	if err != nil {
		return nil, err
	}
	queues, err := store.List[store.Queue](st)
	if err != nil {
		return nil, err
	}
	agents, err := store.List[store.Agent](st)
	if err != nil {
		return nil, err
	}
	byID := map[string]BoxInfo{}
	for _, e := range exts {
		if e.Voicemail && validMailbox(e.Number) {
			byID[e.Number] = BoxInfo{Mailbox: e.Number, Name: e.Name, Kind: BoxExtension, HasPIN: e.VoicemailPIN != ""}
		}
	}
	for _, q := range queues {
		if _, taken := byID[q.Name]; !taken && validMailbox(q.Name) {
			byID[q.Name] = BoxInfo{Mailbox: q.Name, Name: q.Name, Kind: BoxQueue}
		}
	}
	dirs, err := vm.dirs()
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if _, known := byID[d]; !known {
			byID[d] = BoxInfo{Mailbox: d, Kind: BoxOther}
		}
	}
	out := make([]BoxInfo, 0, len(byID))
	for _, b := range byID {
		if b.Kind == BoxOther {
			// A directory holding only greetings of a mailbox that is
			// gone is nothing to list.
			if ms, err := vm.List(b.Mailbox); err != nil || len(ms) == 0 {
				continue
			}
		}
		if err := vm.fill(&b, agents); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b BoxInfo) int { return strings.Compare(a.Mailbox, b.Mailbox) })
	return out, nil
}

// Box describes one mailbox (see Boxes); ErrNoSuchBox when Boxes would
// not list it.
func Box(st *store.Store, vm *Store, mailbox string) (BoxInfo, error) {
	if !validMailbox(mailbox) {
		return BoxInfo{}, fmt.Errorf("%w: %q", ErrBadMailbox, mailbox)
	}
	all, err := Boxes(st, vm)
	if err != nil {
		return BoxInfo{}, err
	}
	i := slices.IndexFunc(all, func(b BoxInfo) bool { return b.Mailbox == mailbox })
	if i < 0 {
		return BoxInfo{}, fmt.Errorf("%w: %s", ErrNoSuchBox, mailbox)
	}
	return all[i], nil
}

// fill adds the counts, the greetings and the owning agent.
func (s *Store) fill(b *BoxInfo, agents []store.Agent) error {
	sum, err := s.Summary(b.Mailbox)
	if err != nil {
		return err
	}
	b.New, b.Old = sum.Voice.New, sum.Voice.Old
	b.Greetings = s.Greetings(b.Mailbox)
	if b.Kind == BoxExtension {
		for _, a := range agents {
			if a.Extension == b.Mailbox {
				b.Owner, b.OwnerUser = a.ID, a.User
				break
			}
		}
	}
	return nil
}

// dirs lists the mailbox directories that exist.
func (s *Store) dirs() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && validMailbox(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
