package store

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
	"unicode"
)

// The messaging service's own kinds: the installer's auto-reply rules for
// inbound SMS, and the state of each SMS conversation (closed, tagged,
// routed by a rule). Like the CTI's kinds the buckets came without a
// schema step: Open creates a bucket a file of the current schema lacks,
// and older firmware never reads it.

const (
	// KindAutoReply keeps the auto-reply rules for inbound SMS.
	KindAutoReply Kind = "autoreplies"
	// KindConversation keeps what an SMS thread's messages do not say:
	// when it was closed and by whom, its tags, the queue a rule sent it to.
	KindConversation Kind = "conversations"
)

// The message keys of the messaging checks (firmware/i18n/msg3.go).
const (
	codeRegexp   = "store.err.regexp"
	codeKeyword  = "store.err.keyword"
	codeMatchAll = "store.err.match_all"
	codeNoAction = "store.err.no_action"
)

// Limits of an auto-reply rule.
const (
	// MaxRuleOrder bounds AutoReply.Order.
	MaxRuleOrder = 9999
	// MaxRuleRegexp bounds AutoReply.Regexp in bytes; RE2 runs in linear
	// time, the bound keeps the compiled program small as well.
	MaxRuleRegexp = 256
	// maxRuleProgram bounds the compiled size of a rule's regexp
	// (instructions), so that "(a{1000}){1000}" is refused.
	maxRuleProgram = 4096
	// MaxTags bounds the tags of a conversation.
	MaxTags = 16
)

// AutoReply is one rule for inbound SMS. A message matches when every
// match field that is set agrees; rules are tried by Order, then Name, and
// the first enabled one that matches acts. Key: Name.
type AutoReply struct {
	Name string `json:"name"`
	// Order ranks the rules: lower first, then by name.
	Order   int  `json:"order,omitempty"`
	Enabled bool `json:"enabled"`

	// Keyword matches the message's first word, ignoring case and
	// punctuation around it ("HOURS", "营业时间").
	Keyword string `json:"keyword,omitempty"`
	// Regexp (RE2 syntax) matches anywhere in the text; "(?i)" for any
	// case.
	Regexp string `json:"regexp,omitempty"`
	// Sender is a dialplan pattern of the sender's number ("_+8613.",
	// "_138."), matched against the number as sent and in normalised form.
	Sender string `json:"sender,omitempty"`
	// Line limits the rule to messages that came in on one line (ID).
	Line string `json:"line,omitempty"`
	// Hours names a schedule (KindHours): the rule matches while it is
	// open, or while it is closed when WhenClosed is set (the usual
	// "we are closed" answer).
	Hours      string `json:"hours,omitempty"`
	WhenClosed bool   `json:"whenClosed,omitempty"`

	// ReplyEN and ReplyZH are the answer in each language; the sender gets
	// the one in their language (their customer record's, else the
	// script of their text), or the other when that one is empty.
	ReplyEN string `json:"replyEn,omitempty"`
	ReplyZH string `json:"replyZh,omitempty"`
	// Queue sends the conversation to a queue's agents instead of the
	// line's route.
	Queue string `json:"queue,omitempty"`
	// Tag is added to the conversation ("complaint", "after-hours").
	Tag string `json:"tag,omitempty"`
}

// Kind implements Record.
func (AutoReply) Kind() Kind { return KindAutoReply }

// Key implements Record.
func (r AutoReply) Key() string { return r.Name }

