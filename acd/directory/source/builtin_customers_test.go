package source

import (
	"context"
	"testing"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

func TestBuiltin_RecordCarriesVIPLevelTagsAndCustomFields(t *testing.T) {
	st := openStore(t)
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Liu Yang", VIPLevel: 3, Numbers: []string{"+8613812345678"},
		Tags: []string{"wholesale", "北京"}, Fields: map[string]string{"contract": "HT-7", "empty": ""}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Customer{ID: "c2", Name: "Plain", Numbers: []string{"+8613900000000"}}); err != nil {
		t.Fatal(err)
	}
	b, err := NewBuiltin(st, directory.PlanCN)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Lookup(context.Background(), "013812345678")
	if err != nil {
		t.Fatal(err)
	}
	if !r.VIP || r.Fields[FieldVIPLevel] != "3" || r.Fields[FieldTags] != "wholesale;北京" || r.Fields["contract"] != "HT-7" {
		t.Fatalf("record %+v", r)
	}
	if _, ok := r.Fields["empty"]; ok {
		t.Fatalf("an empty custom value reached the record: %+v", r.Fields)
	}
	r, err = b.Lookup(context.Background(), "+8613900000000")
	if err != nil || r.VIP || r.Fields != nil {
		t.Fatalf("plain customer: %+v %v", r, err)
	}
}
