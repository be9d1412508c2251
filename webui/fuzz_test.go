package webui

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Every decoder of request input: it returns a value or an error wrapping
// ErrBadJSON/ErrTooLarge, and never panics.

func checkDecodeErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrBadJSON) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("unexpected error kind: %v", err)
	}
}

func FuzzDecodeExtension(f *testing.F) {
	f.Add([]byte(`{"number":"201","name":"Desk","secret":"Sip-Secret-201x","allowedNets":["10.0.0.0/8"]}`))
	f.Add([]byte(`{"number":201}`))
	f.Add([]byte(`{"number":"1"}{}`))
	f.Add([]byte(`[`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeExtension(bytes.NewReader(b))
		checkDecodeErr(t, err)
		if err == nil {
			_ = e.Validate() // validation of any decoded value must not panic either
		}
	})
}

func FuzzDecodeUserInput(f *testing.F) {
	f.Add([]byte(`{"name":"alice","role":"agent","password":"Alice-Pass-123","lang":"zh","disabled":false}`))
	f.Add([]byte(`{"role":null,"oneTimePassword":true}`))
	f.Add([]byte(`{"password":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeUserInput(bytes.NewReader(b))
		checkDecodeErr(t, err)
		if err == nil {
			u := store.User{Name: in.Name}
			srv := &Server{log: slog.New(slog.DiscardHandler)}
			// Hashing is slow; only apply inputs without a password.
			in.Password = nil
			srv.applyUser(&u, in, map[string]string{}, i18n.EN)
		}
	})
}

func FuzzDecodeSettings(f *testing.F) {
	f.Add([]byte(`{"siteName":"HQ","lang":"en","country":"cn","timeZone":"Asia/Shanghai","setupDone":true}`))
	f.Add([]byte(`{"timeZone":"../../etc/passwd"}`))
	f.Add([]byte(`{"siteName":"` + strings.Repeat("x", 100) + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeSettings(bytes.NewReader(b))
		checkDecodeErr(t, err)
		if err == nil {
			_ = st.Validate()
		}
	})
}

func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{"zh-CN,zh;q=0.9,en;q=0.8", "en", "*", "zh;q=abc", "en;q=1e400", ",,;;==", "zh-Hant-TW;q=0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l := acceptLanguage(s); !l.Valid() {
			t.Fatalf("acceptLanguage(%q) = %q", s, l)
		}
	})
}

func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/status", "//evil", "/\\evil", "http://x/", "/a?b#c", "/%2f%2fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := localPath(s)
		u, err := url.Parse(p)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
			t.Fatalf("localPath(%q) = %q leaves the server", s, p)
		}
	})
}

// FuzzLoginForm posts arbitrary form bodies to the login handler: it must
// answer with a status, never panic, and never log anyone in.
func FuzzLoginForm(f *testing.F) {
	fx := newFixture(f)
	fx.finishSetup()
	f.Add("name=admin&password=x&next=%2F", "application/x-www-form-urlencoded")
	f.Add("name=%zz&password", "application/x-www-form-urlencoded")
	f.Add("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nadmin\r\n--b--", "multipart/form-data; boundary=b")
	f.Add(strings.Repeat("a=b&", 1000), "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body, ctype string) {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.AddCookie(&http.Cookie{Name: preCookie, Value: strings.Repeat("t", 43)})
		req.Header.Set("X-CSRF-Token", strings.Repeat("t", 43))
		rec := httptest.NewRecorder()
		fx.srv.Handler().ServeHTTP(rec, req)
		if rec.Code == http.StatusSeeOther {
			t.Fatalf("form %q logged in", body)
		}
	})
}
