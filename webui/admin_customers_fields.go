package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The custom field definitions page: the installer's fields of the
// customer directory, each with its type, labels, choices and flags.
// Admins only: a definition changes what every supervisor's form and
// every import accepts. Deleting a definition leaves the values on the
// customers (a field defined again shows them again); they no longer
// reach the forms or the exports.

// fieldDefForm are the inputs of a definition's form.
func fieldDefForm(lang i18n.Lang) []adminField {
	types := make([]option, 0, len(store.FieldTypes()))
	for _, t := range store.FieldTypes() {
		types = append(types, option{Value: string(t), Label: i18n.T(lang, "customers.type."+string(t))})
	}
	return []adminField{
		{Name: "name", Type: "text", Key: true, Hint: "customers.hint.field-name"},
		{Name: "labelEn", Type: "text"},
		{Name: "labelZh", Type: "text"},
		{Name: "type", Type: "select", Options: types},
		{Name: "choices", Type: "lines", Hint: "customers.hint.choices"},
		{Name: "order", Type: "number"},
		{Name: "required", Type: "check"},
		{Name: "showInPop", Type: "check"},
		{Name: "searchable", Type: "check"},
	}
}

func fieldDefValues(d store.CustomerField) url.Values {
	v := url.Values{"name": {d.Name}, "labelEn": {d.LabelEN}, "labelZh": {d.LabelZH}, "type": {string(d.Type)},
		"choices": {strings.Join(d.Choices, "\n")}, "order": {strconv.Itoa(d.Order)}}
	for name, on := range map[string]bool{"required": d.Required, "showInPop": d.ShowInPop, "searchable": d.Searchable} {
		if on {
			v.Set(name, "on")
		}
	}
	return v
}

// fieldDefRow is one definition in the list.
type fieldDefRow struct {
	Name, Label, Type, Choices  string
	Required, ShowInPop, Search bool
}

// fieldDefsView is the content of the definitions page.
type fieldDefsView struct{ Rows []fieldDefRow }

// fieldDefFormView is the content of a definition's form.
type fieldDefFormView struct {
	Key    string
	Action string
	Fields []formField
}

func (s *Server) adminCustomerFields(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	var v fieldDefsView
	for _, d := range defs {
		v.Rows = append(v.Rows, fieldDefRow{Name: d.Name, Label: d.Label(rc.lang), Type: i18n.T(rc.lang, "customers.type."+string(d.Type)),
			Choices: strings.Join(d.Choices, ", "), Required: d.Required, ShowInPop: d.ShowInPop, Search: d.Searchable})
	}
	s.adminRender(w, r, rc, http.StatusOK, "customers_fields", "customers.fields.title", adminPage{Notice: noticeOf(r, rc.lang), Page: v}, "")
}

func (s *Server) renderFieldDefForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, key string, vals url.Values, errs map[string]string) {
	v := fieldDefFormView{Key: key, Action: "/admin/customer-fields/new"}
	if key != "" {
		v.Action = "/admin/customer-fields/" + url.PathEscape(key) + "/edit"
	}
	for _, f := range fieldDefForm(rc.lang) {
		ff := formField{adminField: f, Label: i18n.T(rc.lang, "customers.fd."+f.Name), Value: vals.Get(f.Name), Checked: vals.Get(f.Name) != "",
			Error: errs[f.Name], Fixed: f.Key && key != ""}
		if f.Hint != "" {
			ff.HintText = i18n.T(rc.lang, f.Hint)
		}
		v.Fields = append(v.Fields, ff)
	}
	ap := adminPage{Page: v}
	if len(errs) > 0 {
		ap.Error = i18n.T(rc.lang, "web.form.has_errors")
	}
	s.adminRender(w, r, rc, code, "customers_field", "customers.fields.title", ap, "")
}

func (s *Server) adminCustomerFieldNew(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.renderFieldDefForm(w, r, rc, http.StatusOK, "", url.Values{"type": {string(store.FieldText)}, "order": {"0"}}, nil)
}

func (s *Server) adminCustomerFieldEdit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, err := store.Get[store.CustomerField](s.store, r.PathValue("name"))
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.renderFieldDefForm(w, r, rc, http.StatusOK, d.Name, fieldDefValues(d), nil)
}

func (s *Server) adminCustomerFieldCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.saveFieldDef(w, r, rc, "")
}

func (s *Server) adminCustomerFieldSave(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.saveFieldDef(w, r, rc, r.PathValue("name"))
}

// saveFieldDef stores a posted definition, new (key "") or over key.
func (s *Server) saveFieldDef(w http.ResponseWriter, r *http.Request, rc *reqCtx, key string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	var oldVals url.Values
	if key != "" {
		old, err := store.Get[store.CustomerField](s.store, key)
		if err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
		oldVals = fieldDefValues(old)
	}
	f := r.PostForm
	d := store.CustomerField{Name: key, LabelEN: strings.TrimSpace(f.Get("labelEn")), LabelZH: strings.TrimSpace(f.Get("labelZh")),
		Type: store.FieldType(f.Get("type")), Choices: lines(f.Get("choices")),
		Required: f.Get("required") != "", ShowInPop: f.Get("showInPop") != "", Searchable: f.Get("searchable") != ""}
	if key == "" {
		d.Name = strings.TrimSpace(f.Get("name"))
	}
	errs := map[string]string{}
	if o := strings.TrimSpace(f.Get("order")); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil {
			errs["order"] = i18n.T(rc.lang, "admin.err.number")
		}
		d.Order = n
	}
	var err error
	if len(errs) == 0 {
		if key == "" {
			_, err = store.Create(s.store, d)
		} else {
			_, err = store.Put(s.store, d)
		}
	} else {
		err = d.Validate()
	}
	switch {
	case errors.Is(err, store.ErrExists):
		errs["name"] = i18n.T(rc.lang, "admin.err.exists")
	case err != nil && !fieldMessages(errs, err, rc.lang):
		s.storeFail(w, r, rc, err)
		return
	}
	if len(errs) > 0 {
		vals := f
		if key != "" {
			vals.Set("name", key)
		}
		s.renderFieldDefForm(w, r, rc, http.StatusUnprocessableEntity, key, vals, errs)
		return
	}
	action := "update"
	if key == "" {
		action = "create"
	}
	s.audit(r, rc, action, store.KindCustomerField, d.Name, diffForms(fieldDefForm(rc.lang), oldVals, fieldDefValues(d)))
	backTo(w, r, "/admin/customer-fields", "admin.done.saved")
}

func (s *Server) adminCustomerFieldDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name := r.PathValue("name")
	old, err := store.Get[store.CustomerField](s.store, name)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	if _, err := store.Delete[store.CustomerField](s.store, name); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "delete", store.KindCustomerField, name, diffForms(fieldDefForm(rc.lang), fieldDefValues(old), nil))
	backTo(w, r, "/admin/customer-fields", "admin.done.deleted")
}
