package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"callbox/firmware/i18n"
)

// Source is one place that may know the caller: the built-in directory, a
// CRM, a database, a company directory. Lookup gets the number already
// normalised (see Plan.Normalize) and returns ErrNotFound (possibly
// wrapped) when it has no record. It must return when ctx ends.
type Source interface {
	Name() string
	Lookup(ctx context.Context, number string) (Record, error)
}

// Follower is a source that answers from its own copy of data kept
// elsewhere and told of changes after they are made (the built-in index
// of the store's customers). CatchUp returns once the copy holds every
// change made before the call and the source has told the directory's
// cache which answers those changes made wrong (Forget), or with ctx's
// error. The directory calls it before reading its cache, so that no
// cached answer, a "not found" above all, outlives a change the caller
// made before looking up.
type Follower interface {
	CatchUp(ctx context.Context) error
}

// Result is the answer to one lookup.
type Result struct {
	// Number is the caller number, normalised.
	Number string `json:"number"`
	// Record is merged from every source that answered, in source order.
	Record Record `json:"record"`
	// Found: at least one source had a record.
	Found bool `json:"found"`
	// Partial: some source did not answer in time or failed, so Record
	// may lack what that source knows.
	Partial bool `json:"partial"`
	// Errors lists the failed sources.
	Errors []SourceError `json:"errors,omitempty"`
	// Cached: the answer came from the cache.
	Cached bool `json:"cached"`
}

// SourceError is the failure of one source in one lookup.
type SourceError struct {
	Source string `json:"source"`
	Err    error  `json:"-"`
	// Timeout: the source did not answer before its timeout or the
	// lookup's deadline.
	Timeout bool `json:"timeout"`
}

// Error implements error.
func (e SourceError) Error() string { return fmt.Sprintf("directory: source %s: %v", e.Source, e.Err) }

// Unwrap returns the source's error.
func (e SourceError) Unwrap() error { return e.Err }

// MarshalJSON adds the error's text (in English, for logs and API
// clients; people see Message).
func (e SourceError) MarshalJSON() ([]byte, error) {
	type plain SourceError
	text := ""
	if e.Err != nil {
		text = e.Err.Error()
	}
	return json.Marshal(struct {
		plain
		Error string `json:"error"`
	}{plain(e), text})
}

// Message is the error for the status page and the screen pop, in lang.
func (e SourceError) Message(lang i18n.Lang) string {
	if e.Timeout {
		return i18n.T(lang, "directory.source.timeout", e.Source)
	}
	return i18n.T(lang, "directory.source.failed", e.Source, e.Err)
}

// Health is what the status page shows about one source.
type Health struct {
	Name          string        `json:"name"`
	Lookups       int           `json:"lookups"`
	Failures      int           `json:"failures"`
	LastError     string        `json:"lastError,omitempty"`
	LastErrorAt   time.Time     `json:"lastErrorAt,omitzero"`
	LastSuccessAt time.Time     `json:"lastSuccessAt,omitzero"`
	LastLatency   time.Duration `json:"lastLatency"`
}

// Option configures a Directory.
type Option func(*Directory)

// WithPlan sets the numbering plan (default PlanCN).
func WithPlan(p Plan) Option { return func(d *Directory) { d.plan = p } }

// WithSourceTimeout bounds each source's lookup (default 1 s).
func WithSourceTimeout(t time.Duration) Option { return func(d *Directory) { d.sourceTimeout = t } }

// WithDeadline bounds the whole lookup (default 1.5 s): past it, Lookup
// returns what it has, marked partial.
func WithDeadline(t time.Duration) Option { return func(d *Directory) { d.deadline = t } }

// WithCache keeps complete answers for ttl, at most max numbers
// (default 5 minutes, 10000). A ttl of 0 turns the cache off.
func WithCache(ttl time.Duration, max int) Option {
	return func(d *Directory) { d.ttl, d.maxCache = ttl, max }
}

