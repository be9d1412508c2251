package ivr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"callbox/firmware/store"
)

// How a flow's records are laid out in the store: the published version
// under the flow's id (what calls run and Follow loads), the draft being
// edited under "<id>.draft", and earlier published versions under
// "<id>.v<n>". Flow ids hold no dot, so the three never collide, and
// editing a draft never takes the published flow off the air.
const (
	draftSuffix   = ".draft"
	versionSuffix = ".v"
	// MaxFlowID bounds a flow id, leaving room for the suffixes in the
	// store's 64-character keys.
	MaxFlowID = 48
	// KeepVersions is how many published versions a flow keeps for
	// restoring.
	KeepVersions = 20
)

// Errors of the flow shelf.
var (
	ErrBadFlowID = errors.New("ivr: bad flow id")
	ErrNoVersion = errors.New("ivr: no such flow version")
)

// ValidFlowID reports whether id can name a flow.
func ValidFlowID(id string) bool { return len(id) <= MaxFlowID && validID(id) }

// LiveID reports whether a store.Flow key is a flow's published record
// (not a draft or a kept version).
func LiveID(key string) bool { return !strings.Contains(key, ".") }

// Shelf keeps flows in the store for the designer: drafts, publishing,
// the versions kept, import and export. Calls never see drafts.
type Shelf struct {
	st  *store.Store
	now func() time.Time
}

// NewShelf returns the shelf of st's flows.
func NewShelf(st *store.Store, now func() time.Time) *Shelf {
	if now == nil {
		now = time.Now
	}
	return &Shelf{st: st, now: now}
}

// FlowInfo is one flow in the list.
type FlowInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Version is the published version, 0 when never published.
	Version   int       `json:"version"`
	Draft     bool      `json:"draft"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// FlowView is a flow as the designer opens it: the draft when there is
// one, else the published document.
type FlowView struct {
	FlowInfo
	// Editing is true when Doc is the draft.
	Editing bool            `json:"editing"`
	Doc     json.RawMessage `json:"doc"`
}

// VersionInfo is one kept version.
type VersionInfo struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	Live      bool      `json:"live"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

func versionKey(id string, n int) string { return id + versionSuffix + strconv.Itoa(n) }

func (s *Shelf) get(key string) (store.Flow, bool, error) {
	rec, err := store.Get[store.Flow](s.st, key)
	if errors.Is(err, store.ErrNotFound) {
		return rec, false, nil
	}
	return rec, err == nil, err
}

// List lists the flows by id.
func (s *Shelf) List() ([]FlowInfo, error) {
	recs, err := store.List[store.Flow](s.st)
	if err != nil {
		return nil, err
	}
	byID := map[string]*FlowInfo{}
	var ids []string
	info := func(id string) *FlowInfo {
		if fi, ok := byID[id]; ok {
			return fi
		}
		fi := &FlowInfo{ID: id}
		byID[id] = fi
		ids = append(ids, id)
		return fi
	}
	for _, r := range recs {
		switch {
		case LiveID(r.ID):
			fi := info(r.ID)
			fi.Name, fi.UpdatedAt = r.Name, r.UpdatedAt
			if r.Published {
				fi.Version = r.Version
			}
		case strings.HasSuffix(r.ID, draftSuffix):
			fi := info(strings.TrimSuffix(r.ID, draftSuffix))
			fi.Draft = true
			if fi.Name == "" {
				fi.Name = r.Name
			}
			if r.UpdatedAt.After(fi.UpdatedAt) {
				fi.UpdatedAt = r.UpdatedAt
			}
		}
	}
	slices.Sort(ids)
	out := make([]FlowInfo, 0, len(ids))
	for _, id := range ids {
		out = append(out, *byID[id])
	}
	return out, nil
}

