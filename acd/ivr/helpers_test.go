package ivr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCall is a Call that answers digit requests from a list and records
// everything the engine asks of it. Its action errors and a gate that
// holds CollectDigits are set per test.
type fakeCall struct {
	mu       sync.Mutex
	digits   []string
	played   []string
	requests []DigitRequest
	actions  []string
	queued   []QueueRequest
	fail     map[string]error
	// gate, when set, is received from before each digit request: the
	// test decides when the caller "presses".
	gate chan struct{}
}

func newFakeCall(digits ...string) *fakeCall {
	return &fakeCall{digits: digits, fail: map[string]error{}}
}

func (f *fakeCall) note(ps []Prompt) {
	for _, p := range ps {
		f.played = append(f.played, p.String())
	}
}

func (f *fakeCall) Play(ctx context.Context, ps []Prompt, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(ps)
	return ctx.Err()
}

func (f *fakeCall) CollectDigits(ctx context.Context, req DigitRequest) (string, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(req.Prompts)
	f.requests = append(f.requests, req)
	if len(f.digits) == 0 {
		return "", nil
	}
	d := f.digits[0]
	f.digits = f.digits[1:]
	return d, nil
}

func (f *fakeCall) act(what, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, strings.TrimSpace(what+" "+detail))
	return f.fail[what]
}

func (f *fakeCall) Queue(_ context.Context, req QueueRequest) error {
	f.mu.Lock()
	f.queued = append(f.queued, req)
	f.mu.Unlock()
	return f.act("queue", req.Queue)
}

func (f *fakeCall) Transfer(_ context.Context, req TransferRequest) error {
	return f.act("transfer", req.Extension+req.Number)
}

func (f *fakeCall) Voicemail(_ context.Context, req VoicemailRequest) error {
	return f.act("voicemail", req.Mailbox+" "+req.Lang)
}

func (f *fakeCall) SendFax(_ context.Context, req FaxRequest) error {
	return f.act("fax", req.Document)
}

func (f *fakeCall) RequestCallback(_ context.Context, req CallbackRequest) error {
	return f.act("callback", req.Queue+" "+req.Number)
}

func (f *fakeCall) Hangup(context.Context) error { return f.act("hangup", "") }

// flowDoc builds a flow document from node JSON objects, in the two
// languages.
func flowDoc(nodes ...string) []byte {
	return []byte(fmt.Sprintf(`{"format":1,"name":"test","languages":["en","zh"],"nodes":[%s]}`, strings.Join(nodes, ",")))
}

func mustCompile(t testing.TB, data []byte, version int) *Flow {
	t.Helper()
	doc, err := Parse(data)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	f, err := Compile(doc, "test", version, Checks{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return f
}

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// refuseHTTP fails every request without touching the network.
type refuseHTTP struct{}

func (refuseHTTP) Do(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in this test")
}
