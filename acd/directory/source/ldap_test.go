package source

import (
	"context"
	"errors"
	"testing"

	"callbox/acd/directory"
)

func ldapSource(t *testing.T, url string) *LDAP {
	t.Helper()
	src, err := NewLDAP(LDAPConfig{Name: "ldap", URL: url, BindDN: ldapAdmin, Password: ldapPass,
		BaseDN: "ou=people," + ldapBase, Filter: "(|(telephoneNumber={number})(mobile={number}))",
		Attributes: map[string]string{"name": "cn", "company": "o", "email": "mail", "dept": "ou"}})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestLDAP_FindsEntryByNumber(t *testing.T) {
	needPeer(t, "slapd")
	r, err := ldapSource(t, ldapURL).Lookup(context.Background(), "+8613812345678")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "Wang Fang" || r.Company != "Example Trading" || r.Email != "wang@example.com" || r.Fields["dept"] != "Purchasing" {
		t.Fatalf("%+v", r)
	}
}

func TestLDAP_EscapesTheNumberInTheFilter(t *testing.T) {
	needPeer(t, "slapd")
	// Unescaped, "*" would be a wildcard matching Wang Fang's number.
	for _, n := range []string{"*", "+86138*", "*)(cn=*"} {
		if _, err := ldapSource(t, ldapURL).Lookup(context.Background(), n); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("%q matched: %v", n, err)
		}
	}
	if _, err := ldapSource(t, ldapURL).Lookup(context.Background(), "+8613812345678"); err != nil {
		t.Fatalf("exact number: %v", err)
	}
}

func TestNewLDAP_RejectsFilterWithoutNumber(t *testing.T) {
	if _, err := NewLDAP(LDAPConfig{Name: "x", URL: "ldap://127.0.0.1:1", BaseDN: "dc=x", Filter: "(cn=x)",
		Attributes: map[string]string{"name": "cn"}}); !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
}
