// Package directory finds who is calling: it asks the configured data
// sources (the built-in customer directory, a CRM over HTTP/JSON, an SQL
// database, an LDAP company directory; see package source) in order,
// merges their answers and never keeps the call waiting past its
// deadline. A slow or dead source yields a partial answer with that
// source's error, and its health is kept for the status page. Complete
// answers are cached; a source that follows other data (Follower, the
// built-in index of the store) catches up before the cache is read, and
// invalidates what a change made wrong (Forget), so that a customer added
// or edited is found as stored on the very next lookup.
//
// The package also imports and exports the built-in directory as CSV
// (preview first, then all or nothing) and lists a customer's contact
// history: History and CustomerHistory scan every contact (for pages and
// exports); HistoryIndex keeps contacts by caller number, following the
// store, for the screen pop's fast path.
package directory
