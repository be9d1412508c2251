package source

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// deadPort is a loopback port nobody listens on: connecting is refused.
func deadPort(t *testing.T) int {
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDirectory_RealSourcesMergeWhileDeadAndSlowOnesArePartial(t *testing.T) {
	needPeer(t, "postgresql")
	needPeer(t, "slapd")
	st := openStore(t)
	store.Put(st, store.Customer{ID: "b1", Name: "Built-in Name", Company: "Built-in Co", Notes: "likes tea",
		Numbers: []string{"+8613812345678"}})
	builtin, err := NewBuiltin(st, directory.PlanCN)
	if err != nil {
		t.Fatal(err)
	}
	seedSQL(t, "pgx", pgDSN,
		`DROP TABLE IF EXISTS erp_customers`,
		`CREATE TABLE erp_customers (id text, name text, phone text, credit text)`,
		`INSERT INTO erp_customers VALUES ('e1', 'ERP Name', '+8613812345678', 'A')`)
	erp, err := OpenSQL(SQLConfig{Name: "erp", Driver: "postgres", DSN: pgDSN,
		Query: `SELECT name, credit FROM erp_customers WHERE phone = $1`})
	if err != nil {
		t.Fatal(err)
	}
	defer erp.Close()
	ldapSrc := ldapSource(t, ldapURL)

	release := make(chan struct{})
	slowSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slowSrv.Close()
	defer close(release)
	slow, _ := NewHTTP(HTTPConfig{Name: "slow-crm", URL: slowSrv.URL + "/?n={number}", Fields: map[string]string{"name": "name"}})
	deadSQL, err := OpenSQL(SQLConfig{Name: "dead-db", Driver: "mysql",
		DSN: "root@tcp(127.0.0.1:" + itoa(deadPort(t)) + ")/x?timeout=1s", Query: "SELECT name FROM c WHERE phone = ?"})
	if err != nil {
		t.Fatal(err)
	}
	defer deadSQL.Close()
	deadLDAP, _ := NewLDAP(LDAPConfig{Name: "dead-ldap", URL: "ldap://127.0.0.1:" + itoa(deadPort(t)), BaseDN: ldapBase,
		Filter: "(telephoneNumber={number})", Attributes: map[string]string{"name": "cn"}})

	d := directory.New([]directory.Source{slow, ldapSrc, deadSQL, erp, deadLDAP, builtin},
		directory.WithSourceTimeout(300*time.Millisecond), directory.WithDeadline(2*time.Second))
	defer d.Close()
	start := time.Now()
	r, err := d.Lookup(context.Background(), "0086 138-1234-5678")
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > 2*time.Second {
		t.Fatalf("lookup took %v, past its deadline", took)
	}
	// LDAP comes first, so its name wins; the ERP adds its custom field,
	// the built-in directory its notes and ID.
	if !r.Found || r.Record.Name != "Wang Fang" || r.Record.Fields["credit"] != "A" ||
		r.Record.Notes != "likes tea" || r.Record.CustomerID != "b1" || r.Record.Company != "Example Trading" {
		t.Fatalf("merged %+v", r.Record)
	}
	if got := strings.Join(r.Record.Sources, ","); got != "ldap,erp,builtin" {
		t.Fatalf("sources %s", got)
	}
	if !r.Partial || len(r.Errors) != 3 {
		t.Fatalf("errors %+v", r.Errors)
	}
	want := map[string]bool{"slow-crm": true, "dead-db": false, "dead-ldap": false}
	for _, e := range r.Errors {
		timeout, ok := want[e.Source]
		if !ok || (timeout && !e.Timeout) {
			t.Errorf("unexpected error %s timeout=%v: %v", e.Source, e.Timeout, e.Err)
		}
		if e.Message("en") == "" {
			t.Errorf("no message for %s", e.Source)
		}
	}
	for _, h := range d.Health() {
		if _, bad := want[h.Name]; bad != (h.LastError != "") {
			t.Errorf("health %+v", h)
		}
	}
}
