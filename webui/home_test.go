package webui

import (
	"regexp"
	"testing"

	"callbox/acd/ivr"
	"callbox/firmware/store"
)

func TestHome_CountsFlowsNotTheirDraftsAndVersions(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	shelf := ivr.NewShelf(f.st, f.clock.Now)
	live := ivr.DemoFlowRecord("demo", "", f.clock.Now())
	if _, err := store.Put(f.st, live); err != nil {
		t.Fatal(err)
	}
	// Editing it leaves a draft beside the published flow.
	if _, err := shelf.SaveDraft("demo", live.Doc); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.st.Counts(); n[store.KindFlow] < 2 {
		t.Fatalf("store holds %d flow records, want the flow and its draft", n[store.KindFlow])
	}
	b := f.browser()
	b.login("admin", testPassword)
	r := b.get("/")
	wantStatus(t, r, 200)
	row := regexp.MustCompile(`<span class="n">(\d+)</span><span class="what">` + regexp.QuoteMeta(msg("en", "web.kind.flows")))
	m := row.FindStringSubmatch(r.Body)
	if m == nil || m[1] != "1" {
		t.Fatalf("flows row = %v, want 1", m)
	}
}
