package firmware

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"callbox/acd/siptest"
)

// TestAppliance_StopsInTimeWithAQueueCallWhoseDeskNoLongerAnswers: a
// queue call is up when the agent's desk phone dies (unplugged,
// crashed), then the box is stopped (SIGTERM, a restart, an upgrade).
// The BYE the box sends the desk is never answered; every service must
// still stop within its share of StopTimeout: the supervisor names none
// as stuck in the box's log. The customer's phone belongs to the outer
// test, so it still answers while the box (stopped by newCTIBox's
// cleanup at the end of the subtest) stops, and hears the call end.
func TestAppliance_StopsInTimeWithAQueueCallWhoseDeskNoLongerAnswers(t *testing.T) {
	outer := t
	var customer *siptest.Call
	t.Run("stop with the desk dead", func(t *testing.T) {
		b := stopLoggedBox(t)
		var err error
		desk := b.phone("201")
		b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/login", nil)

		lines := b.a.tel.lines.Sim.Lines()
		if len(lines) == 0 {
			t.Fatal("no simulated line")
		}
		pstn := siptest.NewPhone(outer, siptest.WithUser("013812345678", ""))
		reg, stop := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = pstn.Register(reg, lines[0].Addr()) // a line takes no registration; this points the phone at it
		stop()
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		defer cancel()
		if customer, err = pstn.Dial(ctx, "80081"); err != nil {
			t.Fatal(err)
		}
		answer(t, incoming(t, desk, "Lily's desk"))
		if err := customer.WaitAnswer(ctx); err != nil {
			t.Fatal(err)
		}
		b.activeCall()
		// The desk dies with the call up: nothing answers at its address.
		desk.Close()
		alive(t, customer, "the customer's call")
	})
	if customer != nil {
		ended(t, customer, "the customer's call after the stop")
	}
}

// stopLoggedBox starts a ctiBox whose stop, at the end of t, must be
// clean: the box's log shows "callbox stopped" and no service that "did
// not stop". The log is read through a descriptor opened while the box
// runs: it outlives the data directory, which newCTIBox's cleanups remove
// right after the stop. Registered before the box's, the check runs last,
// once Run has returned.
func stopLoggedBox(t *testing.T) *ctiBox {
	t.Helper()
	var logf *os.File
	t.Cleanup(func() {
		if logf == nil {
			return
		}
		defer logf.Close()
		data, err := io.ReadAll(logf)
		if err != nil {
			t.Fatal(err)
		}
		log := string(data)
		if !strings.Contains(log, "callbox stopped") {
			t.Fatalf("the log does not show the stop:\n%s", log)
		}
		for line := range strings.Lines(log) {
			if strings.Contains(line, "did not stop") {
				t.Errorf("the stop was not clean: %s", line)
			}
		}
	})
	b := newCTIBox(t)
	var err error
	if logf, err = os.Open(LogPath(b.a.cfg.DataDir)); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAppliance_StopsInTimeWhenBothPhonesOfAQueueCallAreGone: the desk
// and the customer's side (a PSTN caller on a simulated line) both stop
// answering with the call up; neither BYE is answered, and the box still
// stops cleanly within StopTimeout (the simulated line ends its BYE wait
// when it closes).
func TestAppliance_StopsInTimeWhenBothPhonesOfAQueueCallAreGone(t *testing.T) {
	b := stopLoggedBox(t)
	desk := b.phone("201")
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/login", nil)
	pstn := b.pstn("013812345678")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	customer, err := pstn.Dial(ctx, "80081")
	if err != nil {
		t.Fatal(err)
	}
	answer(t, incoming(t, desk, "Lily's desk"))
	if err := customer.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	b.activeCall()
	desk.Close()
	pstn.Close()
}
