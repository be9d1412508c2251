package directory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The columns of a customer CSV file, in export order: CSVColumns, then
// CSVVIPLevel, CSVTags (separated by ';') and one column per custom field,
// headed by the field's name (Columns). A file may leave columns out and
// put them in any order; "id" and "name" are required. Several numbers
// share one cell, separated by ';'. The old "vip" yes/no column still
// reads (as level 1) when the file has no level.
var CSVColumns = []string{"id", "name", "company", "numbers", "email", "lang", "vip", "notes"}

// The columns that follow CSVColumns.
const (
	CSVVIPLevel = "vip_level"
	CSVTags     = "tags"
)

// Columns is the header of a file with the custom fields defs.
func Columns(defs []store.CustomerField) []string {
	cols := append(slices.Clone(CSVColumns), CSVVIPLevel, CSVTags)
	for _, d := range defs {
		cols = append(cols, d.Name)
	}
	return cols
}

// MaxImportRows bounds one import file.
const MaxImportRows = 50000

// ErrImportInvalid: Import was given a preview that has problems.
var ErrImportInvalid = errors.New("directory: the import file has errors")

// ImportRow is one parsed data row of an import file.
type ImportRow struct {
	// Line is the row's line number in the file (the header is line 1).
	Line     int                `json:"line"`
	Customer store.Customer     `json:"customer"`
	Problems []store.FieldError `json:"problems,omitempty"`
}

// RowProblems implements PreviewRow.
func (r ImportRow) RowProblems() (int, []store.FieldError) { return r.Line, r.Problems }

// Preview is a customer file parsed and checked (see ImportPreview).
type Preview = ImportPreview[ImportRow]

func problem(field, code string, args ...any) store.FieldError {
	return store.FieldError{Field: field, Code: code, Args: args}
}

// ParseCSV reads a customer file into a preview: every row checked by
// the store's validation and against the custom field definitions defs,
// numbers normalised with plan. It never writes anything; Import writes a
// clean preview in one transaction.
func ParseCSV(r io.Reader, plan Plan, defs []store.CustomerField) Preview {
	var p Preview
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
	std := append(slices.Clone(CSVColumns), CSVVIPLevel, CSVTags)
	col := map[string]int{}    // standard column -> index
	custom := map[string]int{} // custom field name -> index
	for i, raw := range header {
		h := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		low := strings.ToLower(h)
		if low == "viplevel" {
			low = CSVVIPLevel
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
		if len(p.Rows) == MaxImportRows {
			p.Problems = append(p.Problems, problem("file", "directory.csv.too-many", MaxImportRows))
			return p
		}
		line, _ := cr.FieldPos(0)
		row := ImportRow{Line: line}
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
		switch lv := get(CSVVIPLevel); {
		case lv != "":
			n, err := strconv.Atoi(lv)
			if err != nil || n < 0 || n > store.MaxVIPLevel {
				// Named once, here: the level is left out of the
				// record's own check.
				row.Problems = append(row.Problems, problem("vipLevel", "customers.err.vip-level", store.MaxVIPLevel))
				n = 0
			}
			c.VIPLevel = n
		case ParseBool(get("vip")):
			c.VIPLevel = 1
		}
		// The yes/no flag mirrors the level, as the store writes it.
		c.VIP = c.VIPLevel > 0
		c.Tags = SplitTags(get(CSVTags))
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
		row.Problems = append(row.Problems, CheckCustomer(c, defs)...)
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

// SplitTags reads tags separated by ';' (or a new line, as the admin form
// writes them), dropping blanks.
func SplitTags(s string) []string {
	var out []string
	for t := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// CheckCustomer is every problem of a customer about to be written: the
// record's own validation, then its custom values against defs.
func CheckCustomer(c store.Customer, defs []store.CustomerField) []store.FieldError {
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

// Import writes every customer of a clean preview in one transaction, or
// nothing. A customer that already exists keeps its creation time.
func Import(st *store.Store, p Preview, now time.Time) (int, error) {
	if !p.OK() {
		return 0, ErrImportInvalid
	}
	recs := make([]store.Record, 0, len(p.Rows))
	for _, r := range p.Rows {
		c := r.Customer
		c.CreatedAt, c.UpdatedAt = now, now
		old, err := store.Get[store.Customer](st, c.ID)
		switch {
		case err == nil:
			c.CreatedAt = old.CreatedAt
		case !errors.Is(err, store.ErrNotFound):
			return 0, fmt.Errorf("directory: import: %w", err)
		}
		recs = append(recs, c)
	}
	if _, err := store.PutAll(st, recs...); err != nil {
		return 0, fmt.Errorf("directory: import: %w", err)
	}
	return len(recs), nil
}

// ExportCSV writes customers in the format ParseCSV reads, one column per
// definition in defs.
func ExportCSV(w io.Writer, cs []store.Customer, defs []store.CustomerField) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns(defs)); err != nil {
		return err
	}
	for _, c := range cs {
		if err := cw.Write(csvRecord(c, defs)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ExportStore writes every customer of st as ExportCSV does, streaming
// them in key order rather than loading a large directory at once.
func ExportStore(w io.Writer, st *store.Store, defs []store.CustomerField) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns(defs)); err != nil {
		return err
	}
	var werr error
	err := store.ListFunc(st, "", func(c store.Customer) bool {
		werr = cw.Write(csvRecord(c, defs))
		return werr == nil
	})
	if err != nil {
		return fmt.Errorf("directory: export: %w", err)
	}
	if werr != nil {
		return werr
	}
	cw.Flush()
	return cw.Error()
}

// csvRecord is one customer's row under Columns(defs).
func csvRecord(c store.Customer, defs []store.CustomerField) []string {
	vip, level := "", ""
	if l := c.Level(); l > 0 {
		vip, level = "yes", strconv.Itoa(l)
	}
	rec := []string{c.ID, c.Name, c.Company, strings.Join(c.Numbers, ";"), c.Email, string(c.Lang), vip, c.Notes,
		level, strings.Join(c.Tags, ";")}
	for _, d := range defs {
		rec = append(rec, c.Fields[d.Name])
	}
	return rec
}
