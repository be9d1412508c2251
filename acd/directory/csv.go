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

// CSVColumns are the columns of a customer CSV file, in export order.
// An import needs "id" and "name"; the others may be left out or put in
// any order. Several numbers share one cell, separated by ";".
var CSVColumns = []string{"id", "name", "company", "numbers", "email", "lang", "vip", "notes"}

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

// Preview is an import file parsed and checked, before anything is
// written: the rows with their problems, and problems of the file as a
// whole (Problems, with Line 0 for the header).
type Preview struct {
	Rows     []ImportRow        `json:"rows"`
	Problems []store.FieldError `json:"problems,omitempty"`
}

// OK reports whether the file can be imported.
func (p Preview) OK() bool {
	if len(p.Problems) > 0 || len(p.Rows) == 0 {
		return false
	}
	for _, r := range p.Rows {
		if len(r.Problems) > 0 {
			return false
		}
	}
	return true
}

// Messages lists every problem as "line N: field: message" in lang, for a
// person to read.
func (p Preview) Messages(lang i18n.Lang) []string {
	var out []string
	for _, f := range p.Problems {
		out = append(out, f.Message(lang))
	}
	for _, r := range p.Rows {
		for _, f := range r.Problems {
			out = append(out, i18n.T(lang, "directory.csv.at", r.Line, f.Field, f.Message(lang)))
		}
	}
	return out
}

func problem(field, code string, args ...any) store.FieldError {
	return store.FieldError{Field: field, Code: code, Args: args}
}

// ParseCSV reads a customer file and checks every row with the store's own
// validation, normalising numbers with plan. It never writes anything.
func ParseCSV(r io.Reader, plan Plan) Preview {
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
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(CSVColumns, h) {
			p.Problems = append(p.Problems, problem("header", "directory.csv.unknown", h))
			continue
		}
		col[h] = i
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
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		c := store.Customer{ID: get("id"), Name: get("name"), Company: get("company"), Email: get("email"),
			Notes: get("notes"), VIP: ParseBool(get("vip"))}
		if l := get("lang"); l != "" {
			c.Lang = i18n.Lang(strings.ToLower(l))
		}
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
		if err := c.Validate(); err != nil {
			var ve *store.ValidationError
			if errors.As(err, &ve) {
				row.Problems = append(row.Problems, ve.Fields...)
			} else {
				row.Problems = append(row.Problems, problem("record", "directory.csv.syntax", err.Error()))
			}
		}
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

// ExportCSV writes customers in the format ParseCSV reads.
func ExportCSV(w io.Writer, cs []store.Customer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	for _, c := range cs {
		vip := ""
		if c.VIP {
			vip = "yes"
		}
		if err := cw.Write([]string{c.ID, c.Name, c.Company, strings.Join(c.Numbers, ";"), c.Email,
			string(c.Lang), vip, c.Notes}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ExportStore writes every customer of st.
func ExportStore(w io.Writer, st *store.Store) error {
	cs, err := store.List[store.Customer](st)
	if err != nil {
		return fmt.Errorf("directory: export: %w", err)
	}
	return ExportCSV(w, cs)
}
