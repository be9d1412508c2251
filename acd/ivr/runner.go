package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"

	"callbox/acd"
)

// ErrNoFlow: the router named a flow that is not published.
var ErrNoFlow = errors.New("ivr: no published flow")

// Keys of the data a run leaves on the call (acd.Call.Set), for the
// agent's pop-up and the call record.
const (
	// CallPath is the nodes visited, joined by ">".
	CallPath = "ivr.path"
	// CallDigits is what the caller keyed, "node=digits" joined by ";".
	CallDigits = "ivr.digits"
	// CallDigitsPrefix + node id holds the digits one node collected.
	CallDigitsPrefix = "ivr.digits."
	// CallLang is the caller's language, which stays with the call
	// (queue announcements, voicemail prompts).
	CallLang = "ivr.lang"
	// CallEnd is how the run ended (an End).
	CallEnd = "ivr.end"
	// CallVarPrefix + name holds a flow variable (lookups, set-var).
	CallVarPrefix = "ivr.var."
	// CallPlayed is how many prompts the caller has heard so far (a
	// decimal count, updated after each step).
	CallPlayed = "ivr.played"
	// CallFailPrefix + node id holds why that node took a failure exit
	// (a lookup with no answer, a queue that refused), for the agent.
	CallFailPrefix = "ivr.fail."
)

// Runner runs published flows on live calls: the router calls Run with
// the flow a line or number routes to.
type Runner struct {
	// Engine runs the flows (required).
	Engine *Engine
	// Flows finds the published version of a flow ((*Catalog).Get;
	// required).
	Flows func(id string) (*Flow, bool)
	// Voice plays and listens (required).
	Voice *Voice
	// Actions are the hand-offs the box offers.
	Actions Actions
	// Zone is the box's time zone for the time facts (nil: UTC).
	Zone func() *time.Location
	// Now is the clock for the time facts (nil: time.Now).
	Now func() time.Time
	// Vars, when set, adds facts about the caller (customer fields as
	// "customer.vip", ...).
	Vars func(ctx context.Context, c *acd.Call) map[string]string
	// Log is the logger (nil: slog.Default()).
	Log *slog.Logger
}

// Run answers c and runs the published flow id on it until the flow hands
// the call on (queue, transfer, voicemail, fax), hangs up or ends. The
// flow sees the caller's number as ani, the dialled number as dnis, and
// the time in the box's zone as time.date ("2026-11-27"), time.hhmm
// ("0930"), time.hour ("09") and time.weekday ("fri"). The path, the
// digits, the language and the outcome are saved on the call (CallPath,
// CallDigits, CallLang, CallEnd) and the route gets "flow:<id>@v<n>".
// It returns nil when the flow finished, the context's cause when the
// caller hung up, and an error when the flow could not run.
func (r *Runner) Run(ctx context.Context, c *acd.Call, id string) error {
	f, ok := r.Flows(id)
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoFlow, id)
	}
	c.AddRoute("flow:" + f.ID() + "@v" + strconv.Itoa(f.Version()))
	if err := c.Answer(ctx); err != nil {
		return fmt.Errorf("ivr: answer: %w", err)
	}
	live := NewLive(c, r.Voice, r.Actions)
	defer live.Close()

	var path, digits []string
	lang, _ := c.Get(CallLang)
	in := Input{
		CallID: c.ID(),
		ANI:    c.Caller().Caller().Number,
		DNIS:   c.Dialed(),
		Lang:   lang,
		Vars:   r.facts(ctx, c),
		OnStep: func(st Step) {
			path = append(path, st.Node)
			c.Set(CallPath, strings.Join(path, ">"))
			c.Set(CallPlayed, strconv.Itoa(live.Played()))
			if st.Detail != "" && st.Exit != "" && st.Exit != "ok" && st.Exit != "next" {
				c.Set(CallFailPrefix+st.Node, st.Exit+": "+st.Detail)
			}
			if st.Digits != "" {
				digits = append(digits, st.Node+"="+st.Digits)
				c.Set(CallDigitsPrefix+st.Node, st.Digits)
				c.Set(CallDigits, strings.Join(digits, ";"))
			}
		},
	}
	res, err := r.Engine.Run(ctx, f, live, in)
	if live.hungUp && res.End == EndCaller {
		// The flow's own hang-up ends the caller's leg, and the switch
		// cancels the context for it: that is not the caller leaving.
		res.End, err = EndHangup, nil
	}
	c.Set(CallLang, res.Lang)
	c.Set(CallEnd, string(res.End))
	for k, v := range res.Vars {
		if _, fact := in.Vars[k]; !fact {
			c.Set(CallVarPrefix+k, v)
		}
	}
	if err != nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// facts are the variables every run starts with.
func (r *Runner) facts(ctx context.Context, c *acd.Call) map[string]string {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	loc := time.UTC
	if r.Zone != nil {
		if l := r.Zone(); l != nil {
			loc = l
		}
	}
	t := now().In(loc)
	vars := map[string]string{
		"time.date":    t.Format(time.DateOnly),
		"time.hhmm":    t.Format("1504"),
		"time.hour":    t.Format("15"),
		"time.weekday": strings.ToLower(t.Weekday().String()[:3]),
	}
	if r.Vars != nil {
		maps.Copy(vars, r.Vars(ctx, c))
	}
	return vars
}
