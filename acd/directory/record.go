package directory

import (
	"errors"
	"maps"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
)

// ErrNotFound is returned by a Source that has no record for the number.
// It is not a failure: the directory moves on to the next source.
var ErrNotFound = errors.New("directory: number not found")

// Record is what the sources know about a caller. Fields a source does not
// fill stay empty; Fields holds the installer's custom fields.
type Record struct {
	// CustomerID is the key of the customer in the source that found it
	// (the store's Customer.ID for the built-in directory).
	CustomerID string            `json:"customerId,omitempty"`
	Name       string            `json:"name,omitempty"`
	Company    string            `json:"company,omitempty"`
	Email      string            `json:"email,omitempty"`
	Notes      string            `json:"notes,omitempty"`
	Lang       i18n.Lang         `json:"lang,omitempty"`
	VIP        bool              `json:"vip,omitempty"`
	Fields     map[string]string `json:"fields,omitempty"`
	// Sources names the sources that contributed, in order.
	Sources []string `json:"sources,omitempty"`
}

// Empty reports whether the record says nothing about the caller.
func (r Record) Empty() bool {
	return r.CustomerID == "" && r.Name == "" && r.Company == "" && r.Email == "" &&
		r.Notes == "" && r.Lang == "" && !r.VIP && len(r.Fields) == 0
}

// merge fills the fields r lacks from o: the first source wins per field,
// custom fields are merged the same way.
func (r *Record) merge(o Record, source string) {
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&r.CustomerID, o.CustomerID)
	fill(&r.Name, o.Name)
	fill(&r.Company, o.Company)
	fill(&r.Email, o.Email)
	fill(&r.Notes, o.Notes)
	if r.Lang == "" {
		r.Lang = o.Lang
	}
	r.VIP = r.VIP || o.VIP
	for k, v := range o.Fields {
		if _, ok := r.Fields[k]; !ok {
			if r.Fields == nil {
				r.Fields = map[string]string{}
			}
			r.Fields[k] = v
		}
	}
	r.Sources = append(r.Sources, source)
}

func (r Record) clone() Record {
	r.Fields = maps.Clone(r.Fields)
	r.Sources = append([]string(nil), r.Sources...)
	return r
}

// Set stores value under a field name as the external sources map them:
// "id" (or "customerId"), "name", "company", "email", "notes", "lang",
// "vip" (true/1/yes) go to their fields, any other name is a custom field.
// Sources use it so that every one of them maps columns, attributes and
// JSON paths the same way.
func (r *Record) Set(field, value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	switch strings.ToLower(field) {
	case "id", "customerid":
		r.CustomerID = value
	case "name":
		r.Name = value
	case "company":
		r.Company = value
	case "email":
		r.Email = value
	case "notes":
		r.Notes = value
	case "lang":
		r.Lang = i18n.ParseLang(value)
	case "vip":
		r.VIP = ParseBool(value)
	default:
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		r.Fields[field] = value
	}
}

// ParseBool reads the yes/no values people put in spreadsheets and CRMs.
func ParseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "是", "vip":
		return true
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		n, nerr := strconv.Atoi(strings.TrimSpace(s))
		return nerr == nil && n > 0
	}
	return b
}
