package webui

import (
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The customer CSV files: the directory's own columns
// (directory.CSVColumns), then "vip_level", "tags" (separated by ';') and
// one column per custom field, headed by the field's name. A file may
// leave columns out and put them in any order; "id" and "name" are
// required. The old "vip" yes/no column still reads (as level 1) when the
// file has no level.

// The CSV columns added to the directory's own.
const (
	csvVIPLevel = "vip_level"
	csvTags     = "tags"
)

// customerCSVColumns is the header of an export with defs.
func customerCSVColumns(defs []store.CustomerField) []string {
	cols := append(slices.Clone(directory.CSVColumns), csvVIPLevel, csvTags)
	for _, d := range defs {
		cols = append(cols, d.Name)
	}
	return cols
}

// parseCustomersCSV reads a customer file into a preview: every row
// checked by the store's validation and against the custom field
// definitions, numbers normalised with plan. It never writes anything;
// directory.Import writes a clean preview in one transaction.
func parseCustomersCSV(r io.Reader, plan directory.Plan, defs []store.CustomerField) directory.Preview {
	var p directory.Preview
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		p.Problems = append(p.Problems, problem("file", "directory.csv.empty"))
		return p
	}
	if err != nil {
		p.Problems = append(p.Problems, problem("file", "directory.csv.syntax", err.Error()))
		return p
	}
	std := append(slices.Clone(directory.CSVColumns), csvVIPLevel, csvTags)
	col := map[string]int{}    // standard column -> index
	custom := map[string]int{} // custom field name -> index
	for i, raw := range header {
		h := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		low := strings.ToLower(h)
		if low == "viplevel" {
			low = csvVIPLevel
		}
		if slices.Contains(std, low) {
			if _, dup := col[low]; dup {
				p.Problems = append(p.Problems, problem("header", "store.err.duplicate"))
			}
			col[low] = i
			continue
		}
		j := slices.IndexFunc(defs, func(d store.CustomerField) bool { return strings.EqualFold(d.Name, h) })
		if j < 0 {
			p.Problems = append(p.Problems, problem("header", "customers.err.csv-field", h))
			continue
		}
		custom[defs[j].Name] = i
	}
	for _, need := range []string{"id", "name"} {
		if _, ok := col[need]; !ok {
			p.Problems = append(p.Problems, problem("header", "directory.csv.header", need))
		}
	}
	if len(p.Problems) > 0 {
		return p
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.Problems = append(p.Problems, problem("file", "directory.csv.syntax", err.Error()))
			return p
		}
		if len(p.Rows) == directory.MaxImportRows {
			p.Problems = append(p.Problems, problem("file", "directory.csv.too-many", directory.MaxImportRows))
			return p
		}
		line, _ := cr.FieldPos(0)
		row := directory.ImportRow{Line: line}
		if len(rec) != len(header) {
			row.Problems = append(row.Problems, problem("record", "directory.csv.columns", len(rec), len(header)))
		}
		cell := func(i int) string {
			if i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok {
				return ""
			}
			return cell(i)
		}
		c := store.Customer{ID: get("id"), Name: get("name"), Company: get("company"), Email: get("email"), Notes: get("notes")}
		if l := get("lang"); l != "" {
			c.Lang = i18n.Lang(strings.ToLower(l))
		}
		switch lv := get(csvVIPLevel); {
		case lv != "":
			n, err := strconv.Atoi(lv)
			if err != nil || n < 0 || n > store.MaxVIPLevel {
				// Named once, here: the level is left out of the
				// record's own check.
				row.Problems = append(row.Problems, problem("vipLevel", "customers.err.vip-level", store.MaxVIPLevel))
				n = 0
			}
			c.VIPLevel = n
		case directory.ParseBool(get("vip")):
			c.VIPLevel = 1
		}
		c.Tags = splitTags(get(csvTags))
		for i, raw := range strings.Split(get("numbers"), ";") {
			if raw = strings.TrimSpace(raw); raw == "" {
				continue
			}
			n := plan.Normalize(raw)
			if n == "" {
				row.Problems = append(row.Problems, problem("numbers["+strconv.Itoa(i)+"]", "directory.csv.number", raw))
				continue
			}
			c.Numbers = append(c.Numbers, n)
		}
		for name, i := range custom {
			if v := cell(i); v != "" {
				if c.Fields == nil {
					c.Fields = map[string]string{}
				}
				c.Fields[name] = v
			}
		}
		row.Problems = append(row.Problems, checkCustomer(c, defs)...)
		if first, dup := seen[c.ID]; dup && c.ID != "" {
			row.Problems = append(row.Problems, problem("id", "directory.csv.duplicate-id", c.ID, first))
		} else {
			seen[c.ID] = line
		}
		row.Customer = c
		p.Rows = append(p.Rows, row)
	}
	if len(p.Rows) == 0 {
		p.Problems = append(p.Problems, problem("file", "directory.csv.empty"))
	}
	return p
}

// splitTags reads tags separated by ';' (or a new line, as the form
// writes them), dropping blanks.
func splitTags(s string) []string {
	var out []string
	for t := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// checkCustomer is every problem of a customer about to be written: the
// record's own validation, then its custom values against defs.
func checkCustomer(c store.Customer, defs []store.CustomerField) []store.FieldError {
	var out []store.FieldError
	if err := c.Validate(); err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			out = append(out, ve.Fields...)
		} else {
			out = append(out, problem("record", "directory.csv.syntax", err.Error()))
		}
	}
	// A value the record already refuses (bad name, too long) is not
	// named twice.
	for _, f := range store.ValidateCustomerFields(defs, c) {
		if !slices.ContainsFunc(out, func(o store.FieldError) bool { return o.Field == f.Field }) {
			out = append(out, f)
		}
	}
	return out
}

// exportCustomersCSV writes customers in the format parseCustomersCSV
// reads, one column per definition, streaming the customers in key order
// rather than loading a large directory at once.
func exportCustomersCSV(w io.Writer, st *store.Store, defs []store.CustomerField) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(customerCSVColumns(defs)); err != nil {
		return err
	}
	var werr error
	err := store.ListFunc(st, "", func(c store.Customer) bool {
		vip, level := "", ""
		if l := c.Level(); l > 0 {
			vip, level = "yes", strconv.Itoa(l)
		}
		rec := []string{c.ID, c.Name, c.Company, strings.Join(c.Numbers, ";"), c.Email, string(c.Lang), vip, c.Notes,
			level, strings.Join(c.Tags, ";")}
		for _, d := range defs {
			rec = append(rec, c.Fields[d.Name])
		}
		werr = cw.Write(rec)
		return werr == nil
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	cw.Flush()
	return cw.Error()
}
