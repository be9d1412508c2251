package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// Builtin is the customer directory kept in the store. The store has no
// index by phone number, so Builtin keeps one in memory: built from every
// customer when it is created and kept current from the store's change
// feed by Run.
//
// While Run follows the store, a lookup first waits (within its context)
// for the index to catch up with the store as it was when the lookup
// began: a customer added or edited before the call came in is found as
// stored, never missed because the index had not applied the change yet.
type Builtin struct {
	st       *store.Store
	plan     directory.Plan
	onChange func()
	cache    Cache
	log      *slog.Logger

	mu        sync.RWMutex
	byNum     map[string][]string // normalised number -> customer IDs
	nums      map[string][]string // customer ID -> its normalised numbers
	seq       uint64              // the store change the index has applied
	following int                 // Run calls in progress (or about to start, see follow)
	advanced  chan struct{}       // closed when seq moves, for lookups waiting on it; nil when none waits
}

// Cache is the directory's answer cache, as Builtin invalidates it:
// *directory.Directory implements it.
type Cache interface {
	// Forget drops the answers for numbers.
	Forget(numbers ...string)
	// Flush drops every answer.
	Flush()
}

// BuiltinOption configures a Builtin.
type BuiltinOption func(*Builtin)

// WithOnChange sets a function called after any customer changed in the
// store; pass the directory's Flush so that no stale name is served from
// its cache. Edits are rare, so flushing everything is cheap enough.
func WithOnChange(fn func()) BuiltinOption {
	return func(b *Builtin) { b.onChange = fn }
}

// WithCache names the cache of the directory Builtin answers for: when a
// customer changes, Builtin drops the answers for the customer's numbers,
// before and after the change (a miss for a number just added, a name
// just edited); when it rebuilds its whole index, it flushes the cache.
// The answers of the other sources for other numbers stay cached.
func WithCache(c Cache) BuiltinOption {
	return func(b *Builtin) { b.cache = c }
}

// WithBuiltinLogger sets the logger.
func WithBuiltinLogger(l *slog.Logger) BuiltinOption { return func(b *Builtin) { b.log = l } }

// NewBuiltin indexes every customer of st by number.
func NewBuiltin(st *store.Store, plan directory.Plan, opts ...BuiltinOption) (*Builtin, error) {
	b := &Builtin{st: st, plan: plan, log: slog.Default()}
	for _, o := range opts {
		o(b)
	}
	if err := b.reload(false); err != nil {
		return nil, err
	}
	return b, nil
}

// Name implements directory.Source.
func (b *Builtin) Name() string { return "builtin" }

// reload rebuilds the index from every customer; with flush, it empties
// the directory's cache before telling waiting lookups the index caught
// up, so that none reads an answer the rebuilt index makes wrong.
func (b *Builtin) reload(flush bool) error {
	seq := b.st.Seq()
	cs, err := store.List[store.Customer](b.st)
	if err != nil {
		return fmt.Errorf("directory: index customers: %w", err)
	}
	byNum := map[string][]string{}
	nums := map[string][]string{}
	for _, c := range cs {
		for _, n := range b.normAll(c.Numbers) {
			byNum[n] = append(byNum[n], c.ID)
			nums[c.ID] = append(nums[c.ID], n)
		}
	}
	b.mu.Lock()
	b.byNum, b.nums = byNum, nums
	b.mu.Unlock()
	if flush && b.cache != nil {
		b.cache.Flush()
	}
	b.mu.Lock()
	b.advance(seq)
	b.mu.Unlock()
	return nil
}

// advance records that the index has applied the store up to seq and
// wakes the lookups waiting for it. b.mu is held.
func (b *Builtin) advance(seq uint64) {
	b.seq = seq
	if b.advanced != nil {
		close(b.advanced)
		b.advanced = nil
	}
}

// follow marks Run as running (or about to run), so that lookups wait for
// the index to catch up; Live calls it before starting follow's run on
// its own goroutine so that no lookup slips in before Run has begun.
func (b *Builtin) follow() {
	b.mu.Lock()
	b.following++
	b.mu.Unlock()
}

// unfollow undoes follow when Run ends and wakes the waiting lookups,
// which no longer wait for an index nobody advances.
func (b *Builtin) unfollow() {
	b.mu.Lock()
	b.following--
	if b.advanced != nil {
		close(b.advanced)
		b.advanced = nil
	}
	b.mu.Unlock()
}

// CatchUp implements directory.Follower: while Run follows the store, it
// returns once the index has applied every change made before the call
// (and dropped the cached answers they concern, see WithCache), or with
// ctx's error. When Run is not running, it returns at once.
func (b *Builtin) CatchUp(ctx context.Context) error { return b.catchUp(ctx, b.st.Seq()) }

