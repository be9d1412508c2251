package b2bua

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"callbox/acd"
)

// dialAsync rings ext from the box and delivers Dial's result.
func dialAsync(ctx context.Context, bx *box, ext string) <-chan error {
	res := make(chan error, 1)
	go func() {
		l, err := bx.b.Dial(ctx, ext, acd.Party{Number: "013812345678", Name: "Li Lei"}, nil)
		if err == nil {
			err = l.Hangup(acd.CauseNormalClearing)
		}
		res <- err
	}()
	return res
}

func TestAnswerRinging_PhoneTakingNotifyTalkAnswers(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "b2bua/notify-talk-uas.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := bx.b.AnswerRinging(ctx, "202", nil); !errors.Is(err, ErrNotRinging) {
		t.Fatalf("answer before any ringing: %v", err)
	}
	dialed := dialAsync(ctx, bx, "202")
	eventually(t, "the phone rings", func() bool { return len(bx.b.ringingForks("202", nil)) == 1 })
	if err := bx.b.AnswerRinging(ctx, "202", nil); err != nil {
		t.Fatalf("remote answer: %v", err)
	}
	if err := <-dialed; err != nil {
		t.Fatalf("dial after the remote answer: %v", err)
	}
	checkSIPp(t, "phone", uas)
}

func TestAnswerRinging_PhoneRefusingNotifySaysWhy(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "b2bua/notify-refuse-uas.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ring, stop := context.WithCancel(ctx)
	dialed := dialAsync(ring, bx, "202")
	eventually(t, "the phone rings", func() bool { return len(bx.b.ringingForks("202", nil)) == 1 })
	err := bx.b.AnswerRinging(ctx, "202", nil)
	if !errors.Is(err, ErrAnswerRefused) || !strings.Contains(err.Error(), "489") {
		t.Fatalf("remote answer of a refusing phone: %v", err)
	}
	stop()
	if err := <-dialed; err == nil {
		t.Fatal("the refusing phone was connected")
	}
	checkSIPp(t, "phone", uas)
}

// TestAnswerRinging_PhoneNotKnowingEarlyDialogIsAskedOutsideIt: the phone
// answers the NOTIFY talk in its early dialog with 481 and takes the one
// the box sends next, outside any dialog, with 200.
func TestAnswerRinging_PhoneNotKnowingEarlyDialogIsAskedOutsideIt(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "b2bua/notify-outside-accept-uas.xml", "-m", "2", "-l", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ring, stop := context.WithCancel(ctx)
	dialed := dialAsync(ring, bx, "202")
	eventually(t, "the phone rings", func() bool { return len(bx.b.ringingForks("202", nil)) == 1 })
	if err := bx.b.AnswerRinging(ctx, "202", nil); err != nil {
		t.Fatalf("remote answer outside the dialog: %v", err)
	}
	// This phone only says yes; the test stops the ringing itself.
	stop()
	<-dialed
	checkSIPp(t, "phone", uas)
}

// TestAnswerRinging_BothNotifiesRefusedNamesEachRefusal: 481 in the early
// dialog, 403 outside it; the error says both.
func TestAnswerRinging_BothNotifiesRefusedNamesEachRefusal(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "b2bua/notify-outside-refuse-uas.xml", "-m", "2", "-l", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ring, stop := context.WithCancel(ctx)
	dialed := dialAsync(ring, bx, "202")
	eventually(t, "the phone rings", func() bool { return len(bx.b.ringingForks("202", nil)) == 1 })
	err := bx.b.AnswerRinging(ctx, "202", nil)
	if !errors.Is(err, ErrAnswerRefused) || !strings.Contains(err.Error(), "481") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("remote answer refused in and outside the dialog: %v", err)
	}
	t.Logf("error: %v", err)
	stop()
	if err := <-dialed; err == nil {
		t.Fatal("the refusing phone was connected")
	}
	checkSIPp(t, "phone", uas)
}
