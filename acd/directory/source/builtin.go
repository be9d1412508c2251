package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// Builtin is the customer directory kept in the store. The store has no
// index by phone number, so Builtin keeps one in memory: built from every
// customer when it is created and kept current from the store's change
// feed by Run.
type Builtin struct {
	st       *store.Store
	plan     directory.Plan
	onChange func()
	log      *slog.Logger

	mu    sync.RWMutex
	byNum map[string][]string // normalised number -> customer IDs
	nums  map[string][]string // customer ID -> its normalised numbers
	seq   uint64
}

// BuiltinOption configures a Builtin.
type BuiltinOption func(*Builtin)

// WithOnChange sets a function called after any customer changed in the
// store; pass the directory's Flush so that no stale name is served from
// its cache. Edits are rare, so flushing everything is cheap enough.
func WithOnChange(fn func()) BuiltinOption {
	return func(b *Builtin) { b.onChange = fn }
}

// WithBuiltinLogger sets the logger.
func WithBuiltinLogger(l *slog.Logger) BuiltinOption { return func(b *Builtin) { b.log = l } }

// NewBuiltin indexes every customer of st by number.
func NewBuiltin(st *store.Store, plan directory.Plan, opts ...BuiltinOption) (*Builtin, error) {
	b := &Builtin{st: st, plan: plan, log: slog.Default()}
	for _, o := range opts {
		o(b)
	}
	if err := b.reload(); err != nil {
		return nil, err
	}
	return b, nil
}

// Name implements directory.Source.
func (b *Builtin) Name() string { return "builtin" }

func (b *Builtin) reload() error {
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
	b.byNum, b.nums, b.seq = byNum, nums, seq
	b.mu.Unlock()
	return nil
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
	for {
		b.mu.RLock()
		after := b.seq
		b.mu.RUnlock()
		for c := range b.st.Subscribe(ctx, after) {
			if c.Kind == store.KindCustomer {
				b.apply(c.Key)
			}
			b.mu.Lock()
			b.seq = c.Seq
			b.mu.Unlock()
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := b.reload(); errors.Is(err, store.ErrClosed) {
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
	if err == nil {
		for _, n := range b.normAll(c.Numbers) {
			b.byNum[n] = append(b.byNum[n], id)
			b.nums[id] = append(b.nums[id], n)
		}
	}
	b.mu.Unlock()
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
// number, the first one (in the store's key order) wins.
func (b *Builtin) Lookup(ctx context.Context, number string) (directory.Record, error) {
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

// FromCustomer turns a stored customer into a directory record.
func FromCustomer(c store.Customer) directory.Record {
	return directory.Record{CustomerID: c.ID, Name: c.Name, Company: c.Company, Email: c.Email,
		Notes: c.Notes, Lang: c.Lang, VIP: c.VIP}
}
