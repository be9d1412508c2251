package webui

import (
	"fmt"
	"net/http"
	"testing"

	"callbox/firmware/store"
)

// BenchmarkAdmin_ExtensionListOf500 renders the extension list of a box
// with 500 extensions, the largest bulk range.
func BenchmarkAdmin_ExtensionListOf500(b *testing.B) {
	f, _ := newAdminFixture(b)
	f.finishSetup()
	recs := make([]store.Record, 0, 500)
	for i := range 500 {
		recs = append(recs, store.Extension{Number: fmt.Sprint(6000 + i), Name: fmt.Sprint("Desk ", i), Secret: "Bench-Secret-99x", Voicemail: true})
	}
	if _, err := store.PutAll(f.st, recs...); err != nil {
		b.Fatal(err)
	}
	br := f.browser()
	br.login("admin", testPassword)
	b.ResetTimer()
	for b.Loop() {
		if r := br.get("/admin/extensions"); r.StatusCode != http.StatusOK {
			b.Fatal(r.StatusCode)
		}
	}
}
