// Package i18n is the message catalogue: every string a person reads on the
// web UI, the serial console or in a validation error is looked up here by a
// stable key, in Chinese (zh) or English (en).
//
// Messages are kept in Go maps, one file per area of the product
// (store.go, webui.go, console.go, ...), so that each area owns its strings
// and a test checks that every key has both languages. Text uses fmt verbs;
// arguments are passed to T.
package i18n

import (
	"fmt"
	"strings"
)

// Lang is a language the appliance speaks.
type Lang string

// The languages of the catalogue.
const (
	EN Lang = "en"
	ZH Lang = "zh"
)

// Langs lists every supported language, the default first.
var Langs = []Lang{EN, ZH}

// ParseLang turns a user or browser choice ("zh-CN", "en_US", "zh") into a
// Lang. Anything unknown is English.
func ParseLang(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(s, "zh") {
		return ZH
	}
	return EN
}

// Valid reports whether l is one of Langs.
func (l Lang) Valid() bool { return l == EN || l == ZH }

// entry is one message in both languages.
type entry struct{ en, zh string }

// catalogues lists the per-area tables. A key must be unique across them
// (checked by a test).
func catalogues() []map[string]entry {
	return []map[string]entry{
		commonMessages, storeMessages, webMessages, consoleMessages, firmwareMessages,
		sipMessages, modemMessages, ivrMessages, directoryMessages, queueMessages, ctiMessages, adminMessages, designerMessages, agentuiMessages,
		consoleuiMessages,
		webadmin1Messages,
		msg3Messages,
		webadmin2Messages,
		acdivrMessages,
		cti3Messages,
		customersMessages,
		kindMessages,
		dialingMessages,
		auditActionMessages,
		transferpopMessages,
		retentionMessages,
		sipleftMessages,
		queuereachMessages,
		consolegapsMessages,
	}
}

// T returns the message for key in lang, formatted with args. An unknown key
// returns the key itself so that a missing entry is visible, never empty.
func T(lang Lang, key string, args ...any) string {
	for _, c := range catalogues() {
		e, ok := c[key]
		if !ok {
			continue
		}
		text := e.en
		if lang == ZH && e.zh != "" {
			text = e.zh
		}
		if len(args) == 0 {
			return text
		}
		return fmt.Sprintf(text, args...)
	}
	if len(args) == 0 {
		return key
	}
	return key + fmt.Sprint(args...)
}

// Has reports whether key is in the catalogue.
func Has(key string) bool {
	for _, c := range catalogues() {
		if _, ok := c[key]; ok {
			return true
		}
	}
	return false
}
