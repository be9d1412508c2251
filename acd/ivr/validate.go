package ivr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"callbox/firmware/i18n"
)

// ErrInvalid marks a flow that cannot be published or run; the wrapped
// Problems name every fault.
var ErrInvalid = errors.New("ivr: invalid flow")

// Problem is one fault in a flow, attached to a node (empty Node: the flow
// as a whole) and a settings field so the designer can highlight it. Code
// is a message key in firmware/i18n; Args fill it in.
type Problem struct {
	Node  string   `json:"node,omitempty"`
	Field string   `json:"field,omitempty"`
	Code  string   `json:"code"`
	Args  []string `json:"args,omitempty"`
}

// Message renders the problem for a person in lang.
func (p Problem) Message(lang i18n.Lang) string {
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		args[i] = a
	}
	msg := i18n.T(lang, p.Code, args...)
	switch {
	case p.Node != "" && p.Field != "":
		return i18n.T(lang, "ivr.problem.at-field", p.Node, p.Field, msg)
	case p.Node != "":
		return i18n.T(lang, "ivr.problem.at-node", p.Node, msg)
	}
	return msg
}

// Problems is the error Compile returns for an invalid flow.
type Problems []Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		if i18n.Has(p.Code) {
			msgs[i] = p.Message(i18n.EN)
		} else {
			// The catalogue is not wired in: still say something useful.
			msgs[i] = fmt.Sprintf("%s %s %s %v", p.Node, p.Field, p.Code, p.Args)
		}
	}
	return strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for Problems.
func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// Checks look up the names a flow refers to. A nil function skips that
// check (a flow loaded for running is checked for structure only: a queue
// deleted since publishing makes the queue node fail, not the flow).
type Checks struct {
	Prompt  func(lang, key string) bool
	File    func(name string) bool
	Queue   func(name string) bool
	Hours   func(name string) bool
	Mailbox func(id string) bool
	Flow    func(id string) bool
	// NoFax refuses fax nodes: the box has no way to send faxes
	// (Actions.SendFax is nil).
	NoFax bool
}

// Validate lists every problem of a flow document; none means it can be
// published.
func Validate(doc *Document, chk Checks) []Problem {
	if doc == nil {
		return []Problem{{Code: "ivr.problem.no-start"}}
	}
	_, ps := analyse(doc, chk)
	return ps
}

// checker collects the problems of one node.
type checker struct {
	chk      Checks
	langs    []string
	node     string
	problems *[]Problem
}

func (c *checker) add(field, code string, args ...string) {
	*c.problems = append(*c.problems, Problem{Node: c.node, Field: field, Code: code, Args: args})
}

func (c *checker) require(field string, ok bool) {
	if !ok {
		c.add(field, "ivr.problem.missing-setting")
	}
}

func (c *checker) bad(field, value string) {
	c.add(field, "ivr.problem.bad-setting", value)
}

func (c *checker) intRange(field string, v, lo, hi int) {
	if v < lo || v > hi {
		c.add(field, "ivr.problem.out-of-range", fmt.Sprint(v), fmt.Sprint(lo), fmt.Sprint(hi))
	}
}

func (c *checker) prompts(field string, items []PromptItem) {
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		n := 0
		for _, set := range []bool{it.Key != "", it.File != "", it.Say != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			c.add(f, "ivr.problem.prompt-one-of")
			continue
		}
		if it.Lang != "" && it.Key == "" {
			c.add(f+".lang", "ivr.problem.lang-needs-key")
		}
		for _, l := range []string{it.Lang, it.OnlyLang} {
			if l != "" && !slices.Contains(c.langs, l) {
				c.add(f+".lang", "ivr.problem.bad-language", l)
			}
		}
		switch {
		case it.Key != "":
			for _, lang := range c.langs {
				if it.Lang != "" && it.Lang != lang || it.OnlyLang != "" && it.OnlyLang != lang {
					continue
				}
				if c.chk.Prompt != nil && !c.chk.Prompt(lang, it.Key) {
					c.add(f+".key", "ivr.problem.unknown-prompt", lang, it.Key)
				}
			}
		case it.File != "":
			if c.chk.File != nil && !c.chk.File(it.File) {
				c.add(f+".file", "ivr.problem.unknown-file", it.File)
			}
		default:
			c.variable(f+".say", it.Say)
			if it.As != "" && it.As != "number" && it.As != "digits" {
				c.bad(f+".as", it.As)
			}
		}
	}
}

