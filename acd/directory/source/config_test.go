package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"callbox/acd/directory"
)

func TestBuild_MakesConfiguredSourcesInOrder(t *testing.T) {
	st := openStore(t)
	set, err := Build([]Config{
		{Type: TypeHTTP, Name: "crm", URL: "http://127.0.0.1:9/c?n={number}", Fields: map[string]string{"name": "name"}},
		{Type: TypeBuiltin},
		{Type: TypeSQL, Name: "erp", Driver: "mysql", DSN: "root@tcp(127.0.0.1:9)/x", Query: "SELECT name FROM c WHERE phone = ?"},
		{Type: TypeLDAP, Name: "corp", URL: "ldap://127.0.0.1:9", BaseDN: "dc=x", Filter: "(telephoneNumber={number})", Fields: map[string]string{"name": "cn"}},
	}, st, directory.PlanCN)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var names []string
	for _, s := range set.Sources {
		names = append(names, s.Name())
	}
	if len(names) != 4 || names[0] != "crm" || names[1] != "builtin" || names[3] != "corp" || set.Builtin == nil {
		t.Fatalf("%v", names)
	}
}

func TestBuild_RejectsBadConfiguration(t *testing.T) {
	st := openStore(t)
	for _, cfgs := range [][]Config{
		{{Type: "ftp", Name: "x"}},
		{{Type: TypeBuiltin}, {Type: TypeBuiltin}},
		{{Type: TypeHTTP, Name: "a", URL: "http://h/{number}", Fields: map[string]string{"name": "n"}},
			{Type: TypeHTTP, Name: "a", URL: "http://h/{number}", Fields: map[string]string{"name": "n"}}},
		{{Type: TypeSQL, Name: "s", Driver: "oracle", DSN: "x", Query: "SELECT 1 WHERE ? = ?"}},
		{{Type: TypeHTTP, Name: "h", URL: "ftp://h/{number}", Fields: map[string]string{"name": "n"}}},
		{{Type: TypeHTTP, Name: "h", URL: "http://h/{number}", Fields: map[string]string{"name": "n"}, NumberForm: "roman"}},
	} {
		if _, err := Build(cfgs, st, directory.PlanCN); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfgs, err)
		}
	}
}

func TestBuild_AsksASourceInItsNumberForm(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("n") != "13812345678" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"name":"National"}`))
	}))
	defer srv.Close()
	set, err := Build([]Config{{Type: TypeHTTP, Name: "crm", URL: srv.URL + "/?n={number}",
		Fields: map[string]string{"name": "name"}, NumberForm: directory.FormNational}}, nil, directory.PlanCN)
	if err != nil {
		t.Fatal(err)
	}
	d := directory.New(set.Sources)
	defer d.Close()
	r, err := d.Lookup(context.Background(), "+86 138 1234 5678")
	if err != nil || r.Record.Name != "National" {
		t.Fatalf("%+v %v", r, err)
	}
}
