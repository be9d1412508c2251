package webui

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"callbox/firmware/store"
)

func TestAdminCRUD_EditSaveAndDeleteAnswer404ForWhatIsNotThere(t *testing.T) {
	f, b := adminBrowser(t)
	if _, err := store.Put(f.st, store.Skill{Name: "billing"}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.get("/admin/skills/billing"), http.StatusOK)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/admin/skills/nosuch"},
		{http.MethodPost, "/admin/skills/nosuch"},
		{http.MethodPost, "/admin/skills/nosuch/delete"},
		{http.MethodGet, "/admin/nokind/billing"},
		{http.MethodPost, "/admin/nokind/billing"},
		{http.MethodPost, "/admin/nokind/billing/delete"},
		// The site settings are one record: they are edited, never deleted.
		{http.MethodPost, "/admin/site/" + store.SettingsKey + "/delete"},
	} {
		var r reply
		if c.method == http.MethodGet {
			r = b.get(c.path)
		} else {
			r = b.post(c.path, url.Values{})
		}
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", c.method, c.path, r.StatusCode)
		}
	}
	wantStatus(t, b.post("/admin/skills/billing/delete", url.Values{}), http.StatusSeeOther)
	if _, err := store.Get[store.Skill](f.st, "billing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("skill still there after delete: %v", err)
	}
}
