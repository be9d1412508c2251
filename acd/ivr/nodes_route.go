package ivr

import (
	"context"
	"fmt"
)

// Limits of the routing nodes' settings.
const (
	maxPriority = 9
	maxSkills   = 16
)

// handOff runs an action that serves the call; nil ends the flow, an
// error takes the failure exit.
func handOff(ctx context.Context, r *runner, what string, err error) (string, error) {
	if err == nil || ctx.Err() != nil {
		return "", ctx.Err()
	}
	r.fail(ctx, what, err)
	return "failed", nil
}

// queueNode puts the caller in an ACD queue, carrying the language and
// the variables to the agent.
type queueNode struct {
	Queue    string  `json:"queue"`
	Priority int     `json:"priority,omitempty"`
	Skills   []Skill `json:"skills,omitempty"`
}

func (n *queueNode) check(c *checker) {
	c.ref("queue", "ivr.problem.unknown-queue", n.Queue, c.chk.Queue)
	c.intRange("priority", n.Priority, 0, maxPriority)
	if len(n.Skills) > maxSkills {
		c.intRange("skills", len(n.Skills), 0, maxSkills)
	}
	for i, s := range n.Skills {
		f := fmt.Sprintf("skills[%d]", i)
		if !validID(s.Skill) {
			c.bad(f+".skill", s.Skill)
		}
		c.intRange(f+".minLevel", s.MinLevel, 0, 10)
	}
}

func (n *queueNode) run(ctx context.Context, r *runner) (string, error) {
	vars := make(map[string]string, len(r.vars))
	for k, v := range r.vars {
		vars[k] = v
	}
	err := r.call.Queue(ctx, QueueRequest{Queue: n.Queue, Priority: n.Priority,
		Skills: append([]Skill(nil), n.Skills...), Lang: r.lang, Vars: vars})
	return handOff(ctx, r, "queue", err)
}

// transferNode connects the caller to an extension or an outside number,
// either fixed or from a variable (an extension the caller dialled).
type transferNode struct {
	Extension string `json:"extension,omitempty"`
	Number    string `json:"number,omitempty"`
	// Var holds an extension number collected earlier.
	Var string `json:"var,omitempty"`
}

func (n *transferNode) check(c *checker) {
	set := 0
	for _, v := range []string{n.Extension, n.Number, n.Var} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		c.add("extension", "ivr.problem.transfer-one-of")
	}
	if n.Extension != "" && !isNumber(n.Extension, false) {
		c.bad("extension", n.Extension)
	}
	if n.Number != "" && !isNumber(n.Number, true) {
		c.bad("number", n.Number)
	}
	if n.Var != "" {
		c.variable("var", n.Var)
	}
}

func isNumber(s string, plus bool) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || plus && i == 0 && s[i] == '+') {
			return false
		}
	}
	return true
}

func (n *transferNode) run(ctx context.Context, r *runner) (string, error) {
	req := TransferRequest{Extension: n.Extension, Number: n.Number}
	if n.Var != "" {
		req.Extension = r.value(n.Var)
		if !isNumber(req.Extension, false) {
			return handOff(ctx, r, "transfer", fmt.Errorf("%q is not an extension", req.Extension))
		}
	}
	r.step.Detail = req.Extension + req.Number
	return handOff(ctx, r, "transfer", r.call.Transfer(ctx, req))
}

// voicemailNode lets the caller leave a message.
type voicemailNode struct {
	Mailbox string `json:"mailbox"`
}

func (n *voicemailNode) check(c *checker) {
	c.ref("mailbox", "ivr.problem.unknown-mailbox", n.Mailbox, c.chk.Mailbox)
}

func (n *voicemailNode) run(ctx context.Context, r *runner) (string, error) {
	return handOff(ctx, r, "voicemail", r.call.Voicemail(ctx, VoicemailRequest{Mailbox: n.Mailbox, Lang: r.lang}))
}

// callbackNode books a callback to the caller's number (or one collected
// into a variable) and continues the flow, usually to a thank-you.
type callbackNode struct {
	Queue     string `json:"queue"`
	NumberVar string `json:"numberVar,omitempty"`
}

