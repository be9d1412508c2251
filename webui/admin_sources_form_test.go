package webui

import (
	"net/http"
	"net/url"
	"testing"
)

func TestAdminSources_EditAnswers404ForAMissingSourceAndTheBuiltInDirectory(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	srv, _ := crm(t, "+8613812345678", "Wang Fang")
	wantRedirect(t, b.post("/admin/sources/new?type=http", httpSourceForm("crm", srv.URL+"/c?phone={number}")), "/admin/sources")
	wantStatus(t, b.get("/admin/sources/crm/edit"), http.StatusOK)
	for _, name := range []string{"nosuch", "builtin"} {
		wantStatus(t, b.get("/admin/sources/"+name+"/edit"), http.StatusNotFound)
		wantStatus(t, b.post("/admin/sources/"+name+"/edit", url.Values{}), http.StatusNotFound)
	}
}
