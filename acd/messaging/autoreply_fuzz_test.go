package messaging

import (
	"encoding/json"
	"testing"
	"time"

	"callbox/firmware/store"
)

// FuzzAutoReply decodes stored rules from any JSON and runs them on any
// message: a rule the store's validation accepts always compiles, matching
// never panics, and a valid keyword rule without other conditions answers
// its own keyword.
func FuzzAutoReply(f *testing.F) {
	f.Add([]byte(`{"name":"hours","enabled":true,"keyword":"hours","replyEn":"9-18"}`), "+8613922220002", "gsm0", "Hours?")
	f.Add([]byte(`{"name":"re","enabled":true,"regexp":"(?i)pri[cs]e|价格","sender":"_+86.","replyZh":"见价目表"}`), "13922220002", "", "价格")
	f.Add([]byte(`{"name":"big","regexp":"(a{1000}){1000}","replyEn":"x"}`), "1", "", "aaaa")
	f.Add([]byte(`{"name":"q","queue":"care","tag":"x","line":"gsm1","hours":"office","whenClosed":true}`), "", "gsm1", "")
	f.Add([]byte(`{"name":`), "\xff", "\x00", "\xff\xfe")
	f.Fuzz(func(t *testing.T, data []byte, from, line, text string) {
		var ar store.AutoReply
		if json.Unmarshal(data, &ar) != nil {
			return
		}
		valid := ar.Validate() == nil
		r, err := compileRule(ar)
		if valid != (err == nil) {
			t.Fatalf("rule %+v: valid %v but compile %v", ar, valid, err)
		}
		if !valid {
			return
		}
		isOpen := func(string, time.Time) (bool, bool) { return true, len(text)%2 == 0 }
		_, _ = r.matches(from, from, line, text, time.Unix(0, 0), isOpen)
		if ar.Keyword != "" && ar.Regexp == "" && ar.Sender == "" && ar.Line == "" && ar.Hours == "" {
			ok, err := r.matches(from, from, line, ar.Keyword+"? more", time.Time{}, isOpen)
			if err != nil || !ok {
				t.Fatalf("rule %+v does not match its own keyword: %v", ar, err)
			}
		}
	})
}