func (n *callbackNode) check(c *checker) {
	c.ref("queue", "ivr.problem.unknown-queue", n.Queue, c.chk.Queue)
	if n.NumberVar != "" {
		c.variable("numberVar", n.NumberVar)
	}
}

func (n *callbackNode) run(ctx context.Context, r *runner) (string, error) {
	number := r.in.ANI
	if n.NumberVar != "" {
		number = r.value(n.NumberVar)
	}
	if !isNumber(number, true) {
		r.fail(ctx, "callback", fmt.Errorf("no number to call back (%q)", number))
		return "failed", nil
	}
	r.step.Detail = number
	if err := r.call.RequestCallback(ctx, CallbackRequest{Queue: n.Queue, Number: number, Lang: r.lang}); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		r.fail(ctx, "callback", err)
		return "failed", nil
	}
	return "next", nil
}

// faxNode sends a stored document, fixed or chosen by digits collected
// into a variable (fax on demand).
type faxNode struct {
	Document    string `json:"document,omitempty"`
	DocumentVar string `json:"documentVar,omitempty"`
}

func (n *faxNode) check(c *checker) {
	if c.chk.NoFax {
		c.add("", "ivr.problem.fax-unavailable")
	}
	if (n.Document == "") == (n.DocumentVar == "") {
		c.add("document", "ivr.problem.document-or-var")
	}
	if n.DocumentVar != "" {
		c.variable("documentVar", n.DocumentVar)
	}
}

func (n *faxNode) run(ctx context.Context, r *runner) (string, error) {
	doc := n.Document
	if n.DocumentVar != "" {
		doc = r.value(n.DocumentVar)
	}
	r.step.Detail = doc
	return handOff(ctx, r, "fax", r.call.SendFax(ctx, FaxRequest{Document: doc}))
}

// hangupNode ends the call.
type hangupNode struct{}

func (*hangupNode) check(*checker) {}

func (*hangupNode) run(ctx context.Context, r *runner) (string, error) {
	return "", r.call.Hangup(ctx)
}

// gotoNode continues in another flow's published version (as of now).
type gotoNode struct {
	Flow string `json:"flow"`
}

func (n *gotoNode) check(c *checker) { c.ref("flow", "ivr.problem.unknown-flow", n.Flow, c.chk.Flow) }

func (n *gotoNode) run(ctx context.Context, r *runner) (string, error) {
	f, ok := r.e.flows(n.Flow)
	if !ok {
		r.fail(ctx, "goto", fmt.Errorf("no published flow %q", n.Flow))
		return "", r.call.Hangup(ctx)
	}
	r.step.Detail = fmt.Sprintf("%s@%d", f.id, f.version)
	r.next = f
	return "", nil
}

// maxSubflowDepth bounds nested subflows, so two flows calling each other
// fail instead of growing without end.
const maxSubflowDepth = 8

// subflowNode runs another flow's published version (as of now) and
// continues at its own "next" exit when that flow reaches a return node.
type subflowNode struct {
	Flow string `json:"flow"`
}

func (n *subflowNode) check(c *checker) {
	c.ref("flow", "ivr.problem.unknown-flow", n.Flow, c.chk.Flow)
}

func (n *subflowNode) run(ctx context.Context, r *runner) (string, error) {
	f, ok := r.e.flows(n.Flow)
	switch {
	case !ok:
		r.fail(ctx, "subflow", fmt.Errorf("no published flow %q", n.Flow))
		return "failed", nil
	case len(r.stack) >= maxSubflowDepth:
		r.fail(ctx, "subflow", fmt.Errorf("subflows nested deeper than %d", maxSubflowDepth))
		return "failed", nil
	}
	r.step.Detail = fmt.Sprintf("%s@%d", f.id, f.version)
	r.stack = append(r.stack, frame{flow: r.flow, node: r.node})
	r.next = f
	return "", nil
}

// returnNode ends a subflow; in a flow that was not called as a subflow
// it hangs up.
type returnNode struct{}

func (*returnNode) check(*checker) {}

func (*returnNode) run(ctx context.Context, r *runner) (string, error) {
	if len(r.stack) == 0 {
		return "", r.call.Hangup(ctx)
	}
	top := r.stack[len(r.stack)-1]
	r.stack = r.stack[:len(r.stack)-1]
	r.resume = &top
	return "", nil
}
