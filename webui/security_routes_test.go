package webui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"callbox/firmware/store"
)

// The role and CSRF rules checked on every registered route, found by
// reading the package's source: each handle("METHOD /path", rule, ...)
// call in a non-test file, its rule resolved to the roles it admits. A
// route added later by anyone is checked without editing this file; a
// rule this reader cannot resolve fails the test, so that it is taught
// rather than skipped.

// route is one registration read from the source.
type route struct {
	method, path string
	// public: no role check (open, anyone, setup only).
	public bool
	roles  []store.Role
	at     string // file:line, for messages
}

// roleSets are the role lists routes() hands to the route functions.
var roleSets = map[string][]store.Role{
	"allRoles": {store.RoleAdmin, store.RoleSupervisor, store.RoleAgent},
	"watchers": {store.RoleAdmin, store.RoleSupervisor},
	"admins":   {store.RoleAdmin},
}

// registeredRoutes reads the routes routes() registers: its handle
// calls, and those of the functions it hands handle to, with their
// arguments bound to those functions' parameters.
func registeredRoutes(t *testing.T) []route {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	funcs := map[string]*ast.FuncDecl{}
	strs := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body != nil && d.Recv != nil {
					funcs[d.Name.Name] = d
				}
			case *ast.GenDecl:
				if d.Tok == token.CONST {
					addConsts(d, strs)
				}
			}
		}
	}
	root, ok := funcs["routes"]
	if !ok {
		t.Fatal("no Server.routes in the package")
	}
	env := ruleEnv{handle: "handle", roles: map[string][]store.Role{}, rules: map[string]route{}, strs: strs}
	for k, v := range roleSets {
		env.roles[k] = v
	}
	return routesIn(t, fset, funcs, root, env, 0)
}

// addConsts records the string constants a const declaration defines
// (later specs may use earlier ones).
func addConsts(d *ast.GenDecl, strs map[string]string) {
	env := ruleEnv{strs: strs}
	for _, spec := range d.Specs {
		vs, ok := spec.(*ast.ValueSpec)
		if !ok || len(vs.Names) != len(vs.Values) {
			continue
		}
		for i, n := range vs.Names {
			if v, ok := env.str(vs.Values[i]); ok {
				strs[n.Name] = v
			}
		}
	}
}

// str evaluates a string expression of literals, constants and +.
func (env ruleEnv) str(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		v, err := strconv.Unquote(e.Value)
		return v, err == nil
	case *ast.Ident:
		v, ok := env.strs[e.Name]
		return v, ok
	case *ast.ParenExpr:
		return env.str(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok := env.str(e.X)
		if !ok {
			return "", false
		}
		b, ok := env.str(e.Y)
		return a + b, ok
	}
	return "", false
}

// ruleEnv is what a function's names mean: which one is the handle
// function, and which are role lists or rules.
type ruleEnv struct {
	handle string
	roles  map[string][]store.Role
	rules  map[string]route
	// strs are the string constants in scope (the package's and the
	// function's), for patterns built as "GET "+prefix+"/x".
	strs map[string]string
}

// routesIn reads the handle calls of one function in source order,
// following its local role lists and rules and descending into the
// methods it passes handle to.
func routesIn(t *testing.T, fset *token.FileSet, funcs map[string]*ast.FuncDecl, fn *ast.FuncDecl, env ruleEnv, depth int) []route {
	t.Helper()
	if depth > 8 {
		t.Fatalf("%s: route functions nest too deep", fn.Name.Name)
	}
	var out []route
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			// The handle closure itself, and handlers defined inline.
			return false
		case *ast.GenDecl:
			if n.Tok == token.CONST {
				addConsts(n, env.strs)
			}
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE || len(n.Lhs) != 1 || len(n.Rhs) != 1 {
				return true
			}
			id, ok := n.Lhs[0].(*ast.Ident)
			if !ok {
				return true
			}
			if rs, ok := env.roleList(n.Rhs[0]); ok {
				env.roles[id.Name] = rs
			} else if r, ok := env.rule(n.Rhs[0]); ok {
				env.rules[id.Name] = r
			}
		case *ast.CallExpr:
			if callee, ok := n.Fun.(*ast.Ident); ok && callee.Name == env.handle && len(n.Args) == 3 {
				out = append(out, env.registration(t, fset, n))
				return true
			}
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			sub, ok := funcs[sel.Sel.Name]
			if !ok || !passesHandle(n, env.handle) {
				return true
			}
			inner := ruleEnv{roles: map[string][]store.Role{}, rules: map[string]route{}, strs: maps.Clone(env.strs)}
			var params []*ast.Ident
			for _, fld := range sub.Type.Params.List {
				params = append(params, fld.Names...)
			}
			for i, a := range n.Args {
				if i >= len(params) {
					break
				}
				name := params[i].Name
				if id, ok := a.(*ast.Ident); ok && id.Name == env.handle {
					inner.handle = name
				} else if rs, ok := env.roleList(a); ok {
					inner.roles[name] = rs
				} else if r, ok := env.rule(a); ok {
					inner.rules[name] = r
				}
			}
			out = append(out, routesIn(t, fset, funcs, sub, inner, depth+1)...)
		}
		return true
	})
	return out
}

