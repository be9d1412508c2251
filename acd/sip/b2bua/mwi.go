package b2bua

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// ErrNoDevice is returned by NotifyMWI when no registered device of the
// extension took the notification.
var ErrNoDevice = errors.New("b2bua: no device took the notification")

// MessageSummary is the body of a message-summary NOTIFY (RFC 3842):
// whether voice messages wait for an account, and how many.
type MessageSummary struct {
	Waiting bool
	Account string // the mailbox URI
	New     int
	Old     int
}

// Marshal writes the summary as application/simple-message-summary.
func (m MessageSummary) Marshal() []byte {
	var b bytes.Buffer
	yes := "no"
	if m.Waiting {
		yes = "yes"
	}
	fmt.Fprintf(&b, "Messages-Waiting: %s\r\n", yes)
	if m.Account != "" {
		fmt.Fprintf(&b, "Message-Account: %s\r\n", m.Account)
	}
	fmt.Fprintf(&b, "Voice-Message: %d/%d\r\n", m.New, m.Old)
	return b.Bytes()
}

// ParseMessageSummary reads an application/simple-message-summary body;
// counts of message classes other than voice are skipped.
func ParseMessageSummary(body []byte) (MessageSummary, error) {
	var m MessageSummary
	seen := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			return MessageSummary{}, ErrBadHeader
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "messages-waiting":
			switch strings.ToLower(val) {
			case "yes":
				m.Waiting = true
			case "no":
			default:
				return MessageSummary{}, ErrBadHeader
			}
			seen = true
		case "message-account":
			m.Account = val
		case "voice-message":
			counts, _, _ := strings.Cut(val, "(") // urgent counts in parentheses
			nw, old, ok := strings.Cut(strings.TrimSpace(counts), "/")
			if !ok {
				return MessageSummary{}, ErrBadHeader
			}
			var err1, err2 error
			m.New, err1 = strconv.Atoi(strings.TrimSpace(nw))
			m.Old, err2 = strconv.Atoi(strings.TrimSpace(old))
			if err1 != nil || err2 != nil || m.New < 0 || m.Old < 0 {
				return MessageSummary{}, ErrBadHeader
			}
		}
	}
	if err := sc.Err(); err != nil {
		return MessageSummary{}, ErrBadHeader
	}
	if !seen {
		return MessageSummary{}, ErrBadHeader
	}
	return m, nil
}

// NotifyMWI tells every registered device of extension ext how many
// voice messages wait (message waiting indication, RFC 3842), with an
// unsolicited NOTIFY, the way desk phones light their lamp without a
// subscription. It returns once every device answered or ctx ended; an
// error only when none accepted it (ErrNoDevice, wrapped).
func (b *B2BUA) NotifyMWI(ctx context.Context, ext string, newMsgs, oldMsgs int) error {
	if newMsgs < 0 || oldMsgs < 0 {
		return fmt.Errorf("b2bua: negative message count %d/%d", newMsgs, oldMsgs)
	}
	dua, err := b.ua()
	if err != nil {
		return err
	}
	host := b.localAddr().Addr().String()
	body := MessageSummary{Waiting: newMsgs > 0, Account: "sip:" + ext + "@" + host, New: newMsgs, Old: oldMsgs}.Marshal()
	binds := b.srv.Contacts(ext)
	took := 0
	var errs []error
	for _, bind := range binds {
		var target sip.Uri
		if err := sip.ParseUri(bind.Target, &target); err != nil {
			errs = append(errs, err)
			continue
		}
		req := sip.NewRequest(sip.NOTIFY, target)
		req.SetTransport(strings.ToUpper(bind.Transport))
		req.SetDestination(bind.Source.String())
		aor := sip.Uri{Scheme: "sip", User: ext, Host: host}
		from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(16))
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
		callID := sip.CallIDHeader(sip.GenerateTagN(24))
		req.AppendHeader(&callID)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.NOTIFY})
		req.AppendHeader(sip.NewHeader("Event", "message-summary"))
		req.AppendHeader(sip.NewHeader("Subscription-State", "active"))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/simple-message-summary"))
		req.AppendHeader(b.contact(req.Transport()))
		req.SetBody(body)
		b.setLaddr(req)
		res, err := dua.Client.Do(ctx, req)
		switch {
		case err != nil:
			errs = append(errs, err)
		case res.IsSuccess():
			took++
		default:
			errs = append(errs, fmt.Errorf("%s answered %d", bind.Contact, res.StatusCode))
		}
	}
	if took == 0 {
		return fmt.Errorf("%w: extension %s (%d devices): %w", ErrNoDevice, ext, len(binds), errors.Join(errs...))
	}
	return nil
}

// MWIHook is NotifyMWI in the shape the voicemail service calls on every
// mailbox change: the NOTIFYs go out in the background (work the B2BUA
// owns, each bounded by Config.ByeTimeout) and failures are logged, so a
// mailbox change never waits for phones. An extension without a
// registered device is not an error worth a log line.
func (b *B2BUA) MWIHook() func(box string, newMsgs, oldMsgs int) {
	return func(box string, newMsgs, oldMsgs int) {
		b.goBackground(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, b.cfg.ByeTimeout)
			defer cancel()
			if err := b.NotifyMWI(ctx, box, newMsgs, oldMsgs); err != nil && len(b.srv.Contacts(box)) > 0 {
				b.log.Info("message waiting NOTIFY failed", "ext", box, "err", err)
			}
		})
	}
}
