package b2bua

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"callbox/acd"
)

// logRecorder keeps the records at or above a level, so a test can check
// what the box warned about.
type logRecorder struct {
	level slog.Level
	mu    sync.Mutex
	msgs  []string
}

func (r *logRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	r.mu.Lock()
	r.msgs = append(r.msgs, b.String())
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// sippMessages reads the -trace_msg log of a finished SIPp run: the
// messages it received, in order.
func sippReceived(t *testing.T, r *sippRun) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(r.cmd.Dir, "*_messages.log"))
	if len(files) != 1 {
		t.Fatalf("SIPp message trace: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, chunk := range strings.Split(string(b), "-----------------------------------------------") {
		if _, msg, ok := strings.Cut(chunk, "message received"); ok {
			got = append(got, msg)
		}
	}
	return got
}

// TestSIPp_ByeBeforeAckIsNormalClearing: a caller hangs up the instant
// it is answered and its BYE reaches the box before its ACK. RFC 3261
// lets a caller send BYE once it has the 2xx (§15), and the BYE ends the
// dialog (§15.1.2), so the 200's retransmission stops with it. The box
// must take it as an answered call the caller ended (normal clearing),
// log no "No ACK received" and send no 200 after the BYE's answer.
func TestSIPp_ByeBeforeAckIsNormalClearing(t *testing.T) {
	bin := needPeer(t, "sipp")
	rec := &logRecorder{level: slog.LevelWarn}
	bx := startBoxLogging(t, slog.New(rec), Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "answer-uas.xml")
	uac := startSIPp(t, bin, "b2bua/bye-before-ack-uac.xml", freeUDP(t), bx.addr().String(),
		"-s", "202", "-key", "caller", "201", "-au", "201", "-ap", secrets["201"], "-trace_msg")
	checkSIPp(t, "caller", uac)
	checkSIPp(t, "callee", uas)
	r := bx.lastEnded()
	if r.Answer.IsZero() || r.Cause != acd.CauseNormalClearing || r.HangupSide != acd.SideCaller {
		t.Errorf("record: answered %v, cause %v, side %q; want an answered call the caller cleared normally",
			r.Answer, r.Cause, r.HangupSide)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
	for _, m := range rec.all() {
		if strings.Contains(m, "No ACK") || strings.Contains(m, "answer") {
			t.Errorf("the box logged %q", m)
		}
	}
	byeAnswered := false
	for _, m := range sippReceived(t, uac) {
		switch {
		case strings.Contains(m, "SIP/2.0 200") && strings.Contains(m, "BYE"):
			byeAnswered = true
		case byeAnswered && strings.Contains(m, "SIP/2.0 200") && strings.Contains(m, "INVITE"):
			t.Errorf("the box retransmitted its 200 after answering the BYE:%s", m)
		}
	}
	if !byeAnswered {
		t.Error("the caller's BYE got no 200")
	}
}
