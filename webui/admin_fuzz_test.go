package webui

import (
	"net/url"
	"path/filepath"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// FuzzAdminForm puts one value into every field of every admin form: the
// parsing of numbers and one-per-line lists must report errors, never
// panic, and what it stores must validate.
func FuzzAdminForm(f *testing.F) {
	for _, seed := range []string{"", "11 5 0 1\n12", "mon-fri 09:00-18:00\nsat 22:00-06:00", "2026-10-01..2026-10-07 National Day",
		"1 callback\n0 vm 201", "60 any\n30 3", "+861088880000 600", "billing 7", "on", "65536", "-1", " \n \t", "x y z w v", "sun-sat 0:00-24:00"} {
		f.Add(seed, "x")
	}
	st, err := store.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Addr: "127.0.0.1:0", Store: st})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v, key string) {
		for _, k := range adminKinds {
			for _, create := range []bool{true, false} {
				form := url.Values{}
				for _, fl := range k.fields(s, i18n.EN) {
					form.Set(fl.Name, v)
					if fl.Key {
						form.Set(fl.Name, key)
					}
				}
				var old url.Values
				if !create {
					old = form
				}
				errs := map[string]string{}
				saved, err := k.save(s, old, form, create, errs, i18n.EN)
				if err == nil && len(errs) == 0 {
					if _, gerr := k.get(st, saved); gerr != nil {
						t.Fatalf("%s: saved %q but cannot read it: %v", k.slug, saved, gerr)
					}
				}
			}
		}
		_, _, _ = dayRange(v)
		_ = isDomain(v)
	})
}
