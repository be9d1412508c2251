package store

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"callbox/firmware/i18n"
)

// The installer defines the customer directory's custom fields ("contract
// number", "tier", "birthday") as records of their own: a customer keeps
// the values by field name (Customer.Fields), the definitions say how
// each is typed, labelled and used. Like the CTI's kinds the bucket came
// without a schema step: Open creates it when a file lacks it.

// KindCustomerField keeps the definitions of the customers' custom fields.
const KindCustomerField Kind = "customerfields"

// FieldType is the type of a custom field's value.
type FieldType string

// The custom field types.
const (
	FieldText   FieldType = "text"
	FieldNumber FieldType = "number" // a decimal number, "12" or "-3.5"
	FieldDate   FieldType = "date"   // YYYY-MM-DD
	FieldChoice FieldType = "choice" // one of Choices
	FieldPhone  FieldType = "phone"  // dialable
	FieldEmail  FieldType = "email"
)

// FieldTypes lists the types in the order forms offer them.
func FieldTypes() []FieldType {
	return []FieldType{FieldText, FieldNumber, FieldDate, FieldChoice, FieldPhone, FieldEmail}
}

// MaxFieldChoices bounds a choice field's list.
const MaxFieldChoices = 100

// Message keys of the customer checks (firmware/i18n/customers.go).
const (
	codeTag           = "customers.err.tag"
	codeFieldUnknown  = "customers.err.field-unknown"
	codeFieldNumber   = "customers.err.field-number"
	codeFieldChoice   = "customers.err.field-choice"
	codeFieldChoices  = "customers.err.field-choices"
	codeFieldNoList   = "customers.err.field-no-choices"
	codeFieldReserved = "customers.err.field-reserved"
)

// reservedFieldNames are names a custom field cannot take: the customer's
// own CSV columns and the names the directory record gives the VIP level
// and the tags (lower case; names compare ignoring case).
var reservedFieldNames = []string{"id", "customerid", "name", "company", "numbers", "email", "lang", "vip",
	"vip_level", "viplevel", "tags", "notes", "createdat", "updatedat"}

// CustomerField defines one custom field of the customer directory.
// Key: Name.
type CustomerField struct {
	// Name is the key of the value in Customer.Fields, the CSV column and
	// the name the IVR and the pop read (an identifier).
	Name string `json:"name"`
	// LabelEN and LabelZH are what people read; at least one is required,
	// the other language falls back to it (Label).
	LabelEN string    `json:"labelEn,omitempty"`
	LabelZH string    `json:"labelZh,omitempty"`
	Type    FieldType `json:"type"`
	// Choices are the allowed values of a choice field.
	Choices []string `json:"choices,omitempty"`
	// Required: every customer written must have a value.
	Required bool `json:"required,omitempty"`
	// ShowInPop: the agent's screen pop shows the field.
	ShowInPop bool `json:"showInPop,omitempty"`
	// Searchable: the directory's search looks into the field.
	Searchable bool `json:"searchable,omitempty"`
	// Order places the field on forms and in exports (then by name).
	Order int `json:"order,omitempty"`
}

// Kind implements Record.
func (CustomerField) Kind() Kind { return KindCustomerField }

// Key implements Record.
func (d CustomerField) Key() string { return d.Name }

// Validate implements Record.
func (d CustomerField) Validate() error {
	var f fields
	f.name("name", d.Name)
	if slices.Contains(reservedFieldNames, strings.ToLower(d.Name)) {
		f.add("name", codeFieldReserved, d.Name)
	}
	f.text("labelEn", d.LabelEN, false, 64)
	f.text("labelZh", d.LabelZH, false, 64)
	if d.LabelEN == "" && d.LabelZH == "" {
		f.add("labelEn", codeRequired)
	}
	oneOf(&f, "type", d.Type, true, FieldTypes()...)
	switch {
	case d.Type == FieldChoice && len(d.Choices) == 0:
		f.add("choices", codeFieldNoList)
	case d.Type != FieldChoice && len(d.Choices) > 0:
		f.add("choices", codeFieldChoices)
	case len(d.Choices) > MaxFieldChoices:
		f.add("choices", codeRange, 1, MaxFieldChoices)
	}
	for i, c := range d.Choices {
		f.text(indexed("choices", i), c, true, 64)
	}
	noDuplicates(&f, "choices", d.Choices)
	f.intRange("order", d.Order, -1000, 1000)
	return f.result(KindCustomerField, d.Name)
}

