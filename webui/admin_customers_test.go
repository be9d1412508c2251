package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// customersAdmin is a set-up box with the custom fields of customerDefs,
// two customers (one with a recorded call) and a logged-in admin.
func customersAdmin(t *testing.T) (*fixture, *browser) {
	t.Helper()
	f, _ := newAdminFixture(t)
	f.finishSetup()
	customerDefs(t, f.st)
	now := f.clock.Now()
	for _, r := range []store.Record{
		store.Customer{ID: "c1", Name: "Li Lei " + xss, Company: "Acme Trading", Numbers: []string{"+8613812345678"}, VIPLevel: 2,
			Tags: []string{"wholesale", "北京"}, Fields: map[string]string{"tier": "gold", "contract": "HT-1"}},
		store.Customer{ID: "c2", Name: "Han Meimei", Numbers: []string{"+8613900001111"}, Fields: map[string]string{"tier": "silver"}},
		store.Recording{ID: "rec-1", CallID: "call-1", Path: "recordings/call-1.wav", SHA256: strings.Repeat("ab", 32), Duration: time.Minute, CreatedAt: now},
		store.CDR{ID: "call-1", Caller: "+8613812345678", Callee: "600", Direction: store.DirectionIn, Queue: "sales", Agent: "11",
			Start: now.Add(-3 * time.Minute), Answer: now.Add(-2 * time.Minute), End: now, Disposition: store.DispositionAnswered, Recording: "rec-1"},
		store.Contact{ID: "k1", Number: "+8613812345678", Channel: store.ChannelCall, Direction: store.DirectionIn, At: now, CallID: "call-1", Summary: "wants a refund"},
		store.Contact{ID: "k2", Number: "013812345678", Channel: store.ChannelSMS, Direction: store.DirectionIn, At: now.Add(-time.Hour), Summary: "where is my parcel"},
	} {
		if _, err := store.Put(f.st, r); err != nil {
			t.Fatalf("seed %s: %v", r.Kind(), err)
		}
	}
	b := f.browser()
	b.login("admin", testPassword)
	return f, b
}

func TestCustomersPages_ListSearchesByNameNumberCompanyAndTag(t *testing.T) {
	_, b := customersAdmin(t)
	r := b.get("/admin/customers")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, htmlEsc("Li Lei "+xss)) || strings.Contains(r.Body, xss) || !strings.Contains(r.Body, "Han Meimei") {
		t.Fatalf("list: %s", r.Body)
	}
	for q, want := range map[string]string{"q=li+lei": "c1", "q=0138+1234+5678": "c1", "q=acme": "c1", "tag=wholesale": "c1",
		"q=silver": "c2", "tag=%E5%8C%97%E4%BA%AC": "c1"} {
		r := b.get("/admin/customers?" + q)
		other := map[string]string{"c1": "c2", "c2": "c1"}[want]
		if !strings.Contains(r.Body, `data-customer="`+want+`"`) || strings.Contains(r.Body, `data-customer="`+other+`"`) {
			t.Errorf("%s: wrong rows", q)
		}
	}
}

func TestCustomersPages_PagesThroughTheDirectoryWithoutReadingItAll(t *testing.T) {
	f, b := customersAdmin(t)
	var recs []store.Record
	for i := range 120 {
		recs = append(recs, store.Customer{ID: "p" + pad3(i), Name: "Bulk " + pad3(i), Fields: map[string]string{"tier": "gold"}})
	}
	if _, err := store.PutAll(f.st, recs...); err != nil {
		t.Fatal(err)
	}
	r := b.get("/admin/customers?q=bulk")
	if n := strings.Count(r.Body, `data-customer="`); n != customersPageSize {
		t.Fatalf("first page has %d rows", n)
	}
	seen := strings.Count(r.Body, `data-customer="`)
	for range 5 {
		i := strings.Index(r.Body, `id="next" href="`)
		if i < 0 {
			break
		}
		href := r.Body[i+len(`id="next" href="`):]
		href = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
		r = b.get(href)
		seen += strings.Count(r.Body, `data-customer="`)
	}
	if seen != 120 {
		t.Fatalf("the pages showed %d customers, want 120", seen)
	}
}

