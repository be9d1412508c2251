package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeSource answers from a map, or blocks until ctx ends when slow.
type fakeSource struct {
	name  string
	recs  map[string]Record
	err   error
	slow  bool
	mu    sync.Mutex
	calls int
}

func (f *fakeSource) Name() string { return f.name }

func (f *fakeSource) Lookup(ctx context.Context, n string) (Record, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if f.slow {
		<-ctx.Done()
		return Record{}, ctx.Err()
	}
	if f.err != nil {
		return Record{}, f.err
	}
	r, ok := f.recs[n]
	if !ok {
		return Record{}, ErrNotFound
	}
	return r, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestPlan_NormalizesTheSameCallerAlike(t *testing.T) {
	for _, in := range []string{"+86 138 1234 5678", "0086-138-1234-5678", "13812345678", "+8613812345678", "(138) 1234.5678"} {
		if got := PlanCN.Normalize(in); got != "+8613812345678" {
			t.Errorf("cn %q = %q", in, got)
		}
	}
	for _, in := range []string{"+1 212 555 1234", "011 1 212 555 1234", "1-212-555-1234", "(212) 555-1234"} {
		if got := PlanUS.Normalize(in); got != "+12125551234" {
			t.Errorf("us %q = %q", in, got)
		}
	}
	if got := PlanCN.Normalize("010 1234 5678"); got != "+861012345678" {
		t.Errorf("cn landline = %q", got)
	}
	if got := PlanCN.Normalize("8001"); got != "8001" {
		t.Errorf("extension = %q", got)
	}
	if got := PlanCN.Normalize("abc"); got != "" {
		t.Errorf("letters = %q", got)
	}
}

func TestDirectory_MergesInSourceOrder(t *testing.T) {
	n := "+8613812345678"
	a := &fakeSource{name: "crm", recs: map[string]Record{n: {Name: "Li Lei", Fields: map[string]string{"tier": "gold"}}}}
	b := &fakeSource{name: "builtin", recs: map[string]Record{n: {CustomerID: "c1", Name: "Lei Li", Company: "ACME", Fields: map[string]string{"tier": "silver", "region": "north"}}}}
	d := New([]Source{a, b})
	defer d.Close()
	r, err := d.Lookup(context.Background(), "138 1234 5678")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Found || r.Partial || r.Record.Name != "Li Lei" || r.Record.Company != "ACME" || r.Record.CustomerID != "c1" {
		t.Fatalf("merged %+v", r)
	}
	if r.Record.Fields["tier"] != "gold" || r.Record.Fields["region"] != "north" {
		t.Fatalf("custom fields %v", r.Record.Fields)
	}
	if len(r.Record.Sources) != 2 || r.Record.Sources[0] != "crm" {
		t.Fatalf("sources %v", r.Record.Sources)
	}
}

func TestDirectory_NotFoundIsNotAnError(t *testing.T) {
	d := New([]Source{&fakeSource{name: "a"}})
	defer d.Close()
	r, err := d.Lookup(context.Background(), "13900000000")
	if err != nil || r.Found || r.Partial || len(r.Errors) != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	if h := d.Health()[0]; h.Failures != 0 || h.LastSuccessAt.IsZero() {
		t.Fatalf("health %+v", h)
	}
}

func TestDirectory_SlowAndFailingSourcesGivePartialWithinDeadline(t *testing.T) {
	n := "+8613812345678"
	good := &fakeSource{name: "builtin", recs: map[string]Record{n: {Name: "Han Meimei"}}}
	slow := &fakeSource{name: "crm", slow: true}
	dead := &fakeSource{name: "erp", err: errors.New("connection refused")}
	d := New([]Source{slow, dead, good}, WithSourceTimeout(50*time.Millisecond), WithDeadline(time.Second))
	defer d.Close()
	start := time.Now()
	r, err := d.Lookup(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) >= time.Second {
		t.Fatalf("lookup took %v, past its deadline", time.Since(start))
	}
	if !r.Found || !r.Partial || r.Record.Name != "Han Meimei" || len(r.Errors) != 2 {
		t.Fatalf("%+v", r)
	}
	if !r.Errors[0].Timeout || r.Errors[0].Source != "crm" || r.Errors[1].Timeout || r.Errors[1].Source != "erp" {
		t.Fatalf("errors %+v", r.Errors)
	}
	if msg := r.Errors[0].Message("zh"); msg == "" || msg == "directory.source.timeout" {
		t.Fatalf("message %q", msg)
	}
	h := d.Health()
	if h[0].Failures != 1 || h[1].LastError == "" || h[2].LastSuccessAt.IsZero() {
		t.Fatalf("health %+v", h)
	}
}

func TestDirectory_DeadlineCutsASourceThatIgnoresItsContext(t *testing.T) {
	block := make(chan struct{})
	stuck := sourceFunc{"stuck", func(ctx context.Context, n string) (Record, error) { <-block; return Record{}, nil }}
	d := New([]Source{stuck}, WithSourceTimeout(time.Hour), WithDeadline(30*time.Millisecond))
	r, err := d.Lookup(context.Background(), "13812345678")
	close(block)
	d.Close()
	if err != nil || !r.Partial || !r.Errors[0].Timeout {
		t.Fatalf("%+v %v", r, err)
	}
}

type sourceFunc struct {
	name string
	fn   func(context.Context, string) (Record, error)
}

func (s sourceFunc) Name() string                                         { return s.name }
func (s sourceFunc) Lookup(ctx context.Context, n string) (Record, error) { return s.fn(ctx, n) }

func TestDirectory_CachesCompleteAnswersUntilTTL(t *testing.T) {
	n := "+8613812345678"
	src := &fakeSource{name: "a", recs: map[string]Record{n: {Name: "X"}}}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	d := New([]Source{src}, WithCache(time.Minute, 10), WithClock(c.now))
	defer d.Close()
	ctx := context.Background()
	if r, _ := d.Lookup(ctx, n); r.Cached {
		t.Fatal("first lookup cached")
	}
	r, _ := d.Lookup(ctx, "0086 138 1234 5678")
	if !r.Cached || r.Record.Name != "X" || src.calls != 1 {
		t.Fatalf("second lookup %+v calls %d", r, src.calls)
	}
	c.add(time.Minute)
	if r, _ := d.Lookup(ctx, n); r.Cached || src.calls != 2 {
		t.Fatalf("after ttl %+v calls %d", r, src.calls)
	}
	d.Forget(n)
	if r, _ := d.Lookup(ctx, n); r.Cached {
		t.Fatal("forgotten number cached")
	}
}

func TestDirectory_DoesNotCachePartialAnswers(t *testing.T) {
	src := &fakeSource{name: "a", err: errors.New("down")}
	d := New([]Source{src})
	defer d.Close()
	d.Lookup(context.Background(), "13812345678")
	d.Lookup(context.Background(), "13812345678")
	if src.calls != 2 {
		t.Fatalf("calls %d", src.calls)
	}
}

func TestDirectory_RejectsNonNumbers(t *testing.T) {
	d := New(nil)
	if _, err := d.Lookup(context.Background(), "sip:alice"); !errors.Is(err, ErrBadNumber) {
		t.Fatal(err)
	}
}

func TestSourceError_JSONCarriesTheErrorText(t *testing.T) {
	b, err := json.Marshal(SourceError{Source: "crm", Err: errors.New("refused")})
	if err != nil || string(b) != `{"source":"crm","timeout":false,"error":"refused"}` {
		t.Fatalf("%s %v", b, err)
	}
}

func BenchmarkDirectory_CacheHit(b *testing.B) {
	n := "+8613812345678"
	d := New([]Source{&fakeSource{name: "a", recs: map[string]Record{n: {Name: "X", Fields: map[string]string{"k": "v"}}}}})
	defer d.Close()
	ctx := context.Background()
	d.Lookup(ctx, n)
	for b.Loop() {
		d.Lookup(ctx, n)
	}
}

func BenchmarkDirectory_ThreeSourcesUncached(b *testing.B) {
	n := "+8613812345678"
	rec := map[string]Record{n: {Name: "X"}}
	d := New([]Source{&fakeSource{name: "a"}, &fakeSource{name: "b", recs: rec}, &fakeSource{name: "c", recs: rec}}, WithCache(0, 0))
	defer d.Close()
	ctx := context.Background()
	for b.Loop() {
		d.Lookup(ctx, n)
	}
}

func TestPlan_FormatsForSourcesThatStoreOtherForms(t *testing.T) {
	n := "+8613812345678"
	if PlanCN.Format(n, FormDigits) != "8613812345678" || PlanCN.Format(n, FormNational) != "13812345678" ||
		PlanCN.Format(n, FormE164) != n || PlanCN.Format("+12125551234", FormNational) != "+12125551234" ||
		PlanCN.Format("8001", FormDigits) != "8001" {
		t.Fatal("format")
	}
}

func TestDirectory_DoesNotCacheAnAnswerAskedBeforeAForget(t *testing.T) {
	n := "+8613812345678"
	asked, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	known := false
	src := sourceFunc{name: "a", fn: func(ctx context.Context, _ string) (Record, error) {
		mu.Lock()
		k := known
		mu.Unlock()
		if !k {
			close(asked)
			<-release
			return Record{}, ErrNotFound
		}
		return Record{Name: "X"}, nil
	}}
	d := New([]Source{src}, WithDeadline(time.Minute), WithSourceTimeout(time.Minute))
	defer d.Close()
	ctx := context.Background()
	done := make(chan Result)
	go func() {
		r, _ := d.Lookup(ctx, n)
		done <- r
	}()
	// The source read its data before the customer was added; the
	// directory hears of the change while that lookup is still running.
	<-asked
	mu.Lock()
	known = true
	mu.Unlock()
	d.Forget(n)
	close(release)
	if r := <-done; r.Found {
		t.Fatalf("first lookup %+v", r)
	}
	if r, _ := d.Lookup(ctx, n); r.Cached || !r.Found || r.Record.Name != "X" {
		t.Fatalf("the stale miss was cached: %+v", r)
	}
}

func TestDirectory_ForgetDropsOnlyTheNumbersGiven(t *testing.T) {
	a, b := "+8613812345678", "+8613900000000"
	src := &fakeSource{name: "a", recs: map[string]Record{a: {Name: "X"}, b: {Name: "Y"}}}
	d := New([]Source{src})
	defer d.Close()
	ctx := context.Background()
	d.Lookup(ctx, a)
	d.Lookup(ctx, b)
	d.Forget(a)
	if r, _ := d.Lookup(ctx, b); !r.Cached {
		t.Fatalf("%s dropped: %+v", b, r)
	}
	if r, _ := d.Lookup(ctx, a); r.Cached {
		t.Fatalf("%s kept: %+v", a, r)
	}
}

// behind is a source whose copy of its data cannot catch up.
type behind struct{ fakeSource }

func (b *behind) CatchUp(ctx context.Context) error { return context.DeadlineExceeded }

func TestDirectory_SkipsTheCacheWhileAFollowerIsBehind(t *testing.T) {
	n := "+8613812345678"
	src := &behind{fakeSource{name: "builtin"}}
	d := New([]Source{src})
	defer d.Close()
	ctx := context.Background()
	d.Lookup(ctx, n)
	if r, _ := d.Lookup(ctx, n); r.Cached || src.calls != 2 {
		t.Fatalf("a cached miss served while the source was behind: %+v, %d calls", r, src.calls)
	}
}

// cacheLen is how many answers the cache holds.
func (d *Directory) cacheLen() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.cache)
}

func TestDirectory_CacheForgetsCallersWhoNeverCallAgain(t *testing.T) {
	// One new caller a second for an hour, each calling once: before the
	// sweep every answer stayed until the cache held maxCache of them,
	// the directory's share of a box's memory that only ever grew.
	src := &fakeSource{name: "a", recs: map[string]Record{}}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	const ttl, calls = time.Minute, 3600
	d := New([]Source{src}, WithCache(ttl, 10000), WithClock(c.now))
	defer d.Close()
	most := 0
	for i := range calls {
		if _, err := d.Lookup(context.Background(), fmt.Sprintf("1381%07d", i)); err != nil {
			t.Fatal(err)
		}
		most = max(most, d.cacheLen())
		c.add(time.Second)
	}
	// At most the answers of two TTLs (one being swept, one kept since).
	if limit := int(2*ttl/time.Second) + 1; most > limit {
		t.Fatalf("cache reached %d answers of %d callers, want at most %d", most, calls, limit)
	}
	if src.calls != calls {
		t.Fatalf("source asked %d times for %d callers", src.calls, calls)
	}
}
