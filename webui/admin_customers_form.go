package webui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// customerFieldPrefix names the form inputs of the custom fields:
// "fields.<name>", the field name the store's checks give their errors.
const customerFieldPrefix = "fields."

// customerFormFields are the inputs of the customer form, the standard
// ones then one per custom field definition.
func customerFormFields(defs []store.CustomerField) []adminField {
	out := []adminField{
		{Name: "id", Type: "text", Key: true, Hint: "customers.hint.id"},
		{Name: "name", Type: "text"},
		{Name: "company", Type: "text"},
		{Name: "numbers", Type: "lines", Hint: "customers.hint.numbers"},
		{Name: "email", Type: "text"},
		{Name: "lang", Type: "select"},
		{Name: "vipLevel", Type: "select"},
		{Name: "tags", Type: "lines", Hint: "customers.hint.tags"},
		{Name: "notes", Type: "lines"},
	}
	for _, d := range defs {
		f := adminField{Name: customerFieldPrefix + d.Name, Type: "text"}
		switch d.Type {
		case store.FieldNumber:
			f.Type = "number"
		case store.FieldChoice:
			f.Type = "select"
		case store.FieldDate:
			f.Hint = "customers.hint.date"
		}
		out = append(out, f)
	}
	return out
}

// customerValues is a customer as its form shows it.
func customerValues(c store.Customer, defs []store.CustomerField) url.Values {
	v := url.Values{
		"id": {c.ID}, "name": {c.Name}, "company": {c.Company}, "numbers": {strings.Join(c.Numbers, "\n")},
		"email": {c.Email}, "lang": {string(c.Lang)}, "vipLevel": {strconv.Itoa(c.Level())},
		"tags": {strings.Join(c.Tags, "\n")}, "notes": {c.Notes},
	}
	for _, d := range defs {
		v.Set(customerFieldPrefix+d.Name, c.Fields[d.Name])
	}
	return v
}

// parseCustomerForm reads a posted form into a customer over old (whose
// custom values for fields no longer defined are kept), with the
// messages of the inputs that could not be read.
func parseCustomerForm(form url.Values, old store.Customer, defs []store.CustomerField, lang i18n.Lang) (store.Customer, map[string]string) {
	errs := map[string]string{}
	c := old
	c.Name = strings.TrimSpace(form.Get("name"))
	c.Company = strings.TrimSpace(form.Get("company"))
	c.Numbers = lines(form.Get("numbers"))
	c.Email = strings.TrimSpace(form.Get("email"))
	c.Lang = i18n.Lang(form.Get("lang"))
	c.Notes = strings.TrimSpace(strings.ReplaceAll(form.Get("notes"), "\r\n", "\n"))
	c.Tags = directory.SplitTags(form.Get("tags"))
	c.VIP = false
	switch lv := strings.TrimSpace(form.Get("vipLevel")); lv {
	case "":
		c.VIPLevel = 0
	default:
		n, err := strconv.Atoi(lv)
		if err != nil || n < 0 || n > store.MaxVIPLevel {
			errs["vipLevel"] = i18n.T(lang, "customers.err.vip-level", store.MaxVIPLevel)
			n = 0
		}
		c.VIPLevel = n
	}
	fields := map[string]string{}
	for k, v := range old.Fields {
		fields[k] = v
	}
	for _, d := range defs {
		v := strings.TrimSpace(form.Get(customerFieldPrefix + d.Name))
		if v == "" {
			delete(fields, d.Name)
			continue
		}
		fields[d.Name] = v
	}
	c.Fields = nil
	if len(fields) > 0 {
		c.Fields = fields
	}
	return c, errs
}

// customerErrors places the problems of a customer next to the form's
// inputs: "numbers[2]" at numbers as "line 3: ...", "fields.tier" at the
// tier input. A value whose definition was removed (it stays on the
// record, see parseCustomerForm) is not the form's problem.
func customerErrors(errs map[string]string, problems []store.FieldError, lang i18n.Lang) {
	for _, f := range problems {
		field, msg := f.Field, f.Message(lang)
		if f.Code == "customers.err.field-unknown" {
			continue
		}
		if i := strings.IndexByte(field, '['); i > 0 {
			var n int
			if _, err := fmt.Sscanf(field[i:], "[%d]", &n); err == nil {
				msg = i18n.T(lang, "admin.err.line", n+1, msg)
			}
			field = field[:i]
		}
		if old, ok := errs[field]; ok {
			if strings.Contains(old, msg) {
				continue
			}
			msg = old + "; " + msg
		}
		errs[field] = msg
	}
}

// customerFormView is the content of the customer page: the form and,
// for a customer that exists, its contact history.
type customerFormView struct {
	Key     string
	Action  string
	Fields  []formField
	History []historyRow
}

