package modem

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
)

// Errors of the driver, checked with errors.Is.
var (
	// ErrTimeout is a command that got no final result in time.
	ErrTimeout = errors.New("modem: no answer in time")
	// ErrClosed is a call on a modem whose Run has ended.
	ErrClosed = errors.New("modem: closed")
	// ErrNoCarrier, ErrBusy, ErrNoDialtone and ErrNoAnswer are the call
	// failure results of ATD and ATA.
	ErrNoCarrier  = errors.New("modem: no carrier")
	ErrBusy       = errors.New("modem: busy")
	ErrNoDialtone = errors.New("modem: no dial tone")
	ErrNoAnswer   = errors.New("modem: no answer")
	// ErrCommand is a command the modem answered with ERROR, +CME ERROR or
	// +CMS ERROR; the *CommandError says which.
	ErrCommand = errors.New("modem: command failed")
	// ErrBadCommand is a command line the driver refuses to send (a line
	// break or Ctrl-Z inside it would desynchronise the modem).
	ErrBadCommand = errors.New("modem: bad command line")
	// ErrAlarm is a modem that stopped answering and could not be
	// recovered; commands fail fast until it answers again.
	ErrAlarm = errors.New("modem: not answering (alarm)")
)

// ErrorClass tells which kind of error result a modem gave.
type ErrorClass string

// The error result classes.
const (
	PlainError ErrorClass = "ERROR"
	CMEError   ErrorClass = "+CME ERROR" // equipment (3GPP TS 27.007 §9.2)
	CMSError   ErrorClass = "+CMS ERROR" // message service (3GPP TS 27.005 §3.2.5)
)

// CommandError is a command the modem refused.
type CommandError struct {
	Command string
	Class   ErrorClass
	// Code is the numeric error code, or -1 when the modem gave text
	// (AT+CMEE=2) or a plain ERROR.
	Code int
	// Text is the modem's own text for the error, if it gave one.
	Text string
}

// Error is English, for logs.
func (e *CommandError) Error() string {
	return fmt.Sprintf("modem: %s: %s", e.Command, e.Message(i18n.EN))
}

// Unwrap makes errors.Is(err, ErrCommand) true.
func (e *CommandError) Unwrap() error { return ErrCommand }

// Message explains the error in lang, with the code's meaning where known.
func (e *CommandError) Message(lang i18n.Lang) string {
	key := ""
	switch e.Class {
	case CMEError:
		key = cmeKeys[e.Code]
	case CMSError:
		key = cmsKeys[e.Code]
	}
	switch {
	case key != "":
		return i18n.T(lang, "modem.error.coded", string(e.Class), e.Code, i18n.T(lang, key))
	case e.Text != "":
		return i18n.T(lang, "modem.error.text", string(e.Class), e.Text)
	case e.Code >= 0:
		return i18n.T(lang, "modem.error.unknown", string(e.Class), e.Code)
	}
	return i18n.T(lang, "modem.error.plain")
}

// cmeKeys maps common +CME ERROR codes to message keys.
var cmeKeys = map[int]string{
	3: "modem.cme.3", 4: "modem.cme.4", 10: "modem.cme.10", 11: "modem.cme.11",
	12: "modem.cme.12", 13: "modem.cme.13", 14: "modem.cme.14", 15: "modem.cme.15",
	16: "modem.cme.16", 20: "modem.cme.20", 21: "modem.cme.21", 30: "modem.cme.30",
	31: "modem.cme.31", 100: "modem.cme.100",
}

// cmsKeys maps common +CMS ERROR codes to message keys.
var cmsKeys = map[int]string{
	1: "modem.cms.1", 21: "modem.cms.21", 38: "modem.cms.38", 41: "modem.cms.41",
	42: "modem.cms.42", 50: "modem.cms.50", 69: "modem.cms.69", 96: "modem.cms.96",
	300: "modem.cms.300", 301: "modem.cms.301", 302: "modem.cms.302", 303: "modem.cms.303",
	304: "modem.cms.304", 305: "modem.cms.305", 310: "modem.cms.310", 311: "modem.cms.311",
	313: "modem.cms.313", 316: "modem.cms.316", 320: "modem.cms.320", 321: "modem.cms.321",
	322: "modem.cms.322", 330: "modem.cms.330", 331: "modem.cms.331", 332: "modem.cms.332",
	500: "modem.cms.500",
}