func TestCustomersPages_FormShowsEachMessageNextToItsFieldAndStoresNothing(t *testing.T) {
	f, b := customersAdmin(t)
	before := len(auditActions(t, f))
	r := b.post("/admin/customers/new", url.Values{"id": {"c 9"}, "name": {""}, "numbers": {"+8613800138000\nnot a number"},
		"vipLevel": {"7"}, "tags": {"a,b"}, "fields.tier": {"platinum"}, "fields.since": {"2026-02-30"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, lang := range []i18n.Lang{i18n.EN} {
		for field, want := range map[string]string{
			"id": "", "name": msg(lang, "store.err.required"), "numbers": "line 2", "vipLevel": msg(lang, "customers.err.vip-level", 5),
			"tags": "line 1", "fields.tier": msg(lang, "customers.err.field-choice", "gold, silver"), "fields.since": msg(lang, "store.err.date"),
		} {
			got := fieldError(r.Body, field)
			if got == "" || !strings.Contains(got, htmlEsc(want)) {
				t.Errorf("field %s shows %q, want %q", field, got, want)
			}
		}
	}
	if n, _ := store.List[store.Customer](f.st); len(n) != 2 {
		t.Fatalf("a refused form stored a customer: %d", len(n))
	}
	// A good form creates the customer, normalised, with an audit entry.
	r = b.post("/admin/customers/new", url.Values{"id": {"c9"}, "name": {"Zhao Min"}, "numbers": {"0138 0013 8000"}, "vipLevel": {"5"},
		"tags": {"new\nvip-line"}, "fields.tier": {"gold"}, "fields.since": {"2026-02-28"}, "lang": {"zh"}})
	wantRedirect(t, r, "/admin/customers?done=")
	c, err := store.Get[store.Customer](f.st, "c9")
	if err != nil || c.Level() != 5 || c.Numbers[0] != "+8613800138000" || len(c.Tags) != 2 || c.Fields["since"] != "2026-02-28" || c.Lang != i18n.ZH {
		t.Fatalf("created %+v %v", c, err)
	}
	// Editing keeps the ID and a value of a field no longer defined.
	if _, err := store.Put(f.st, store.Customer{ID: "c9", Name: "Zhao Min", Fields: map[string]string{"tier": "gold", "retired": "kept"}}); err != nil {
		t.Fatal(err)
	}
	r = b.post("/admin/customers/c9/edit", url.Values{"name": {"Zhao Min"}, "vipLevel": {"0"}, "fields.tier": {"silver"}})
	wantRedirect(t, r, "/admin/customers?done=")
	if c, _ = store.Get[store.Customer](f.st, "c9"); c.Fields["tier"] != "silver" || c.Fields["retired"] != "kept" || c.Level() != 0 {
		t.Fatalf("edited %+v", c)
	}
	wantRedirect(t, b.post("/admin/customers/c9/delete", url.Values{}), "/admin/customers?done=")
	if _, err := store.Get[store.Customer](f.st, "c9"); err == nil {
		t.Fatal("not deleted")
	}
	got := auditActions(t, f)[before:]
	if strings.Join(got, ",") != "create c9,update c9,delete c9" {
		t.Fatalf("audit %v", got)
	}
	all, _ := store.List[store.Audit](f.st)
	if d := all[len(all)-2].Detail; !strings.Contains(d, `fields.tier: "gold" -> "silver"`) {
		t.Errorf("update detail %q", d)
	}
}

func TestCustomersPages_CustomerPageShowsHistoryWithRecordingLink(t *testing.T) {
	_, b := customersAdmin(t)
	r := b.get("/admin/customers/c1/edit")
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{"wants a refund", "where is my parcel", `href="/reports/recordings/rec-1"`, "sales", "2m0s",
		`id="f-fields.tier"`, `<option value="gold" selected>`, "HT-1"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("customer page lacks %q", want)
		}
	}
	wantStatus(t, b.get("/admin/customers/nobody/edit"), http.StatusNotFound)
}

func TestCustomersPages_ImportPreviewsRowProblemsAndCommitsOnlyACleanFile(t *testing.T) {
	f, b := customersAdmin(t)
	b.get("/admin/customers/import")
	before := len(auditActions(t, f))
	bad := "id,name,numbers,vip_level,tags,tier\nc5,Sun Li,013811112222,1,a,gold\nc6,,x,9,,\n"
	r := b.postFile("/admin/customers/import", url.Values{}, "c.csv", []byte(bad))
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `data-line="3"`) || !strings.Contains(r.Body, "VIP level: ") || !strings.Contains(r.Body, `id="nothing"`) ||
		strings.Contains(r.Body, `id="confirm"`) {
		t.Fatalf("preview of a bad file: %s", r.Body)
	}
	// Forcing the commit of the bad file writes nothing.
	r = b.post("/admin/customers/import", url.Values{"confirm": {"1"}, "csv": {bad}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if _, err := store.Get[store.Customer](f.st, "c5"); err == nil {
		t.Fatal("a bad file half-imported")
	}
	good := "id,name,numbers,vip_level,tags,tier\nc5,Sun Li,013811112222,1,a,gold\nc6,Qian Wu,013811113333,,,silver\n"
	r = b.postFile("/admin/customers/import", url.Values{}, "c.csv", []byte(good))
	if !strings.Contains(r.Body, `id="confirm"`) {
		t.Fatalf("preview of a good file: %s", r.Body)
	}
	wantRedirect(t, b.post("/admin/customers/import", url.Values{"confirm": {"1"}, "csv": {good}}), "/admin/customers?done=")
	if c, err := store.Get[store.Customer](f.st, "c6"); err != nil || c.Fields["tier"] != "silver" {
		t.Fatalf("imported %+v %v", c, err)
	}
	if got := auditActions(t, f)[before:]; strings.Join(got, ",") != "import " {
		t.Fatalf("audit %v", got)
	}
	r = b.get("/admin/customers/export.csv")
	if !strings.Contains(r.Body, "c6,Qian Wu") || !strings.Contains(r.Body, ",contract,since,tier") {
		t.Fatalf("export %s", r.Body)
	}
}

func TestCustomersPages_FieldDefinitionsAreValidatedAndAudited(t *testing.T) {
	f, b := customersAdmin(t)
	r := b.get("/admin/customer-fields")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `data-field="tier"`) {
		t.Fatal("definitions not listed")
	}
	r = b.post("/admin/customer-fields/new", url.Values{"name": {"tags"}, "type": {"choice"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if fieldError(r.Body, "name") == "" || fieldError(r.Body, "choices") == "" || fieldError(r.Body, "labelEn") == "" {
		t.Fatalf("messages: %s", r.Body)
	}
	wantRedirect(t, b.post("/admin/customer-fields/new", url.Values{"name": {"region"}, "labelZh": {"区域"}, "type": {"choice"},
		"choices": {"north\nsouth"}, "showInPop": {"on"}}), "/admin/customer-fields?done=")
	d, err := store.Get[store.CustomerField](f.st, "region")
	if err != nil || !d.ShowInPop || len(d.Choices) != 2 {
		t.Fatalf("%+v %v", d, err)
	}
	// The customer form now offers the field.
	if r := b.get("/admin/customers/new"); !strings.Contains(r.Body, `id="f-fields.region"`) {
		t.Fatal("new field not on the form")
	}
	wantRedirect(t, b.post("/admin/customer-fields/region/delete", url.Values{}), "/admin/customer-fields?done=")
	got := auditActions(t, f)
	if strings.Join(got[len(got)-2:], ",") != "create region,delete region" {
		t.Fatalf("audit %v", got)
	}
}

func TestCustomersPages_AgentsGet403AndSupervisorsMayNotDefineFields(t *testing.T) {
	f, _ := customersAdmin(t)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	before := len(auditActions(t, f))
	ann := f.browser()
	ann.login("ann", testPassword)
	for _, p := range []string{"/admin/customers", "/admin/customers/c1/edit", "/admin/customers/new", "/admin/customers/import",
		"/admin/customers/export.csv", "/admin/customer-fields"} {
		wantStatus(t, ann.get(p), http.StatusForbidden)
	}
	for _, p := range []string{"/admin/customers/new", "/admin/customers/c1/edit", "/admin/customers/c1/delete", "/admin/customers/import",
		"/admin/customer-fields/new"} {
		wantStatus(t, ann.post(p, url.Values{"id": {"x"}, "name": {"x"}}), http.StatusForbidden)
	}
	sam := f.browser()
	sam.login("sam", testPassword)
	wantStatus(t, sam.get("/admin/customers"), http.StatusOK)
	wantRedirect(t, sam.post("/admin/customers/c2/edit", url.Values{"name": {"Han Meimei"}, "fields.tier": {"gold"}}), "/admin/customers?done=")
	wantStatus(t, sam.get("/admin/customer-fields"), http.StatusForbidden)
	// Without the CSRF token nothing changes.
	wantStatus(t, sam.post("/admin/customers/c1/delete", url.Values{"csrf": {""}}), http.StatusForbidden)
	if got := auditActions(t, f)[before:]; strings.Join(got, ",") != "update c2" {
		t.Fatalf("audit %v", got)
	}
}

func pad3(i int) string { return fmt.Sprintf("%03d", i) }

func TestCustomersSearch_PrefilterNeverHidesAMatch(t *testing.T) {
	f, _ := customersAdmin(t)
	odd := store.Customer{ID: "c7", Name: "Émile <Zola> & \"Co\"", Company: "北京 Trading", Numbers: []string{"01088887777"},
		Tags: []string{"Key-Account"}, Fields: map[string]string{"tier": "gold", "contract": "ÄRGER"}}
	if _, err := store.Put(f.st, odd); err != nil {
		t.Fatal(err)
	}
	defs, _ := store.CustomerFields(f.st)
	for _, c := range []struct{ q, tag string }{{"émile", ""}, {"<zola>", ""}, {"& \"co\"", ""}, {"北京 trading", "Key-Account"},
		{"+86 10 8888 7777", ""}, {"01088887777", ""}, {"ärger", ""}, {"", "key-account"}, {"ZOLA", "KEY-ACCOUNT"}} {
		cs, _, err := findCustomers(f.st, directory.PlanCN, defs, c.q, c.tag, "", 10)
		if err != nil || len(cs) != 1 || cs[0].ID != "c7" {
			t.Errorf("q=%q tag=%q found %v %v", c.q, c.tag, cs, err)
		}
	}
}