func (c *checker) variable(field, name string) {
	if !validVar(name) {
		c.add(field, "ivr.problem.bad-variable", name)
	}
}

func (c *checker) template(field, s string) {
	for _, name := range templateVars(s) {
		c.variable(field, name)
	}
}

func (c *checker) ref(field, code, name string, exists func(string) bool) {
	if name == "" {
		c.require(field, false)
		return
	}
	if exists != nil && !exists(name) {
		c.add(field, code, name)
	}
}

func (c *checker) lang(field, l string) {
	if !slices.Contains(c.langs, l) {
		c.add(field, "ivr.problem.bad-language", l)
	}
}

// validVar: variable names are 1-64 of letters, digits, '_', '.', '-'.
func validVar(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '.' || ch == '-') {
			return false
		}
	}
	return true
}

// validID: node ids are 1-64 of letters, digits, '_' and '-'.
func validID(s string) bool {
	return validVar(s) && !strings.Contains(s, ".")
}

func isDigitKey(s string) bool {
	return len(s) == 1 && (s[0] >= '0' && s[0] <= '9' || s[0] == '*' || s[0] == '#')
}

// decodeSettings fills b from raw, refusing unknown fields so that a typo
// in the designer or a hand-edited file is reported, not ignored.
func decodeSettings(raw json.RawMessage, b behavior) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(b)
}

// analyse decodes and checks every node, then the graph. It returns the
// nodes it could build (by id) and the problems.
func analyse(doc *Document, chk Checks) (map[string]*cnode, []Problem) {
	var ps []Problem
	flowProblem := func(code string, args ...string) {
		ps = append(ps, Problem{Code: code, Args: args})
	}
	if len(doc.Languages) == 0 {
		flowProblem("ivr.problem.no-languages")
	}
	for _, l := range doc.Languages {
		if !i18n.Lang(l).Valid() {
			flowProblem("ivr.problem.bad-language", l)
		}
	}
	nodes := make(map[string]*cnode, len(doc.Nodes))
	var starts []string
	for i := range doc.Nodes {
		n := &doc.Nodes[i]
		c := &checker{chk: chk, langs: doc.Languages, node: n.ID, problems: &ps}
		if !validID(n.ID) {
			c.node = fmt.Sprintf("#%d", i)
			c.add("id", "ivr.problem.bad-id", n.ID)
			continue
		}
		if _, dup := nodes[n.ID]; dup {
			c.add("id", "ivr.problem.duplicate-id", n.ID)
			continue
		}
		t, ok := lookupType(n.Type)
		if !ok {
			c.add("type", "ivr.problem.unknown-type", n.Type)
			// Kept without behaviour so that its exits still count for
			// reachability and nobody's exit to it looks dangling.
			nodes[n.ID] = &cnode{id: n.ID, typ: n.Type, exits: n.Exits}
			continue
		}
		b := t.new()
		if err := decodeSettings(n.Settings, b); err != nil {
			c.add("settings", "ivr.problem.bad-settings", err.Error())
			nodes[n.ID] = &cnode{id: n.ID, typ: t.Name, waits: t.Waits, exits: n.Exits}
			continue
		}
		b.check(c)
		cn := &cnode{id: n.ID, typ: t.Name, waits: t.Waits, b: b, exits: n.Exits}
		nodes[n.ID] = cn
		if t.Name == "start" {
			starts = append(starts, n.ID)
		}
		checkExits(c, t, b, n.Exits)
	}
	switch len(starts) {
	case 0:
		flowProblem("ivr.problem.no-start")
	case 1:
	default:
		for _, id := range starts[1:] {
			ps = append(ps, Problem{Node: id, Code: "ivr.problem.many-starts"})
		}
	}
	for _, n := range doc.Nodes {
		cn, ok := nodes[n.ID]
		if !ok {
			continue
		}
		for _, name := range sortedKeys(cn.exits) {
			if target := cn.exits[name]; target != "" {
				if _, ok := nodes[target]; !ok {
					ps = append(ps, Problem{Node: n.ID, Field: "exits." + name, Code: "ivr.problem.dangling-exit", Args: []string{name, target}})
				}
			}
		}
	}
	if len(starts) > 0 {
		ps = append(ps, graphProblems(doc, nodes, starts[0])...)
	}
	return nodes, ps
}

