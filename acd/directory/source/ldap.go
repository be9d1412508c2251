package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"callbox/acd/directory"
)

// LDAPConfig describes a company directory reached over LDAP.
type LDAPConfig struct {
	// Name identifies the source on the status page.
	Name string
	// URL is ldap://host:port or ldaps://host:port.
	URL string
	// BindDN and Password authenticate; empty means an anonymous search.
	BindDN, Password string
	// BaseDN is where the search starts.
	BaseDN string
	// Filter is a search filter in which "{number}" stands for the
	// caller's number, escaped with ldap.EscapeFilter
	// ("(|(telephoneNumber={number})(mobile={number}))").
	Filter string
	// Attributes maps record fields to attribute names
	// ({"name": "cn", "company": "o", "dept": "ou"}).
	Attributes map[string]string
	// Timeout bounds connecting and searching (default 2 s).
	Timeout time.Duration
}

// LDAP is a company directory. Each lookup opens its own connection: calls
// are far apart compared with a connection on the local network, and no
// connection state can go stale between them.
type LDAP struct {
	cfg LDAPConfig
}

// NewLDAP checks cfg and returns the source.
func NewLDAP(cfg LDAPConfig) (*LDAP, error) {
	if cfg.Name == "" || cfg.URL == "" || cfg.BaseDN == "" || !strings.Contains(cfg.Filter, "{number}") || len(cfg.Attributes) == 0 {
		return nil, fmt.Errorf("%w: ldap source needs a name, URL, base DN, a filter with {number} and attributes", ErrConfig)
	}
	if _, err := ldap.CompileFilter(strings.ReplaceAll(cfg.Filter, "{number}", "0")); err != nil {
		return nil, fmt.Errorf("%w: ldap filter: %w", ErrConfig, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	return &LDAP{cfg: cfg}, nil
}

// Name implements directory.Source.
func (l *LDAP) Name() string { return l.cfg.Name }

// Lookup implements directory.Source.
func (l *LDAP) Lookup(ctx context.Context, number string) (directory.Record, error) {
	timeout := l.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return directory.Record{}, context.DeadlineExceeded
	}
	conn, err := ldap.DialURL(l.cfg.URL, ldap.DialWithDialer(&net.Dialer{Timeout: timeout}))
	if err != nil {
		return directory.Record{}, err
	}
	defer conn.Close()
	conn.SetTimeout(timeout)
	// The library's calls do not take a context: closing the connection
	// when ctx ends makes them return.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if l.cfg.BindDN != "" {
		if err := conn.Bind(l.cfg.BindDN, l.cfg.Password); err != nil {
			return directory.Record{}, l.ctxErr(ctx, err)
		}
	}
	attrs := make([]string, 0, len(l.cfg.Attributes))
	for _, a := range l.cfg.Attributes {
		attrs = append(attrs, a)
	}
	filter := strings.ReplaceAll(l.cfg.Filter, "{number}", ldap.EscapeFilter(number))
	req := ldap.NewSearchRequest(l.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		1, int(timeout/time.Second)+1, false, filter, attrs, nil)
	res, err := conn.Search(req)
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return directory.Record{}, l.ctxErr(ctx, err)
	}
	if res == nil || len(res.Entries) == 0 {
		return directory.Record{}, directory.ErrNotFound
	}
	e := res.Entries[0]
	var r directory.Record
	for field, attr := range l.cfg.Attributes {
		r.Set(field, e.GetAttributeValue(attr))
	}
	if r.Empty() {
		return directory.Record{}, directory.ErrNotFound
	}
	return r, nil
}

func (l *LDAP) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(ctx.Err(), err)
	}
	return err
}
