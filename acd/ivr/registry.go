package ivr

import "context"

// The node types, in the order the designer's palette shows them. This list
// is the one place a node type is declared: its name, its exits, whether it
// waits for the caller, and the Go type that holds its settings.
var nodeTypes = []nodeType{
	{Name: "start", Exits: fixed("next"), new: func() behavior { return &startNode{} }},
	{Name: "play", Exits: fixed("next"), new: func() behavior { return &playNode{} }},
	{Name: "menu", Exits: []ExitSpec{{Name: "timeout"}, {Name: "invalid"}}, DigitExits: true, Waits: true,
		new: func() behavior { return &menuNode{} }},
	{Name: "collect", Exits: []ExitSpec{{Name: "next", Required: true}, {Name: "timeout"}, {Name: "invalid"}}, Waits: true,
		new: func() behavior { return &collectNode{} }},
	{Name: "branch-ani", Exits: fixed("default"), RuleExits: true, new: func() behavior { return &branchNode{subject: subjectANI} }},
	{Name: "branch-dnis", Exits: fixed("default"), RuleExits: true, new: func() behavior { return &branchNode{subject: subjectDNIS} }},
	{Name: "branch-hours", Exits: []ExitSpec{{Name: "open", Required: true}, {Name: "closed", Required: true}, {Name: "holiday"}},
		new: func() behavior { return &hoursNode{} }},
	{Name: "branch-var", Exits: fixed("default"), RuleExits: true, new: func() behavior { return &branchNode{subject: subjectVar} }},
	{Name: "set-language", Exits: fixed("next"), new: func() behavior { return &languageNode{} }},
	{Name: "set-var", Exits: fixed("next"), new: func() behavior { return &setVarNode{} }},
	{Name: "lookup", Exits: []ExitSpec{{Name: "ok", Required: true}, {Name: "error", Required: true}, {Name: "timeout"}},
		new: func() behavior { return &lookupNode{} }},
	{Name: "queue", Exits: []ExitSpec{{Name: "failed"}}, Waits: true, new: func() behavior { return &queueNode{} }},
	{Name: "transfer", Exits: []ExitSpec{{Name: "failed"}}, Waits: true, new: func() behavior { return &transferNode{} }},
	{Name: "voicemail", Exits: []ExitSpec{{Name: "failed"}}, Waits: true, new: func() behavior { return &voicemailNode{} }},
	{Name: "callback", Exits: []ExitSpec{{Name: "next", Required: true}, {Name: "failed"}}, new: func() behavior { return &callbackNode{} }},
	{Name: "fax", Exits: []ExitSpec{{Name: "failed"}}, Waits: true, new: func() behavior { return &faxNode{} }},
	{Name: "hangup", new: func() behavior { return &hangupNode{} }},
	{Name: "goto", new: func() behavior { return &gotoNode{} }},
	{Name: "subflow", Exits: []ExitSpec{{Name: "next", Required: true}, {Name: "failed"}}, new: func() behavior { return &subflowNode{} }},
	{Name: "return", new: func() behavior { return &returnNode{} }},
}

// ExitSpec is an exit a node type offers. A Required exit must lead
// somewhere; an optional one left open ends the call when taken.
type ExitSpec struct {
	Name     string `json:"name"`
	Required bool   `json:"required,omitempty"`
}

func fixed(names ...string) []ExitSpec {
	out := make([]ExitSpec, len(names))
	for i, n := range names {
		out[i] = ExitSpec{Name: n, Required: true}
	}
	return out
}

// NodeType describes a node type for the designer's palette.
type NodeType struct {
	Name  string     `json:"name"`
	Exits []ExitSpec `json:"exits"`
	// DigitExits: the node also has one exit per key ("0"-"9", "*", "#").
	DigitExits bool `json:"digitExits,omitempty"`
	// RuleExits: the node also has one exit per rule, named by the rule.
	RuleExits bool `json:"ruleExits,omitempty"`
	// Waits: the node waits for the caller or another party, so a loop
	// through it is not a busy loop.
	Waits bool `json:"waits,omitempty"`
}

type nodeType struct {
	Name                         string
	Exits                        []ExitSpec
	DigitExits, RuleExits, Waits bool
	new                          func() behavior
}

// behavior is a node type's code. Settings are decoded into the value new
// returns; check validates them; run performs the node and returns the
// exit taken ("" when the call is over).
type behavior interface {
	check(c *checker)
	run(ctx context.Context, r *runner) (exit string, err error)
}

// dynamicExits is implemented by nodes whose exits come from settings
// (branch rules).
type dynamicExits interface {
	exitNames() []string
}

// NodeTypes lists the node types in palette order.
func NodeTypes() []NodeType {
	out := make([]NodeType, len(nodeTypes))
	for i, t := range nodeTypes {
		out[i] = NodeType{Name: t.Name, Exits: append([]ExitSpec(nil), t.Exits...),
			DigitExits: t.DigitExits, RuleExits: t.RuleExits, Waits: t.Waits}
	}
	return out
}

// Palette lists the node types the designer offers on a box: without a
// way to send faxes the fax node is left out.
func Palette(fax bool) []NodeType {
	all := NodeTypes()
	out := all[:0]
	for _, t := range all {
		if t.Name != "fax" || fax {
			out = append(out, t)
		}
	}
	return out
}

func lookupType(name string) (nodeType, bool) {
	for _, t := range nodeTypes {
		if t.Name == name {
			return t, true
		}
	}
	return nodeType{}, false
}
