package directory

import (
	"bytes"
	"encoding/json"
	"testing"
)

const crmAnswer = `{"data":[{"full_name":"Wang Fang","vip":true,"score":12.50,"id":13800138000,
	"tags":["a","b"],"addr":{"city":"Shanghai"},"note":null}],"count":1e3}`

func decodeJSON(t testing.TB, s string, useNumber bool) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if useNumber {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPickJSON_RendersLeavesAsText(t *testing.T) {
	cases := []struct {
		path      string
		useNumber bool
		want      string
		found     bool
	}{
		{"data.0.full_name", false, "Wang Fang", true},
		{"data.0.vip", false, "true", true},
		{"data.0.score", false, "12.5", true},
		{"data.0.score", true, "12.50", true}, // as written in the answer
		{"data.0.id", false, "13800138000", true},
		{"count", false, "1000", true},
		{"count", true, "1e3", true},
		{"data.0.tags", false, `["a","b"]`, true},
		{"data.0.addr", false, `{"city":"Shanghai"}`, true},
		{"data.0.note", false, "", true},
		{"data.0.missing", false, "", false},
		{"data.1.full_name", false, "", false},
		{"data.-1", false, "", false},
		{"data.x", false, "", false},
		{"data.0.full_name.more", false, "", false},
		{"", false, "", false},
	}
	for _, c := range cases {
		got, found := PickJSON(decodeJSON(t, crmAnswer, c.useNumber), c.path)
		if got != c.want || found != c.found {
			t.Errorf("PickJSON(%q, useNumber=%v) = %q, %v; want %q, %v", c.path, c.useNumber, got, found, c.want, c.found)
		}
	}
}

func FuzzPickJSON(f *testing.F) {
	f.Add(crmAnswer, "data.0.full_name")
	f.Add(`[1,[2,{"a":null}]]`, "1.1.a")
	f.Add(`"text"`, "")
	f.Fuzz(func(t *testing.T, doc, path string) {
		for _, useNumber := range []bool{false, true} {
			dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
			if useNumber {
				dec.UseNumber()
			}
			var v any
			if dec.Decode(&v) != nil {
				return
			}
			PickJSON(v, path)
		}
	})
}
