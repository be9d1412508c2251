package webui

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The customer directory's admin pages: a searched, paged list (the
// directory may hold 100,000 customers, so a page reads only as far as it
// shows), a form per customer with its contact history, the CSV import
// with its preview (admin_customers_import.go) and the custom field
// definitions (admin_customers_fields.go). Admins and supervisors use
// them, as they use the directory's API; agents get 403. Every change is
// validated against the definitions and written to the audit log.

// customersPageSize is how many customers a list page shows.
const customersPageSize = 50

func (s *Server) customersRoutes(handle func(string, access, handlerFunc), watchers, admins []store.Role) {
	p := page(watchers...)
	up := p
	up.bodyLimit = 2*maxCSVBytes + 64<<10 // the file, then the file again in the confirm form
	handle("GET /admin/customers", p, s.adminCustomers)
	handle("GET /admin/customers/new", p, s.adminCustomerNew)
	handle("POST /admin/customers/new", p, s.adminCustomerCreate)
	handle("GET /admin/customers/{id}/edit", p, s.adminCustomerEdit)
	handle("POST /admin/customers/{id}/edit", p, s.adminCustomerSave)
	handle("POST /admin/customers/{id}/delete", p, s.adminCustomerDelete)
	handle("GET /admin/customers/export.csv", p, s.adminCustomersExport)
	handle("GET /admin/customers/import", p, s.adminCustomersImport)
	handle("POST /admin/customers/import", up, s.adminCustomersImportPost)
	a := page(admins...)
	handle("GET /admin/customer-fields", a, s.adminCustomerFields)
	handle("GET /admin/customer-fields/new", a, s.adminCustomerFieldNew)
	handle("POST /admin/customer-fields/new", a, s.adminCustomerFieldCreate)
	handle("GET /admin/customer-fields/{name}/edit", a, s.adminCustomerFieldEdit)
	handle("POST /admin/customer-fields/{name}/edit", a, s.adminCustomerFieldSave)
	handle("POST /admin/customer-fields/{name}/delete", a, s.adminCustomerFieldDelete)
}

// customerRow is one customer in the list.
type customerRow struct {
	ID, Name, Company string
	Numbers           []string
	Level             int
	Tags              []string
}

// customersView is the content of the list page.
type customersView struct {
	Q, Tag string
	Total  int
	Rows   []customerRow
	// Next is the ID the next page starts after, "" on the last one;
	// First is set on any page after the first.
	Next  string
	First bool
	// Admin: the user may edit the field definitions.
	Admin bool
}

// findCustomers returns up to limit customers after the ID after that
// match q (see customerMatches) and carry tag, and whether more follow.
// It reads the store in key order from after and stops as soon as it has
// one more than it shows, so a page never reads the whole directory
// unless a search matches too few; then a search looks at each record's
// stored bytes first (searchPrefilter) and decodes only those that might
// match.
func findCustomers(st *store.Store, plan directory.Plan, defs []store.CustomerField, q, tag, after string, limit int) ([]store.Customer, bool, error) {
	searchable := searchableFields(defs)
	var out []store.Customer
	more := false
	err := store.RangeCustomers(st, after, searchPrefilter(q, tag, plan), func(c store.Customer) bool {
		if tag != "" && !containsFold(c.Tags, tag) {
			return true
		}
		if q != "" && !customerMatches(c, q, plan, searchable) {
			return true
		}
		if len(out) == limit {
			more = true
			return false
		}
		out = append(out, c)
		return true
	})
	return out, more, err
}

// searchPrefilter returns a test of a customer's stored bytes (its JSON)
// that passes every customer that can match q and tag, and few others: each
// word, and the tag, must appear in the bytes ignoring ASCII case; a
// number's last digits must appear among the bytes' digits (however the
// number was written). Words JSON would write escaped are not tested. It
// returns nil when there is nothing to test.
func searchPrefilter(q, tag string, plan directory.Plan) func([]byte) bool {
	var needles [][]byte
	var digits []byte
	if q != "" {
		if n := plan.Normalize(q); n != "" && strings.Trim(q, "+0123456789 -().") == "" {
			d := strings.TrimLeft(n, "+")
			if len(d) > 7 {
				d = d[len(d)-7:]
			}
			digits = []byte(d)
		} else {
			for w := range strings.FieldsSeq(strings.ToLower(q)) {
				if jsonPlain(w) {
					needles = append(needles, []byte(w))
				}
			}
		}
	}
	if t := strings.ToLower(tag); t != "" && jsonPlain(t) {
		needles = append(needles, []byte(t))
	}
	if len(needles) == 0 && digits == nil {
		return nil
	}
	var buf []byte
	return func(raw []byte) bool {
		if digits != nil {
			buf = buf[:0]
			for _, b := range raw {
				if b >= '0' && b <= '9' {
					buf = append(buf, b)
				}
			}
			if !bytes.Contains(buf, digits) {
				return false
			}
		}
		if len(needles) > 0 {
			buf = buf[:0]
			for _, b := range raw {
				if b >= 'A' && b <= 'Z' {
					b += 'a' - 'A'
				}
				buf = append(buf, b)
			}
			for _, n := range needles {
				if !bytes.Contains(buf, n) {
					return false
				}
			}
		}
		return true
	}
}

