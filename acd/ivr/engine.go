package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"callbox/acd/hours"
)

// ErrStepLimit ends a run that took more steps than the engine allows; a
// validated flow cannot spin, but a menu the caller keeps answering wrongly
// in a loop could otherwise hold a line for ever.
var ErrStepLimit = errors.New("ivr: step limit reached")

// DefaultMaxSteps is the step limit unless WithMaxSteps says otherwise.
const DefaultMaxSteps = 200

// Doer sends HTTP requests for lookup nodes (*http.Client implements it).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Engine runs flows. It holds only configuration and lookups, so one
// engine serves every call at once.
type Engine struct {
	hours    func(name string) (*hours.Schedule, bool)
	flows    func(id string) (*Flow, bool)
	http     Doer
	now      func() time.Time
	maxSteps int
	log      *slog.Logger
}

// Option configures an Engine.
type Option func(*Engine)

// WithHours looks up business-hours schedules for branch-hours nodes.
func WithHours(f func(name string) (*hours.Schedule, bool)) Option {
	return func(e *Engine) { e.hours = f }
}

// WithFlows looks up the published flows goto nodes go to (Catalog.Get).
func WithFlows(f func(id string) (*Flow, bool)) Option { return func(e *Engine) { e.flows = f } }

// WithHTTP sets the client lookup nodes use (default: a plain
// http.Client; each node applies its own timeout).
func WithHTTP(d Doer) Option { return func(e *Engine) { e.http = d } }

