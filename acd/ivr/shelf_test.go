package ivr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd/ivr"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const twoStep = `{"format": 1, "name": "Two", "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "hi"}},
 {"id": "hi", "type": "play", "settings": {"prompts": [{"key": "welcome"}]}, "exits": {"next": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

func TestShelf_DraftNeverReachesCallsUntilPublished(t *testing.T) {
	st := openStore(t)
	sh := ivr.NewShelf(st, nil)
	cat := ivr.NewCatalog()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = ivr.Follow(ctx, st, cat, quietLog()) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	if _, err := sh.SaveDraft("main", []byte(twoStep)); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.Publish("main", ivr.Checks{}); err != nil {
		t.Fatal(err)
	}
	v1 := waitVersion(t, cat, "main", 1)
	// A call holds v1 while the installer edits and publishes v2.
	if _, err := sh.SaveDraft("main", []byte(strings.Replace(twoStep, "welcome", "goodbye", 1))); err != nil {
		t.Fatal(err)
	}
	if f, _ := cat.Get("main"); f.Version() != 1 {
		t.Fatal("a saved draft reached the catalog")
	}
	if _, err := sh.Publish("main", ivr.Checks{}); err != nil {
		t.Fatal(err)
	}
	v2 := waitVersion(t, cat, "main", 2)
	res, err := ivr.NewEngine().DryRun(context.Background(), v1, ivr.DryRun{})
	if err != nil || len(res.Steps) < 2 || res.Steps[1].Prompts[0] != "en/welcome" || res.Steps[1].Version != 1 {
		t.Fatalf("the running call's v1 changed: %+v, %v", res.Steps, err)
	}
	res, _ = ivr.NewEngine().DryRun(context.Background(), v2, ivr.DryRun{})
	if res.Steps[1].Prompts[0] != "en/goodbye" {
		t.Fatalf("v2 plays %v", res.Steps[1].Prompts)
	}
	vs, err := sh.Versions("main")
	if err != nil || len(vs) != 2 || !vs[0].Live || vs[0].Version != 2 {
		t.Fatalf("versions %+v, %v", vs, err)
	}
	list, err := sh.List()
	if err != nil || len(list) != 1 || list[0].Draft || list[0].Version != 2 {
		t.Fatalf("list %+v, %v (kept versions must not show as flows)", list, err)
	}
	if _, err := store.Delete[store.Flow](st, "main"); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, ok := cat.Get("main"); !ok {
			break
		}
		if time.Now().After(end) {
			t.Fatal("a deleted flow stayed in the catalog")
		}
	}
}

func waitVersion(t *testing.T, cat *ivr.Catalog, id string, v int) *ivr.Flow {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if f, ok := cat.Get(id); ok && f.Version() == v {
			return f
		}
	}
	t.Fatalf("catalog never got %s v%d", id, v)
	return nil
}