func passesHandle(call *ast.CallExpr, handle string) bool {
	for _, a := range call.Args {
		if id, ok := a.(*ast.Ident); ok && id.Name == handle {
			return true
		}
	}
	return false
}

// registration reads one handle("METHOD /path", rule, handler) call.
func (env ruleEnv) registration(t *testing.T, fset *token.FileSet, n *ast.CallExpr) route {
	t.Helper()
	at := fset.Position(n.Pos()).String()
	pattern, ok := env.str(n.Args[0])
	if !ok {
		t.Errorf("%s: a route pattern that is not made of string constants; teach security_routes_test.go", at)
		return route{at: at, public: true}
	}
	r, ok := env.rule(n.Args[1])
	if !ok {
		t.Errorf("%s: cannot tell who may use %q from its rule; teach security_routes_test.go", at, pattern)
		r.public = true
	}
	r.at = at
	r.method, r.path, _ = strings.Cut(pattern, " ")
	if r.path == "" {
		r.method, r.path = "", pattern
	}
	return r
}

// roleList resolves a []store.Role literal or a name of one.
func (env ruleEnv) roleList(e ast.Expr) ([]store.Role, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		rs, ok := env.roles[e.Name]
		return rs, ok
	case *ast.CompositeLit:
		at, ok := e.Type.(*ast.ArrayType)
		if !ok || !isSelector(at.Elt, "store", "Role") {
			return nil, false
		}
		var rs []store.Role
		for _, el := range e.Elts {
			r, ok := roleConst(el)
			if !ok {
				return nil, false
			}
			rs = append(rs, r)
		}
		return rs, true
	}
	return nil, false
}

// rule resolves page(...), api(...), tokenAPI(...), an access{...}
// literal, or a name of one of those.
func (env ruleEnv) rule(e ast.Expr) (route, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		r, ok := env.rules[e.Name]
		return r, ok
	case *ast.CallExpr:
		fn, ok := e.Fun.(*ast.Ident)
		if !ok || !slices.Contains([]string{"page", "api", "tokenAPI"}, fn.Name) {
			return route{}, false
		}
		var rs []store.Role
		for _, a := range e.Args {
			if l, ok := env.roleList(a); ok && e.Ellipsis.IsValid() {
				rs = append(rs, l...)
			} else if r, ok := roleConst(a); ok {
				rs = append(rs, r)
			} else {
				return route{}, false
			}
		}
		return route{roles: rs}, true
	case *ast.CompositeLit:
		if id, ok := e.Type.(*ast.Ident); !ok || id.Name != "access" {
			return route{}, false
		}
		var r route
		kind := ""
		for _, el := range e.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				return route{}, false
			}
			switch kv.Key.(*ast.Ident).Name {
			case "kind":
				if id, ok := kv.Value.(*ast.Ident); ok {
					kind = id.Name
				}
			case "roles":
				rs, ok := env.roleList(kv.Value)
				if !ok {
					return route{}, false
				}
				r.roles = rs
			}
		}
		switch kind {
		case "open", "anyone", "setupOnly":
			r.public = true
		case "loggedIn":
		default:
			return route{}, false
		}
		return r, true
	}
	return route{}, false
}

func roleConst(e ast.Expr) (store.Role, bool) {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	switch {
	case isSelector(s, "store", "RoleAdmin"):
		return store.RoleAdmin, true
	case isSelector(s, "store", "RoleSupervisor"):
		return store.RoleSupervisor, true
	case isSelector(s, "store", "RoleAgent"):
		return store.RoleAgent, true
	}
	return "", false
}

func isSelector(e ast.Expr, pkg, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := s.X.(*ast.Ident)
	return ok && id.Name == pkg && s.Sel.Name == name
}

