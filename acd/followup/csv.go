package followup

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// CSVColumns are the columns of a follow-up import file. agent, number,
// reason and due are needed; the others may be left out; any order.
var CSVColumns = []string{"agent", "number", "reason", "due", "priority", "name", "customer"}

// MaxImportRows bounds one import file.
const MaxImportRows = 10000

// ErrImportInvalid: Import was given a preview that has problems.
var ErrImportInvalid = errors.New("followup: the import file has errors")

// ImportRow is one parsed data row of an import file.
type ImportRow struct {
	// Line is the row's line number in the file (the header is line 1).
	Line     int                `json:"line"`
	Followup store.Followup     `json:"followup"`
	Problems []store.FieldError `json:"problems,omitempty"`
}

// RowProblems implements directory.PreviewRow.
func (r ImportRow) RowProblems() (int, []store.FieldError) { return r.Line, r.Problems }

// Preview is a follow-up file parsed and checked, with the customer
// import's rules (see directory.ImportPreview).
type Preview = directory.ImportPreview[ImportRow]

// ImportOptions is what ParseCSV checks the rows against.
type ImportOptions struct {
	// Plan normalises the numbers (and finds their customers).
	Plan directory.Plan
	// Zone is where a due time without a zone is read (the site's).
	Zone *time.Location
	// Now dates the tasks.
	Now time.Time
	// Agents are the agent IDs a row may name.
	Agents map[string]bool
	// By is the user importing, kept on every task.
	By string
}

func problem(field, code string, args ...any) store.FieldError {
	return store.FieldError{Field: field, Code: code, Args: args}
}

// dueLayouts are the forms of the due column, with and without a zone.
var dueLayouts = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"}

// ParseDue reads a due time; a time without a zone is in loc. A bare
// date is that day's start.
func ParseDue(v string, loc *time.Location) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range dueLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ParseCSV reads a follow-up file and checks every row with the store's
// own validation. It never writes anything and never fails: what is wrong
// is in the preview.
func ParseCSV(r io.Reader, o ImportOptions) Preview {
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
	for _, need := range []string{"agent", "number", "reason", "due"} {
		if _, ok := col[need]; !ok {
			p.Problems = append(p.Problems, problem("header", "directory.csv.header", need))
		}
	}
	if len(p.Problems) > 0 {
		return p
	}
	for i := 0; ; i++ {
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
		p.Rows = append(p.Rows, parseRow(rec, len(header), line, col, o, i))
	}
	if len(p.Rows) == 0 {
		p.Problems = append(p.Problems, problem("file", "directory.csv.empty"))
	}
	return p
}

// parseRow makes the task of one data row (the i-th) and lists its
// problems.
func parseRow(rec []string, width, line int, col map[string]int, o ImportOptions, i int) ImportRow {
	row := ImportRow{Line: line}
	if len(rec) != width {
		row.Problems = append(row.Problems, problem("record", "directory.csv.columns", len(rec), width))
	}
	get := func(name string) string {
		j, ok := col[name]
		if !ok || j >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[j])
	}
	// IDs sort in file order: the same instant, then the row's index.
	agent := get("agent")
	f := store.Followup{ID: taskID(agent, fmt.Sprintf("%s.%05d", o.Now.UTC().Format("20060102T150405.000000Z"), i)),
		Agent: agent, Reason: get("reason"), Name: get("name"), CustomerID: get("customer"),
		Source: store.FollowupFromImport, CreatedBy: o.By, State: store.FollowupOpen, CreatedAt: o.Now, UpdatedAt: o.Now}
	if raw := get("number"); raw != "" {
		if f.Number = o.Plan.Normalize(raw); f.Number == "" {
			row.Problems = append(row.Problems, problem("number", "directory.csv.number", raw))
		}
	}
	if raw := get("due"); raw != "" {
		due, ok := ParseDue(raw, o.Zone)
		if !ok {
			row.Problems = append(row.Problems, problem("due", "followup.csv.due", raw))
		}
		f.Due = due
	}
	if raw := get("priority"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > store.MaxFollowupPriority {
			row.Problems = append(row.Problems, problem("priority", "followup.csv.priority", raw))
		} else {
			f.Priority = n
		}
	}
	if f.Agent != "" && !o.Agents[f.Agent] {
		row.Problems = append(row.Problems, problem("agent", "followup.err.agent", f.Agent))
	}
	if err := f.Validate(); err != nil {
		var ve *store.ValidationError
		var fes []store.FieldError
		if errors.As(err, &ve) {
			fes = ve.Fields
		} else {
			fes = []store.FieldError{problem("record", "directory.csv.syntax", err.Error())}
		}
		for _, fe := range fes {
			// A field already named above keeps its clearer message.
			if !slices.ContainsFunc(row.Problems, func(p store.FieldError) bool { return p.Field == fe.Field }) {
				row.Problems = append(row.Problems, fe)
			}
		}
	}
	row.Followup = f
	return row
}

// Import writes every task of a clean preview in one transaction, or
// nothing.
func (b *Book) Import(ctx context.Context, p Preview) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !p.OK() {
		return 0, ErrImportInvalid
	}
	recs := make([]store.Record, 0, len(p.Rows))
	for _, r := range p.Rows {
		recs = append(recs, r.Followup)
	}
	if _, err := store.PutAll(b.st, recs...); err != nil {
		return 0, fmt.Errorf("followup: import: %w", err)
	}
	b.log.Info("follow-ups imported", "rows", len(recs))
	return len(recs), nil
}