func TestShelf_RefusesBadIDsFilesAndUnknownVersions(t *testing.T) {
	sh := ivr.NewShelf(openStore(t), nil)
	if _, err := sh.SaveDraft("a.b", []byte(twoStep)); !errors.Is(err, ivr.ErrBadFlowID) {
		t.Errorf("dotted id: %v", err)
	}
	_, err := sh.SaveDraft("main", []byte("{\n \"format\": 1,\n \"nodes\": [}"))
	var ie *ivr.ImportError
	if !errors.As(err, &ie) || ie.Line != 3 {
		t.Errorf("broken file: %v", err)
	}
	if _, err := sh.Get("main"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused file was kept: %v", err)
	}
	if _, err := sh.Restore("main", 3); !errors.Is(err, ivr.ErrNoVersion) {
		t.Errorf("restore of nothing: %v", err)
	}
	if _, err := sh.SaveDraft("main", []byte(`{"format": 1, "languages": ["en"], "nodes": [{"id": "start", "type": "start"}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.Publish("main", ivr.Checks{}); !errors.Is(err, ivr.ErrInvalid) {
		t.Errorf("publishing a flow with an open start: %v", err)
	}
}

func TestShelf_SeededFlowShowsItsLiveVersion(t *testing.T) {
	st := openStore(t)
	if _, err := store.Put(st, ivr.DemoFlowRecord(ivr.DemoFlowID, "http://127.0.0.1:1/orders", time.Now())); err != nil {
		t.Fatal(err)
	}
	sh := ivr.NewShelf(st, nil)
	vs, err := sh.Versions(ivr.DemoFlowID)
	if err != nil || len(vs) != 1 || vs[0].Version != 1 || !vs[0].Live {
		t.Fatalf("versions %+v, %v", vs, err)
	}
	v, err := sh.Restore(ivr.DemoFlowID, 1)
	if err != nil || !v.Editing {
		t.Fatalf("restore of the live version: %+v, %v", v, err)
	}
}

func TestPalette_LeavesFaxOutWithoutASender(t *testing.T) {
	for _, nt := range ivr.Palette(false) {
		if nt.Name == "fax" {
			t.Fatal("fax offered without a sender")
		}
	}
	if len(ivr.Palette(true)) != len(ivr.NodeTypes()) {
		t.Fatal("fax missing with a sender")
	}
	doc, err := ivr.Parse([]byte(`{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "f"}},
 {"id": "f", "type": "fax", "settings": {"document": "price-list"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ps := ivr.Validate(doc, ivr.Checks{NoFax: true})
	if len(ps) != 1 || ps[0].Code != "ivr.problem.fax-unavailable" || ps[0].Node != "f" {
		t.Fatalf("problems %+v", ps)
	}
}

const hoursFlow = `{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "h"}},
 {"id": "h", "type": "branch-hours", "settings": {"hours": "night"}, "exits": {"open": "open", "closed": "closed", "holiday": "holiday"}},
 {"id": "open", "type": "hangup"}, {"id": "closed", "type": "hangup"}, {"id": "holiday", "type": "hangup"}
]}`

func TestStoreHours_OvernightRangeAndYearlyHolidayInTheBoxZone(t *testing.T) {
	st := openStore(t)
	set := store.DefaultSettings()
	set.TimeZone = "Asia/Shanghai"
	if _, err := store.Put(st, set); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Hours{Name: "night",
		Weekly:   []store.WeeklyRange{{Day: time.Friday, Start: "22:00", End: "06:00"}},
		Holidays: []store.Holiday{{Name: "Christmas", From: "12-25"}}}); err != nil {
		t.Fatal(err)
	}
	doc, err := ivr.Parse([]byte(hoursFlow))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ivr.Compile(doc, "h", 1, ivr.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	eng := ivr.NewEngine(ivr.WithHours(ivr.StoreHours(st, nil)))
	for _, c := range []struct {
		utc  string // the instant, in UTC; Shanghai is 8 hours ahead
		want string
	}{
		{"2026-11-27T13:59:00Z", "closed"},  // Fri 21:59 in Shanghai
		{"2026-11-27T14:00:00Z", "open"},    // Fri 22:00
		{"2026-11-27T21:59:00Z", "open"},    // Sat 05:59, the night's tail
		{"2026-11-27T22:00:00Z", "closed"},  // Sat 06:00
		{"2026-12-25T15:00:00Z", "holiday"}, // Fri 23:00 on Christmas
		{"2027-12-24T17:00:00Z", "holiday"}, // Christmas the next year, 01:00
		{"2027-12-31T14:30:00Z", "open"},    // an ordinary Friday night
	} {
		at, err := time.Parse(time.RFC3339, c.utc)
		if err != nil {
			t.Fatal(err)
		}
		res, err := eng.DryRun(context.Background(), f, ivr.DryRun{At: at})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Path()[len(res.Path())-1]; got != c.want {
			t.Errorf("at %s: %s, want %s", c.utc, got, c.want)
		}
	}
}

func TestService_RunnerRunsWhatTheStorePublishes(t *testing.T) {
	st := openStore(t)
	svc := ivr.NewService(st, quietLog())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = svc.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	v := &ivr.Voice{Prompts: prompt.NewLibrary("")}
	chk := svc.Checks(v, ivr.Actions{})
	if !chk.NoFax || chk.Prompt("en", "no-such-prompt") || !chk.Prompt("zh", "welcome") {
		t.Fatalf("checks: fax refused %v, prompt lookups wrong", chk.NoFax)
	}
	sh := ivr.NewShelf(st, nil)
	if _, err := sh.SaveDraft("main", []byte(twoStep)); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.Publish("main", chk); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, svc.Catalog(), "main", 1)
	r := svc.Runner(v, ivr.Actions{}, nil)
	if f, ok := r.Flows("main"); !ok || f.Version() != 1 || r.Zone().String() != "UTC" {
		t.Fatalf("runner sees %v %v, zone %v", f, ok, r.Zone())
	}
}

func TestFilesIn_ResolvesOnlyPlainNamesInItsDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "price-list.wav"), []byte("RIFF"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := ivr.FilesIn(dir)
	if p, ok := files("price-list"); !ok || p != filepath.Join(dir, "price-list.wav") {
		t.Errorf("price-list: %q %v", p, ok)
	}
	for _, bad := range []string{"missing", "../price-list", "Price-List", "", "a/b"} {
		if _, ok := files(bad); ok {
			t.Errorf("%q resolved", bad)
		}
	}
}
