package voicemail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ContentType is the MIME type of a message-summary body (RFC 3842).
const ContentType = "application/simple-message-summary"

// ErrSummary marks a message-summary body that cannot be read.
var ErrSummary = errors.New("voicemail: bad message summary")

// maxSummary bounds a message-summary body read from the network.
const maxSummary = 8 << 10

// Counts are the messages of one class: new and old, and how many of each
// are urgent.
type Counts struct {
	New, Old             int
	NewUrgent, OldUrgent int
}

// Summary is the body of a message-waiting NOTIFY (RFC 3842 §5.2): whether
// messages wait, for which account, and the voice-message counts.
type Summary struct {
	Waiting bool
	// Account is the mailbox's URI ("sip:201@192.0.2.1"); optional.
	Account string
	Voice   Counts
}

// Marshal writes the body, CRLF-terminated lines as the RFC's ABNF asks.
func (s Summary) Marshal() []byte {
	var b bytes.Buffer
	waiting := "no"
	if s.Waiting {
		waiting = "yes"
	}
	fmt.Fprintf(&b, "Messages-Waiting: %s\r\n", waiting)
	if s.Account != "" {
		fmt.Fprintf(&b, "Message-Account: %s\r\n", s.Account)
	}
	fmt.Fprintf(&b, "Voice-Message: %d/%d (%d/%d)\r\n", s.Voice.New, s.Voice.Old, s.Voice.NewUrgent, s.Voice.OldUrgent)
	return b.Bytes()
}

// ParseSummary reads a message-summary body. Header names are matched
// without case, bare LF line ends are accepted, other message classes
// and message headers after the summary are ignored.
func ParseSummary(body []byte) (Summary, error) {
	if len(body) > maxSummary {
		return Summary{}, fmt.Errorf("%w: larger than %d bytes", ErrSummary, maxSummary)
	}
	var s Summary
	seenWaiting := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 1024), maxSummary)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			// Optional message headers follow an empty line.
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return Summary{}, fmt.Errorf("%w: line %q has no colon", ErrSummary, line)
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "messages-waiting":
			switch strings.ToLower(value) {
			case "yes":
				s.Waiting = true
			case "no":
				s.Waiting = false
			default:
				return Summary{}, fmt.Errorf("%w: Messages-Waiting %q", ErrSummary, value)
			}
			seenWaiting = true
		case "message-account":
			s.Account = value
		case "voice-message":
			c, err := parseCounts(value)
			if err != nil {
				return Summary{}, err
			}
			s.Voice = c
		}
	}
	if err := sc.Err(); err != nil {
		return Summary{}, fmt.Errorf("%w: %w", ErrSummary, err)
	}
	if !seenWaiting {
		return Summary{}, fmt.Errorf("%w: no Messages-Waiting line", ErrSummary)
	}
	return s, nil
}

// parseCounts reads "new/old" with an optional " (newUrgent/oldUrgent)".
func parseCounts(v string) (Counts, error) {
	main, urgent, hasUrgent := strings.Cut(v, "(")
	var c Counts
	var err error
	if c.New, c.Old, err = pair(main); err != nil {
		return Counts{}, err
	}
	if hasUrgent {
		inner, ok := strings.CutSuffix(strings.TrimSpace(urgent), ")")
		if !ok {
			return Counts{}, fmt.Errorf("%w: unclosed urgent counts in %q", ErrSummary, v)
		}
		if c.NewUrgent, c.OldUrgent, err = pair(inner); err != nil {
			return Counts{}, err
		}
	}
	return c, nil
}

func pair(v string) (int, int, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(v), "/")
	if !ok {
		return 0, 0, fmt.Errorf("%w: counts %q are not new/old", ErrSummary, v)
	}
	x, err1 := count(a)
	y, err2 := count(b)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("%w: counts %q: %w", ErrSummary, v, err)
	}
	return x, y, nil
}

func count(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 9 {
		return 0, fmt.Errorf("count %q", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("count %q", s)
		}
	}
	return strconv.Atoi(s)
}