// WithClock sets the clock used for the cache and the health times.
func WithClock(now func() time.Time) Option { return func(d *Directory) { d.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(d *Directory) { d.log = l } }

// Directory asks its sources in order and merges their answers. It is safe
// for concurrent use. Close waits for lookups of sources that ignored
// their context.
type Directory struct {
	sources       []Source
	plan          Plan
	sourceTimeout time.Duration
	deadline      time.Duration
	ttl           time.Duration
	maxCache      int
	now           func() time.Time
	log           *slog.Logger

	wg    sync.WaitGroup
	mu    sync.Mutex
	cache map[string]cached
	gen   uint64 // counts Forget and Flush calls; see toCache
	// sweepAt is when toCache next drops expired answers: an answer is
	// otherwise only dropped when its number is asked again, so numbers
	// that call once would stay until the cache is full.
	sweepAt time.Time
	health  []Health
}

type cached struct {
	res     Result
	expires time.Time
}

// New returns a directory over sources, asked in this order.
func New(sources []Source, opts ...Option) *Directory {
	d := &Directory{
		sources:       sources,
		plan:          PlanCN,
		sourceTimeout: time.Second,
		deadline:      1500 * time.Millisecond,
		ttl:           5 * time.Minute,
		maxCache:      10000,
		now:           time.Now,
		log:           slog.Default(),
		cache:         map[string]cached{},
	}
	for _, o := range opts {
		o(d)
	}
	d.health = make([]Health, len(sources))
	for i, s := range sources {
		d.health[i].Name = s.Name()
	}
	return d
}

// Plan returns the numbering plan in use.
func (d *Directory) Plan() Plan { return d.plan }

// answer is one source's reply.
type answer struct {
	i   int
	rec Record
	err error
	lat time.Duration
}

// Lookup finds the caller. It returns by the directory's deadline (or
// ctx's, if sooner) whatever the sources said by then; sources that had
// not answered are listed in Errors and the result is Partial. An error is
// returned only for a number that cannot be normalised.
func (d *Directory) Lookup(ctx context.Context, number string) (Result, error) {
	n := d.plan.Normalize(number)
	if n == "" {
		return Result{}, fmt.Errorf("%w: %q", ErrBadNumber, number)
	}
	ctx, cancel := context.WithTimeout(ctx, d.deadline)
	defer cancel()
	if d.caughtUp(ctx) {
		if r, ok := d.fromCache(n); ok {
			return r, nil
		}
	}
	gen := d.generation()
	replies := make(chan answer, len(d.sources))
	for i, s := range d.sources {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			sctx, scancel := context.WithTimeout(ctx, d.sourceTimeout)
			defer scancel()
			start := d.now()
			rec, err := s.Lookup(sctx, n)
			if err != nil && sctx.Err() != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
			}
			replies <- answer{i: i, rec: rec, err: err, lat: d.now().Sub(start)}
		}()
	}
	got := make([]*answer, len(d.sources))
	for pending := len(d.sources); pending > 0; pending-- {
		select {
		case a := <-replies:
			got[a.i] = &a
			d.record(a)
			continue
		case <-ctx.Done():
		}
		break
	}
	res := Result{Number: n}
	for i, a := range got {
		name := d.sources[i].Name()
		switch {
		case a == nil:
			res.Errors = append(res.Errors, SourceError{Source: name, Err: ctx.Err(), Timeout: true})
			d.record(answer{i: i, err: fmt.Errorf("%w: no answer by the lookup deadline", context.DeadlineExceeded), lat: d.deadline})
		case errors.Is(a.err, ErrNotFound):
		case a.err != nil:
			res.Errors = append(res.Errors, SourceError{Source: name, Err: a.err, Timeout: errors.Is(a.err, context.DeadlineExceeded)})
		case !a.rec.Empty():
			res.Record.merge(a.rec, name)
			res.Found = true
		}
	}
	res.Partial = len(res.Errors) > 0
	for _, e := range res.Errors {
		d.log.Warn("directory source failed", "source", e.Source, "number", n, "err", e.Err)
	}
	if !res.Partial {
		d.toCache(n, res, gen)
	}
	return res, nil
}

