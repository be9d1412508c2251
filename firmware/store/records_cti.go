package store

import (
	"net/url"
	"strings"
	"time"
)

// The CTI's records (acd/cti and the CTI endpoints of the web UI). Their
// buckets were added without a schema step: Open creates the buckets a
// file of the current schema lacks (ensureLayout), and older firmware
// never reads them.

// Message keys of the CTI's field errors (see firmware/i18n/cti.go).
const (
	codeURL         = "cti.err.url"
	codeSecretShort = "cti.err.secret"
	codeNextUnknown = "cti.err.next"
	codeCycle       = "cti.err.cycle"
	codeChoices     = "cti.err.choices"
	codeStartNode   = "cti.err.start"
)

// Webhook is a URL that receives the CTI events it subscribes to, each
// body signed with HMAC-SHA256 under Secret.
type Webhook struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Events lists the event types sent ("call.offered", "agent.state",
	// ...); empty means all.
	Events []string `json:"events,omitempty"`
	// Secret signs the bodies; the receiver checks the signature with it.
	Secret  string `json:"secret"`
	Enabled bool   `json:"enabled"`
}

// Kind implements Record.
func (Webhook) Kind() Kind { return KindWebhook }

// Key implements Record.
func (w Webhook) Key() string { return w.ID }

// Validate implements Record.
func (w Webhook) Validate() error {
	var f fields
	f.name("id", w.ID)
	f.httpURL("url", w.URL, true)
	if len(w.Events) > 32 {
		f.add("events", codeRange, 0, 32)
	}
	for i, e := range w.Events {
		if !isEventName(e) {
			f.add(indexed("events", i), codeName, 64)
		}
	}
	noDuplicates(&f, "events", w.Events)
	switch {
	case w.Secret == "":
		f.add("secret", codeRequired)
	case len(w.Secret) < 16 || len(w.Secret) > 256:
		f.add("secret", codeSecretShort, 16)
	default:
		f.text("secret", w.Secret, true, 256)
	}
	return f.result(KindWebhook, w.ID)
}

// isEventName accepts "call.offered" style names.
func isEventName(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for _, c := range []byte(v) {
		if (c < 'a' || c > 'z') && c != '.' && c != '_' && c != '*' {
			return false
		}
	}
	return true
}

// httpURL checks an absolute http or https URL with a host.
func (f *fields) httpURL(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	u, err := url.Parse(v)
	if err != nil || len(v) > 1024 || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(v, " \t\r\n") {
		f.add(field, codeURL)
	}
}

