package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// DefaultConfig is the directory configuration of a box nobody has
// configured: the built-in directory alone.
func DefaultConfig() store.DirectoryConfig {
	return store.DirectoryConfig{ID: store.DirectoryConfigKey, Sources: []store.DataSource{{Type: TypeBuiltin}}}
}

// ConfigOf turns one stored source into the Config Build takes.
func ConfigOf(d store.DataSource) Config {
	return Config{Type: d.Type, Name: d.Name, URL: d.URL, Header: d.Header, HeaderValue: d.HeaderValue,
		Driver: d.Driver, DSN: d.DSN, Query: d.Query, BindDN: d.BindDN, Password: d.Password, BaseDN: d.BaseDN,
		Filter: d.Filter, Fields: d.Fields, TimeoutMS: d.TimeoutMS, NumberForm: directory.Form(d.NumberForm)}
}

// Open builds the sources of a stored configuration and a directory over
// them, with its deadline and cache. The caller runs set.Builtin.Run (when
// set.Builtin is not nil) and closes both.
func Open(cfg store.DirectoryConfig, st *store.Store, plan directory.Plan, log *slog.Logger) (*directory.Directory, *Set, error) {
	cfgs := make([]Config, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		cfgs = append(cfgs, ConfigOf(s))
	}
	late := &lateCache{}
	set, err := Build(cfgs, st, plan, WithCache(late), WithBuiltinLogger(log))
	if err != nil {
		return nil, nil, err
	}
	opts := []directory.Option{directory.WithPlan(plan), directory.WithLogger(log)}
	if cfg.DeadlineMS > 0 {
		opts = append(opts, directory.WithDeadline(time.Duration(cfg.DeadlineMS)*time.Millisecond))
	}
	switch {
	case cfg.CacheSeconds < 0:
		opts = append(opts, directory.WithCache(0, 0))
	case cfg.CacheSeconds > 0:
		opts = append(opts, directory.WithCache(time.Duration(cfg.CacheSeconds)*time.Second, 10000))
	}
	d := directory.New(set.Sources, opts...)
	late.d = d
	return d, set, nil
}

// lateCache is the directory's cache for a built-in source made before
// the directory (which needs the sources). Open sets d before anyone runs
// the built-in index, the only caller.
type lateCache struct{ d *directory.Directory }

func (c *lateCache) Forget(numbers ...string) { c.d.Forget(numbers...) }
func (c *lateCache) Flush()                   { c.d.Flush() }

// Live is the customer directory as the store configures it
// (store.DirectoryConfig): Run rebuilds the sources when the installer
// edits them and keeps the built-in index current; Lookup always asks the
// current sources. A configuration that cannot be built leaves the
// previous sources in place, and Err says why.
type Live struct {
	st   *store.Store
	plan directory.Plan
	log  *slog.Logger

	mu      sync.RWMutex // held for reading through a lookup, so a rebuild never closes sources in use
	dir     *directory.Directory
	set     *Set
	stopRun context.CancelFunc
	runDone chan struct{}
	err     error
}

// NewLive makes a Live directory over st; it builds the sources at the
// first Run. Before that, Lookup finds nothing.
func NewLive(st *store.Store, plan directory.Plan, log *slog.Logger) *Live {
	if log == nil {
		log = slog.Default()
	}
	return &Live{st: st, plan: plan, log: log}
}

// Plan is the numbering plan lookups use.
func (l *Live) Plan() directory.Plan { return l.plan }

// Name is the service name the supervisor shows.
func (l *Live) Name() string { return "directory" }

// Lookup asks the current sources (see directory.Directory.Lookup).
func (l *Live) Lookup(ctx context.Context, number string) (directory.Result, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.dir == nil {
		n := l.plan.Normalize(number)
		if n == "" {
			return directory.Result{}, fmt.Errorf("%w: %q", directory.ErrBadNumber, number)
		}
		return directory.Result{Number: n}, nil
	}
	return l.dir.Lookup(ctx, number)
}

// Health reports the current sources' health.
func (l *Live) Health() []directory.Health {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.dir == nil {
		return nil
	}
	return l.dir.Health()
}

// Err is why the stored configuration could not be built, or nil.
func (l *Live) Err() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.err
}

// Forget drops a number from the cache (a customer was edited).
func (l *Live) Forget(number string) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.dir != nil {
		l.dir.Forget(number)
	}
}

// Run builds the configured sources and rebuilds them on every change of
// the configuration until ctx ends; then it closes them. It returns nil
// on a clean stop.
func (l *Live) Run(ctx context.Context) error {
	defer l.swap(nil, nil, nil)
	after := l.st.Seq()
	l.rebuild()
	for {
		for c := range l.st.Subscribe(ctx, after) {
			if c.Kind == store.KindDirectoryConfig {
				l.rebuild()
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		// Dropped for being slow, or the log moved past us: read the
		// configuration afresh and follow from now.
		after = l.st.Seq()
		if errors.Is(l.rebuild(), store.ErrClosed) {
			return nil
		}
	}
}

// rebuild reads the configuration and swaps in new sources.
func (l *Live) rebuild() error {
	cfg, err := store.Get[store.DirectoryConfig](l.st, store.DirectoryConfigKey)
	if errors.Is(err, store.ErrNotFound) {
		cfg, err = DefaultConfig(), nil
	}
	if err != nil {
		l.log.Error("directory: read configuration", "err", err)
		return err
	}
	d, set, err := Open(cfg, l.st, l.plan, l.log)
	if err != nil {
		l.log.Error("directory: build sources", "err", err)
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		return err
	}
	l.swap(d, set, nil)
	l.log.Info("directory: sources built", "sources", len(set.Sources))
	return nil
}

// swap installs d and set (nil, nil to stop), closing the old ones once no
// lookup uses them, and runs the new built-in index.
func (l *Live) swap(d *directory.Directory, set *Set, err error) {
	l.mu.Lock()
	oldDir, oldSet, oldStop, oldDone := l.dir, l.set, l.stopRun, l.runDone
	l.dir, l.set, l.err, l.stopRun, l.runDone = d, set, err, nil, nil
	if set != nil && set.Builtin != nil {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		l.stopRun, l.runDone = cancel, done
		// Counted before the goroutine starts: a lookup from now on waits
		// for the index to catch up with the store (see Builtin).
		set.Builtin.follow()
		go func() {
			defer close(done)
			if err := set.Builtin.run(ctx); err != nil {
				l.log.Error("directory: built-in index", "err", err)
			}
		}()
	}
	l.mu.Unlock()
	if oldStop != nil {
		oldStop()
		<-oldDone
	}
	if oldDir != nil {
		oldDir.Close()
	}
	if oldSet != nil {
		if err := oldSet.Close(); err != nil {
			l.log.Warn("directory: close sources", "err", err)
		}
	}
}
