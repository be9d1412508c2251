package webui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// maxCSVBytes bounds a customer import file.
const maxCSVBytes = 8 << 20

// directoryRoutes registers the customer directory endpoints.
func (s *Server) directoryRoutes(handle func(string, access, handlerFunc), allRoles, watchers, admins []store.Role) {
	csv := tokenAPI(watchers...)
	csv.bodyLimit = maxCSVBytes
	handle("GET /api/v1/customers", tokenAPI(allRoles...), s.apiListCustomers)
	handle("POST /api/v1/customers", tokenAPI(allRoles...), s.apiCreateCustomer)
	handle("GET /api/v1/customers/export", tokenAPI(watchers...), s.apiExportCustomers)
	handle("POST /api/v1/customers/import", csv, s.apiImportCustomers)
	handle("GET /api/v1/customers/{id}", tokenAPI(allRoles...), s.apiGetCustomer)
	handle("PUT /api/v1/customers/{id}", tokenAPI(allRoles...), s.apiPutCustomer)
	handle("DELETE /api/v1/customers/{id}", tokenAPI(watchers...), s.apiDeleteCustomer)
	handle("GET /api/v1/customers/{id}/history", tokenAPI(allRoles...), s.apiCustomerHistory)
	handle("GET /api/v1/directory/sources", tokenAPI(admins...), s.apiGetSources)
	handle("PUT /api/v1/directory/sources", tokenAPI(admins...), s.apiPutSources)
	handle("POST /api/v1/directory/lookup", tokenAPI(admins...), s.apiTestLookup)
}

// plan is the numbering plan of the directory, else of the site's country.
func (s *Server) plan() directory.Plan {
	if s.cfg.Directory != nil {
		return s.cfg.Directory.Plan()
	}
	st, err := store.GetSettings(s.store)
	if err != nil {
		return directory.PlanCN
	}
	return directory.PlanFor(st.Country)
}

// customerMatches reports whether c matches a search: a number (in any
// written form) among its numbers, else the words in its ID, name,
// company, email, notes, tags or searchable custom fields (searchable),
// ignoring case.
func customerMatches(c store.Customer, q string, plan directory.Plan, searchable []string) bool {
	if n := plan.Normalize(q); n != "" && strings.Trim(q, "+0123456789 -().") == "" {
		for _, raw := range c.Numbers {
			if plan.Normalize(raw) == n {
				return true
			}
		}
		return false
	}
	parts := []string{c.ID, c.Name, c.Company, c.Email, c.Notes}
	parts = append(parts, c.Tags...)
	for _, f := range searchable {
		if v := c.Fields[f]; v != "" {
			parts = append(parts, v)
		}
	}
	hay := strings.ToLower(strings.Join(parts, "\n"))
	for w := range strings.FieldsSeq(strings.ToLower(q)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// searchableFields names the custom fields the directory search looks
// into.
func searchableFields(defs []store.CustomerField) []string {
	var out []string
	for _, d := range defs {
		if d.Searchable {
			out = append(out, d.Name)
		}
	}
	return out
}

// apiListCustomers lists customers in ID order, filtered by q and tag, at
// most limit (default 100, at most 1000) after the ID "after" (paging).
func (s *Server) apiListCustomers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	qv := r.URL.Query()
	limit := 100
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fieldCodes(w, rc.lang, []store.FieldError{problem("limit", "store.err.range", 1, 1000)})
			return
		}
		limit = n
	}
	q, after, plan := strings.TrimSpace(qv.Get("q")), qv.Get("after"), s.plan()
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	out, _, err := findCustomers(s.store, plan, defs, q, strings.TrimSpace(qv.Get("tag")), after, limit)
	if out == nil {
		out = []store.Customer{}
	}
	s.answerWrite(w, rc, err, http.StatusOK, out)
}

func (s *Server) apiGetCustomer(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, err := store.Get[store.Customer](s.store, r.PathValue("id"))
	s.answerWrite(w, rc, err, http.StatusOK, c)
}

func decodeCustomer(r io.Reader) (store.Customer, []store.FieldError, error) {
	var c store.Customer
	err := decodeJSON(r, &c)
	return c, nil, err
}

// normalizeNumbers stores numbers in E.164 where the plan can tell, so
// the same caller is found however the number was typed.
func normalizeNumbers(c *store.Customer, plan directory.Plan) {
	for i, raw := range c.Numbers {
		if n := plan.Normalize(raw); n != "" {
			c.Numbers[i] = n
		}
	}
}