// catchUp waits until the index has applied the store change seq, Run
// stops or ctx ends (its error).
func (b *Builtin) catchUp(ctx context.Context, seq uint64) error {
	for {
		b.mu.Lock()
		if b.seq >= seq || b.following == 0 {
			b.mu.Unlock()
			return nil
		}
		if b.advanced == nil {
			b.advanced = make(chan struct{})
		}
		wake := b.advanced
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("directory: built-in index behind the store: %w", ctx.Err())
		}
	}
}

func (b *Builtin) normAll(numbers []string) []string {
	var out []string
	for _, raw := range numbers {
		if n := b.plan.Normalize(raw); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Run follows the store's change feed until ctx ends, keeping the index
// current. When the feed is lost because Run fell behind the log, it
// rebuilds the index and resubscribes; it returns nil when ctx ends or the
// store closes, and the error when the index cannot be rebuilt.
func (b *Builtin) Run(ctx context.Context) error {
	b.follow()
	return b.run(ctx)
}

// run is Run once follow has been counted; it undoes it.
func (b *Builtin) run(ctx context.Context) error {
	defer b.unfollow()
	for {
		b.mu.RLock()
		after := b.seq
		b.mu.RUnlock()
		for c := range b.st.Subscribe(ctx, after) {
			if c.Kind == store.KindCustomer {
				b.apply(c.Key)
			}
			b.mu.Lock()
			b.advance(c.Seq)
			b.mu.Unlock()
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := b.reload(true); errors.Is(err, store.ErrClosed) {
			return nil
		} else if err != nil {
			return err
		}
		if b.onChange != nil {
			b.onChange()
		}
	}
}

func (b *Builtin) apply(id string) {
	c, err := store.Get[store.Customer](b.st, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		b.log.Warn("directory: cannot read changed customer", "id", id, "err", err)
		return
	}
	b.mu.Lock()
	old := b.nums[id]
	for _, n := range old {
		b.byNum[n] = slices.DeleteFunc(b.byNum[n], func(s string) bool { return s == id })
		if len(b.byNum[n]) == 0 {
			delete(b.byNum, n)
		}
	}
	delete(b.nums, id)
	concerned := slices.Clone(old)
	if err == nil {
		for _, n := range b.normAll(c.Numbers) {
			b.byNum[n] = append(b.byNum[n], id)
			b.nums[id] = append(b.nums[id], n)
			if !slices.Contains(concerned, n) {
				concerned = append(concerned, n)
			}
		}
	}
	b.mu.Unlock()
	// Dropped after the index changed, so that a lookup caching in between
	// is refused by the cache (see directory.Directory.Forget).
	if b.cache != nil {
		b.cache.Forget(concerned...)
	}
	if b.onChange != nil {
		b.onChange()
	}
}

// CustomerIDs returns the IDs of the customers that have number.
func (b *Builtin) CustomerIDs(number string) []string {
	n := b.plan.Normalize(number)
	b.mu.RLock()
	defer b.mu.RUnlock()
	return slices.Clone(b.byNum[n])
}

// Lookup implements directory.Source. When several customers share the
// number, the first one (in the store's key order) wins. While Run
// follows the store, Lookup answers from an index that has applied every
// change made before it was called (see Builtin).
func (b *Builtin) Lookup(ctx context.Context, number string) (directory.Record, error) {
	if err := b.CatchUp(ctx); err != nil {
		return directory.Record{}, err
	}
	ids := b.CustomerIDs(number)
	slices.Sort(ids)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return directory.Record{}, err
		}
		c, err := store.Get[store.Customer](b.st, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return directory.Record{}, fmt.Errorf("directory: read customer %s: %w", id, err)
		}
		return FromCustomer(c), nil
	}
	return directory.Record{}, directory.ErrNotFound
}

// The directory.Record fields FromCustomer adds to a customer's custom
// fields: the record itself only has the VIP flag and free fields.
const (
	// FieldVIPLevel holds the VIP level, "1" to "5" (absent for none).
	FieldVIPLevel = "vipLevel"
	// FieldTags holds the tags, separated by ";".
	FieldTags = "tags"
)

// FromCustomer turns a stored customer into a directory record: the VIP
// flag says whether the level is above 0, and the custom fields carry the
// installer's fields with the level (FieldVIPLevel) and the tags
// (FieldTags), so that the pop and the IVR's branches see them by name.
func FromCustomer(c store.Customer) directory.Record {
	r := directory.Record{CustomerID: c.ID, Name: c.Name, Company: c.Company, Email: c.Email,
		Notes: c.Notes, Lang: c.Lang, VIP: c.Level() > 0}
	if len(c.Fields) > 0 || c.Level() > 0 || len(c.Tags) > 0 {
		r.Fields = make(map[string]string, len(c.Fields)+2)
		for k, v := range c.Fields {
			if v != "" {
				r.Fields[k] = v
			}
		}
		if l := c.Level(); l > 0 {
			r.Fields[FieldVIPLevel] = strconv.Itoa(l)
		}
		if len(c.Tags) > 0 {
			r.Fields[FieldTags] = strings.Join(c.Tags, ";")
		}
	}
	return r
}