// jsonPlain reports whether s can be looked for in a record's stored
// bytes with the ASCII case folding of searchPrefilter: encoding/json
// writes it unchanged inside a string (no quote, backslash, control
// character, HTML-escaped character or line separator, valid UTF-8), and
// it has no letter beyond ASCII that has a case (Chinese has none).
func jsonPlain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r >= utf8.RuneSelf && (unicode.ToUpper(r) != r || unicode.ToLower(r) != r) {
			return false
		}
		if r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

func (s *Server) adminCustomers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	qv := r.URL.Query()
	q, tag, after := strings.TrimSpace(qv.Get("q")), strings.TrimSpace(qv.Get("tag")), qv.Get("after")
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	cs, more, err := findCustomers(s.store, s.plan(), defs, q, tag, after, customersPageSize)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	v := customersView{Q: q, Tag: tag, First: after != "", Admin: rc.user.Role == store.RoleAdmin}
	if counts, err := s.store.Counts(); err == nil {
		v.Total = counts[store.KindCustomer]
	}
	for _, c := range cs {
		v.Rows = append(v.Rows, customerRow{ID: c.ID, Name: c.Name, Company: c.Company, Numbers: c.Numbers, Level: c.Level(), Tags: c.Tags})
	}
	if more && len(cs) > 0 {
		v.Next = cs[len(cs)-1].ID
	}
	s.adminRender(w, r, rc, http.StatusOK, "customers", "customers.title", adminPage{Notice: noticeOf(r, rc.lang), Page: v}, "")
}

func (s *Server) adminCustomerDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	old, err := store.Get[store.Customer](s.store, id)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	defs, _ := store.CustomerFields(s.store)
	if _, err := store.Delete[store.Customer](s.store, id); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.forgetNumbers(old.Numbers)
	s.audit(r, rc, "delete", store.KindCustomer, id, diffForms(customerFormFields(defs), customerValues(old, defs), nil))
	backTo(w, r, "/admin/customers", "admin.done.deleted")
}

func (s *Server) adminCustomersExport(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	if err := directory.ExportStore(w, s.store, defs); err != nil {
		s.log.Warn("export customers", "err", err)
		return
	}
	s.audit(r, rc, "export", store.KindCustomer, "", "")
}

// historyRow is one contact on a customer's page.
type historyRow struct {
	When, Channel, Direction, Agent, Summary string
	// Queue, Length, Outcome and Recording come from the call's record.
	Queue, Length, Outcome, Recording string
}

// customerHistoryRows lists the customer's last contacts with what their
// calls' records add: queue, length, outcome and a recording link.
func (s *Server) customerHistoryRows(lang i18n.Lang, c store.Customer) ([]historyRow, error) {
	list, err := directory.CustomerHistory(s.store, s.plan(), c, 50)
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if set, err := store.GetSettings(s.store); err == nil {
		loc = set.Location()
	}
	out := make([]historyRow, 0, len(list))
	for _, ct := range list {
		h := historyRow{When: ct.At.In(loc).Format("2006-01-02 15:04"), Channel: i18n.T(lang, "customers.ch."+string(ct.Channel)),
			Agent: ct.Agent, Summary: ct.Summary}
		if ct.Direction != "" {
			h.Direction = i18n.T(lang, "customers.dir."+string(ct.Direction))
		}
		if ct.CallID != "" {
			if cdr, err := store.Get[store.CDR](s.store, ct.CallID); err == nil {
				h.Queue = cdr.Queue
				if h.Agent == "" {
					h.Agent = cdr.Agent
				}
				if !cdr.Answer.IsZero() && cdr.End.After(cdr.Answer) {
					h.Length = cdr.End.Sub(cdr.Answer).Round(time.Second).String()
				}
				h.Outcome = i18n.T(lang, "customers.disp."+string(cdr.Disposition))
				if cdr.Recording != "" {
					h.Recording = "/reports/recordings/" + url.PathEscape(cdr.Recording)
				}
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// levelOptions are the choices of the VIP level select.
func levelOptions(lang i18n.Lang) []option {
	out := []option{{Value: "0", Label: i18n.T(lang, "customers.vip.none")}}
	for l := 1; l <= store.MaxVIPLevel; l++ {
		out = append(out, option{Value: strconv.Itoa(l), Label: i18n.T(lang, "customers.vip.level", l)})
	}
	return out
}
