package b2bua

import (
	"errors"
	"strings"
	"testing"
	"time"

	"callbox/acd/siptest"
)

func TestMWI_NotifiesEveryRegisteredDevice(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	p1, p2 := bx.phone("201"), bx.phone("201")
	if err := bx.b.NotifyMWI(ctxT(t), "201", 2, 5); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*siptest.Phone{p1, p2} {
		select {
		case req := <-p.Notifies():
			if ev := req.GetHeader("Event"); ev == nil || ev.Value() != "message-summary" {
				t.Errorf("Event %v", ev)
			}
			m, err := ParseMessageSummary(req.Body())
			if err != nil || !m.Waiting || m.New != 2 || m.Old != 5 || !strings.HasPrefix(m.Account, "sip:201@") {
				t.Errorf("summary %+v, %v from %q", m, err, req.Body())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a device got no NOTIFY")
		}
	}
	bx.b.MWIHook()("201", 0, 7)
	for _, p := range []*siptest.Phone{p1, p2} {
		select {
		case req := <-p.Notifies():
			if m, err := ParseMessageSummary(req.Body()); err != nil || m.Waiting || m.Old != 7 {
				t.Errorf("hook summary %+v, %v", m, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the hook sent no NOTIFY")
		}
	}
	if err := bx.b.NotifyMWI(ctxT(t), "203", 0, 1); !errors.Is(err, ErrNoDevice) {
		t.Errorf("MWI to an unregistered extension: %v, want ErrNoDevice", err)
	}
}

func TestParseMessageSummary(t *testing.T) {
	m, err := ParseMessageSummary([]byte("Messages-Waiting: no\r\nVoice-Message: 0/3 (0/1)\r\nFax-Message: 1/1\r\n"))
	if err != nil || m.Waiting || m.New != 0 || m.Old != 3 {
		t.Fatalf("%+v %v", m, err)
	}
	back, err := ParseMessageSummary(MessageSummary{Waiting: true, Account: "sip:1@x", New: 4, Old: 2}.Marshal())
	if err != nil || back != (MessageSummary{Waiting: true, Account: "sip:1@x", New: 4, Old: 2}) {
		t.Fatalf("round trip %+v %v", back, err)
	}
	for _, bad := range []string{"", "Voice-Message: 1/2", "Messages-Waiting: maybe", "Messages-Waiting: yes\nVoice-Message: x/1"} {
		if _, err := ParseMessageSummary([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseMessageSummary(f *testing.F) {
	f.Add([]byte("Messages-Waiting: yes\r\nMessage-Account: sip:201@box\r\nVoice-Message: 2/8 (0/0)\r\n"))
	f.Add([]byte("Messages-Waiting: no\r\n"))
	f.Add([]byte(":\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessageSummary(body)
		if err != nil {
			return
		}
		if m.New < 0 || m.Old < 0 {
			t.Fatalf("negative counts %+v", m)
		}
		if _, err := ParseMessageSummary(m.Marshal()); err != nil && !strings.ContainsAny(m.Account, "\r\n") {
			t.Fatalf("cannot read back %+v: %v", m, err)
		}
	})
}
