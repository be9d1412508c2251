package webui

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/acd/ivr"
	"callbox/firmware/store"
)

// flowV1 greets and sends key 1 to the operator; flowV2 adds a queue
// the store does not know, so it cannot be published.
const flowV1 = `{"format": 1, "name": "Reception", "languages": ["en", "zh"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "menu"}},
 {"id": "menu", "type": "menu", "settings": {"prompts": [{"key": "welcome"}, {"key": "main-menu"}], "retries": 0},
  "exits": {"1": "operator", "timeout": "bye", "invalid": "bye"}},
 {"id": "operator", "type": "transfer", "settings": {"extension": "201"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

const flowBadQueue = `{"format": 1, "name": "Reception", "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "q"}},
 {"id": "q", "type": "queue", "settings": {"queue": "nosuch"}}
]}`

// flowBroken has a syntax error on line 3.
const flowBroken = "{\"format\": 1,\n \"languages\": [\"en\"],\n \"nodes\": [ {\"id\": \"start\" \"type\": \"start\"} ]\n}"

func TestFlowAPI_DraftPublishVersionsRestoreExport(t *testing.T) {
	f, b := adminBrowser(t)
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/reception", strings.NewReader(flowV1)), http.StatusOK)
	list := decode[[]ivr.FlowInfo](t, b.get("/api/v1/flows"))
	if len(list) != 1 || list[0].ID != "reception" || !list[0].Draft || list[0].Version != 0 || list[0].Name != "Reception" {
		t.Fatalf("list = %+v", list)
	}
	// A draft takes no calls.
	if _, err := store.Get[store.Flow](f.st, "reception"); err == nil {
		t.Fatal("saving a draft published it")
	}
	probs := decode[problemsJSON](t, b.raw(http.MethodPost, "/api/v1/flows/reception/validate", nil))
	if len(probs.Problems) != 0 {
		t.Fatalf("valid flow has problems %+v", probs)
	}
	pub := decode[publishedJSON](t, b.raw(http.MethodPost, "/api/v1/flows/reception/publish", nil))
	if pub.Version != 1 {
		t.Fatalf("published %+v", pub)
	}
	live, err := store.Get[store.Flow](f.st, "reception")
	if err != nil || !live.Published || live.Version != 1 {
		t.Fatalf("live record %+v, %v", live, err)
	}
	if _, err := ivr.Load(live); err != nil {
		t.Fatalf("published record does not load: %v", err)
	}

	// An invalid draft is refused with every problem, and the live
	// version stays.
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/reception", strings.NewReader(flowBadQueue)), http.StatusOK)
	r := b.raw(http.MethodPost, "/api/v1/flows/reception/publish", nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	bad := decode[problemsJSON](t, r)
	if len(bad.Problems) != 1 || bad.Problems[0].Node != "q" || !strings.Contains(bad.Problems[0].Message, "nosuch") {
		t.Fatalf("problems %+v", bad)
	}
	if live, _ := store.Get[store.Flow](f.st, "reception"); live.Version != 1 {
		t.Fatalf("a refused publish changed the live flow: %+v", live)
	}

	// A second good version, then back to the first.
	v2 := strings.Replace(flowV1, `"extension": "201"`, `"extension": "202"`, 1)
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/reception", strings.NewReader(v2)), http.StatusOK)
	if pub := decode[publishedJSON](t, b.raw(http.MethodPost, "/api/v1/flows/reception/publish", nil)); pub.Version != 2 {
		t.Fatalf("second publish %+v", pub)
	}
	vs := decode[[]ivr.VersionInfo](t, b.get("/api/v1/flows/reception/versions"))
	if len(vs) != 2 || vs[0].Version != 2 || !vs[0].Live || vs[1].Version != 1 || vs[1].Live {
		t.Fatalf("versions %+v", vs)
	}
	view := decode[ivr.FlowView](t, b.raw(http.MethodPost, "/api/v1/flows/reception/versions/1/restore", nil))
	if !view.Editing || !strings.Contains(string(view.Doc), `"201"`) || strings.Contains(string(view.Doc), `"202"`) || view.Version != 2 {
		t.Fatalf("restored view %+v", view)
	}
	wantStatus(t, b.raw(http.MethodPost, "/api/v1/flows/reception/versions/9/restore", nil), http.StatusNotFound)
	if pub := decode[publishedJSON](t, b.raw(http.MethodPost, "/api/v1/flows/reception/publish", nil)); pub.Version != 3 {
		t.Fatalf("publishing the restored version %+v", pub)
	}

	exp := b.get("/api/v1/flows/reception/export")
	wantStatus(t, exp, http.StatusOK)
	if !strings.Contains(exp.Header.Get("Content-Disposition"), "flow-reception.json") {
		t.Errorf("export headers %v", exp.Header)
	}
	doc, err := ivr.Parse([]byte(exp.Body))
	if err != nil || len(doc.Nodes) != 4 {
		t.Fatalf("export does not parse back: %v", err)
	}
	// Exporting and importing under another id gives the same flow.
	wantStatus(t, b.raw(http.MethodPost, "/api/v1/flows/copy/import", strings.NewReader(exp.Body)), http.StatusOK)
	if v := decode[ivr.FlowView](t, b.get("/api/v1/flows/copy")); v.Name != "Reception" || !v.Editing {
		t.Fatalf("imported copy %+v", v)
	}

	wantStatus(t, b.json(http.MethodDelete, "/api/v1/flows/reception", nil), http.StatusNoContent)
	if list := decode[[]ivr.FlowInfo](t, b.get("/api/v1/flows")); len(list) != 1 || list[0].ID != "copy" {
		t.Fatalf("after delete: %+v", list)
	}
	if n, _ := f.st.Counts(); n[store.KindFlow] != 1 {
		t.Fatalf("delete left %d flow records (versions must go too)", n[store.KindFlow])
	}
	wantStatus(t, b.json(http.MethodDelete, "/api/v1/flows/reception", nil), http.StatusNotFound)
}

func TestFlowAPI_BrokenImportIsRefusedWithLineAndReason(t *testing.T) {
	_, b := adminBrowser(t)
	r := b.raw(http.MethodPost, "/api/v1/flows/reception/import", strings.NewReader(flowBroken))
	wantStatus(t, r, http.StatusBadRequest)
	ie := decode[importErrorJSON](t, r)
	if ie.Line != 3 || !strings.Contains(ie.Error, "line 3") {
		t.Fatalf("import error %+v, want line 3", ie)
	}
	r = b.raw(http.MethodPost, "/api/v1/flows/reception/import", strings.NewReader(`{"format": 1, "languages": ["en"], "nodes": [], "colour": "red"}`))
	wantStatus(t, r, http.StatusBadRequest)
	if ie := decode[importErrorJSON](t, r); ie.Line != 1 || !strings.Contains(ie.Error, "colour") {
		t.Fatalf("unknown field: %+v", ie)
	}
	wantStatus(t, b.get("/api/v1/flows/reception"), http.StatusNotFound)
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/bad.id", strings.NewReader(flowV1)), http.StatusBadRequest)
}

func TestFlowAPI_DryRunFollowsScriptedDigitsAndTime(t *testing.T) {
	_, b := adminBrowser(t)
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/reception", strings.NewReader(flowV1)), http.StatusOK)
	res := decode[ivr.DryRunResult](t, b.json(http.MethodPost, "/api/v1/flows/reception/dryrun",
		ivr.DryRun{ANI: "13800001111", DNIS: "800", Digits: []string{"1"}}))
	if got := strings.Join(res.Path(), ">"); got != "start>menu>operator" || len(res.Actions) != 1 || res.Actions[0] != "transfer 201" {
		t.Fatalf("dry run path %q, actions %q", got, res.Actions)
	}
	res = decode[ivr.DryRunResult](t, b.json(http.MethodPost, "/api/v1/flows/reception/dryrun",
		ivr.DryRun{Digits: []string{"7"}}))
	if got := strings.Join(res.Path(), ">"); got != "start>menu>bye" {
		t.Fatalf("invalid key: path %q", got)
	}
}

func TestFlowAPI_NeedsAdminAndCSRF(t *testing.T) {
	f, b := adminBrowser(t)
	r := b.do(http.MethodPut, "/api/v1/flows/reception", strings.NewReader(flowV1), http.Header{"Content-Type": {"application/json"}})
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("PUT without the CSRF token: %d", r.StatusCode)
	}
	anon := f.browser()
	if r := anon.get("/api/v1/flows"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous list: %d", r.StatusCode)
	}
}

func TestFlowAPI_DryRunJudgesBusinessHoursAtTheGivenTime(t *testing.T) {
	f, b := adminBrowser(t)
	if _, err := store.Put(f.st, store.Hours{Name: "office", TimeZone: "UTC",
		Weekly:   []store.WeeklyRange{{Day: time.Friday, Start: "22:00", End: "06:00"}},
		Holidays: []store.Holiday{{From: "12-25"}}}); err != nil {
		t.Fatal(err)
	}
	doc := `{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "h"}},
 {"id": "h", "type": "branch-hours", "settings": {"hours": "office"}, "exits": {"open": "open", "closed": "closed", "holiday": "holiday"}},
 {"id": "open", "type": "hangup"}, {"id": "closed", "type": "hangup"}, {"id": "holiday", "type": "hangup"}]}`
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/night", strings.NewReader(doc)), http.StatusOK)
	for at, want := range map[string]string{
		"2026-11-28T05:00:00Z": "open",    // Saturday 05:00, the tail of Friday night
		"2026-11-28T07:00:00Z": "closed",  // Saturday 07:00
		"2026-12-25T23:00:00Z": "holiday", // a Friday night, but Christmas
	} {
		when, _ := time.Parse(time.RFC3339, at)
		res := decode[ivr.DryRunResult](t, b.json(http.MethodPost, "/api/v1/flows/night/dryrun", ivr.DryRun{At: when}))
		if p := res.Path(); len(p) != 3 || p[2] != want {
			t.Errorf("at %s: path %v, want %s", at, p, want)
		}
	}
}

// flowCustomPrompt plays a prompt the installer uploads, in both
// languages; flowFax sends a fax.
const flowCustomPrompt = `{"format": 1, "name": "Promo", "languages": ["en", "zh"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "promo"}},
 {"id": "promo", "type": "play", "settings": {"prompts": [{"key": "spring-sale"}]}, "exits": {"next": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

const flowFax = `{"format": 1, "name": "Fax back", "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "f"}},
 {"id": "f", "type": "fax", "settings": {"document": "price-list"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

func problemCodes(ps []problemJSON) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Node+":"+p.Code)
	}
	return out
}

func TestFlowAPI_UploadedPromptsCountAsExisting(t *testing.T) {
	f, b := adminBrowser(t)
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/promo", strings.NewReader(flowCustomPrompt)), http.StatusOK)
	probs := decode[problemsJSON](t, b.raw(http.MethodPost, "/api/v1/flows/promo/validate", nil))
	if got := problemCodes(probs.Problems); len(got) != 2 || got[0] != "promo:ivr.problem.unknown-prompt" {
		t.Fatalf("before the upload: problems %q, want the prompt missing in en and zh", got)
	}
	audio := vmGreetingWAV(t, 8000, time.Second)
	if _, err := store.Put(f.st, store.CustomPrompt{Lang: "en", Name: "spring-sale", Audio: audio, Source: store.PromptUpload, Millis: 1000}); err != nil {
		t.Fatal(err)
	}
	probs = decode[problemsJSON](t, b.raw(http.MethodPost, "/api/v1/flows/promo/validate", nil))
	if got := problemCodes(probs.Problems); len(got) != 1 || !strings.Contains(probs.Problems[0].Message, "zh") {
		t.Fatalf("with the English upload: problems %+v, want only the Chinese one missing", probs.Problems)
	}
	if _, err := store.Put(f.st, store.CustomPrompt{Lang: "zh", Name: "spring-sale", Audio: audio, Source: store.PromptUpload, Millis: 1000}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.raw(http.MethodPost, "/api/v1/flows/promo/publish", nil), http.StatusOK)
}

func TestFlowAPI_PromptHookDecidesWhenWired(t *testing.T) {
	f, _ := adminBrowser(t)
	var asked []string
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, PromptExists: func(lang, key string) bool {
		asked = append(asked, lang+"/"+key)
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	b := f.browser()
	b.login("admin", testPassword)
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/promo", strings.NewReader(flowCustomPrompt)), http.StatusOK)
	probs := decode[problemsJSON](t, b.raw(http.MethodPost, "/api/v1/flows/promo/validate", nil))
	if len(probs.Problems) != 0 || !slices.Contains(asked, "zh/spring-sale") {
		t.Fatalf("problems %+v, hook asked %q", probs.Problems, asked)
	}
}

func TestFlowAPI_FaxNodeNeedsAModemLine(t *testing.T) {
	f, b := adminBrowser(t)
	offered := func() bool {
		for _, nt := range decode[[]ivr.NodeType](t, b.get("/api/v1/flow-nodes")) {
			if nt.Name == "fax" {
				return true
			}
		}
		return false
	}
	if offered() {
		t.Error("fax node offered with no modem line")
	}
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/flows/faxback", strings.NewReader(flowFax)), http.StatusOK)
	r := b.raw(http.MethodPost, "/api/v1/flows/faxback/publish", nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := problemCodes(decode[problemsJSON](t, r).Problems); len(got) != 1 || got[0] != "f:ivr.problem.fax-unavailable" {
		t.Fatalf("problems %q, want the fax node refused", got)
	}
	// A disabled modem sends nothing either.
	line := store.Line{ID: "fax0", Name: "Fax modem", Type: store.LineGSM, Device: "/dev/ttyUSB1", Enabled: false}
	if _, err := store.Put(f.st, line); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.raw(http.MethodPost, "/api/v1/flows/faxback/publish", nil), http.StatusUnprocessableEntity)
	line.Enabled = true
	if _, err := store.Put(f.st, line); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.raw(http.MethodPost, "/api/v1/flows/faxback/publish", nil), http.StatusOK)
	if !offered() {
		t.Error("fax node not offered with a modem line")
	}
}
