package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func validCustomerFieldRecords() []Record {
	return []Record{
		CustomerField{Name: "contract", LabelEN: "Contract", LabelZH: "合同号", Type: FieldText, ShowInPop: true, Searchable: true},
		CustomerField{Name: "tier", LabelEN: "Tier", Type: FieldChoice, Choices: []string{"gold", "silver"}, Required: true, Order: 2},
		Customer{ID: "c-vip", Name: "Zhao Li", Numbers: []string{"+8613900139000"}, VIPLevel: 3, VIP: true,
			Tags: []string{"wholesale", "北京"}, Fields: map[string]string{"contract": "HT-2026-001", "tier": "gold"}},
	}
}

func TestCustomer_OldVIPFlagReadsAsLevelOne(t *testing.T) {
	s := openTemp(t)
	old := []byte(`{"kind":"customers","v":1,"data":{"id":"c1","name":"Li Lei","numbers":["+8613812345678"],"vip":true}}`)
	if _, err := s.commit(KindCustomer, "c1", OpPut, old, modeAny); err != nil {
		t.Fatal(err)
	}
	c, err := Get[Customer](s, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Level() != 1 || !c.VIP {
		t.Fatalf("old VIP record read as %+v", c)
	}
	c.VIPLevel, c.VIP = 0, false
	if _, err := Put(s, c); err != nil {
		t.Fatal(err)
	}
	if c, _ = Get[Customer](s, "c1"); c.Level() != 0 {
		t.Fatalf("level 0 did not stick: %+v", c)
	}
}

func TestCustomer_WritesTheFlagForOldReaders(t *testing.T) {
	b, err := json.Marshal(Customer{ID: "c1", Name: "x", VIPLevel: 4})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["vip"] != true || m["vipLevel"] != float64(4) {
		t.Fatalf("encoded %s", b)
	}
	if b, _ := json.Marshal(Customer{ID: "c1", Name: "x"}); string(b) != `{"id":"c1","name":"x"}` {
		t.Fatalf("a plain customer gained fields: %s", b)
	}
	var c Customer
	if err := strictUnmarshal([]byte(`{"id":"c1","name":"x","nmae":"y"}`), &c); err == nil {
		t.Fatal("an unknown field was accepted")
	}
}

func TestCustomer_LevelTagsAndFieldsAreValidated(t *testing.T) {
	c := Customer{ID: "c1", Name: "x", VIPLevel: 6, Tags: []string{"a;b", "ok", "ok", " pad"},
		Fields: map[string]string{"bad name": "v", "note": "line\x00"}}
	var ve *ValidationError
	if !errors.As(c.Validate(), &ve) {
		t.Fatal("no validation error")
	}
	got := map[string]string{}
	for _, f := range ve.Fields {
		got[f.Field] = f.Code
	}
	want := map[string]string{"vipLevel": codeRange, "tags[0]": codeTag, "tags[2]": codeDuplicate, "tags[3]": codeTag,
		"fields.bad name": codeName, "fields.note": codeUnknown}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestCustomerFields_ValuesAreCheckedAgainstDefinitions(t *testing.T) {
	defs := []CustomerField{
		{Name: "tier", LabelEN: "Tier", Type: FieldChoice, Choices: []string{"gold", "silver"}, Required: true},
		{Name: "since", LabelEN: "Since", Type: FieldDate},
		{Name: "credit", LabelEN: "Credit", Type: FieldNumber},
		{Name: "mobile", LabelEN: "Mobile", Type: FieldPhone},
		{Name: "mail", LabelEN: "Mail", Type: FieldEmail},
	}
	c := Customer{Fields: map[string]string{"since": "2026-13-01", "credit": "NaN", "mobile": "call me",
		"mail": "x@", "ghost": "boo"}}
	got := map[string]string{}
	for _, f := range ValidateCustomerFields(defs, c) {
		got[f.Field] = f.Code
	}
	want := map[string]string{"fields.tier": codeRequired, "fields.since": codeDate, "fields.credit": codeFieldNumber,
		"fields.mobile": codeNumber, "fields.mail": codeEmail, "fields.ghost": codeFieldUnknown}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	ok := Customer{Fields: map[string]string{"tier": "gold", "since": "2026-01-31", "credit": "-12.5", "mobile": "+8613800138000", "mail": "a@b.cn"}}
	if errs := ValidateCustomerFields(defs, ok); len(errs) != 0 {
		t.Fatalf("good values refused: %v", errs)
	}
}

func TestCustomerField_DefinitionIsValidated(t *testing.T) {
	var ve *ValidationError
	if !errors.As(CustomerField{Name: "x y", Type: "colour", Choices: []string{"a"}}.Validate(), &ve) {
		t.Fatal("no error")
	}
	got := map[string]string{}
	for _, f := range ve.Fields {
		got[f.Field] = f.Code
	}
	if got["name"] != codeName || got["type"] != codeOneOf || got["labelEn"] != codeRequired || got["choices"] != codeFieldChoices {
		t.Fatalf("got %v", got)
	}
	if !errors.As(CustomerField{Name: "t", LabelZH: "级别", Type: FieldChoice}.Validate(), &ve) || ve.Fields[0].Code != codeFieldNoList {
		t.Fatalf("choice without choices: %v", ve)
	}
}

func TestCustomerFields_ListInFormOrder(t *testing.T) {
	s := openTemp(t)
	for _, d := range []CustomerField{{Name: "b", LabelEN: "B", Type: FieldText}, {Name: "a", LabelEN: "A", Type: FieldText, Order: 5},
		{Name: "c", LabelEN: "C", Type: FieldText}} {
		if _, err := Put(s, d); err != nil {
			t.Fatal(err)
		}
	}
	defs, err := CustomerFields(s)
	if err != nil || len(defs) != 3 || defs[0].Name != "b" || defs[1].Name != "c" || defs[2].Name != "a" {
		t.Fatalf("%v %v", defs, err)
	}
}

// FuzzCustomerJSON: any JSON decodes into a customer or fails, never
// panics; what encodes says the flag and the level consistently and
// decodes back to the same level.
func FuzzCustomerJSON(f *testing.F) {
	for _, seed := range []string{`{"id":"c1","name":"x","vip":true}`, `{"id":"c1","name":"x","vipLevel":3,"vip":false}`,
		`{"id":"c1","tags":["a"],"fields":{"tier":"gold"}}`, `{"nmae":1}`, `[]`, `null`, `{"vipLevel":-7}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Customer
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Customer
		if err := json.Unmarshal(out, &back); err != nil || back.Level() != c.Level() || back.VIP != (c.Level() > 0) || len(back.Tags) != len(c.Tags) {
			t.Fatalf("round trip %s -> %+v %v", out, back, err)
		}
	})
}

func TestRangeCustomers_SkipsWhatKeepRefusesAndStartsAfterTheKey(t *testing.T) {
	s := openTemp(t)
	for _, id := range []string{"a", "b", "c", "d"} {
		if _, err := Put(s, Customer{ID: id, Name: "name " + id}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := RangeCustomers(s, "a", func(raw []byte) bool { return !strings.Contains(string(raw), "name c") },
		func(c Customer) bool { got = append(got, c.ID); return true })
	if err != nil || strings.Join(got, "") != "bd" {
		t.Fatalf("%v %v", got, err)
	}
}
