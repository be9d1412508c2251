package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"callbox/firmware/store"
)

// BenchmarkAdminSources_PageWithSixteenSources renders the sources page
// with the most sources the store allows, each with live health.
func BenchmarkAdminSources_PageWithSixteenSources(b *testing.B) {
	df := newDataFixture(b)
	cfg := store.DirectoryConfig{ID: store.DirectoryConfigKey, Sources: []store.DataSource{{Type: "builtin"}}}
	names := []string{"builtin"}
	for i := range 15 {
		name := fmt.Sprintf("crm%d", i)
		names = append(names, name)
		cfg.Sources = append(cfg.Sources, store.DataSource{Type: "http", Name: name, URL: "http://127.0.0.1:9/c?n={number}",
			Fields: map[string]string{"name": "name"}})
	}
	put(b, df.st, cfg)
	df.waitSources(b, names...)
	br := df.admin()
	b.ResetTimer()
	for b.Loop() {
		if r := br.get("/admin/sources"); r.StatusCode != http.StatusOK {
			b.Fatal(r.StatusCode)
		}
	}
}

// BenchmarkAdminSources_TestLookupBuiltinAndCRM is one test lookup: the
// stored sources built afresh (the built-in index of 1,000 customers and
// a CRM over loopback HTTP), asked, and the page rendered. Indexing the
// customers is most of it, so it grows with the directory.
func BenchmarkAdminSources_TestLookupBuiltinAndCRM(b *testing.B) {
	df := newDataFixture(b)
	recs := make([]store.Record, 0, 1000)
	for i := range 1000 {
		recs = append(recs, store.Customer{ID: fmt.Sprintf("c%04d", i), Name: fmt.Sprint("Customer ", i), Numbers: []string{fmt.Sprintf("+86138%08d", i)}})
	}
	if _, err := store.PutAll(df.st, recs...); err != nil {
		b.Fatal(err)
	}
	srv, _ := crm(b, "+8613800000042", "Wang Fang")
	put(b, df.st, store.DirectoryConfig{ID: store.DirectoryConfigKey, Sources: []store.DataSource{{Type: "builtin"},
		{Type: "http", Name: "crm", URL: srv.URL + "/c?phone={number}", Header: "Authorization", HeaderValue: "Bearer crm-secret-value",
			Fields: map[string]string{"name": "data.0.full_name"}}}})
	br := df.admin()
	b.ResetTimer()
	for b.Loop() {
		if r := br.post("/admin/sources/lookup", url.Values{"number": {"13800000042"}}); r.StatusCode != http.StatusOK {
			b.Fatal(r.StatusCode)
		}
	}
}
