package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// The source types a Config names.
const (
	TypeBuiltin = "builtin"
	TypeHTTP    = "http"
	TypeSQL     = "sql"
	TypeLDAP    = "ldap"
)

// Config is one configured source as the installer sets it up (kept as
// JSON in the configuration); which fields matter depends on Type.
type Config struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	// URL: the HTTP URL template or the LDAP server.
	URL string `json:"url,omitempty"`
	// Header and HeaderValue: the HTTP authentication header.
	Header      string `json:"header,omitempty"`
	HeaderValue string `json:"headerValue,omitempty"`
	// Driver, DSN and Query: the SQL database.
	Driver string `json:"driver,omitempty"`
	DSN    string `json:"dsn,omitempty"`
	Query  string `json:"query,omitempty"`
	// BindDN, Password, BaseDN and Filter: the LDAP directory.
	BindDN   string `json:"bindDn,omitempty"`
	Password string `json:"password,omitempty"`
	BaseDN   string `json:"baseDn,omitempty"`
	Filter   string `json:"filter,omitempty"`
	// Fields maps record fields to JSON paths (HTTP) or attributes (LDAP).
	Fields map[string]string `json:"fields,omitempty"`
	// Timeout in milliseconds for HTTP and LDAP (0: their default).
	TimeoutMS int `json:"timeoutMs,omitempty"`
	// NumberForm is how an external source stores numbers: "e164" (the
	// default), "digits" or "national" (see directory.Form).
	NumberForm directory.Form `json:"numberForm,omitempty"`
}

// formed asks a source in the number form it stores.
type formed struct {
	directory.Source
	plan directory.Plan
	form directory.Form
}

func (f formed) Lookup(ctx context.Context, number string) (directory.Record, error) {
	return f.Source.Lookup(ctx, f.plan.Format(number, f.form))
}

// Set is the sources built from a configuration, in order.
type Set struct {
	Sources []directory.Source
	// Builtin is the built-in directory when configured; its owner runs
	// Builtin.Run to keep its index current.
	Builtin *Builtin
	sqls    []*SQL
}

// Close releases the SQL connection pools.
func (s *Set) Close() error {
	var errs []error
	for _, q := range s.sqls {
		errs = append(errs, q.Close())
	}
	return errors.Join(errs...)
}

// Build makes the configured sources. st and opts serve the built-in one.
// An error names the first bad configuration; nothing is left open then.
func Build(cfgs []Config, st *store.Store, plan directory.Plan, opts ...BuiltinOption) (*Set, error) {
	set := &Set{}
	for i, c := range cfgs {
		src, err := set.build(c, st, plan, opts)
		if err == nil && c.Type != TypeBuiltin {
			switch c.NumberForm {
			case "", directory.FormE164:
			case directory.FormDigits, directory.FormNational:
				src = formed{Source: src, plan: plan, form: c.NumberForm}
			default:
				err = fmt.Errorf("%w: unknown number form %q", ErrConfig, c.NumberForm)
			}
		}
		if err != nil {
			set.Close()
			return nil, fmt.Errorf("directory: source %d (%s %q): %w", i+1, c.Type, c.Name, err)
		}
		for _, s := range set.Sources {
			if s.Name() == src.Name() {
				set.Close()
				return nil, fmt.Errorf("%w: two sources are named %q", ErrConfig, s.Name())
			}
		}
		set.Sources = append(set.Sources, src)
	}
	return set, nil
}

func (set *Set) build(c Config, st *store.Store, plan directory.Plan, opts []BuiltinOption) (directory.Source, error) {
	timeout := time.Duration(c.TimeoutMS) * time.Millisecond
	switch c.Type {
	case TypeBuiltin:
		if set.Builtin != nil {
			return nil, fmt.Errorf("%w: the built-in directory is configured twice", ErrConfig)
		}
		b, err := NewBuiltin(st, plan, opts...)
		if err != nil {
			return nil, err
		}
		set.Builtin = b
		return b, nil
	case TypeHTTP:
		return NewHTTP(HTTPConfig{Name: c.Name, URL: c.URL, Header: c.Header, Value: c.HeaderValue, Fields: c.Fields, Timeout: timeout})
	case TypeSQL:
		s, err := OpenSQL(SQLConfig{Name: c.Name, Driver: c.Driver, DSN: c.DSN, Query: c.Query})
		if err != nil {
			return nil, err
		}
		set.sqls = append(set.sqls, s)
		return s, nil
	case TypeLDAP:
		return NewLDAP(LDAPConfig{Name: c.Name, URL: c.URL, BindDN: c.BindDN, Password: c.Password, BaseDN: c.BaseDN,
			Filter: c.Filter, Attributes: c.Fields, Timeout: timeout})
	}
	return nil, fmt.Errorf("%w: unknown source type %q", ErrConfig, c.Type)
}
