package ivr

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Rule is one test of a branch node: when it holds, the branch takes the
// exit named Exit. Rules are tried in order; none holding takes "default".
type Rule struct {
	Exit string `json:"exit"`
	// Op is one of Ops.
	Op     string   `json:"op"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// Ops are the rule operators. "pattern" takes a dialplan pattern: a
// leading '_' turns on X (0-9), Z (1-9), N (2-9), [1-5] sets, '.' (one or
// more of anything) and '!' (zero or more); without '_' it is an exact
// number. gt, ge, lt and le compare numbers.
var Ops = []string{"equals", "not-equals", "prefix", "suffix", "contains", "in", "pattern",
	"gt", "ge", "lt", "le", "empty", "not-empty"}

func checkRule(c *checker, field string, rule Rule) {
	switch {
	case !validID(rule.Exit) || rule.Exit == "default":
		c.bad(field+".exit", rule.Exit)
	case !slices.Contains(Ops, rule.Op):
		c.bad(field+".op", rule.Op)
	case rule.Op == "in":
		c.require(field+".values", len(rule.Values) > 0)
	case rule.Op == "pattern":
		if err := checkPattern(rule.Value); err != nil {
			c.add(field+".value", "ivr.problem.bad-pattern", rule.Value, err.Error())
		}
	case rule.Op == "gt" || rule.Op == "ge" || rule.Op == "lt" || rule.Op == "le":
		if _, err := strconv.ParseFloat(rule.Value, 64); err != nil {
			c.add(field+".value", "ivr.problem.not-a-number", rule.Value)
		}
	}
}

func (rule Rule) holds(v string) bool {
	switch rule.Op {
	case "equals":
		return v == rule.Value
	case "not-equals":
		return v != rule.Value
	case "prefix":
		return strings.HasPrefix(v, rule.Value)
	case "suffix":
		return strings.HasSuffix(v, rule.Value)
	case "contains":
		return strings.Contains(v, rule.Value)
	case "in":
		return slices.Contains(rule.Values, v)
	case "pattern":
		return matchPattern(rule.Value, v)
	case "empty":
		return v == ""
	case "not-empty":
		return v != ""
	case "gt", "ge", "lt", "le":
		a, err1 := strconv.ParseFloat(strings.TrimSpace(v), 64)
		b, err2 := strconv.ParseFloat(rule.Value, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch rule.Op {
		case "gt":
			return a > b
		case "ge":
			return a >= b
		case "lt":
			return a < b
		}
		return a <= b
	}
	return false
}

// checkPattern reports why a dialplan pattern is malformed.
func checkPattern(p string) error {
	if p == "" {
		return fmt.Errorf("empty")
	}
	if !strings.HasPrefix(p, "_") {
		return nil
	}
	for i := 1; i < len(p); i++ {
		if p[i] == '[' {
			j := strings.IndexByte(p[i:], ']')
			if j < 2 {
				return fmt.Errorf("unclosed or empty [ at %d", i)
			}
			i += j
		}
	}
	return nil
}

// matchPattern matches v against a dialplan pattern (see Ops).
func matchPattern(p, v string) bool {
	if !strings.HasPrefix(p, "_") {
		return p == v
	}
	return matchFrom(p[1:], v)
}

func matchFrom(p, v string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '.':
			return len(v) > 0
		case '!':
			return true
		}
		if len(v) == 0 {
			return false
		}
		c := v[0]
		switch p[0] {
		case 'X', 'x':
			if c < '0' || c > '9' {
				return false
			}
			p = p[1:]
		case 'Z', 'z':
			if c < '1' || c > '9' {
				return false
			}
			p = p[1:]
		case 'N', 'n':
			if c < '2' || c > '9' {
				return false
			}
			p = p[1:]
		case '[':
			j := strings.IndexByte(p, ']')
			if j < 0 || !inSet(p[1:j], c) {
				return false
			}
			p = p[j+1:]
		default:
			if p[0] != c {
				return false
			}
			p = p[1:]
		}
		v = v[1:]
	}
	return len(v) == 0
}

// inSet reports whether c is in a set like "1-5", "13579" or "2-4#".
func inSet(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if i+2 < len(set) && set[i+1] == '-' {
			if c >= set[i] && c <= set[i+2] {
				return true
			}
			i += 2
			continue
		}
		if set[i] == c {
			return true
		}
	}
	return false
}
