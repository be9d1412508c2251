package messaging

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"callbox/acd/dialplan"
	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Sample is an inbound SMS as the auto-reply rules see it.
type Sample struct {
	From string    `json:"from"` // the sender's number as sent
	Line string    `json:"line,omitempty"`
	Text string    `json:"text"`
	At   time.Time `json:"at"` // when it arrived (for schedules)
}

// Decision is what the auto-reply rules make of a message.
type Decision struct {
	// Rule is the rule that matched ("" when none did); Stored tells a
	// stored rule (store.AutoReply) from one of Config.Rules.
	Rule   string `json:"rule,omitempty"`
	Stored bool   `json:"stored,omitempty"`
	// Reply is the text to send back, in Lang, the sender's language
	// ("" when the rule only routes or tags).
	Reply string    `json:"reply,omitempty"`
	Lang  i18n.Lang `json:"lang,omitempty"`
	// Queue and Tag are the rule's routing actions.
	Queue string `json:"queue,omitempty"`
	Tag   string `json:"tag,omitempty"`
	// Skipped names stored rules that could not be read (a schedule that
	// does not exist): they never match, and the test box says why.
	Skipped []string `json:"skipped,omitempty"`
}

// Matched reports whether a rule matched.
func (d Decision) Matched() bool { return d.Rule != "" }

// Answered reports whether the message is answered by the rule alone: a
// reply and no queue to send the conversation to.
func (d Decision) Answered() bool { return d.Reply != "" && d.Queue == "" }

// rule is a stored rule ready to match.
type rule struct {
	store.AutoReply
	re     *regexp.Regexp // nil without Regexp
	sender dialplan.Pattern
}

// compileRule prepares a stored rule; an error is a rule its own
// validation should have refused (an old record, a changed limit).
func compileRule(r store.AutoReply) (rule, error) {
	c := rule{AutoReply: r}
	if err := r.Validate(); err != nil {
		return c, err
	}
	var err error
	if r.Regexp != "" {
		if c.re, err = regexp.Compile(r.Regexp); err != nil {
			return c, fmt.Errorf("rule %q: %w", r.Name, err)
		}
	}
	if r.Sender != "" {
		if c.sender, err = dialplan.CompilePattern(r.Sender); err != nil {
			return c, fmt.Errorf("rule %q: %w", r.Name, err)
		}
	}
	return c, nil
}

// clock answers whether a named schedule is open at a time; ok is false
// for a schedule that does not exist.
type clock func(hours string, at time.Time) (open, ok bool)

// matches reports whether the rule applies to a message: every match
// field that is set must agree. from is the sender as sent, key its
// normalised form.
func (r rule) matches(from, key, line, text string, at time.Time, isOpen clock) (bool, error) {
	if r.Line != "" && r.Line != line {
		return false, nil
	}
	if !r.sender.IsZero() && !r.sender.Match(from) && !r.sender.Match(key) {
		return false, nil
	}
	if r.Keyword != "" && !firstWordIs(text, r.Keyword) {
		return false, nil
	}
	if r.re != nil && !r.re.MatchString(text) {
		return false, nil
	}
	if r.Hours != "" {
		open, ok := isOpen(r.Hours, at)
		if !ok {
			return false, fmt.Errorf("%w: no schedule %q", ErrBadRule, r.Hours)
		}
		if open == r.WhenClosed {
			return false, nil
		}
	}
	return true, nil
}

// firstWordIs reports whether text's first word, punctuation trimmed, is
// keyword in any case ("Hours?" is "HOURS").
func firstWordIs(text, keyword string) bool {
	words := strings.Fields(text)
	if len(words) == 0 {
		return false
	}
	return strings.EqualFold(strings.TrimFunc(words[0], unicode.IsPunct), keyword)
}

// Evaluate runs the auto-reply rules on a message: the stored rules by
// their order, then extra (Config.Rules); the first that matches decides.
// The test box of the rules page and the service share it, so the page
// shows what the service will do.
func Evaluate(st *store.Store, extra []Rule, s Sample) (Decision, error) {
	stored, err := store.List[store.AutoReply](st)
	if err != nil {
		return Decision{}, err
	}
	store.SortAutoReplies(stored)
	plan := planOf(st)
	key := Key(plan, s.From)
	set, err := store.GetSettings(st)
	if err != nil {
		return Decision{}, err
	}
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	isOpen := func(name string, at time.Time) (bool, bool) {
		h, err := store.Get[store.Hours](st, name)
		if err != nil {
			return false, false
		}
		return h.Open(at, loc), true
	}
	var d Decision
	for _, ar := range stored {
		if !ar.Enabled {
			continue
		}
		r, err := compileRule(ar)
		if err != nil {
			d.Skipped = append(d.Skipped, ar.Name)
			continue
		}
		ok, err := r.matches(s.From, key, s.Line, s.Text, s.At, isOpen)
		if err != nil {
			d.Skipped = append(d.Skipped, ar.Name)
			continue
		}
		if !ok {
			continue
		}
		d.Rule, d.Stored, d.Queue, d.Tag = ar.Name, true, ar.Queue, ar.Tag
		d.Lang = senderLang(st, plan, s.From, s.Text, set.Lang)
		d.Reply = pickReply(d.Lang, ar.ReplyEN, ar.ReplyZH)
		return d, nil
	}
	if r, ok := match(extra, key, s.Text); ok {
		d.Rule, d.Reply = r.Name, r.Reply
		return d, nil
	}
	return d, nil
}

// pickReply returns the reply in lang, or the other one when that is
// empty.
func pickReply(lang i18n.Lang, en, zh string) string {
	en, zh = strings.TrimSpace(en), strings.TrimSpace(zh)
	if lang == i18n.ZH && zh != "" || en == "" {
		return zh
	}
	return en
}

// senderLang is the language to answer a sender in: their customer
// record's, else the script of what they wrote (Chinese characters mean
// Chinese, Latin letters English), else the site's.
func senderLang(st *store.Store, plan directory.Plan, from, text string, site i18n.Lang) i18n.Lang {
	if id := customerOf(st, plan, from); id != "" {
		if c, err := store.Get[store.Customer](st, id); err == nil && c.Lang.Valid() {
			return c.Lang
		}
	}
	latin := false
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			return i18n.ZH
		}
		if r < unicode.MaxASCII && unicode.IsLetter(r) {
			latin = true
		}
	}
	if latin {
		return i18n.EN
	}
	if site.Valid() {
		return site
	}
	return i18n.Langs[0]
}