func checkExits(c *checker, t nodeType, b behavior, exits map[string]string) {
	allowed := map[string]bool{}
	for _, e := range t.Exits {
		allowed[e.Name] = true
		if e.Required && exits[e.Name] == "" {
			c.add("exits."+e.Name, "ivr.problem.missing-exit", e.Name)
		}
	}
	if d, ok := b.(dynamicExits); ok {
		for _, name := range d.exitNames() {
			allowed[name] = true
			if exits[name] == "" {
				c.add("exits."+name, "ivr.problem.missing-exit", name)
			}
		}
	}
	digits := 0
	for _, name := range sortedKeys(exits) {
		switch {
		case allowed[name]:
		case t.DigitExits && isDigitKey(name):
			digits++
		default:
			c.add("exits."+name, "ivr.problem.unknown-exit", name)
		}
	}
	if t.DigitExits && digits == 0 {
		c.add("exits", "ivr.problem.no-choices")
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// graphProblems finds nodes the start cannot reach and loops that never
// wait for the caller (they would spin until the step limit).
func graphProblems(doc *Document, nodes map[string]*cnode, start string) []Problem {
	var ps []Problem
	seen := map[string]bool{start: true}
	stack := []string{start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, target := range nodes[id].exits {
			if _, ok := nodes[target]; ok && !seen[target] {
				seen[target] = true
				stack = append(stack, target)
			}
		}
	}
	for _, n := range doc.Nodes {
		if _, ok := nodes[n.ID]; ok && !seen[n.ID] {
			ps = append(ps, Problem{Node: n.ID, Code: "ivr.problem.unreachable"})
		}
	}
	for _, loop := range busyLoops(doc, nodes) {
		for _, id := range loop {
			ps = append(ps, Problem{Node: id, Code: "ivr.problem.busy-loop", Args: []string{strings.Join(loop, " > ")}})
		}
	}
	return ps
}

// busyLoops returns the strongly connected groups of nodes that do not
// wait (Tarjan's algorithm over the graph without waiting nodes), each in
// document order; a group is a loop when it has two nodes or a self exit.
func busyLoops(doc *Document, nodes map[string]*cnode) [][]string {
	order := map[string]int{}
	for i, n := range doc.Nodes {
		if _, ok := order[n.ID]; !ok {
			order[n.ID] = i
		}
	}
	next := func(id string) []string {
		var out []string
		for _, name := range sortedKeys(nodes[id].exits) {
			t := nodes[id].exits[name]
			if cn, ok := nodes[t]; ok && !cn.waits {
				out = append(out, t)
			}
		}
		return out
	}
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var loops [][]string
	counter := 0
	var visit func(id string)
	visit = func(id string) {
		index[id], low[id] = counter, counter
		counter++
		stack = append(stack, id)
		onStack[id] = true
		for _, t := range next(id) {
			if _, done := index[t]; !done {
				visit(t)
				low[id] = min(low[id], low[t])
			} else if onStack[t] {
				low[id] = min(low[id], index[t])
			}
		}
		if low[id] != index[id] {
			return
		}
		var group []string
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[top] = false
			group = append(group, top)
			if top == id {
				break
			}
		}
		if len(group) > 1 || slices.Contains(next(id), id) {
			slices.SortFunc(group, func(a, b string) int { return order[a] - order[b] })
			loops = append(loops, group)
		}
	}
	for _, n := range doc.Nodes {
		cn, ok := nodes[n.ID]
		if !ok || cn.waits {
			continue
		}
		if _, done := index[n.ID]; !done {
			visit(n.ID)
		}
	}
	return loops
}
