package webui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The import page: upload a CSV file, see its preview (the rows with
// their problems, next to their line numbers), then confirm. The confirm
// form carries the file's text back, so nothing is kept on the server
// between the two steps; the commit parses it again and writes every row
// in one transaction, or nothing (directory.Import).

// previewRowsShown bounds the clean rows the preview lists; every row
// with a problem is listed.
const previewRowsShown = 20

// importRow is one row of the preview.
type importRow struct {
	Line     int
	ID, Name string
	Numbers  string
	Level    int
	Tags     string
	Problems []string
}

// importView is the content of the import page.
type importView struct {
	// FileError is the message next to the file input.
	FileError string
	// Preview: a file was read.
	Preview bool
	OK      bool
	// Problems of the file as a whole (header, syntax).
	Problems []string
	Rows     []importRow
	Total    int // data rows in the file
	Bad      int // rows with a problem
	Hidden   int // clean rows not listed
	// CSV is the file's text, carried by the confirm form.
	CSV string
	// Columns is the header an import may use, for the hint.
	Columns  string
	Imported int
}

func (s *Server) adminCustomersImport(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.renderImport(w, r, rc, http.StatusOK, importView{Columns: strings.Join(directory.Columns(defs), ",")}, "")
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, v importView, notice string) {
	ap := adminPage{Notice: notice, Page: v}
	if v.FileError != "" || (v.Preview && !v.OK) {
		ap.Error = i18n.T(rc.lang, "customers.import.has-errors")
	}
	s.adminRender(w, r, rc, code, "customers_import", "customers.import.title", ap, "")
}

// readImportFile reads the uploaded file ("file"), else the text the
// confirm form carried ("csv").
func readImportFile(r *http.Request) (string, error) {
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxCSVBytes+1))
		if err != nil {
			return "", err
		}
		if len(b) > maxCSVBytes {
			return "", errTooLarge
		}
		return string(b), nil
	}
	text := r.PostFormValue("csv")
	if len(text) > maxCSVBytes {
		return "", errTooLarge
	}
	return text, nil
}

var errTooLarge = errors.New("file too large")

func (s *Server) adminCustomersImportPost(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	v := importView{Columns: strings.Join(directory.Columns(defs), ",")}
	text, err := readImportFile(r)
	switch {
	case errors.Is(err, errTooLarge):
		v.FileError = i18n.T(rc.lang, "web.api.too_large", maxCSVBytes>>10)
	case err != nil:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			v.FileError = i18n.T(rc.lang, "web.api.too_large", maxCSVBytes>>10)
		} else {
			v.FileError = i18n.T(rc.lang, "customers.import.no-file")
		}
	case strings.TrimSpace(text) == "":
		v.FileError = i18n.T(rc.lang, "customers.import.no-file")
	}
	if v.FileError != "" {
		s.renderImport(w, r, rc, http.StatusUnprocessableEntity, v, "")
		return
	}
	p := directory.ParseCSV(strings.NewReader(text), s.plan(), defs)
	v.Preview, v.OK, v.CSV, v.Total = true, p.OK(), text, len(p.Rows)
	for _, f := range p.Problems {
		v.Problems = append(v.Problems, problemText(f, defs, rc.lang))
	}
	clean := 0
	for _, row := range p.Rows {
		if len(row.Problems) > 0 {
			v.Bad++
		} else if clean++; clean > previewRowsShown {
			v.Hidden++
			continue
		}
		ir := importRow{Line: row.Line, ID: row.Customer.ID, Name: row.Customer.Name, Numbers: strings.Join(row.Customer.Numbers, "; "),
			Level: row.Customer.Level(), Tags: strings.Join(row.Customer.Tags, "; ")}
		for _, f := range row.Problems {
			ir.Problems = append(ir.Problems, problemText(f, defs, rc.lang))
		}
		v.Rows = append(v.Rows, ir)
	}
	if r.PostFormValue("confirm") != "1" {
		s.renderImport(w, r, rc, http.StatusOK, v, "")
		return
	}
	if !v.OK {
		s.renderImport(w, r, rc, http.StatusUnprocessableEntity, v, "")
		return
	}
	n, err := directory.Import(s.store, p, s.now())
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	for _, row := range p.Rows {
		s.forgetNumbers(row.Customer.Numbers)
	}
	s.audit(r, rc, "import", store.KindCustomer, "", "rows: "+strconv.Itoa(n))
	backTo(w, r, "/admin/customers", "admin.done.customers-imported")
}

// problemText is a problem of the file as a person reads it: the column's
// label in lang (the custom field's label, "Phone numbers 2" for the
// second number), then the message.
func problemText(f store.FieldError, defs []store.CustomerField, lang i18n.Lang) string {
	field, n := f.Field, 0
	if i := strings.IndexByte(field, '['); i > 0 {
		if _, err := fmt.Sscanf(field[i:], "[%d]", &n); err == nil {
			n++
		}
		field = field[:i]
	}
	label := field
	switch {
	case strings.HasPrefix(field, customerFieldPrefix):
		name := strings.TrimPrefix(field, customerFieldPrefix)
		label = name
		for _, d := range defs {
			if d.Name == name {
				label = d.Label(lang)
			}
		}
	case i18n.Has("customers.f." + field):
		label = i18n.T(lang, "customers.f."+field)
	case i18n.Has("customers.col." + field):
		label = i18n.T(lang, "customers.col."+field)
	}
	if n > 0 {
		label += " " + strconv.Itoa(n)
	}
	return label + ": " + f.Message(lang)
}