// customerFieldsOK checks c's custom values against the definitions; it
// answers 400 with a message per field (and returns false) when one is
// wrong.
func (s *Server) customerFieldsOK(w http.ResponseWriter, rc *reqCtx, c store.Customer) bool {
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return false
	}
	if errs := store.ValidateCustomerFields(defs, c); len(errs) > 0 {
		// The record's own problems come first, as the store would name
		// them.
		var ve *store.ValidationError
		if errors.As(c.Validate(), &ve) {
			errs = append(ve.Fields, errs...)
		}
		fieldCodes(w, rc.lang, errs)
		return false
	}
	return true
}

func (s *Server) apiCreateCustomer(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, ok := readJSON(w, r, rc, decodeCustomer)
	if !ok || !s.customerFieldsOK(w, rc, c) {
		return
	}
	normalizeNumbers(&c, s.plan())
	c.CreatedAt, c.UpdatedAt = s.now(), s.now()
	_, err := store.Create(s.store, c)
	if err == nil {
		s.forgetNumbers(c.Numbers)
		w.Header().Set("Location", "/api/v1/customers/"+url.PathEscape(c.ID))
	}
	s.answerWrite(w, rc, err, http.StatusCreated, c)
}

func (s *Server) apiPutCustomer(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, ok := readJSON(w, r, rc, decodeCustomer)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if c.ID == "" {
		c.ID = id
	}
	if c.ID != id {
		keyMismatch(w, rc.lang, "id")
		return
	}
	if !s.customerFieldsOK(w, rc, c) {
		return
	}
	normalizeNumbers(&c, s.plan())
	c.CreatedAt, c.UpdatedAt = s.now(), s.now()
	old, err := store.Get[store.Customer](s.store, id)
	if err == nil {
		c.CreatedAt = old.CreatedAt
	}
	_, err = store.Put(s.store, c)
	if err == nil {
		s.forgetNumbers(append(old.Numbers, c.Numbers...))
	}
	s.answerWrite(w, rc, err, http.StatusOK, c)
}

func (s *Server) apiDeleteCustomer(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	old, _ := store.Get[store.Customer](s.store, id)
	_, err := store.Delete[store.Customer](s.store, id)
	if err == nil {
		s.forgetNumbers(old.Numbers)
	}
	s.answerWrite(w, rc, err, http.StatusNoContent, nil)
}

// forgetNumbers drops edited numbers from the directory's cache at once
// (the built-in index flushes it too, a moment later).
func (s *Server) forgetNumbers(nums []string) {
	if s.cfg.Directory == nil {
		return
	}
	for _, n := range nums {
		s.cfg.Directory.Forget(n)
	}
}

// customerHistory is a customer's contacts with the script answers of
// their calls.
type customerHistory struct {
	Contacts []store.Contact       `json:"contacts"`
	Answers  []store.ScriptAnswers `json:"answers"`
}

func (s *Server) apiCustomerHistory(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, err := store.Get[store.Customer](s.store, r.PathValue("id"))
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	limit := 50
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v <= 1000 {
		limit = v
	}
	list, err := directory.CustomerHistory(s.store, s.plan(), c, limit)
	out := customerHistory{Contacts: list, Answers: []store.ScriptAnswers{}}
	if out.Contacts == nil {
		out.Contacts = []store.Contact{}
	}
	for _, ct := range list {
		if ct.CallID == "" {
			continue
		}
		if a, err := store.Get[store.ScriptAnswers](s.store, ct.CallID); err == nil {
			out.Answers = append(out.Answers, a)
		}
	}
	s.answerWrite(w, rc, err, http.StatusOK, out)
}

func (s *Server) apiExportCustomers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	if err := directory.ExportStore(w, s.store, defs); err != nil {
		s.log.Warn("export customers", "err", err)
	}
}

// importAnswer is the answer to an import: the preview (rows and
// problems, with messages in the user's language) and, on commit, how many
// customers were written.
type importAnswer struct {
	OK       bool              `json:"ok"`
	Imported int               `json:"imported"`
	Preview  directory.Preview `json:"preview"`
	Messages []string          `json:"messages,omitempty"`
}

// apiImportCustomers reads a CSV file (the body, text/csv) and answers its
// preview; with ?commit=1 it also writes every row, in one transaction,
// only when no row has a problem (else 400 and nothing is written).
func (s *Server) apiImportCustomers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	raw, ok := readCSVBody(w, r, rc, maxCSVBytes)
	if !ok {
		return
	}
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	p := directory.ParseCSV(strings.NewReader(string(raw)), s.plan(), defs)
	out := importAnswer{OK: p.OK(), Preview: p, Messages: p.Messages(rc.lang)}
	if out.Preview.Rows == nil {
		out.Preview.Rows = []directory.ImportRow{}
	}
	commit := r.URL.Query().Get("commit") == "1"
	switch {
	case !commit:
		writeJSON(w, http.StatusOK, out)
	case !out.OK:
		writeJSON(w, http.StatusBadRequest, out)
	default:
		n, err := directory.Import(s.store, p, s.now())
		if err != nil {
			s.answerWrite(w, rc, err, http.StatusOK, nil)
			return
		}
		if s.cfg.Directory != nil {
			for _, row := range p.Rows {
				s.forgetNumbers(row.Customer.Numbers)
			}
		}
		out.Imported = n
		s.log.Info("customers imported", "rows", n, "by", rc.user.Name)
		writeJSON(w, http.StatusOK, out)
	}
}

