package messaging

import (
	"errors"
	"strings"
	"unicode"

	"callbox/firmware/store"
)

// Rule answers matching inbound SMS automatically instead of routing them
// to a queue.
type Rule struct {
	// Name identifies the rule in logs and history ("opening-hours").
	Name string `json:"name"`
	// Keyword matches the message's first word, ignoring case ("HOURS");
	// empty matches any text.
	Keyword string `json:"keyword,omitempty"`
	// From matches the sender's number by prefix, in normalised form
	// ("+8613"); empty matches any sender.
	From string `json:"from,omitempty"`
	// Reply is the text sent back, written by the installer.
	Reply string `json:"reply"`
}

// ErrBadRule is a rule that could never match or never answer.
var ErrBadRule = errors.New("messaging: invalid auto-reply rule")

// Validate reports a rule without a name, without a reply, with a reply
// too long for one SMS thread, or matching everything from everyone
// (which would answer every message and leave the agents nothing).
func (r Rule) Validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return errors.Join(ErrBadRule, errors.New("name is empty"))
	case strings.TrimSpace(r.Reply) == "":
		return errors.Join(ErrBadRule, errors.New("reply is empty"))
	case len([]rune(r.Reply)) > store.MaxSMSText:
		return errors.Join(ErrBadRule, errors.New("reply is too long"))
	case r.Keyword == "" && r.From == "":
		return errors.Join(ErrBadRule, errors.New("matches every message"))
	case strings.ContainsFunc(r.Keyword, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) }):
		// Punctuation is trimmed off the first word before comparing,
		// so a keyword must be letters and digits to ever match.
		return errors.Join(ErrBadRule, errors.New("keyword is not one word of letters and digits"))
	}
	return nil
}

// matches reports whether the rule applies to text from the normalised
// number from.
func (r Rule) matches(from, text string) bool {
	if r.From != "" && !strings.HasPrefix(from, r.From) {
		return false
	}
	if r.Keyword == "" {
		return true
	}
	words := strings.Fields(text)
	if len(words) == 0 {
		return false
	}
	// "Hours?" and "HOURS." are the keyword too.
	return strings.EqualFold(strings.TrimFunc(words[0], unicode.IsPunct), r.Keyword)
}

// match returns the first rule that applies.
func match(rules []Rule, from, text string) (Rule, bool) {
	for _, r := range rules {
		if r.matches(from, text) {
			return r, true
		}
	}
	return Rule{}, false
}
