package ivr

import (
	"context"
	"fmt"
	"slices"
)

type subject int

const (
	subjectANI subject = iota
	subjectDNIS
	subjectVar
)

// branchNode tests the caller's number, the dialled number or a variable
// (customer fields included) against rules.
type branchNode struct {
	subject subject
	// Var names the variable for branch-var.
	Var   string `json:"var,omitempty"`
	Rules []Rule `json:"rules"`
}

func (n *branchNode) check(c *checker) {
	if n.subject == subjectVar {
		c.variable("var", n.Var)
	} else if n.Var != "" {
		c.bad("var", n.Var)
	}
	c.require("rules", len(n.Rules) > 0)
	for i, rule := range n.Rules {
		checkRule(c, fmt.Sprintf("rules[%d]", i), rule)
	}
}

func (n *branchNode) exitNames() []string {
	var names []string
	for _, rule := range n.Rules {
		if validID(rule.Exit) && rule.Exit != "default" && !slices.Contains(names, rule.Exit) {
			names = append(names, rule.Exit)
		}
	}
	return names
}

func (n *branchNode) run(_ context.Context, r *runner) (string, error) {
	var v string
	switch n.subject {
	case subjectANI:
		v = r.in.ANI
	case subjectDNIS:
		v = r.in.DNIS
	default:
		v = r.value(n.Var)
	}
	for _, rule := range n.Rules {
		if rule.holds(v) {
			return rule.Exit, nil
		}
	}
	return "default", nil
}

// hoursNode branches on a business-hours schedule (acd/hours) at the
// engine's clock.
type hoursNode struct {
	Hours string `json:"hours"`
}

func (n *hoursNode) check(c *checker) {
	c.ref("hours", "ivr.problem.unknown-hours", n.Hours, c.chk.Hours)
}

func (n *hoursNode) run(ctx context.Context, r *runner) (string, error) {
	s, ok := r.e.hours(n.Hours)
	if !ok {
		// A schedule deleted after publishing: closed is the safe answer
		// (callers reach the after-hours path, never a dead queue).
		r.fail(ctx, "hours", fmt.Errorf("no business hours named %q", n.Hours))
		return "closed", nil
	}
	now := r.e.now()
	if name, hol := s.Holiday(now); hol {
		r.step.Detail = name
		if r.node.exits["holiday"] != "" {
			return "holiday", nil
		}
		return "closed", nil
	}
	if s.Open(now) {
		return "open", nil
	}
	return "closed", nil
}

// languageNode sets the call's language, fixed or from a variable (a
// customer's preferred language, a lookup result).
type languageNode struct {
	Lang string `json:"lang,omitempty"`
	Var  string `json:"var,omitempty"`
}

func (n *languageNode) check(c *checker) {
	switch {
	case (n.Lang == "") == (n.Var == ""):
		c.add("lang", "ivr.problem.lang-or-var")
	case n.Lang != "":
		c.lang("lang", n.Lang)
	default:
		c.variable("var", n.Var)
	}
}

func (n *languageNode) run(_ context.Context, r *runner) (string, error) {
	want := n.Lang
	if n.Var != "" {
		want = r.value(n.Var)
	}
	// A value the flow does not speak leaves the language unchanged.
	if slices.Contains(r.flow.doc.Languages, want) {
		r.lang = want
	}
	r.step.Detail = r.lang
	return "next", nil
}

// setVarNode sets variables from templates ("{{ani}}", "vip", ...).
type setVarNode struct {
	Vars map[string]string `json:"vars"`
}

func (n *setVarNode) check(c *checker) {
	c.require("vars", len(n.Vars) > 0)
	for _, k := range sortedKeys(n.Vars) {
		c.variable("vars", k)
		c.template("vars."+k, n.Vars[k])
	}
}

func (n *setVarNode) run(_ context.Context, r *runner) (string, error) {
	// Every value is computed before any is set, so {{a}} means the old
	// a even when a is also assigned here.
	vals := make(map[string]string, len(n.Vars))
	for k, t := range n.Vars {
		vals[k] = r.expand(t, nil)
	}
	for k, v := range vals {
		r.vars[k] = v
	}
	return "next", nil
}
