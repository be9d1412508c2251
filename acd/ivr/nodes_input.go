package ivr

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Defaults of the input nodes.
const (
	defaultTimeout      = 5 * time.Second
	defaultInterDigit   = 3 * time.Second
	defaultRetries      = 2
	maxRetries          = 9
	maxTimeoutMs        = 60_000
	maxCollectedDigits  = 32
	defaultCollectMax   = 16
	defaultCollectTerm  = "#"
	noTerminatorSetting = "none"
)

type startNode struct{}

func (*startNode) check(*checker) {}

func (*startNode) run(context.Context, *runner) (string, error) { return "next", nil }

// playNode plays prompts; the caller's keys do not interrupt unless
// BargeIn is set.
type playNode struct {
	Prompts []PromptItem `json:"prompts"`
	BargeIn bool         `json:"bargeIn,omitempty"`
}

func (n *playNode) check(c *checker) {
	c.require("prompts", len(n.Prompts) > 0)
	c.prompts("prompts", n.Prompts)
}

func (n *playNode) run(ctx context.Context, r *runner) (string, error) {
	if err := r.call.Play(ctx, r.resolve(n.Prompts), n.BargeIn); err != nil {
		return "", err
	}
	return "next", nil
}

// retrySettings are shared by menu and collect: how often to ask again
// and what to say when the caller pressed nothing or something wrong.
type retrySettings struct {
	TimeoutMs      int          `json:"timeoutMs,omitempty"`
	Retries        *int         `json:"retries,omitempty"`
	BargeIn        *bool        `json:"bargeIn,omitempty"`
	InvalidPrompts []PromptItem `json:"invalidPrompts,omitempty"`
	TimeoutPrompts []PromptItem `json:"timeoutPrompts,omitempty"`
}

func (s *retrySettings) checkRetry(c *checker) {
	c.intRange("timeoutMs", s.TimeoutMs, 0, maxTimeoutMs)
	if s.Retries != nil {
		c.intRange("retries", *s.Retries, 0, maxRetries)
	}
	c.prompts("invalidPrompts", s.InvalidPrompts)
	c.prompts("timeoutPrompts", s.TimeoutPrompts)
}

func (s *retrySettings) attempts() int {
	if s.Retries == nil {
		return 1 + defaultRetries
	}
	return 1 + *s.Retries
}

func (s *retrySettings) timeout() time.Duration {
	if s.TimeoutMs == 0 {
		return defaultTimeout
	}
	return time.Duration(s.TimeoutMs) * time.Millisecond
}

func (s *retrySettings) bargeIn() bool { return s.BargeIn == nil || *s.BargeIn }

// failPrompts are said before the next attempt after a failure.
func (s *retrySettings) failPrompts(r *runner, failure string) []Prompt {
	switch failure {
	case "timeout":
		return r.resolve(s.TimeoutPrompts)
	case "invalid":
		return r.resolve(s.InvalidPrompts)
	}
	return nil
}

// failExit picks the exit after the last attempt: the failure's own exit,
// or the other failure exit when only that one is wired.
func failExit(r *runner, failure string) string {
	other := map[string]string{"timeout": "invalid", "invalid": "timeout"}[failure]
	if r.node.exits[failure] == "" && r.node.exits[other] != "" {
		return other
	}
	return failure
}

// menuNode plays a menu and takes the exit named by the key pressed.
type menuNode struct {
	Prompts []PromptItem `json:"prompts"`
	retrySettings
}

func (n *menuNode) check(c *checker) {
	c.require("prompts", len(n.Prompts) > 0)
	c.prompts("prompts", n.Prompts)
	n.checkRetry(c)
}

func (n *menuNode) run(ctx context.Context, r *runner) (string, error) {
	var pressed []string
	failure := ""
	for range n.attempts() {
		prompts := append(n.failPrompts(r, failure), r.resolve(n.Prompts)...)
		d, err := r.call.CollectDigits(ctx, DigitRequest{Prompts: prompts, BargeIn: n.bargeIn(),
			Min: 1, Max: 1, FirstTimeout: n.timeout()})
		if err != nil {
			return "", err
		}
		if d == "" {
			failure = "timeout"
			continue
		}
		pressed = append(pressed, d)
		r.step.Digits = strings.Join(pressed, ",")
		if isDigitKey(d) && r.node.exits[d] != "" {
			return d, nil
		}
		failure = "invalid"
	}
	return failExit(r, failure), nil
}