// Get opens a flow: its draft, or the published document.
func (s *Shelf) Get(id string) (FlowView, error) {
	if !ValidFlowID(id) {
		return FlowView{}, fmt.Errorf("%w: %q", ErrBadFlowID, id)
	}
	live, hasLive, err := s.get(id)
	if err != nil {
		return FlowView{}, err
	}
	draft, hasDraft, err := s.get(id + draftSuffix)
	if err != nil {
		return FlowView{}, err
	}
	v := FlowView{FlowInfo: FlowInfo{ID: id, Draft: hasDraft}}
	if hasLive && live.Published {
		v.Version = live.Version
	}
	switch {
	case hasDraft:
		v.Name, v.UpdatedAt, v.Doc, v.Editing = draft.Name, draft.UpdatedAt, draft.Doc, true
	case hasLive:
		v.Name, v.UpdatedAt, v.Doc = live.Name, live.UpdatedAt, live.Doc
	default:
		return FlowView{}, fmt.Errorf("flow %q: %w", id, store.ErrNotFound)
	}
	return v, nil
}

// SaveDraft parses data as a flow document (refusing a bad file with the
// line and the reason, *ImportError) and keeps it as id's draft. Import
// is the same call with a file's content.
func (s *Shelf) SaveDraft(id string, data []byte) (FlowView, error) {
	if !ValidFlowID(id) {
		return FlowView{}, fmt.Errorf("%w: %q", ErrBadFlowID, id)
	}
	doc, err := Parse(data)
	if err != nil {
		return FlowView{}, err
	}
	canon, err := json.Marshal(doc)
	if err != nil {
		return FlowView{}, fmt.Errorf("ivr: draft: %w", err)
	}
	live, hasLive, err := s.get(id)
	if err != nil {
		return FlowView{}, err
	}
	name := doc.Name
	if name == "" {
		name = id
	}
	base := 1
	if hasLive && live.Version > 0 {
		base = live.Version
	}
	rec := store.Flow{ID: id + draftSuffix, Name: truncate(name, 64), Version: base, Doc: canon, UpdatedAt: s.now()}
	if _, err := store.Put(s.st, rec); err != nil {
		return FlowView{}, err
	}
	return s.Get(id)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// Document parses what Get shows of a flow.
func (s *Shelf) Document(id string) (*Document, error) {
	v, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	return Parse(v.Doc)
}

// Export writes what Get shows of a flow as an indented JSON file.
func (s *Shelf) Export(id string) ([]byte, error) {
	doc, err := s.Document(id)
	if err != nil {
		return nil, err
	}
	return doc.Marshal()
}

// Publish validates the draft (or, without one, the published document
// again) with chk and makes it the next published version: new calls run
// it, calls in progress finish on theirs. The version is kept for
// restoring and the draft goes. An invalid flow returns Problems and
// changes nothing.
func (s *Shelf) Publish(id string, chk Checks) (*Flow, error) {
	v, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	live, _, err := s.get(id)
	if err != nil {
		return nil, err
	}
	rec := store.Flow{ID: id, Name: v.Name, Version: live.Version, Doc: v.Doc}
	if !live.Published {
		rec.Version = 0
	}
	out, f, err := Publish(rec, chk, s.now())
	if err != nil {
		return nil, err
	}
	kept := out
	kept.ID, kept.Published = versionKey(id, out.Version), false
	if _, err := store.Put(s.st, kept); err != nil {
		return nil, err
	}
	if _, err := store.Put(s.st, out); err != nil {
		return nil, err
	}
	if v.Editing {
		if _, err := store.Delete[store.Flow](s.st, id+draftSuffix); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if old := out.Version - KeepVersions; old > 0 {
		if _, err := store.Delete[store.Flow](s.st, versionKey(id, old)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return f, nil
}

// Versions lists the kept versions of a flow, newest first.
func (s *Shelf) Versions(id string) ([]VersionInfo, error) {
	if !ValidFlowID(id) {
		return nil, fmt.Errorf("%w: %q", ErrBadFlowID, id)
	}
	live, _, err := s.get(id)
	if err != nil {
		return nil, err
	}
	recs, err := store.List[store.Flow](s.st)
	if err != nil {
		return nil, err
	}
	out := []VersionInfo{}
	for _, r := range recs {
		n, ok := strings.CutPrefix(r.ID, id+versionSuffix)
		if !ok {
			continue
		}
		if v, err := strconv.Atoi(n); err == nil && v == r.Version {
			out = append(out, VersionInfo{Version: v, Name: r.Name, UpdatedAt: r.UpdatedAt,
				Live: live.Published && live.Version == v})
		}
	}
	// A flow published before versions were kept (or seeded) still
	// shows its live version.
	if live.Published && !slices.ContainsFunc(out, func(v VersionInfo) bool { return v.Version == live.Version }) {
		out = append(out, VersionInfo{Version: live.Version, Name: live.Name, UpdatedAt: live.UpdatedAt, Live: true})
	}
	slices.SortFunc(out, func(a, b VersionInfo) int { return b.Version - a.Version })
	return out, nil
}

// Restore copies kept version n into the draft, for the installer to
// check and publish (as a new version: history is never rewritten).
func (s *Shelf) Restore(id string, n int) (FlowView, error) {
	if !ValidFlowID(id) {
		return FlowView{}, fmt.Errorf("%w: %q", ErrBadFlowID, id)
	}
	rec, ok, err := s.get(versionKey(id, n))
	if err != nil {
		return FlowView{}, err
	}
	if !ok {
		// The live version may have no kept copy (see Versions).
		rec, ok, err = s.get(id)
		if err != nil {
			return FlowView{}, err
		}
		ok = ok && rec.Published && rec.Version == n
	}
	if !ok {
		return FlowView{}, fmt.Errorf("%w: %s v%d", ErrNoVersion, id, n)
	}
	return s.SaveDraft(id, rec.Doc)
}

// Delete removes a flow: its published record (calls in progress finish
// on it; new calls no longer find it), its draft and its kept versions.
func (s *Shelf) Delete(id string) error {
	if !ValidFlowID(id) {
		return fmt.Errorf("%w: %q", ErrBadFlowID, id)
	}
	recs, err := store.List[store.Flow](s.st)
	if err != nil {
		return err
	}
	found := false
	for _, r := range recs {
		if r.ID == id || r.ID == id+draftSuffix || strings.HasPrefix(r.ID, id+versionSuffix) {
			if _, err := store.Delete[store.Flow](s.st, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			found = true
		}
	}
	if !found {
		return fmt.Errorf("flow %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// Follow keeps cat in step with the store: it loads every published flow,
// then applies each change from the store's change feed (drafts and kept
// versions are not for calls and are skipped), until ctx ends. A flow
// that does not load is logged and left out; the version before it stays
// withdrawn rather than half-valid.
func Follow(ctx context.Context, st *store.Store, cat *Catalog, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	seq := st.Seq()
	recs, err := store.List[store.Flow](st)
	if err != nil {
		return err
	}
	for _, r := range recs {
		apply(ctx, cat, log, r.ID, r, true)
	}
	for ch := range st.Subscribe(ctx, seq) {
		if ch.Kind != store.KindFlow || !LiveID(ch.Key) {
			continue
		}
		if ch.Op == store.OpDelete {
			cat.Delete(ch.Key)
			continue
		}
		r, err := store.Get[store.Flow](st, ch.Key)
		apply(ctx, cat, log, ch.Key, r, err == nil)
	}
	return nil
}

func apply(ctx context.Context, cat *Catalog, log *slog.Logger, key string, r store.Flow, found bool) {
	if !LiveID(key) {
		return
	}
	if !found || !r.Published {
		cat.Delete(key)
		return
	}
	f, err := Load(r)
	if err != nil {
		log.WarnContext(ctx, "ivr: flow not loaded", "flow", key, "version", r.Version, "err", err)
		cat.Delete(key)
		return
	}
	cat.Put(f)
}
