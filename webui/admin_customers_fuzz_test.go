package webui

import (
	"net/url"
	"strings"
	"testing"

	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// fuzzDefs are the custom fields the fuzz targets check against.
var fuzzDefs = []store.CustomerField{
	{Name: "tier", LabelEN: "Tier", Type: store.FieldChoice, Choices: []string{"gold", "silver"}, Required: true},
	{Name: "since", LabelEN: "Since", Type: store.FieldDate},
	{Name: "credit", LabelEN: "Credit", Type: store.FieldNumber},
	{Name: "mobile", LabelEN: "Mobile", Type: store.FieldPhone},
}

// FuzzParseCustomersCSV: any file gives a preview, never a panic; a
// preview that says OK holds only customers the store and the definitions
// accept.
func FuzzParseCustomersCSV(f *testing.F) {
	for _, seed := range []string{
		"id,name,numbers,vip_level,tags,tier\nc1,Li Lei,013812345678,3,a;b,gold\n",
		"\ufeffID,Name,VIPLevel,Credit,Since\nc1,x,1,-2.5,2026-02-28\n",
		"id,name,vip,tier\nc1,x,yes,silver\nc1,y,no,gold\n",
		"id,name,colour\n", "", "\"unterminated\n", "id,name\nc1\n", "id,name,vip_level\nc1,x,99999999999999999999\n",
		"id,name,tier,tier\nc1,x,gold,gold\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, file string) {
		p := directory.ParseCSV(strings.NewReader(file), directory.PlanCN, fuzzDefs)
		_ = p.Messages(i18n.ZH)
		if !p.OK() {
			return
		}
		for _, r := range p.Rows {
			if err := r.Customer.Validate(); err != nil {
				t.Fatalf("line %d passed the preview but the store refuses it: %v", r.Line, err)
			}
			if errs := store.ValidateCustomerFields(fuzzDefs, r.Customer); len(errs) > 0 {
				t.Fatalf("line %d passed the preview with bad fields: %v", r.Line, errs)
			}
		}
	})
}

// FuzzParseCustomerForm: any value in any input of the customer form is
// read or named, never a panic, and a form without messages validates.
func FuzzParseCustomerForm(f *testing.F) {
	for _, seed := range []string{"", "3", "-1", "x", "a\nb\nb", "gold", "2026-02-30", "+86 138 1234 5678", "a,b;c", "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, field := range customerFormFields(fuzzDefs) {
			form := url.Values{"name": {"x"}, "fields.tier": {"gold"}}
			form.Set(field.Name, v)
			c, errs := parseCustomerForm(form, store.Customer{ID: "c1"}, fuzzDefs, i18n.EN)
			normalizeNumbers(&c, directory.PlanCN)
			customerErrors(errs, directory.CheckCustomer(c, fuzzDefs), i18n.EN)
			if len(errs) == 0 {
				if err := c.Validate(); err != nil {
					t.Fatalf("%s=%q: no message but the store refuses: %v", field.Name, v, err)
				}
			}
		}
	})
}
