package webui

import (
	"bytes"
	"testing"
)

// FuzzCTIDecoders feeds arbitrary bodies to every decoder of the CTI and
// directory API: each returns a value, field problems or an error, never
// panics.
func FuzzCTIDecoders(f *testing.F) {
	for _, s := range []string{
		`{"extension":"201","number":"+8613812345678"}`, `{"target":"203"}`, `{"reason":"lunch"}`,
		`{"name":"crm","role":"supervisor","days":30}`, `{"id":"w","url":"http://127.0.0.1/h","secret":"0123456789abcdef","enabled":true}`,
		`{"queue":"sales","answers":[{"node":"q1","value":"tv"}]}`, `{"number":"138","config":{"sources":[{"type":"http"}]}}`,
		`{"sources":[{"type":"builtin"}],"deadlineMs":-1}`, `{"queue":"q","title":"t","start":"a","nodes":[{"id":"a","type":"end","text":"x"}]}`,
		`{"id":"c1","name":"n","numbers":["1"]}`, `{"days":1e999}`, `{"code":"sale","notes":"ok"}`, `{"extension":"201"}`,
		`{"number":"203","queue":"sales","when":"2026-11-27T15:00:00+08:00","customerId":"c1","name":"Li","notes":"x"}`,
		`{"number":5}`, `{"colour":"red"}`, `[]`, `{} {}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := func() *bytes.Reader { return bytes.NewReader(data) }
		_, _, _ = decodeOriginate(rd())
		_, _, _ = decodeTarget(rd())
		_, _, _ = decodeAgentInput(rd())
		_, _, _ = decodeTokenInput(rd())
		_, _, _ = decodeWebhook(rd())
		_, _, _ = decodeAnswers(rd())
		_, _, _ = decodeLookup(rd())
		_, _, _ = decodeDirectoryConfig(rd())
		_, _, _ = decodeScript(rd())
		_, _, _ = decodeCustomer(rd())
		_, _, _ = decodeWrapUp(rd())
		_, _, _ = decodeAnswer(rd())
		_, _, _ = decodeSchedule(rd())
		for _, dec := range []func() error{
			func() error { _, _, err := decodeSchedule(rd()); return err },
			func() error { _, _, err := decodeTarget(rd()); return err },
		} {
			if err := dec(); err != nil {
				_, _ = jsonFieldError(err)
			}
		}
	})
}

// FuzzParseEventID: a Last-Event-ID header is an ID or an error.
func FuzzParseEventID(f *testing.F) {
	for _, s := range []string{"", "0", "1764230400000123", "-1", "18446744073709551616", " 7 ", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseEventID(s)
		if err != nil && id != 0 {
			t.Fatalf("%q: id %d with error %v", s, id, err)
		}
	})
}
