package webui

import (
	"net/http"
	"strings"
	"testing"

	"callbox/firmware/store"
)

func TestCustomersImport_PreviewsAndCommitsAllOrNothing(t *testing.T) {
	cf := newCTIFixture(t)
	sup := cf.token(store.RoleSupervisor, "")
	bad := "id,name,numbers,vip\nc1,Li Lei,013812345678,yes\nc2,,abc,no\n"
	code, body := cf.call(sup, http.MethodPost, "/api/v1/customers/import", "text/csv", []byte(bad))
	if code != http.StatusOK || !strings.Contains(body, `"ok": false`) || !strings.Contains(body, "line 3") {
		t.Fatalf("preview: %d %s", code, body)
	}
	code, body = cf.call(sup, http.MethodPost, "/api/v1/customers/import?commit=1", "text/csv", []byte(bad))
	if code != http.StatusBadRequest {
		t.Fatalf("commit of a bad file: %d %s", code, body)
	}
	if n, _ := store.List[store.Customer](cf.st); len(n) != 0 {
		t.Fatalf("a bad file half-imported: %+v", n)
	}
	good := "id,name,numbers,vip\nc1,Li Lei,013812345678,yes\nc2,Han Meimei,+8613900001111;010-12345678,no\n"
	code, body = cf.call(sup, http.MethodPost, "/api/v1/customers/import?commit=1", "text/csv", []byte(good))
	if code != http.StatusOK || !strings.Contains(body, `"imported": 2`) {
		t.Fatalf("commit: %d %s", code, body)
	}
	code, body = cf.call(sup, http.MethodGet, "/api/v1/customers?q=%2B86+139+0000+1111", "", nil)
	if code != http.StatusOK || !strings.Contains(body, "Han Meimei") || strings.Contains(body, "Li Lei") {
		t.Fatalf("search by number: %d %s", code, body)
	}
	code, body = cf.call(sup, http.MethodGet, "/api/v1/customers/export", "", nil)
	if code != http.StatusOK || !strings.HasPrefix(body, "id,name,company,numbers") || !strings.Contains(body, "+8613812345678") {
		t.Fatalf("export: %d %s", code, body)
	}
	if code, _ := cf.call(sup, http.MethodPost, "/api/v1/customers/import", "application/json", []byte(good)); code != http.StatusUnsupportedMediaType {
		t.Fatalf("import as JSON: %d", code)
	}
}

func TestCustomers_CRUDNormalisesNumbersAndKeepsHistory(t *testing.T) {
	cf := newCTIFixture(t)
	cf.agentUser("lily", "11", "201")
	lily := cf.token(store.RoleAgent, "lily")
	code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/customers", map[string]any{"id": "c9", "name": "Wang Fang", "numbers": []string{"0138 1234 5678"}})
	if code != http.StatusCreated || !strings.Contains(body, "+8613812345678") {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body = cf.callJSON(lily, http.MethodPost, "/api/v1/customers", map[string]any{"id": "c10", "nmae": "typo"})
	if code != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %s", code, body)
	}
	code, body = cf.callJSON(lily, http.MethodPut, "/api/v1/customers/c9", map[string]any{"name": ""})
	if code != http.StatusBadRequest || !strings.Contains(body, `"name"`) {
		t.Fatalf("field error: %d %s", code, body)
	}
	if _, err := store.Put(cf.st, store.Contact{ID: "k1", Number: "013812345678", Channel: store.ChannelCall, Direction: store.DirectionIn,
		At: cf.clock.Now(), CallID: "call-5", Summary: "wants a refund"}); err != nil {
		t.Fatal(err)
	}
	code, body = cf.call(lily, http.MethodGet, "/api/v1/customers/c9/history", "", nil)
	if code != http.StatusOK || !strings.Contains(body, "wants a refund") {
		t.Fatalf("history: %d %s", code, body)
	}
	if code, _ := cf.call(lily, http.MethodDelete, "/api/v1/customers/c9", "", nil); code != http.StatusForbidden {
		t.Fatalf("agent delete: %d", code)
	}
}
