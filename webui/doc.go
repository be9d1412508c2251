// Package webui is the appliance's HTTP server: the server-rendered pages
// people use (first-boot setup, login, home, status), the JSON API under
// /api/v1 that machines and later the richer pages use, and /healthz.
//
// Everything is embedded in the binary (templates, stylesheet, icon, the
// list of time zones); nothing is fetched from the internet, so the pages
// work on an isolated site network.
//
// # Security model
//
// Every route is declared in routes with an access rule (open, setup only,
// anyone, or logged in with given roles), and every request passes one gate
// (Server.wrap) that enforces it:
//
//   - Until setup is done, pages redirect to /setup and the API answers 503.
//     Setup happens exactly once; if an administrator already exists (the
//     demo seed prints a one-time password on the console), setup asks for
//     that password.
//   - Sessions are server-side, keyed by 32 random bytes in an HttpOnly,
//     SameSite=Strict cookie (Secure over TLS), with idle and absolute
//     expiry. They are held in memory and kept in the store (only a hash
//     of the token, session.go), so a restart or a failover logs nobody
//     out; a session ends when its user is deleted or disabled or their
//     role or password changes.
//   - Every state-changing request must carry the session's CSRF token (form
//     field "csrf" or header X-CSRF-Token; before login a double-submit
//     token) and pass net/http's cross-origin check (Sec-Fetch-Site, Origin).
//   - Failed logins are throttled per source address and per user name with
//     a doubling lockout answered by 429 and Retry-After.
//   - A user's role is re-read from the store on every request, so a
//     demotion or a disabled account takes effect at once.
//
// Text comes from the catalogue in callbox/firmware/i18n (keys "web.*"), in
// the user's language, else the language cookie, else the site language,
// else the browser's Accept-Language.
package webui
