package directory

import (
	"slices"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func TestImportPreview_IsOKOnlyWithRowsAndNoProblemAndWordsEachProblemByLine(t *testing.T) {
	bad := store.FieldError{Field: "name", Code: "store.err.required"}
	file := store.FieldError{Field: "file", Code: "directory.csv.empty"}
	if (Preview{}).OK() {
		t.Error("a file without rows is OK")
	}
	clean := Preview{Rows: []ImportRow{{Line: 2}, {Line: 3}}}
	if !clean.OK() || len(clean.Messages(i18n.EN)) != 0 {
		t.Errorf("a clean file: OK %v, messages %v", clean.OK(), clean.Messages(i18n.EN))
	}
	p := Preview{Rows: []ImportRow{{Line: 2}, {Line: 3, Problems: []store.FieldError{bad}}}, Problems: []store.FieldError{file}}
	if p.OK() {
		t.Error("a file with problems is OK")
	}
	want := []string{file.Message(i18n.EN), i18n.T(i18n.EN, "directory.csv.at", 3, "name", bad.Message(i18n.EN))}
	if got := p.Messages(i18n.EN); !slices.Equal(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
}
