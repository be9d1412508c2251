package webui

import (
	"net/http"
	"strings"
	"testing"

	"callbox/firmware/store"
)

// customerDefs are the custom fields the directory tests define.
func customerDefs(t *testing.T, st *store.Store) {
	t.Helper()
	for _, d := range []store.CustomerField{
		{Name: "tier", LabelEN: "Tier", LabelZH: "级别", Type: store.FieldChoice, Choices: []string{"gold", "silver"}, Required: true, Searchable: true},
		{Name: "contract", LabelEN: "Contract", LabelZH: "合同号", Type: store.FieldText, ShowInPop: true, Searchable: true},
		{Name: "since", LabelEN: "Customer since", LabelZH: "客户起始日", Type: store.FieldDate},
	} {
		if _, err := store.Put(st, d); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCustomersAPI_CustomFieldsAreCheckedAgainstTheirDefinitions(t *testing.T) {
	cf := newCTIFixture(t)
	customerDefs(t, cf.st)
	sup := cf.token(store.RoleSupervisor, "")
	code, body := cf.callJSON(sup, http.MethodPost, "/api/v1/customers", map[string]any{"id": "c1", "name": "Wang Fang",
		"numbers": []string{"13812345678"}, "fields": map[string]string{"tier": "platinum", "since": "yesterday", "ghost": "x"}})
	if code != http.StatusBadRequest {
		t.Fatalf("bad fields: %d %s", code, body)
	}
	for _, field := range []string{`"fields.tier"`, `"fields.since"`, `"fields.ghost"`} {
		if !strings.Contains(body, field) {
			t.Errorf("no message for %s: %s", field, body)
		}
	}
	code, body = cf.callJSON(sup, http.MethodPost, "/api/v1/customers", map[string]any{"id": "c1", "name": "Wang Fang"})
	if code != http.StatusBadRequest || !strings.Contains(body, `"fields.tier"`) {
		t.Fatalf("a required field left out: %d %s", code, body)
	}
	if n, _ := store.List[store.Customer](cf.st); len(n) != 0 {
		t.Fatalf("refused customers were stored: %+v", n)
	}
	code, body = cf.callJSON(sup, http.MethodPost, "/api/v1/customers", map[string]any{"id": "c1", "name": "Wang Fang", "vipLevel": 4,
		"tags": []string{"wholesale"}, "numbers": []string{"13812345678"}, "fields": map[string]string{"tier": "gold", "contract": "HT-88"}})
	if code != http.StatusCreated || !strings.Contains(body, `"vipLevel": 4`) || !strings.Contains(body, `"vip": true`) {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body = cf.callJSON(sup, http.MethodPut, "/api/v1/customers/c1", map[string]any{"name": "Wang Fang", "vipLevel": 9,
		"fields": map[string]string{"tier": "gold"}})
	if code != http.StatusBadRequest || !strings.Contains(body, `"vipLevel"`) {
		t.Fatalf("level 9: %d %s", code, body)
	}
	// An old client that only knows the flag still makes a VIP.
	code, body = cf.callJSON(sup, http.MethodPut, "/api/v1/customers/c1", map[string]any{"name": "Wang Fang", "vip": true,
		"fields": map[string]string{"tier": "silver"}})
	if code != http.StatusOK || !strings.Contains(body, `"vipLevel": 1`) {
		t.Fatalf("vip flag: %d %s", code, body)
	}
	for q, want := range map[string]bool{"HT-88": false, "silver": true, "wholesale": false} {
		_, body = cf.call(sup, http.MethodGet, "/api/v1/customers?q="+q, "", nil)
		if strings.Contains(body, "Wang Fang") != want {
			t.Errorf("search %q: %s", q, body)
		}
	}
}

func TestCustomersImport_TagsAndCustomFieldsRoundTripThroughExport(t *testing.T) {
	cf := newCTIFixture(t)
	customerDefs(t, cf.st)
	sup := cf.token(store.RoleSupervisor, "")
	file := "id,name,numbers,vip_level,tags,tier,contract,since\n" +
		"c1,Li Lei,013812345678,3,wholesale;北京,gold,\"HT-1, rev 2\",2024-05-01\n" +
		"c2,Han Meimei,+8613900001111;010-12345678,,,silver,,\n"
	code, body := cf.call(sup, http.MethodPost, "/api/v1/customers/import?commit=1", "text/csv", []byte(file))
	if code != http.StatusOK || !strings.Contains(body, `"imported": 2`) {
		t.Fatalf("import: %d %s", code, body)
	}
	c1, err := store.Get[store.Customer](cf.st, "c1")
	if err != nil || c1.Level() != 3 || strings.Join(c1.Tags, "|") != "wholesale|北京" || c1.Fields["contract"] != "HT-1, rev 2" || c1.Fields["since"] != "2024-05-01" {
		t.Fatalf("c1 %+v %v", c1, err)
	}
	_, exported := cf.call(sup, http.MethodGet, "/api/v1/customers/export", "", nil)
	if !strings.HasPrefix(exported, "id,name,company,numbers,email,lang,vip,notes,vip_level,tags,contract,since,tier\n") {
		t.Fatalf("export header: %s", exported)
	}
	// The export imports back to the same customers.
	before, _ := store.List[store.Customer](cf.st)
	code, body = cf.call(sup, http.MethodPost, "/api/v1/customers/import?commit=1", "text/csv", []byte(exported))
	if code != http.StatusOK {
		t.Fatalf("re-import: %d %s", code, body)
	}
	after, _ := store.List[store.Customer](cf.st)
	if len(after) != len(before) {
		t.Fatalf("re-import changed the count: %d -> %d", len(before), len(after))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.Level() != b.Level() || strings.Join(a.Tags, ";") != strings.Join(b.Tags, ";") || len(a.Fields) != len(b.Fields) ||
			strings.Join(a.Numbers, ";") != strings.Join(b.Numbers, ";") {
			t.Errorf("round trip changed %+v into %+v", b, a)
		}
		for k, v := range b.Fields {
			if a.Fields[k] != v {
				t.Errorf("%s: field %s %q -> %q", b.ID, k, v, a.Fields[k])
			}
		}
	}
}

func TestCustomersImport_ABadRowNamesItsProblemsAndLeavesNothing(t *testing.T) {
	cf := newCTIFixture(t)
	customerDefs(t, cf.st)
	sup := cf.token(store.RoleSupervisor, "")
	file := "id,name,numbers,vip_level,tags,tier,colour\n" +
		"c1,Li Lei,013812345678,3,ok,gold,red\n"
	code, body := cf.call(sup, http.MethodPost, "/api/v1/customers/import", "text/csv", []byte(file))
	if code != http.StatusOK || !strings.Contains(body, `"ok": false`) || !strings.Contains(body, "colour") {
		t.Fatalf("unknown column: %d %s", code, body)
	}
	file = "id,name,numbers,vip_level,tags,tier\n" +
		"c1,Li Lei,013812345678,3,ok,gold\n" +
		"c2,Han Meimei,013900001111,7,a;a,platinum\n" +
		"c3,Zhao Min,013900002222,,,\n"
	code, body = cf.call(sup, http.MethodPost, "/api/v1/customers/import?commit=1", "text/csv", []byte(file))
	if code != http.StatusBadRequest {
		t.Fatalf("commit of a bad file: %d %s", code, body)
	}
	for _, want := range []string{"line 3, vipLevel", "line 3, tags[1]", "line 3, fields.tier", "line 4, fields.tier"} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in %s", want, body)
		}
	}
	if n, _ := store.List[store.Customer](cf.st); len(n) != 0 {
		t.Fatalf("a bad file half-imported: %+v", n)
	}
}
