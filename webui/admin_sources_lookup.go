package webui

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/i18n"
)

// The test lookup builds the stored sources afresh for one lookup, each
// wrapped so that the page can show what every source answered and how
// long it took, next to the merged record the directory makes of them.
// Its cache is off: the installer wants to see the sources, not a
// remembered answer.

// testLookupLimit bounds a test lookup, whatever the configured deadline.
const testLookupLimit = 30 * time.Second

// lookupView is the result of a test lookup.
type lookupView struct {
	Number  string
	Error   string // about the number field
	Failed  string // the sources could not be built
	Done    bool
	Found   bool
	Partial bool
	Took    string
	Record  []kv // the merged record, field by field
	Sources []sourceTry
}

// kv is one labelled value.
type kv struct{ Label, Value string }

// sourceTry is what one source did in a test lookup.
type sourceTry struct {
	Name    string
	Outcome string
	Class   string // "ok", "bad", ""
	Detail  string
	Took    string
}

// trace records one source's answer in a test lookup.
type trace struct {
	mu   sync.Mutex
	done bool
	rec  directory.Record
	err  error
	took time.Duration
}

func (t *trace) set(rec directory.Record, err error, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done, t.rec, t.err, t.took = true, rec, err, took
}

// snapshot is a copy of what the source answered so far.
func (t *trace) snapshot() trace {
	t.mu.Lock()
	defer t.mu.Unlock()
	return trace{done: t.done, rec: t.rec, err: t.err, took: t.took}
}

// traced is a source that records its answer.
type traced struct {
	directory.Source
	t *trace
}

// Lookup implements directory.Source. The time is measured on the
// monotonic clock: it is shown, never used to decide anything.
func (s traced) Lookup(ctx context.Context, number string) (directory.Record, error) {
	start := time.Now()
	rec, err := s.Source.Lookup(ctx, number)
	s.t.set(rec, err, time.Since(start))
	return rec, err
}

// adminSourceLookup runs a test lookup and shows the page with its result.
func (s *Server) adminSourceLookup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	v := &lookupView{Number: strings.TrimSpace(r.PostForm.Get("number"))}
	code := http.StatusOK
	if v.Number == "" {
		v.Error, code = i18n.T(rc.lang, "store.err.required"), http.StatusUnprocessableEntity
	} else if err := s.testLookup(r.Context(), rc.lang, v); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	if v.Error != "" {
		code = http.StatusUnprocessableEntity
	}
	s.renderSources(w, r, rc, code, adminPage{}, nil, nil, v)
}

// testLookup looks v.Number up in the stored sources and fills v.
func (s *Server) testLookup(ctx context.Context, lang i18n.Lang, v *lookupView) error {
	cfg, err := s.directoryConfig()
	if err != nil {
		return err
	}
	plan := s.plan()
	if plan.Normalize(v.Number) == "" {
		v.Error = i18n.T(lang, "store.err.number")
		return nil
	}
	cfgs := make([]source.Config, 0, len(cfg.Sources))
	for _, d := range cfg.Sources {
		cfgs = append(cfgs, source.ConfigOf(d))
	}
	set, err := source.Build(cfgs, s.store, plan, source.WithBuiltinLogger(s.log))
	if err != nil {
		v.Failed = i18n.T(lang, "wa2.err.build", err)
		return nil
	}
	defer func() {
		if err := set.Close(); err != nil {
			s.log.Warn("test lookup: close sources", "err", err)
		}
	}()
	traces := make([]*trace, len(set.Sources))
	srcs := make([]directory.Source, len(set.Sources))
	for i, src := range set.Sources {
		traces[i] = &trace{}
		srcs[i] = traced{Source: src, t: traces[i]}
	}
	opts := []directory.Option{directory.WithPlan(plan), directory.WithLogger(s.log), directory.WithCache(0, 0)}
	if cfg.DeadlineMS > 0 {
		opts = append(opts, directory.WithDeadline(time.Duration(cfg.DeadlineMS)*time.Millisecond))
	}
	d := directory.New(srcs, opts...)
	// Close waits for sources still answering past the deadline; they
	// stop with ctx, so this returns soon after the lookup.
	defer d.Close()
	ctx, cancel := context.WithTimeout(ctx, testLookupLimit)
	defer cancel()
	start := time.Now()
	res, err := d.Lookup(ctx, v.Number)
	took := time.Since(start)
	if err != nil {
		v.Error = i18n.T(lang, "store.err.number")
		return nil
	}
	v.Done, v.Found, v.Partial, v.Took = true, res.Found, res.Partial, shortDuration(took)
	v.Number = res.Number
	v.Record = recordRows(lang, res.Record)
	failed := map[string]directory.SourceError{}
	for _, e := range res.Errors {
		failed[e.Source] = e
	}
	for i, src := range set.Sources {
		v.Sources = append(v.Sources, trySummary(lang, src.Name(), traces[i], failed))
	}
	return nil
}

// trySummary says what one source did.
func trySummary(lang i18n.Lang, name string, t *trace, failed map[string]directory.SourceError) sourceTry {
	got := t.snapshot()
	done, rec, err, took := got.done, got.rec, got.err, got.took
	out := sourceTry{Name: name}
	if done {
		out.Took = shortDuration(took)
	}
	switch {
	case !done:
		out.Outcome, out.Class = i18n.T(lang, "wa2.try.no_answer"), "bad"
		if fe, ok := failed[name]; ok {
			out.Detail = fe.Message(lang)
		}
	case errors.Is(err, directory.ErrNotFound):
		out.Outcome = i18n.T(lang, "wa2.try.not_found")
	case err != nil:
		out.Outcome, out.Class = i18n.T(lang, "wa2.try.failed"), "bad"
		if errors.Is(err, context.DeadlineExceeded) {
			out.Outcome = i18n.T(lang, "wa2.try.timeout")
		}
		out.Detail = err.Error()
	case rec.Empty():
		out.Outcome = i18n.T(lang, "wa2.try.not_found")
	default:
		out.Outcome, out.Class = i18n.T(lang, "wa2.try.found"), "ok"
		var parts []string
		for _, p := range recordRows(lang, rec) {
			parts = append(parts, p.Label+": "+p.Value)
		}
		out.Detail = strings.Join(parts, " · ")
	}
	return out
}

// recordRows lists a record's filled fields.
func recordRows(lang i18n.Lang, r directory.Record) []kv {
	var out []kv
	add := func(key, v string) {
		if v != "" {
			out = append(out, kv{Label: i18n.T(lang, key), Value: v})
		}
	}
	add("wa2.rec.id", r.CustomerID)
	add("wa2.rec.name", r.Name)
	add("wa2.rec.company", r.Company)
	add("wa2.rec.email", r.Email)
	add("wa2.rec.notes", r.Notes)
	add("wa2.rec.lang", string(r.Lang))
	if r.VIP {
		add("wa2.rec.vip", i18n.T(lang, "admin.yes"))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Fields)) {
		out = append(out, kv{Label: k, Value: r.Fields[k]})
	}
	if len(r.Sources) > 0 {
		add("wa2.rec.sources", strings.Join(r.Sources, ", "))
	}
	return out
}
