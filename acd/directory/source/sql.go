package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"callbox/acd/directory"

	// The two pure-Go drivers the appliance supports, registered as "pgx"
	// and "mysql".
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// SQLConfig describes a customer table in an SQL database.
type SQLConfig struct {
	// Name identifies the source on the status page.
	Name string
	// Driver is "postgres" (pgx) or "mysql" (MySQL and MariaDB).
	Driver string
	// DSN is the driver's connection string.
	DSN string
	// Query selects at most one row by the caller's number, passed as the
	// only bound parameter ($1 for PostgreSQL, ? for MySQL); the number is
	// never spliced into the SQL text. Each column is mapped by its name
	// (alias it: "SELECT full_name AS name ...") as in directory.Record.Set.
	Query string
}

// SQL is a customer table in PostgreSQL, MySQL or MariaDB.
type SQL struct {
	cfg SQLConfig
	db  *sql.DB
}

// OpenSQL checks cfg and opens a connection pool (no connection is made
// until the first lookup, so a database that is down does not stop the
// appliance from starting).
func OpenSQL(cfg SQLConfig) (*SQL, error) {
	// "pgx" and "mysql" are what the store keeps; the others are the
	// names installers also use.
	drv := map[string]string{"pgx": "pgx", "postgres": "pgx", "postgresql": "pgx", "mysql": "mysql", "mariadb": "mysql"}[strings.ToLower(cfg.Driver)]
	if cfg.Name == "" || drv == "" || cfg.DSN == "" || cfg.Query == "" {
		return nil, fmt.Errorf("%w: sql source needs a name, a driver (postgres, mysql), a DSN and a query", ErrConfig)
	}
	ph := "$1"
	if drv == "mysql" {
		ph = "?"
	}
	if !strings.Contains(cfg.Query, ph) {
		return nil, fmt.Errorf("%w: sql query must take the number as the parameter %s", ErrConfig, ph)
	}
	db, err := sql.Open(drv, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	return &SQL{cfg: cfg, db: db}, nil
}

// Name implements directory.Source.
func (s *SQL) Name() string { return s.cfg.Name }

// Close closes the pool.
func (s *SQL) Close() error { return s.db.Close() }

// Lookup implements directory.Source.
func (s *SQL) Lookup(ctx context.Context, number string) (directory.Record, error) {
	rows, err := s.db.QueryContext(ctx, s.cfg.Query, number)
	if err != nil {
		return directory.Record{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return directory.Record{}, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return directory.Record{}, err
		}
		return directory.Record{}, directory.ErrNotFound
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return directory.Record{}, err
	}
	var r directory.Record
	for i, c := range cols {
		if vals[i].Valid {
			r.Set(c, vals[i].String)
		}
	}
	if err := rows.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return directory.Record{}, err
	}
	if r.Empty() {
		return directory.Record{}, directory.ErrNotFound
	}
	return r, nil
}