// WithClock sets the clock for step times and business hours.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithMaxSteps sets the step limit of one run.
func WithMaxSteps(n int) Option { return func(e *Engine) { e.maxSteps = n } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// NewEngine returns an engine.
func NewEngine(opts ...Option) *Engine {
	e := &Engine{
		hours:    func(string) (*hours.Schedule, bool) { return nil, false },
		flows:    func(string) (*Flow, bool) { return nil, false },
		http:     &http.Client{},
		now:      time.Now,
		maxSteps: DefaultMaxSteps,
		log:      slog.Default(),
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Input is what a call brings to its flow.
type Input struct {
	// CallID tags log lines.
	CallID string
	ANI    string
	DNIS   string
	// Lang is the starting language; empty or not spoken by the flow
	// means the flow's first language.
	Lang string
	// Vars preset variables, e.g. customer fields ("customer.vip") the
	// switch found for the caller's number.
	Vars map[string]string
	// OnStep, when set, sees each step as it finishes (for CTI and the
	// live call view). It runs on the call's goroutine and must not block.
	OnStep func(Step)
}

// Step is one node visited: the call's path through the IVR, for the
// call record and the agent's pop-up.
type Step struct {
	Flow    string    `json:"flow"`
	Version int       `json:"version"`
	Node    string    `json:"node"`
	Type    string    `json:"type"`
	At      time.Time `json:"at"`
	Exit    string    `json:"exit,omitempty"`
	Digits  string    `json:"digits,omitempty"`
	Prompts []string  `json:"prompts,omitempty"`
	// Detail says why a failure exit was taken, or what a lookup got.
	Detail string `json:"detail,omitempty"`
}

// End says how a run finished.
type End string

// How a run ends.
const (
	EndHangup    End = "hangup"    // a hangup node, or an open exit
	EndServed    End = "served"    // queue, transfer, voicemail or fax took the call
	EndCaller    End = "caller"    // the caller hung up (the context ended)
	EndStepLimit End = "steplimit" // ErrStepLimit
	EndError     End = "error"     // the call's media failed
)

// Result is the outcome of a run.
type Result struct {
	End   End               `json:"end"`
	Steps []Step            `json:"steps"`
	Vars  map[string]string `json:"vars"`
	Lang  string            `json:"lang"`
}

// Path lists the node ids visited, in order.
func (r Result) Path() []string {
	p := make([]string, len(r.Steps))
	for i, s := range r.Steps {
		p[i] = s.Node
	}
	return p
}

// Digits lists the digits collected, in order, with the node that took
// them.
func (r Result) Digits() []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Digits != "" {
			out = append(out, s)
		}
	}
	return out
}

// runner is one run's state; it lives on the call's goroutine only.
type runner struct {
	e    *Engine
	call Call
	in   Input
	flow *Flow
	lang string
	vars map[string]string
	step *Step
	node *cnode
	log  *slog.Logger
	// next is set by goto and subflow: the flow to continue in.
	next *Flow
	// stack holds the subflow nodes to return to; resume is set by a
	// return node to the one to continue after.
	stack  []frame
	resume *frame
}

// frame is a subflow node waiting for its subflow to return.
type frame struct {
	flow *Flow
	node *cnode
}

// Run runs f for a call until the call is served, hung up, or the flow
// ends. The result holds the step log even when err is not nil. A caller
// hang-up (ctx ended) returns ctx's error.
func (e *Engine) Run(ctx context.Context, f *Flow, call Call, in Input) (Result, error) {
	if f == nil {
		return Result{End: EndError}, fmt.Errorf("%w: no flow to run", ErrInvalid)
	}
	r := &runner{e: e, call: call, in: in, flow: f, vars: map[string]string{},
		log: e.log.With("call", in.CallID, "flow", f.id, "version", f.version)}
	for k, v := range in.Vars {
		r.vars[k] = v
	}
	r.lang = pickLang(f, in.Lang)
	res := Result{}
	end, err := r.loop(ctx, &res)
	res.End, res.Vars, res.Lang = end, r.vars, r.lang
	if err != nil {
		r.log.InfoContext(ctx, "ivr: run ended", "end", end, "err", err)
	}
	return res, err
}

func pickLang(f *Flow, want string) string {
	for _, l := range f.doc.Languages {
		if l == want {
			return l
		}
	}
	if len(f.doc.Languages) > 0 {
		return f.doc.Languages[0]
	}
	return "en"
}

func (r *runner) loop(ctx context.Context, res *Result) (End, error) {
	id := r.flow.start
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return EndCaller, err
		}
		if n >= r.e.maxSteps {
			return EndStepLimit, fmt.Errorf("%w (%d) at %s", ErrStepLimit, r.e.maxSteps, id)
		}
		node := r.flow.nodes[id]
		st := Step{Flow: r.flow.id, Version: r.flow.version, Node: id, Type: node.typ, At: r.e.now()}
		r.step, r.node = &st, node
		exit, err := node.b.run(ctx, r)
		st.Exit = exit
		res.Steps = append(res.Steps, st)
		if r.in.OnStep != nil {
			r.in.OnStep(st)
		}
		switch {
		case ctx.Err() != nil:
			return EndCaller, ctx.Err()
		case err != nil:
			return EndError, fmt.Errorf("ivr: node %s: %w", id, err)
		}
		if r.next != nil {
			r.flow, r.next = r.next, nil
			id = r.flow.start
			continue
		}
		if r.resume != nil {
			// Subflows are validated to wire "next", so the target exists.
			r.flow, node, exit = r.resume.flow, r.resume.node, "next"
			r.resume = nil
		}
		if exit == "" {
			return r.ended(node), nil
		}
		target := node.exits[exit]
		if target == "" {
			// An optional exit left open ends the call politely.
			r.log.InfoContext(ctx, "ivr: open exit ends the call", "node", id, "exit", exit)
			if err := r.call.Hangup(ctx); err != nil && ctx.Err() == nil {
				return EndError, fmt.Errorf("ivr: hang up: %w", err)
			}
			return EndHangup, nil
		}
		id = target
	}
}

func (r *runner) ended(n *cnode) End {
	if n.typ == "hangup" || n.typ == "goto" || n.typ == "return" {
		return EndHangup
	}
	return EndServed
}

// value reads a variable; ani, dnis and lang are always there.
func (r *runner) value(name string) string {
	switch name {
	case "ani":
		return r.in.ANI
	case "dnis":
		return r.in.DNIS
	case "lang":
		return r.lang
	}
	return r.vars[name]
}

// fail records why a failure exit is taken.
func (r *runner) fail(ctx context.Context, what string, err error) {
	r.step.Detail = err.Error()
	r.log.InfoContext(ctx, "ivr: "+what+" failed", "node", r.step.Node, "err", err)
}