// wildcard fills a pattern's {name} segments with values the admin seed
// has, so that the request reaches the gate with a plausible path.
var wildcard = regexp.MustCompile(`\{[a-zA-Z]*(\.\.\.)?\}|\{\$\}`)

func samplePath(p string) string {
	return wildcard.ReplaceAllStringFunc(p, func(w string) string {
		switch w {
		case "{$}":
			return ""
		case "{kind}":
			return "extensions"
		case "{key}", "{number}":
			return "201"
		case "{name}":
			return "sales"
		case "{n}":
			return "1"
		case "{action}":
			return "hold"
		}
		return "x1"
	})
}

func TestSecurity_RouteReaderFindsTheKnownRoutes(t *testing.T) {
	routes := registeredRoutes(t)
	find := func(method, path string) *route {
		for i, r := range routes {
			if r.method == method && r.path == path {
				return &routes[i]
			}
		}
		return nil
	}
	// A sample of each kind of rule, so that a reader that silently
	// stops finding routes fails here.
	for _, c := range []struct {
		method, path string
		public       bool
		agent        bool
	}{
		{"GET", "/healthz", true, false}, {"POST", "/login", true, false}, {"GET", "/{$}", false, true},
		{"GET", "/admin/{kind}", false, false}, {"POST", "/admin/security/certificate", false, false},
		{"GET", "/agent", false, true}, {"GET", "/wallboard", false, false}, {"PUT", "/api/v1/flows/{id}", false, false},
		{"GET", "/api/v1/customers/export", false, false}, {"POST", "/api/v1/calls/{id}/wrapup", false, true},
	} {
		r := find(c.method, c.path)
		if r == nil {
			t.Errorf("%s %s not found among %d routes", c.method, c.path, len(routes))
			continue
		}
		if r.public != c.public || slices.Contains(r.roles, store.RoleAgent) != c.agent {
			t.Errorf("%s %s read as public=%v roles=%v", c.method, c.path, r.public, r.roles)
		}
	}
	if len(routes) < 100 {
		t.Errorf("only %d routes read", len(routes))
	}
	t.Logf("%d routes registered", len(routes))
}

func TestSecurity_AgentGets403OnEveryRouteNotMeantForAgents(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	adminSeed(t, f)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	people := map[store.Role]*browser{}
	for role, name := range map[store.Role]string{store.RoleAgent: "ann", store.RoleSupervisor: "sam"} {
		b := f.browser()
		b.addr = "192.0.2." + strconv.Itoa(20+len(people))
		b.login(name, testPassword)
		people[role] = b
	}
	checked := 0
	for _, r := range registeredRoutes(t) {
		if r.public || r.method == "" {
			continue
		}
		for role, b := range people {
			if slices.Contains(r.roles, role) {
				continue
			}
			// With the session's CSRF token, so that the refusal is
			// the role's, not the token's.
			p := samplePath(r.path)
			res := b.do(r.method, p, strings.NewReader("{}"), http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {b.csrf}})
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s (%s, registered at %s): status %d for a %s, want 403", r.method, p, r.path, r.at, res.StatusCode, role)
			}
			checked++
		}
	}
	if n, _ := store.List[store.Extension](f.st); len(n) != 1 {
		t.Fatalf("refused requests changed the extensions: %+v", n)
	}
	t.Logf("%d refusals checked", checked)
}

func TestSecurity_EveryStateChangeWithoutTheCSRFTokenIsRefused(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	adminSeed(t, f)
	b := f.browser()
	b.login("admin", testPassword)
	checked := 0
	for _, r := range registeredRoutes(t) {
		if r.method == "" || r.method == http.MethodGet || r.method == http.MethodHead || slices.Contains([]string{"/setup"}, r.path) {
			continue
		}
		p := samplePath(r.path)
		for _, h := range []http.Header{
			{"Content-Type": {"application/json"}},
			{"Content-Type": {"application/json"}, "X-Csrf-Token": {"forged-token-of-the-right-length-000000000"}},
			{"Content-Type": {"application/x-www-form-urlencoded"}},
		} {
			res := b.do(r.method, p, strings.NewReader(""), h)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s (%s) without a valid token: status %d, want 403", r.method, p, r.at, res.StatusCode)
			}
			checked++
		}
	}
	// Still logged in: the refusals did not end the session.
	wantStatus(t, b.get("/"), http.StatusOK)
	if audits, _ := store.List[store.Audit](f.st); len(audits) != 1 {
		t.Fatalf("refused requests wrote audit entries: %+v", audits)
	}
	t.Logf("%d refusals checked", checked)
}
