package webui

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Handler cost without the network: what a monitoring poll or a page view
// costs the box. Run with: go test ./webui -run '^$' -bench . -benchmem

func BenchmarkHealthz(b *testing.B) {
	f := newFixture(b)
	h := f.srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

func benchLoggedIn(b *testing.B, path string) {
	f := newFixture(b)
	f.finishSetup()
	br := f.browser()
	br.login("admin", testPassword)
	h := f.srv.Handler()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: br.cookies[sessionCookie]})
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkStatusJSON(b *testing.B) { benchLoggedIn(b, "/api/v1/status") }
func BenchmarkStatusPage(b *testing.B) { benchLoggedIn(b, "/status") }
func BenchmarkHomePage(b *testing.B)   { benchLoggedIn(b, "/") }