// ErrBadNumber: the number has characters no phone number has.
var ErrBadNumber = errors.New("directory: not a phone number")

func (d *Directory) record(a answer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := &d.health[a.i]
	h.Lookups++
	h.LastLatency = a.lat
	if a.err != nil && !errors.Is(a.err, ErrNotFound) {
		h.Failures++
		h.LastError = a.err.Error()
		h.LastErrorAt = d.now()
		return
	}
	h.LastSuccessAt = d.now()
}

// Health returns each source's health, in source order.
func (d *Directory) Health() []Health {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Health(nil), d.health...)
}

// caughtUp lets the sources that follow other data catch up (see
// Follower), within the source timeout; false means one did not, and the
// cache may hold answers it has yet to invalidate.
func (d *Directory) caughtUp(ctx context.Context) bool {
	if d.ttl <= 0 {
		return false
	}
	for _, s := range d.sources {
		f, ok := s.(Follower)
		if !ok {
			continue
		}
		fctx, cancel := context.WithTimeout(ctx, d.sourceTimeout)
		err := f.CatchUp(fctx)
		cancel()
		if err != nil {
			d.log.Warn("directory source behind its data; cache skipped", "source", s.Name(), "err", err)
			return false
		}
	}
	return true
}

// generation is the count of invalidations, which the caller of toCache
// reads before asking the sources.
func (d *Directory) generation() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gen
}

// fromCache returns the cached answer for n, if any.
func (d *Directory) fromCache(n string) (Result, bool) {
	if d.ttl <= 0 {
		return Result{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cache[n]
	if !ok || !d.now().Before(c.expires) {
		delete(d.cache, n)
		return Result{}, false
	}
	r := c.res
	r.Record = r.Record.clone()
	r.Cached = true
	return r, true
}

// toCache keeps r unless the cache was invalidated (Forget, Flush) since
// gen was read: the sources were then asked before the change was known
// to the directory, and their answer, a "not found" above all, may be the
// one the change made wrong. Keeping it would serve it for the whole TTL.
func (d *Directory) toCache(n string, r Result, gen uint64) {
	if d.ttl <= 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if gen != d.gen {
		return
	}
	now := d.now()
	if len(d.cache) >= d.maxCache || !now.Before(d.sweepAt) {
		// At most once per TTL (or when full): the walk is paid for by
		// the answers kept since the last one, and the cache holds about
		// two TTLs of callers instead of growing to maxCache.
		for k, c := range d.cache {
			if !now.Before(c.expires) {
				delete(d.cache, k)
			}
		}
		d.sweepAt = now.Add(d.ttl)
		// Still full: drop an arbitrary entry; the cache is a speed-up,
		// never the truth.
		for k := range d.cache {
			if len(d.cache) < d.maxCache {
				break
			}
			delete(d.cache, k)
		}
	}
	r.Record = r.Record.clone()
	d.cache[n] = cached{res: r, expires: now.Add(d.ttl)}
}

// Forget drops numbers from the cache (a customer having them was
// edited). Answers of lookups already running when Forget is called are
// not cached either, whatever their number.
func (d *Directory) Forget(numbers ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	for _, number := range numbers {
		delete(d.cache, d.plan.Normalize(number))
	}
}

// Flush empties the cache; answers of lookups already running are not
// cached either.
func (d *Directory) Flush() {
	d.mu.Lock()
	d.gen++
	clear(d.cache)
	d.mu.Unlock()
}

// Close waits for the lookups still running in sources that ignored their
// context. Lookup must not be called after Close.
func (d *Directory) Close() { d.wg.Wait() }