// collectNode reads a number (account, order, extension) into a variable.
type collectNode struct {
	Prompts  []PromptItem `json:"prompts"`
	Variable string       `json:"variable"`
	Min      int          `json:"min,omitempty"`
	Max      int          `json:"max,omitempty"`
	// Terminator is "#" (the default), "*" or "none".
	Terminator   string `json:"terminator,omitempty"`
	InterDigitMs int    `json:"interDigitMs,omitempty"`
	// Pattern, a dialplan pattern (see Ops), must match the digits.
	Pattern string `json:"pattern,omitempty"`
	// ConfirmPrompts, when set, read the digits back and then ask the
	// caller to press 1 to accept; anything else asks again.
	ConfirmPrompts []PromptItem `json:"confirmPrompts,omitempty"`
	retrySettings
}

func (n *collectNode) limits() (lo, hi int) {
	lo, hi = n.Min, n.Max
	if lo == 0 {
		lo = 1
	}
	if hi == 0 {
		hi = max(defaultCollectMax, lo)
	}
	return lo, hi
}

func (n *collectNode) terminator() byte {
	switch n.Terminator {
	case "":
		return defaultCollectTerm[0]
	case noTerminatorSetting:
		return 0
	}
	return n.Terminator[0]
}

func (n *collectNode) check(c *checker) {
	c.require("prompts", len(n.Prompts) > 0)
	c.prompts("prompts", n.Prompts)
	c.variable("variable", n.Variable)
	c.intRange("min", n.Min, 0, maxCollectedDigits)
	c.intRange("max", n.Max, 0, maxCollectedDigits)
	if lo, hi := n.limits(); lo > hi {
		c.add("max", "ivr.problem.min-above-max", strconv.Itoa(lo), strconv.Itoa(hi))
	}
	if t := n.Terminator; t != "" && t != "#" && t != "*" && t != noTerminatorSetting {
		c.bad("terminator", t)
	}
	c.intRange("interDigitMs", n.InterDigitMs, 0, maxTimeoutMs)
	if n.Pattern != "" {
		if err := checkPattern(n.Pattern); err != nil {
			c.add("pattern", "ivr.problem.bad-pattern", n.Pattern, err.Error())
		}
	}
	c.prompts("confirmPrompts", n.ConfirmPrompts)
	n.checkRetry(c)
}

func (n *collectNode) run(ctx context.Context, r *runner) (string, error) {
	lo, hi := n.limits()
	inter := defaultInterDigit
	if n.InterDigitMs > 0 {
		inter = time.Duration(n.InterDigitMs) * time.Millisecond
	}
	var entered []string
	failure := ""
	for range n.attempts() {
		prompts := append(n.failPrompts(r, failure), r.resolve(n.Prompts)...)
		d, err := r.call.CollectDigits(ctx, DigitRequest{Prompts: prompts, BargeIn: n.bargeIn(),
			Min: lo, Max: hi, Terminator: n.terminator(), FirstTimeout: n.timeout(), InterDigitTimeout: inter})
		if err != nil {
			return "", err
		}
		if d == "" {
			failure = "timeout"
			continue
		}
		entered = append(entered, d)
		r.step.Digits = strings.Join(entered, ",")
		if len(d) < lo || len(d) > hi || !onlyKeys(d) || (n.Pattern != "" && !matchPattern(n.Pattern, d)) {
			failure = "invalid"
			continue
		}
		if len(n.ConfirmPrompts) > 0 {
			ok, err := n.confirm(ctx, r, d)
			if err != nil {
				return "", err
			}
			if !ok {
				failure = ""
				continue
			}
		}
		r.vars[n.Variable] = d
		return "next", nil
	}
	return failExit(r, failure), nil
}

func (n *collectNode) confirm(ctx context.Context, r *runner, d string) (bool, error) {
	var prompts []Prompt
	if keys, err := sayKeys(r.lang, "digits", d); err == nil {
		for _, k := range keys {
			prompts = append(prompts, Prompt{Lang: r.lang, Key: k})
		}
		r.notePrompts(prompts)
	}
	prompts = append(prompts, r.resolve(n.ConfirmPrompts)...)
	k, err := r.call.CollectDigits(ctx, DigitRequest{Prompts: prompts, BargeIn: true, Min: 1, Max: 1, FirstTimeout: n.timeout()})
	return k == "1", err
}

func onlyKeys(d string) bool {
	for i := 0; i < len(d); i++ {
		if !isDigitKey(d[i : i+1]) {
			return false
		}
	}
	return true
}