// Final is how a modem ended a command.
type Final int

// The final results. FinalNone means the line is not a final result.
const (
	FinalNone Final = iota
	FinalOK
	FinalConnect // CONNECT [speed]: data mode follows
	FinalError   // ERROR, +CME ERROR, +CMS ERROR
	FinalNoCarrier
	FinalBusy
	FinalNoDialtone
	FinalNoAnswer
)

// ParseFinal classifies one response line. The driver runs modems in
// verbose mode (ATV1), so the numeric codes "0" and "4" are not results:
// "0" is also what AT+FCLASS=? answers on a data-only modem. For error results it also
// returns the CommandError (without Command set).
func ParseFinal(line string) (Final, *CommandError) {
	switch {
	case line == "OK":
		return FinalOK, nil
	case line == "CONNECT" || strings.HasPrefix(line, "CONNECT "):
		return FinalConnect, nil
	case line == "ERROR":
		return FinalError, &CommandError{Class: PlainError, Code: -1}
	case line == "NO CARRIER":
		return FinalNoCarrier, nil
	case line == "BUSY":
		return FinalBusy, nil
	case line == "NO DIALTONE" || line == "NO DIAL TONE":
		return FinalNoDialtone, nil
	case line == "NO ANSWER":
		return FinalNoAnswer, nil
	}
	for _, c := range []ErrorClass{CMEError, CMSError} {
		if rest, ok := strings.CutPrefix(line, string(c)+":"); ok {
			rest = strings.TrimSpace(rest)
			if n, err := strconv.Atoi(rest); err == nil && n >= 0 {
				return FinalError, &CommandError{Class: c, Code: n}
			}
			return FinalError, &CommandError{Class: c, Code: -1, Text: rest}
		}
	}
	return FinalNone, nil
}

// finalErr turns a non-OK final result into the error a caller sees.
func finalErr(cmd string, f Final, ce *CommandError) error {
	switch f {
	case FinalOK, FinalConnect:
		return nil
	case FinalError:
		e := *ce
		e.Command = cmd
		return &e
	case FinalNoCarrier:
		return ErrNoCarrier
	case FinalBusy:
		return ErrBusy
	case FinalNoDialtone:
		return ErrNoDialtone
	case FinalNoAnswer:
		return ErrNoAnswer
	}
	return fmt.Errorf("%w: unexpected result", ErrCommand)
}

// URC is an unsolicited result code: something the modem reports on its own
// (a call ringing, a message arriving), not an answer to a command.
type URC struct {
	// Name is the code without its value: "RING", "+CLIP", "+CMTI", "+CDS",
	// "+CMT", "+CRING", "NO CARRIER".
	Name string
	// Value is the text after "Name:", trimmed.
	Value string
	// PDU is the second line of the codes that carry one (+CMT, +CDS), hex.
	PDU string
}

// urcNames lists the unsolicited codes the driver separates from replies;
// pduURCs are those followed by a PDU line (3GPP TS 27.005 §3.4.1).
var (
	urcNames = []string{"RING", "+CRING", "+CLIP", "+CMTI", "+CDSI", "+CDS", "+CMT", "+CBM", "+CREG", "+CGREG", "+CUSD"}
	pduURCs  = map[string]bool{"+CMT": true, "+CDS": true, "+CBM": true}
)

// ParseURC reports whether line is an unsolicited result code and parses it.
// A command in progress whose reply shares the prefix (AT+CLIP? answers
// "+CLIP: 1,1") is told apart by the caller.
func ParseURC(line string) (URC, bool) {
	for _, n := range urcNames {
		if line == n {
			return URC{Name: n}, true
		}
		if rest, ok := strings.CutPrefix(line, n+":"); ok {
			return URC{Name: n, Value: strings.TrimSpace(rest)}, true
		}
	}
	return URC{}, false
}

// Fields splits a response value into comma-separated fields, keeping
// commas inside quotes and removing the quotes: `"+861391",145,"x,y"` gives
// [+861391 145 x,y].
func Fields(v string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, strings.TrimSpace(b.String()))
}

// Value returns the text after "prefix:" in the first line that has it.
func (r Response) Value(prefix string) (string, bool) {
	for _, l := range r.Lines {
		if rest, ok := strings.CutPrefix(l, prefix+":"); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}
