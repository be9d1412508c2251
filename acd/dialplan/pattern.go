package dialplan

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPattern is wrapped by every pattern compile error.
var ErrPattern = errors.New("dialplan: bad pattern")

// Pattern matches dialled or caller numbers. The syntax is Asterisk's: a
// pattern that starts with "_" is made of
//
//	X      any digit 0-9
//	Z      any digit 1-9
//	N      any digit 2-9
//	[1-5]  one character from a set of digits and ranges ([1-37-9], [*#])
//	.      one or more further characters (last only)
//	!      zero or more further characters (last only)
//	0-9 * # +  themselves
//
// and anything else is a literal number that matches only itself
// ("201"). Letters are case-insensitive.
type Pattern struct {
	src   string
	elems []elem // nil for a literal
	lit   string
	tail  byte // '.', '!' or 0
}

// elem is one position: the set of characters it accepts.
type elem struct{ set [256]bool }

// dialChars are the characters a number may hold.
const dialChars = "0123456789*#+"

func isDial(c byte) bool { return strings.IndexByte(dialChars, c) >= 0 }

// MustCompile is CompilePattern for patterns fixed in code; it panics on error.
func MustCompile(s string) Pattern {
	p, err := CompilePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// CompilePattern parses a pattern. The empty string is rejected; callers treat
// an absent pattern as "any" themselves.
func CompilePattern(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, fmt.Errorf("%w: empty", ErrPattern)
	}
	if len(s) > 64 {
		return Pattern{}, fmt.Errorf("%w: longer than 64 characters", ErrPattern)
	}
	if s[0] != '_' {
		for i := 0; i < len(s); i++ {
			if !isDial(s[i]) {
				return Pattern{}, fmt.Errorf("%w: %q: %q is not a digit, *, # or + (patterns start with _)", ErrPattern, s, s[i])
			}
		}
		return Pattern{src: s, lit: s}, nil
	}
	p := Pattern{src: s, elems: []elem{}}
	body := s[1:]
	if body == "" {
		return Pattern{}, fmt.Errorf("%w: %q: nothing after _", ErrPattern, s)
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		var e elem
		switch {
		case c == '.' || c == '!':
			if i != len(body)-1 {
				return Pattern{}, fmt.Errorf("%w: %q: %q must be last", ErrPattern, s, c)
			}
			p.tail = c
			continue
		case c == 'X' || c == 'x':
			e.add('0', '9')
		case c == 'Z' || c == 'z':
			e.add('1', '9')
		case c == 'N' || c == 'n':
			e.add('2', '9')
		case c == '[':
			end := strings.IndexByte(body[i:], ']')
			if end < 0 {
				return Pattern{}, fmt.Errorf("%w: %q: [ without ]", ErrPattern, s)
			}
			if err := e.parseSet(body[i+1 : i+end]); err != nil {
				return Pattern{}, fmt.Errorf("%w: %q: %v", ErrPattern, s, err)
			}
			i += end
		case isDial(c):
			e.set[c] = true
		default:
			return Pattern{}, fmt.Errorf("%w: %q: unexpected %q", ErrPattern, s, c)
		}
		p.elems = append(p.elems, e)
	}
	return p, nil
}

func (e *elem) add(lo, hi byte) {
	for c := lo; c <= hi; c++ {
		e.set[c] = true
	}
}

func (e *elem) parseSet(s string) error {
	if s == "" {
		return errors.New("empty []")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDial(c) {
			return fmt.Errorf("%q in []", c)
		}
		if i+2 < len(s) && s[i+1] == '-' {
			hi := s[i+2]
			if c < '0' || c > '9' || hi < '0' || hi > '9' || hi < c {
				return fmt.Errorf("bad range %c-%c", c, hi)
			}
			e.add(c, hi)
			i += 2
			continue
		}
		e.set[c] = true
	}
	return nil
}

// Match reports whether number matches the whole pattern.
func (p Pattern) Match(number string) bool {
	if p.elems == nil {
		return p.src != "" && number == p.lit
	}
	if len(number) < len(p.elems) {
		return false
	}
	for i, e := range p.elems {
		if !e.set[number[i]] {
			return false
		}
	}
	rest := number[len(p.elems):]
	switch p.tail {
	case '.':
		if len(rest) == 0 {
			return false
		}
	case '!':
	default:
		return len(rest) == 0
	}
	for i := 0; i < len(rest); i++ {
		if !isDial(rest[i]) {
			return false
		}
	}
	return true
}

// Fixed is how many leading positions the pattern pins down before its
// wildcard tail; routes with more fixed positions are more specific.
func (p Pattern) Fixed() int {
	if p.elems == nil {
		return len(p.lit)
	}
	return len(p.elems)
}

// prefix returns the first n characters every number p matches starts
// with, when each of those positions accepts one character only (an
// access code "9" in "_9X."); ok is false otherwise.
func (p Pattern) prefix(n int) (string, bool) {
	if p.elems == nil {
		return p.lit[:min(n, len(p.lit))], n <= len(p.lit)
	}
	if n > len(p.elems) {
		return "", false
	}
	b := make([]byte, 0, n)
	for _, e := range p.elems[:n] {
		one := -1
		for c, in := range e.set {
			if !in {
				continue
			}
			if one >= 0 {
				return "", false
			}
			one = c
		}
		if one < 0 {
			return "", false
		}
		b = append(b, byte(one))
	}
	return string(b), true
}

// IsZero reports whether p is the zero Pattern (matches nothing).
func (p Pattern) IsZero() bool { return p.src == "" }

// String is the pattern as written.
func (p Pattern) String() string { return p.src }