// Validate implements Record.
func (r AutoReply) Validate() error {
	var f fields
	f.name("name", r.Name)
	f.intRange("order", r.Order, 0, MaxRuleOrder)
	if r.Keyword != "" {
		f.text("keyword", r.Keyword, false, 32)
		if strings.ContainsFunc(r.Keyword, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) }) {
			// The first word is compared with its punctuation trimmed,
			// so a keyword must be letters and digits to ever match.
			f.add("keyword", codeKeyword)
		}
	}
	if r.Regexp != "" {
		if err := CheckRegexp(r.Regexp); err != nil {
			f.add("regexp", codeRegexp, err.Error())
		}
	}
	f.pattern("sender", r.Sender)
	if r.Line != "" {
		f.name("line", r.Line)
	}
	if r.Hours != "" {
		f.name("hours", r.Hours)
	}
	if r.WhenClosed && r.Hours == "" {
		f.add("hours", codeRequired)
	}
	f.para("replyEn", r.ReplyEN, false, MaxSMSText)
	f.para("replyZh", r.ReplyZH, false, MaxSMSText)
	if r.Queue != "" {
		f.name("queue", r.Queue)
	}
	if r.Tag != "" {
		f.name("tag", r.Tag)
	}
	reply := strings.TrimSpace(r.ReplyEN) != "" || strings.TrimSpace(r.ReplyZH) != ""
	switch {
	case !reply && r.Queue == "" && r.Tag == "":
		f.add("replyEn", codeNoAction)
	case reply && r.Queue == "" && r.Keyword == "" && r.Regexp == "" && r.Sender == "" && r.Line == "" && r.Hours == "":
		// A reply to every message from everyone at any time would leave
		// the agents nothing; such a rule must at least route to a queue.
		f.add("keyword", codeMatchAll)
	}
	return f.result(KindAutoReply, r.Name)
}

// CheckRegexp reports why a rule's regular expression is refused: too
// long, not RE2, or compiling to too large a program. The error text is
// the parser's ("missing closing )"), shown to the installer.
func CheckRegexp(expr string) error {
	if len(expr) > MaxRuleRegexp {
		return &syntax.Error{Code: "expression too long", Expr: expr[:32] + "…"}
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return err
	}
	if len(prog.Inst) > maxRuleProgram {
		return &syntax.Error{Code: "expression too large", Expr: expr}
	}
	_, err = regexp.Compile(expr)
	return err
}

// SortAutoReplies puts rules in the order they are tried: Order, then Name.
func SortAutoReplies(rules []AutoReply) {
	slices.SortStableFunc(rules, func(a, b AutoReply) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Conversation is the stored state of an SMS thread. Key: Thread, the
// thread's number in normalised form (acd/messaging.Key).
type Conversation struct {
	Thread string `json:"thread"`
	// ClosedAt is when an agent or supervisor last closed it; the thread
	// is closed while no inbound message came after it.
	ClosedAt time.Time `json:"closedAt,omitzero"`
	ClosedBy string    `json:"closedBy,omitempty"`
	// ReopenedAt is when someone reopened it by hand (a reply, a claim);
	// an inbound message reopens it by itself.
	ReopenedAt time.Time `json:"reopenedAt,omitzero"`
	// Agent holds a thread claimed after it was closed and before its
	// next message: the messages' history entries, which normally carry
	// the holder, all predate the close.
	Agent string `json:"agent,omitempty"`
	// Queue, when set, is where an auto-reply rule sent the thread.
	Queue string `json:"queue,omitempty"`
	// Tags are added by auto-reply rules.
	Tags      []string  `json:"tags,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Kind implements Record.
func (Conversation) Kind() Kind { return KindConversation }

// Key implements Record.
func (c Conversation) Key() string { return c.Thread }

// Validate implements Record.
func (c Conversation) Validate() error {
	var f fields
	// An alphanumeric sender ("BANK") has a thread too.
	f.text("thread", c.Thread, true, 64)
	if c.ClosedBy != "" {
		f.text("closedBy", c.ClosedBy, false, 64)
	}
	if c.Queue != "" {
		f.name("queue", c.Queue)
	}
	if c.Agent != "" {
		f.digits("agent", c.Agent, false, 2, 8)
	}
	if len(c.Tags) > MaxTags {
		f.add("tags", codeRange, 0, MaxTags)
	}
	for i, t := range c.Tags {
		if !isName(t) {
			f.add(indexed("tags", i), codeName, 64)
		}
	}
	noDuplicates(&f, "tags", c.Tags)
	return f.result(KindConversation, c.Thread)
}

func init() {
	recordVersions[KindAutoReply] = 1
	codecs[KindAutoReply] = codecFor[AutoReply]()
	recordVersions[KindConversation] = 1
	codecs[KindConversation] = codecFor[Conversation]()
}
