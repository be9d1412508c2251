// Package source holds the directory's data sources: the built-in
// customer directory in the store (Builtin), a CRM over HTTP/JSON (HTTP),
// an SQL database (SQL: PostgreSQL through pgx, MySQL/MariaDB through
// go-sql-driver) and an LDAP company directory (LDAP). Each implements
// directory.Source and is chosen by configuration.
//
// Live is the directory the firmware runs: it builds the sources the
// store's DirectoryConfig names (the built-in directory alone when there
// is none), rebuilds them when the installer edits the configuration,
// keeps the built-in index current (a lookup waits for it to catch up
// with the store, and a customer's change drops the cached answers for
// its numbers), and keeps the previous sources when
// an edit cannot be built (Err says why, for the status page).
package source
