package webui

import (
	"net/url"
	"strings"
	"testing"

	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// FuzzParseSourceForm feeds the data source form's parser what a browser
// may post. It must never panic; a query it accepts takes the number as a
// bound parameter outside quotes; a form it accepts in full is one the
// store's validation and the source constructors take as well, or refuse
// with an error (never a panic).
func FuzzParseSourceForm(f *testing.F) {
	f.Add("http", "crm", "https://crm.example/c?phone={number}", "name=data.0.full_name\nvip=data.0.vip", "", "", "800")
	f.Add("sql", "erp", "", "", "pgx", "SELECT name FROM c WHERE phone = $1", "")
	f.Add("sql", "erp", "", "", "mysql", "SELECT name FROM c WHERE phone = '?' OR x = ?", "")
	f.Add("sql", "erp", "", "", "pgx", "SELECT '{number}' -- $10", "")
	f.Add("ldap", "corp", "ldap://127.0.0.1:389", "name=cn", "", "(|(mobile={number})(cn=*))", "70000")
	f.Add("http", "x y", "http://h/{number}{x}", "=\n a=b", "", "", "-1")
	f.Fuzz(func(t *testing.T, typ, name, u, fields, driver, text, timeout string) {
		form := url.Values{"name": {name}, "url": {u}, "fields": {fields}, "driver": {driver}, "query": {text},
			"filter": {text}, "baseDn": {"dc=example"}, "dsn": {"app:pw@tcp(127.0.0.1:9)/x"}, "timeoutMs": {timeout}}
		errs := map[string]string{}
		d := parseSource(typ, form, errs, i18n.EN)
		if typ == source.TypeSQL && errs["query"] == "" {
			ph := "$1"
			if driver == "mysql" {
				ph = "?"
			}
			if !paramOutsideQuotes(strings.TrimSpace(text), ph) || strings.Contains(text, "{number}") {
				t.Fatalf("query %q accepted without the parameter %s", text, ph)
			}
		}
		if len(errs) > 0 {
			return
		}
		cfg := store.DirectoryConfig{ID: store.DirectoryConfigKey, Sources: []store.DataSource{d}}
		if cfg.Validate() != nil {
			return
		}
		if typ != source.TypeHTTP && typ != source.TypeLDAP {
			return // the page offers no other type to this parser; SQL opens a pool
		}
		if set, err := source.Build([]source.Config{source.ConfigOf(d)}, nil, directory.PlanCN); err == nil {
			_ = set.Close()
		}
	})
}

// FuzzRedactDSN: redacting never panics and never shows a URL's password.
func FuzzRedactDSN(f *testing.F) {
	f.Add("postgres://app:s3cret@db:5432/crm")
	f.Add("app:s3cret@tcp(127.0.0.1:3306)/crm")
	f.Add("host=db password=s3cret")
	f.Add("@@::")
	f.Fuzz(func(t *testing.T, dsn string) {
		out := redactDSN(dsn)
		if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host != "" {
			if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(out, ":"+url.PathEscape(pw)+"@") {
				t.Fatalf("redactDSN(%q) = %q shows the password", dsn, out)
			}
		}
	})
}
