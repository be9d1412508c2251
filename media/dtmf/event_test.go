package dtmf

import (
	"errors"
	"testing"
)

func TestEvent_RoundTripsAllSixteenDigits(t *testing.T) {
	for _, d := range []byte(digits) {
		in := Event{Digit: d, End: d%2 == 0, Volume: 10, Duration: 1234}
		b, err := in.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var out Event
		if err := out.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if out != in {
			t.Fatalf("round trip %+v -> %+v", in, out)
		}
	}
}

func TestEvent_WireLayoutFollowsRFC4733(t *testing.T) {
	b, err := Event{Digit: '#', End: true, Volume: 7, Duration: 0x0320}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{11, 0x87, 0x03, 0x20}; string(b) != string(want) {
		t.Fatalf("payload % x, want % x", b, want)
	}
}

func TestEvent_RejectsBadInput(t *testing.T) {
	var e Event
	if err := e.Unmarshal([]byte{1, 2}); !errors.Is(err, ErrShortPayload) {
		t.Fatalf("short: %v", err)
	}
	if err := e.Unmarshal([]byte{32, 0, 0, 0}); !errors.Is(err, ErrUnknownEvent) {
		t.Fatalf("fax event: %v", err)
	}
	if _, err := (Event{Digit: 'x'}).Marshal(); !errors.Is(err, ErrInvalidDigit) {
		t.Fatalf("digit: %v", err)
	}
	if _, err := (Event{Digit: '1', Volume: 64}).Marshal(); !errors.Is(err, ErrVolume) {
		t.Fatalf("volume: %v", err)
	}
}

func FuzzEventUnmarshal(f *testing.F) {
	f.Add([]byte{1, 0x8a, 0x03, 0x20})
	f.Add([]byte{11, 0x0a, 0x00, 0x00})
	f.Add([]byte{255, 255, 255, 255, 9})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Event
		if err := e.Unmarshal(b); err != nil {
			return
		}
		out, err := e.Marshal()
		if err != nil {
			t.Fatalf("parsed %+v does not marshal: %v", e, err)
		}
		var again Event
		if err := again.Unmarshal(out); err != nil || again != e {
			t.Fatalf("re-parse %+v -> %+v, %v", e, again, err)
		}
	})
}