// --- data sources

func (s *Server) apiGetSources(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	cfg, err := store.Get[store.DirectoryConfig](s.store, store.DirectoryConfigKey)
	if errors.Is(err, store.ErrNotFound) {
		cfg, err = source.DefaultConfig(), nil
	}
	s.answerWrite(w, rc, err, http.StatusOK, cfg)
}

func decodeDirectoryConfig(r io.Reader) (store.DirectoryConfig, []store.FieldError, error) {
	var c store.DirectoryConfig
	err := decodeJSON(r, &c)
	if c.ID == "" {
		c.ID = store.DirectoryConfigKey
	}
	return c, nil, err
}

func (s *Server) apiPutSources(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	cfg, ok := readJSON(w, r, rc, decodeDirectoryConfig)
	if !ok {
		return
	}
	if err := cfg.Validate(); err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	// Build the sources once, so that a configuration the directory
	// could not use is refused now rather than found on the status page.
	d, set, err := source.Open(cfg, s.store, s.plan(), s.log)
	if err != nil {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "cti.error.sources", err))
		return
	}
	d.Close()
	_ = set.Close()
	_, err = store.Put(s.store, cfg)
	if err == nil {
		s.log.Info("directory sources changed", "sources", len(cfg.Sources), "by", rc.user.Name)
	}
	s.answerWrite(w, rc, err, http.StatusOK, cfg)
}

// lookupInput is the body of the test lookup: a number and, to try a
// configuration before saving it, the sources.
type lookupInput struct {
	Number string                 `json:"number"`
	Config *store.DirectoryConfig `json:"config,omitempty"`
}

func decodeLookup(r io.Reader) (lookupInput, []store.FieldError, error) {
	var in lookupInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	if strings.TrimSpace(in.Number) == "" {
		errs = append(errs, problem("number", "store.err.required"))
	}
	if in.Config != nil {
		if in.Config.ID == "" {
			in.Config.ID = store.DirectoryConfigKey
		}
		var ve *store.ValidationError
		if errors.As(in.Config.Validate(), &ve) {
			for _, f := range ve.Fields {
				f.Field = "config." + f.Field
				errs = append(errs, f)
			}
		}
	}
	return in, errs, nil
}

// lookupAnswer is a test lookup's result with each source's health and
// the errors in the user's language.
type lookupAnswer struct {
	Result   directory.Result   `json:"result"`
	Health   []directory.Health `json:"health"`
	Messages []string           `json:"messages,omitempty"`
	Took     string             `json:"took"`
}

// apiTestLookup looks a number up in the live directory, or in the
// configuration given (built for this lookup alone, then closed).
func (s *Server) apiTestLookup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	in, ok := readJSON(w, r, rc, decodeLookup)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var look interface {
		Lookup(context.Context, string) (directory.Result, error)
		Health() []directory.Health
	}
	switch {
	case in.Config != nil:
		d, set, err := source.Open(*in.Config, s.store, s.plan(), s.log)
		if err != nil {
			apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "cti.error.sources", err))
			return
		}
		defer func() {
			d.Close()
			_ = set.Close()
		}()
		look = d
	case s.cfg.Directory != nil:
		look = s.cfg.Directory
	default:
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti.error.no-directory"))
		return
	}
	start := s.now()
	res, err := look.Lookup(ctx, in.Number)
	if err != nil {
		fieldCodes(w, rc.lang, []store.FieldError{problem("number", "store.err.number")})
		return
	}
	out := lookupAnswer{Result: res, Health: look.Health(), Took: s.now().Sub(start).String()}
	for _, e := range res.Errors {
		out.Messages = append(out.Messages, e.Message(rc.lang))
	}
	writeJSON(w, http.StatusOK, out)
}

// readCSVBody reads an import's CSV body (text/csv or text/plain, at most
// limit bytes, as the route's body limit enforces), answering the error
// itself when it cannot.
func readCSVBody(w http.ResponseWriter, r *http.Request, rc *reqCtx, limit int) ([]byte, bool) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") {
		apiError(w, http.StatusUnsupportedMediaType, i18n.T(rc.lang, "web.api.content_type"))
		return nil, false
	}
	raw, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		apiError(w, http.StatusRequestEntityTooLarge, i18n.T(rc.lang, "web.api.too_large", limit>>10))
		return nil, false
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "web.api.bad_json", err))
		return nil, false
	}
	return raw, true
}
