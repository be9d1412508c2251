package voicemail

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/acd/ivr"
	"callbox/media/record"
)

// fakePhone answers digit requests from a list, records a fixed length
// of audio, and notes every prompt.
type fakePhone struct {
	t      *testing.T
	digits []string
	played []string
	recLen time.Duration
	// hangupInRecord cancels the call once the audio is written.
	hangupInRecord context.CancelFunc
}

func (p *fakePhone) note(ps []ivr.Prompt) {
	for _, x := range ps {
		s := x.String()
		if x.File != "" {
			s = "file"
		}
		p.played = append(p.played, s)
	}
}

func (p *fakePhone) Play(ctx context.Context, ps []ivr.Prompt, _ bool) error {
	p.note(ps)
	return ctx.Err()
}

func (p *fakePhone) CollectDigits(ctx context.Context, req ivr.DigitRequest) (string, error) {
	p.note(req.Prompts)
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if len(p.digits) == 0 {
		return "", nil
	}
	d := p.digits[0]
	p.digits = p.digits[1:]
	return d, nil
}

func (p *fakePhone) Record(ctx context.Context, path string, opts ivr.RecordOptions) (record.Result, error) {
	p.played = append(p.played, "record")
	if err := os.WriteFile(path, recording(p.t, min(p.recLen, opts.Max)), 0o640); err != nil {
		return record.Result{}, err
	}
	res := record.Result{Path: path, Duration: min(p.recLen, opts.Max)}
	if p.hangupInRecord != nil {
		p.hangupInRecord()
		return res, ctx.Err()
	}
	return res, nil
}

func has(played []string, want ...string) bool {
	i := 0
	for _, p := range played {
		if i < len(want) && p == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestLeave_RecordsAfterTheGreetingAndSaysSaved(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ph := &fakePhone{t: t, recLen: 4 * time.Second}
	m, err := Leave(context.Background(), ph, st, "201", "13800001111", "en")
	if err != nil {
		t.Fatal(err)
	}
	if m.Duration != 4*time.Second || m.From != "13800001111" {
		t.Fatalf("message %+v", m)
	}
	if !has(ph.played, "en/vm-unavailable", "en/vm-leave-message", "record", "en/vm-message-saved") {
		t.Fatalf("played %q", ph.played)
	}
	// With a greeting of the owner's own.
	if err := st.SetGreeting("201", strings.NewReader(string(recording(t, time.Second)))); err != nil {
		t.Fatal(err)
	}
	ph = &fakePhone{t: t, recLen: time.Second}
	if _, err := Leave(context.Background(), ph, st, "201", "1", "zh"); err != nil {
		t.Fatal(err)
	}
	if !has(ph.played, "file", "zh/vm-leave-message", "record") {
		t.Fatalf("played %q", ph.played)
	}
}

func TestLeave_HangingUpAfterSpeakingKeepsTheMessage(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ph := &fakePhone{t: t, recLen: 2 * time.Second, hangupInRecord: cancel}
	m, err := Leave(ctx, ph, st, "201", "1", "en")
	if err != nil || m.Duration != 2*time.Second {
		t.Fatalf("message %+v, %v", m, err)
	}
	if ms, _ := st.List("201"); len(ms) != 1 {
		t.Fatal("message lost on hang-up")
	}
}

func TestLeave_FullMailboxSaysSoWithoutRecording(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{MaxMessages: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Leave(context.Background(), &fakePhone{t: t, recLen: time.Second}, st, "201", "1", "en"); err != nil {
		t.Fatal(err)
	}
	ph := &fakePhone{t: t, recLen: time.Second}
	if _, err := Leave(context.Background(), ph, st, "201", "1", "en"); !errors.Is(err, ErrFull) {
		t.Fatalf("err %v", err)
	}
	if slices.Contains(ph.played, "record") || !has(ph.played, "en/vm-mailbox-full") {
		t.Fatalf("played %q", ph.played)
	}
}

func TestMenu_WrongPINThreeTimesEndsTheCall(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ph := &fakePhone{t: t, digits: []string{"1111", "2222", ""}}
	err = Menu(context.Background(), ph, st, "201", "en", func(pin string) bool { return pin == "4321" })
	if !errors.Is(err, ErrLogin) {
		t.Fatalf("err %v", err)
	}
	if !has(ph.played, "en/vm-login-incorrect", "en/vm-login-incorrect", "en/vm-login-incorrect", "en/goodbye") {
		t.Fatalf("played %q", ph.played)
	}
}

func TestMenu_ListenSaveDeleteAndTheLampFollows(t *testing.T) {
	var lamp []Summary
	st, err := Open(t.TempDir(), Limits{}, WithChangeHook(func(_ string, s Summary) { lamp = append(lamp, s) }))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := Leave(context.Background(), &fakePhone{t: t, recLen: time.Second}, st, "201", "1", "en"); err != nil {
			t.Fatal(err)
		}
	}
	// PIN, listen, message 1: replay then save; message 2: delete; exit.
	ph := &fakePhone{t: t, digits: []string{"4321", "1", "1", "9", "7", "*"}}
	if err := Menu(context.Background(), ph, st, "201", "en", func(pin string) bool { return pin == "4321" }); err != nil {
		t.Fatal(err)
	}
	if !has(ph.played, "en/vm-you-have", "en/digit-2", "en/vm-new-messages", "en/vm-main-menu",
		"en/vm-message", "en/digit-1", "file", "en/vm-message-menu", "file", "en/vm-message-saved",
		"en/vm-message", "en/digit-2", "file", "en/vm-message-deleted", "en/vm-end-of-messages", "en/goodbye") {
		t.Fatalf("played %q", ph.played)
	}
	ms, _ := st.List("201")
	if len(ms) != 1 || ms[0].Folder != FolderSaved {
		t.Fatalf("left %+v", ms)
	}
	if last := lamp[len(lamp)-1]; last.Waiting || last.Voice.Old != 1 {
		t.Fatalf("lamp %+v", last)
	}
}

func TestMenu_RecordsAGreetingByPhone(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ph := &fakePhone{t: t, recLen: 3 * time.Second, digits: []string{"4321", "3", "*"}}
	if err := Menu(context.Background(), ph, st, "201", "zh", func(pin string) bool { return pin == "4321" }); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Greeting("201"); !ok || !has(ph.played, "zh/vm-no-messages", "zh/vm-record-greeting", "record", "zh/vm-greeting-saved") {
		t.Fatalf("played %q", ph.played)
	}
}