// Label is the field's label in lang, the other language's when that one
// is empty.
func (d CustomerField) Label(lang i18n.Lang) string {
	en, zh := d.LabelEN, d.LabelZH
	if lang == i18n.ZH {
		en, zh = zh, en
	}
	if en != "" {
		return en
	}
	return zh
}

// Check returns the problem of value for this field ("" is checked only
// for being required), or nil. The field name of the error is
// "fields.<name>".
func (d CustomerField) Check(value string) *FieldError {
	var f fields
	name := "fields." + d.Name
	switch {
	case value == "":
		if d.Required {
			f.add(name, codeRequired)
		}
	case d.Type == FieldNumber:
		if n, err := strconv.ParseFloat(value, 64); err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			f.add(name, codeFieldNumber)
		}
	case d.Type == FieldDate:
		if _, ok := parseDate(value); !ok {
			f.add(name, codeDate)
		}
	case d.Type == FieldChoice:
		if !slices.Contains(d.Choices, value) {
			f.add(name, codeFieldChoice, strings.Join(d.Choices, ", "))
		}
	case d.Type == FieldPhone:
		f.dialable(name, value, true)
	case d.Type == FieldEmail:
		f.email(name, value)
	}
	if len(f.errs) == 0 {
		return nil
	}
	return &f.errs[0]
}

// ValidateCustomerFields checks a customer's custom values against the
// definitions: every required field has a value, every value fits its
// field's type, no value is for a field that is not defined. It returns
// the problems in definition order (nil when there is none); the record's
// own Validate does not know the definitions.
func ValidateCustomerFields(defs []CustomerField, c Customer) []FieldError {
	var out []FieldError
	known := make(map[string]bool, len(defs))
	for _, d := range defs {
		known[d.Name] = true
		if e := d.Check(c.Fields[d.Name]); e != nil {
			out = append(out, *e)
		}
	}
	var unknown []string
	for k := range c.Fields {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		out = append(out, FieldError{Field: "fields." + k, Code: codeFieldUnknown, Args: []any{k}})
	}
	return out
}

// CustomerFields lists the definitions in form order: by Order, then
// name.
func CustomerFields(s *Store) ([]CustomerField, error) {
	defs, err := List[CustomerField](s)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(defs, func(a, b CustomerField) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.Name, b.Name)
	})
	return defs, nil
}

func init() {
	recordVersions[KindCustomerField] = 1
	codecs[KindCustomerField] = codecFor[CustomerField]()
}

// RangeCustomers calls fn with each customer whose key comes after after
// ("" for all), in key order, until fn returns false; but only for the
// records keep accepts, given the stored bytes before they are decoded
// (nil keep accepts all). keep lets a search of a large directory skip
// the decoding of the records that cannot match: it must accept every
// record that might, as fn never sees the others.
func RangeCustomers(s *Store, after string, keep func(raw []byte) bool, fn func(Customer) bool) error {
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(KindCustomer))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after + "\x00"))
		}
		for ; k != nil; k, v = c.Next() {
			if v == nil || keep != nil && !keep(v) {
				continue
			}
			r, err := decode[Customer](v)
			if err != nil {
				return fmt.Errorf("%w: %s %q: %v", ErrCorrupt, KindCustomer, k, err)
			}
			if !fn(r) {
				return nil
			}
		}
		return nil
	})
	return s.mapErr(err)
}
