package voicemail

import (
	"errors"
	"testing"
)

func TestSummary_RoundTripsAndReadsTheRFCExample(t *testing.T) {
	s := Summary{Waiting: true, Account: "sip:201@192.0.2.1", Voice: Counts{New: 2, Old: 8, NewUrgent: 0, OldUrgent: 2}}
	body := string(s.Marshal())
	want := "Messages-Waiting: yes\r\nMessage-Account: sip:201@192.0.2.1\r\nVoice-Message: 2/8 (0/2)\r\n"
	if body != want {
		t.Fatalf("body %q", body)
	}
	got, err := ParseSummary([]byte(body))
	if err != nil || got != s {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	// RFC 3842 §5.2 example, with another class and message headers.
	rfc := "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 4/8 (1/2)\r\nFax-Message: 1/0\r\n\r\nTo: <alice@atlanta.example.com>\r\n"
	got, err = ParseSummary([]byte(rfc))
	if err != nil || got.Voice != (Counts{4, 8, 1, 2}) || got.Account != "sip:alice@vmail.example.com" {
		t.Fatalf("rfc example %+v, %v", got, err)
	}
	got, err = ParseSummary([]byte("messages-waiting: NO\nvoice-message: 0/3\n"))
	if err != nil || got.Waiting || got.Voice.Old != 3 {
		t.Fatalf("lenient form %+v, %v", got, err)
	}
}

func TestParseSummary_RefusesMalformedBodies(t *testing.T) {
	for _, body := range []string{
		"",
		"Voice-Message: 1/2\r\n",
		"Messages-Waiting: maybe\r\n",
		"Messages-Waiting yes\r\n",
		"Messages-Waiting: yes\r\nVoice-Message: 1\r\n",
		"Messages-Waiting: yes\r\nVoice-Message: 1/2 (0/1\r\n",
		"Messages-Waiting: yes\r\nVoice-Message: -1/2\r\n",
		"Messages-Waiting: yes\r\nVoice-Message: 9999999999/2\r\n",
	} {
		if _, err := ParseSummary([]byte(body)); !errors.Is(err, ErrSummary) {
			t.Errorf("%q: err %v", body, err)
		}
	}
}

func FuzzParseSummary(f *testing.F) {
	f.Add([]byte("Messages-Waiting: yes\r\nVoice-Message: 2/8 (0/2)\r\n"))
	f.Add([]byte("Messages-Waiting: no\r\nMessage-Account: sip:x@y\r\n\r\nTo: z\r\n"))
	f.Add([]byte("Messages-Waiting: yes\nVoice-Message: 1/(2/3)\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseSummary(body)
		if err != nil {
			if !errors.Is(err, ErrSummary) {
				t.Fatalf("unmarked error %v", err)
			}
			return
		}
		if s.Voice.New < 0 || s.Voice.Old < 0 {
			t.Fatalf("negative counts %+v", s)
		}
		again, err := ParseSummary(s.Marshal())
		if err != nil || again != s {
			t.Fatalf("round trip %+v -> %+v, %v", s, again, err)
		}
	})
}
