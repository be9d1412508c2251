package source

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"testing"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

func seedSQL(t *testing.T, driver, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestSQL_PostgresFindsCustomerByBoundNumber(t *testing.T) {
	needPeer(t, "postgresql")
	seedSQL(t, "pgx", pgDSN,
		`DROP TABLE IF EXISTS customers`,
		`CREATE TABLE customers (id text PRIMARY KEY, full_name text, phone text, tier text, vip boolean)`,
		`INSERT INTO customers VALUES ('p1', 'Zhao Min', '+8613812345678', 'gold', true)`)
	src, err := OpenSQL(SQLConfig{Name: "erp", Driver: "postgres", DSN: pgDSN,
		Query: `SELECT id, full_name AS name, tier, vip FROM customers WHERE phone = $1`})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := src.Lookup(context.Background(), "+8613812345678")
	if err != nil {
		t.Fatal(err)
	}
	if r.CustomerID != "p1" || r.Name != "Zhao Min" || !r.VIP || r.Fields["tier"] != "gold" {
		t.Fatalf("%+v", r)
	}
	// A number crafted as SQL stays a value.
	if _, err := src.Lookup(context.Background(), "' OR '1'='1"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("injection attempt: %v", err)
	}
}

func TestSQL_MariaDBFindsAndMisses(t *testing.T) {
	needPeer(t, "mariadb")
	seedSQL(t, "mysql", myDSN,
		"CREATE DATABASE IF NOT EXISTS crm CHARACTER SET utf8mb4",
		"DROP TABLE IF EXISTS crm.customers",
		"CREATE TABLE crm.customers (id VARCHAR(32) PRIMARY KEY, name VARCHAR(64), company VARCHAR(64), phone VARCHAR(32))",
		"INSERT INTO crm.customers VALUES ('m1', '李雷', 'ACME 有限公司', '+8613900000001')")
	src, err := OpenSQL(SQLConfig{Name: "crm", Driver: "mysql", DSN: myDSN + "crm?charset=utf8mb4",
		Query: "SELECT id, name, company FROM customers WHERE phone = ?"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := src.Lookup(context.Background(), "+8613900000001")
	if err != nil || r.Name != "李雷" || r.Company != "ACME 有限公司" {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := src.Lookup(context.Background(), "+8613900000002"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("miss: %v", err)
	}
}

func TestOpenSQL_RefusesAQueryWithoutParameter(t *testing.T) {
	_, err := OpenSQL(SQLConfig{Name: "x", Driver: "postgres", DSN: "postgres://127.0.0.1/x",
		Query: "SELECT name FROM customers WHERE phone = '123'"})
	if !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
}

// A stored SQL source names its driver as the store validates it ("pgx"
// or "mysql"); each must open, or no stored PostgreSQL source could run.
func TestOpen_EveryStoredSQLDriverOpens(t *testing.T) {
	for _, d := range []struct{ driver, query string }{{"pgx", "SELECT name FROM c WHERE phone = $1"}, {"mysql", "SELECT name FROM c WHERE phone = ?"}} {
		cfg := store.DirectoryConfig{ID: store.DirectoryConfigKey, Sources: []store.DataSource{
			{Type: TypeSQL, Name: "erp", Driver: d.driver, DSN: "postgres://u@127.0.0.1:1/db", Query: d.query}}}
		if d.driver == "mysql" {
			cfg.Sources[0].DSN = "u@tcp(127.0.0.1:1)/db"
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: the store refuses the test's own record: %v", d.driver, err)
		}
		_, set, err := Open(cfg, nil, directory.PlanCN, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s: %v", d.driver, err)
		}
		set.Close()
	}
}
