// Package source holds the directory's data sources: the built-in
// customer directory in the store (Builtin), a CRM over HTTP/JSON (HTTP),
// an SQL database (SQL: PostgreSQL through pgx, MySQL/MariaDB through
// go-sql-driver) and an LDAP company directory (LDAP). Each implements
// directory.Source and is chosen by configuration.
package source
