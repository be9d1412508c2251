package i18n

import "testing"

func TestCatalogue_EveryKeyHasBothLanguagesOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range catalogues() {
		for k, e := range c {
			if seen[k] {
				t.Errorf("key %q is defined twice", k)
			}
			seen[k] = true
			if e.en == "" || e.zh == "" {
				t.Errorf("key %q lacks a language: en=%q zh=%q", k, e.en, e.zh)
			}
		}
	}
}

func TestT_FallsBackToKeyWhenMissing(t *testing.T) {
	if got := T(ZH, "no.such.key"); got != "no.such.key" {
		t.Fatalf("got %q", got)
	}
	if got := T(ZH, "lang.en"); got != "英文" {
		t.Fatalf("got %q", got)
	}
	if ParseLang("zh-CN") != ZH || ParseLang("fr") != EN {
		t.Fatal("ParseLang")
	}
}
