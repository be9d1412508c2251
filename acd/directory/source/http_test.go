package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"callbox/acd/directory"
)

func TestHTTP_MapsJSONPathsAndSendsAuth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("phone") != "+8613812345678" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"data":[{"id":7,"person":{"name":"Sun Li"},"level":"vip","tags":["a","b"],"vip":true}]}`))
	}))
	defer srv.Close()
	src, err := NewHTTP(HTTPConfig{Name: "crm", URL: srv.URL + "/c?phone={number}", Header: "Authorization", Value: "Bearer k",
		Fields: map[string]string{"id": "data.0.id", "name": "data.0.person.name", "vip": "data.0.vip", "tags": "data.0.tags", "missing": "data.0.nope"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Lookup(context.Background(), "+8613812345678")
	if err != nil {
		t.Fatal(err)
	}
	if r.CustomerID != "7" || r.Name != "Sun Li" || !r.VIP || r.Fields["tags"] != `["a","b"]` || r.Fields["missing"] != "" {
		t.Fatalf("%+v", r)
	}
	if _, err := src.Lookup(context.Background(), "+8613900000000"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("404: %v", err)
	}
	bad, _ := NewHTTP(HTTPConfig{Name: "crm", URL: srv.URL + "/c?phone={number}", Fields: map[string]string{"name": "x"}})
	if _, err := bad.Lookup(context.Background(), "+8613812345678"); err == nil || errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("401 should be an error: %v", err)
	}
}

func FuzzMapJSON(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,"x",null]}}`), "a.b.1")
	f.Add([]byte(`[]`), "0")
	f.Add([]byte(`nul`), "")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		MapJSON(body, map[string]string{"name": path, "custom": path})
	})
}