// APIToken lets a program (a CRM) use the API without a browser session.
// Only the SHA-256 of the token's secret is kept: the token is shown once,
// when it is made.
type APIToken struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Role is the token's scope: what it may do, as a user of that role.
	Role Role `json:"role"`
	// User, when set, makes the token act as that user (an agent's own
	// events); its role is then the lower of the two.
	User      string    `json:"user,omitempty"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Disabled  bool      `json:"disabled,omitempty"`
}

// Kind implements Record.
func (APIToken) Kind() Kind { return KindAPIToken }

// Key implements Record.
func (t APIToken) Key() string { return t.ID }

// Validate implements Record.
func (t APIToken) Validate() error {
	var f fields
	f.name("id", t.ID)
	f.text("name", t.Name, true, 64)
	oneOf(&f, "role", t.Role, true, RoleAdmin, RoleSupervisor, RoleAgent)
	if t.User != "" && !isName(t.User) {
		f.add("user", codeName, 64)
	}
	if len(t.Hash) != 64 || strings.Trim(t.Hash, "0123456789abcdef") != "" {
		f.add("hash", codeSHA256)
	}
	if t.CreatedAt.IsZero() {
		f.add("createdAt", codeRequired)
	}
	if !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(t.CreatedAt) {
		f.add("expiresAt", codeTimeOrder)
	}
	return f.result(KindAPIToken, t.ID)
}

// Script node types.
const (
	ScriptChoice = "choice" // the agent picks one of Choices
	ScriptText   = "text"   // the agent types an answer
	ScriptEnd    = "end"    // a closing line; no answer
)

// ScriptNode is one step of an agent script.
type ScriptNode struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Text is what the agent reads or asks.
	Text    string             `json:"text"`
	Choices []ScriptNodeChoice `json:"choices,omitempty"`
	// Next is the step after a text answer ("" ends the script).
	Next string `json:"next,omitempty"`
}

// ScriptNodeChoice is one answer of a choice step and where it leads.
type ScriptNodeChoice struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Next  string `json:"next,omitempty"`
}

// Script is a queue's agent script: branching questions the agent goes
// through during a call. Key: the queue's name.
type Script struct {
	Queue string       `json:"queue"`
	Title string       `json:"title"`
	Start string       `json:"start"`
	Nodes []ScriptNode `json:"nodes"`
}

// Kind implements Record.
func (Script) Kind() Kind { return KindScript }

// Key implements Record.
func (s Script) Key() string { return s.Queue }

// Node returns the step with id.
func (s Script) Node(id string) (ScriptNode, bool) {
	for _, n := range s.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return ScriptNode{}, false
}

// Validate implements Record: every step is reachable by name, choices
// are unique, and no path loops, so every run of the script ends.
func (s Script) Validate() error {
	var f fields
	f.name("queue", s.Queue)
	f.text("title", s.Title, true, 128)
	if len(s.Nodes) == 0 || len(s.Nodes) > 200 {
		f.add("nodes", codeRange, 1, 200)
	}
	ids := make(map[string]bool, len(s.Nodes))
	for i, n := range s.Nodes {
		if ids[n.ID] {
			f.add(indexed("nodes", i)+".id", codeDuplicate)
		}
		ids[n.ID] = true
	}
	if _, ok := s.Node(s.Start); !ok {
		f.add("start", codeStartNode)
	}
	next := func(field, v string) {
		if v != "" && !ids[v] {
			f.add(field, codeNextUnknown, v)
		}
	}
	for i, n := range s.Nodes {
		p := indexed("nodes", i)
		f.name(p+".id", n.ID)
		oneOf(&f, p+".type", n.Type, true, ScriptChoice, ScriptText, ScriptEnd)
		f.para(p+".text", n.Text, true, 2048)
		switch n.Type {
		case ScriptChoice:
			if len(n.Choices) == 0 || len(n.Choices) > 20 {
				f.add(p+".choices", codeChoices, 20)
			}
			vals := make([]string, 0, len(n.Choices))
			for j, c := range n.Choices {
				cp := indexed(p+".choices", j)
				f.text(cp+".value", c.Value, true, 64)
				f.text(cp+".label", c.Label, true, 128)
				next(cp+".next", c.Next)
				vals = append(vals, c.Value)
			}
			noDuplicates(&f, p+".choices", vals)
			if n.Next != "" {
				f.add(p+".next", codeUnknown)
			}
		case ScriptText:
			next(p+".next", n.Next)
		case ScriptEnd:
			if n.Next != "" || len(n.Choices) > 0 {
				f.add(p+".next", codeUnknown)
			}
		}
	}
	if len(f.errs) == 0 {
		if at, ok := s.cycle(); ok {
			f.add("nodes", codeCycle, at)
		}
	}
	return f.result(KindScript, s.Queue)
}

// cycle finds a step that can be reached again from itself.
func (s Script) cycle() (string, bool) {
	const (
		unseen = iota
		open
		done
	)
	state := make(map[string]int, len(s.Nodes))
	var visit func(id string) (string, bool)
	visit = func(id string) (string, bool) {
		switch state[id] {
		case open:
			return id, true
		case done:
			return "", false
		}
		state[id] = open
		n, _ := s.Node(id)
		succ := []string{n.Next}
		for _, c := range n.Choices {
			succ = append(succ, c.Next)
		}
		for _, nx := range succ {
			if nx == "" {
				continue
			}
			if at, ok := visit(nx); ok {
				return at, true
			}
		}
		state[id] = done
		return "", false
	}
	for _, n := range s.Nodes {
		if at, ok := visit(n.ID); ok {
			return at, true
		}
	}
	return "", false
}

// ScriptAnswer is the answer given at one step.
type ScriptAnswer struct {
	Node string `json:"node"`
	// Question is the step's text when it was answered, so the record
	// still reads right after the script is edited.
	Question string `json:"question,omitempty"`
	Value    string `json:"value"`
}

// ScriptAnswers are the answers an agent gave to a queue's script on one
// call, kept with the contact history. Key: the call ID.
type ScriptAnswers struct {
	CallID  string         `json:"callId"`
	Queue   string         `json:"queue"`
	Agent   string         `json:"agent,omitempty"`
	Number  string         `json:"number,omitempty"`
	At      time.Time      `json:"at"`
	Answers []ScriptAnswer `json:"answers"`
}

// Kind implements Record.
func (ScriptAnswers) Kind() Kind { return KindScriptAnswers }

// Key implements Record.
func (a ScriptAnswers) Key() string { return a.CallID }

// Validate implements Record.
func (a ScriptAnswers) Validate() error {
	var f fields
	f.text("callId", a.CallID, true, 128)
	f.name("queue", a.Queue)
	f.digits("agent", a.Agent, false, 2, 8)
	f.dialable("number", a.Number, false)
	if a.At.IsZero() {
		f.add("at", codeRequired)
	}
	if len(a.Answers) > 200 {
		f.add("answers", codeRange, 0, 200)
	}
	for i, x := range a.Answers {
		p := indexed("answers", i)
		f.name(p+".node", x.Node)
		f.para(p+".question", x.Question, false, 2048)
		f.para(p+".value", x.Value, false, 4096)
	}
	return f.result(KindScriptAnswers, a.CallID)
}

// DirectoryConfigKey is the key of the one DirectoryConfig record.
const DirectoryConfigKey = "directory"

// DataSource is one configured customer data source, as the installer
// sets it up; acd/directory/source builds it. Which fields matter depends
// on Type.
type DataSource struct {
	Type string `json:"type"` // "builtin", "http", "sql", "ldap"
	Name string `json:"name,omitempty"`
	// URL: the HTTP URL template ({number}) or the LDAP server.
	URL string `json:"url,omitempty"`
	// Header and HeaderValue: the HTTP authentication header.
	Header      string `json:"header,omitempty"`
	HeaderValue string `json:"headerValue,omitempty"`
	// Driver ("pgx" or "mysql"), DSN and Query: the SQL database.
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
	// TimeoutMS bounds the source's lookups (0: its default).
	TimeoutMS int `json:"timeoutMs,omitempty"`
	// NumberForm: "e164" (default), "digits" or "national".
	NumberForm string `json:"numberForm,omitempty"`
}

// DirectoryConfig is the customer directory's configuration: its data
// sources, asked in order, and the lookup bounds. Key DirectoryConfigKey.
type DirectoryConfig struct {
	ID      string       `json:"id"`
	Sources []DataSource `json:"sources"`
	// DeadlineMS bounds a whole lookup (0: 1500 ms).
	DeadlineMS int `json:"deadlineMs,omitempty"`
	// CacheSeconds keeps complete answers (0: 300 s; -1: no cache).
	CacheSeconds int `json:"cacheSeconds,omitempty"`
}

// Kind implements Record.
func (DirectoryConfig) Kind() Kind { return KindDirectoryConfig }

// Key implements Record.
func (c DirectoryConfig) Key() string { return c.ID }

// Validate implements Record. It checks the shape; whether a source can
// be reached is for the test lookup and the status page.
func (c DirectoryConfig) Validate() error {
	var f fields
	if c.ID != DirectoryConfigKey {
		f.add("id", codeOneOf, DirectoryConfigKey)
	}
	if len(c.Sources) > 16 {
		f.add("sources", codeRange, 0, 16)
	}
	names := make([]string, 0, len(c.Sources))
	builtins := 0
	for i, s := range c.Sources {
		p := indexed("sources", i)
		oneOf(&f, p+".type", s.Type, true, "builtin", "http", "sql", "ldap")
		if s.Name != "" {
			f.name(p+".name", s.Name)
		}
		name := s.Name
		if name == "" {
			name = s.Type
		}
		names = append(names, name)
		switch s.Type {
		case "builtin":
			builtins++
			if builtins > 1 {
				f.add(p+".type", codeDuplicate)
			}
		case "http":
			f.httpURL(p+".url", strings.ReplaceAll(s.URL, "{number}", "0"), true)
			f.text(p+".header", s.Header, false, 128)
			f.text(p+".headerValue", s.HeaderValue, false, 1024)
		case "sql":
			oneOf(&f, p+".driver", s.Driver, true, "pgx", "mysql")
			f.text(p+".dsn", s.DSN, true, 1024)
			f.para(p+".query", s.Query, true, 4096)
		case "ldap":
			f.text(p+".url", s.URL, true, 1024)
			f.text(p+".baseDn", s.BaseDN, true, 1024)
			f.text(p+".bindDn", s.BindDN, false, 1024)
			f.text(p+".filter", s.Filter, false, 1024)
		}
		for k, v := range s.Fields {
			f.text(p+".fields."+k, v, true, 256)
		}
		f.intRange(p+".timeoutMs", s.TimeoutMS, 0, 60000)
		oneOf(&f, p+".numberForm", s.NumberForm, false, "e164", "digits", "national")
	}
	noDuplicates(&f, "sources", names)
	f.intRange("deadlineMs", c.DeadlineMS, 0, 60000)
	f.intRange("cacheSeconds", c.CacheSeconds, -1, 86400)
	return f.result(KindDirectoryConfig, c.ID)
}

func init() {
	codecs[KindWebhook] = codecFor[Webhook]()
	codecs[KindAPIToken] = codecFor[APIToken]()
	codecs[KindScript] = codecFor[Script]()
	codecs[KindScriptAnswers] = codecFor[ScriptAnswers]()
	codecs[KindDirectoryConfig] = codecFor[DirectoryConfig]()
}