func (s *Server) renderCustomerForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, key string, vals url.Values, errs map[string]string, defs []store.CustomerField, c *store.Customer) {
	v := customerFormView{Key: key, Action: "/admin/customers/new"}
	if key != "" {
		v.Action = "/admin/customers/" + url.PathEscape(key) + "/edit"
	}
	byName := map[string]store.CustomerField{}
	for _, d := range defs {
		byName[customerFieldPrefix+d.Name] = d
	}
	for _, f := range customerFormFields(defs) {
		ff := formField{adminField: f, Value: vals.Get(f.Name), Error: errs[f.Name], Fixed: f.Key && key != ""}
		switch {
		case f.Name == "lang":
			ff.Options = []option{{Value: "", Label: "—"}, {Value: string(i18n.EN), Label: "English"}, {Value: string(i18n.ZH), Label: "中文"}}
		case f.Name == "vipLevel":
			ff.Options = levelOptions(rc.lang)
		}
		if d, ok := byName[f.Name]; ok {
			ff.Label = d.Label(rc.lang)
			if d.Required {
				ff.Label += " *"
			}
			if d.Type == store.FieldChoice {
				ff.Options = []option{{Value: "", Label: "—"}}
				for _, ch := range d.Choices {
					ff.Options = append(ff.Options, option{Value: ch, Label: ch})
				}
			}
		} else {
			ff.Label = i18n.T(rc.lang, "customers.f."+f.Name)
		}
		if f.Hint != "" {
			ff.HintText = i18n.T(rc.lang, f.Hint)
		}
		v.Fields = append(v.Fields, ff)
	}
	if c != nil {
		h, err := s.customerHistoryRows(rc.lang, *c)
		if err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
		v.History = h
	}
	ap := adminPage{Notice: noticeOf(r, rc.lang), Page: v}
	if len(errs) > 0 {
		ap.Error = i18n.T(rc.lang, "web.form.has_errors")
	}
	s.adminRender(w, r, rc, code, "customers_form", "customers.title", ap, "")
}

func (s *Server) adminCustomerNew(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.renderCustomerForm(w, r, rc, http.StatusOK, "", customerValues(store.Customer{}, defs), nil, defs, nil)
}

func (s *Server) adminCustomerEdit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, err := store.Get[store.Customer](s.store, r.PathValue("id"))
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.renderCustomerForm(w, r, rc, http.StatusOK, c.ID, customerValues(c, defs), nil, defs, &c)
}

func (s *Server) adminCustomerCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.saveCustomer(w, r, rc, "")
}

func (s *Server) adminCustomerSave(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.saveCustomer(w, r, rc, r.PathValue("id"))
}

// saveCustomer stores the posted customer form as a new customer (key
// "") or over the customer key, checked by the store and against the
// custom field definitions; on problems it shows the form again with each
// message next to its input, and stores nothing.
func (s *Server) saveCustomer(w http.ResponseWriter, r *http.Request, rc *reqCtx, key string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	var old store.Customer
	var oldVals url.Values
	if key != "" {
		if old, err = store.Get[store.Customer](s.store, key); err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
		oldVals = customerValues(old, defs)
	}
	c, errs := parseCustomerForm(r.PostForm, old, defs, rc.lang)
	if key == "" {
		c.ID = strings.TrimSpace(r.PostForm.Get("id"))
		c.CreatedAt = s.now()
	}
	c.UpdatedAt = s.now()
	normalizeNumbers(&c, s.plan())
	customerErrors(errs, directory.CheckCustomer(c, defs), rc.lang)
	if len(errs) == 0 {
		if key == "" {
			_, err = store.Create(s.store, c)
		} else {
			_, err = store.Put(s.store, c)
		}
		switch {
		case errors.Is(err, store.ErrExists):
			errs["id"] = i18n.T(rc.lang, "admin.err.exists")
		case err != nil && !fieldMessages(errs, err, rc.lang):
			s.storeFail(w, r, rc, err)
			return
		}
	}
	if len(errs) > 0 {
		vals := r.PostForm
		if key != "" {
			vals.Set("id", key)
		}
		var cur *store.Customer
		if key != "" {
			cur = &old
		}
		s.renderCustomerForm(w, r, rc, http.StatusUnprocessableEntity, key, vals, errs, defs, cur)
		return
	}
	s.forgetNumbers(append(old.Numbers, c.Numbers...))
	action := "update"
	if key == "" {
		action = "create"
	}
	s.audit(r, rc, action, store.KindCustomer, c.ID, diffForms(customerFormFields(defs), oldVals, customerValues(c, defs)))
	backTo(w, r, "/admin/customers", "admin.done.saved")
}
