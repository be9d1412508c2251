package directory

import (
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// PreviewRow is a row of an import preview: a customer row here, a
// follow-up task row in acd/followup.
type PreviewRow interface {
	// RowProblems returns the row's line number in the file (the header is
	// line 1) and what is wrong with it.
	RowProblems() (line int, problems []store.FieldError)
}

// ImportPreview is an import file parsed and checked, before anything is
// written: the rows with their problems, and problems of the file as a
// whole (Problems, with Line 0 for the header). The customer import and
// the follow-up import share it, so both judge and word a file alike.
type ImportPreview[R PreviewRow] struct {
	Rows     []R                `json:"rows"`
	Problems []store.FieldError `json:"problems,omitempty"`
}

// OK reports whether the file can be imported: rows, and no problem.
func (p ImportPreview[R]) OK() bool {
	if len(p.Problems) > 0 || len(p.Rows) == 0 {
		return false
	}
	for _, r := range p.Rows {
		if _, problems := r.RowProblems(); len(problems) > 0 {
			return false
		}
	}
	return true
}

// Messages lists every problem as "line N: field: message" in lang, for a
// person to read.
func (p ImportPreview[R]) Messages(lang i18n.Lang) []string {
	var out []string
	for _, f := range p.Problems {
		out = append(out, f.Message(lang))
	}
	for _, r := range p.Rows {
		line, problems := r.RowProblems()
		for _, f := range problems {
			out = append(out, i18n.T(lang, "directory.csv.at", line, f.Field, f.Message(lang)))
		}
	}
	return out
}
