package firmware

import (
	"context"
	"testing"
	"time"

	"callbox/acd/siptest"
	"callbox/firmware/store"
)

func TestAppliance_StatusShowsRegisteredPhonesAndTheActiveCall(t *testing.T) {
	dir := dataDir(t)
	secrets := map[string]string{}
	st, err := store.Open(StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"201", "202"} {
		if secrets[n], err = store.GenerateSecret(20); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Put(st, store.Extension{Number: n, Name: "Desk " + n, Secret: secrets[n]}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	a, err := New(context.Background(), testConfig(t, dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(StopTimeout):
			t.Error("Run did not return within StopTimeout")
		}
	}()
	settle(t, "SIP listening", func() bool { return a.tel.srv.Addr("udp").IsValid() })
	registrar := a.tel.srv.Addr("udp")

	call, cancelCall := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelCall()
	p1 := siptest.NewPhone(t, siptest.WithUser("201", secrets["201"]))
	p2 := siptest.NewPhone(t, siptest.WithUser("202", secrets["202"]))
	for _, p := range []*siptest.Phone{p1, p2} {
		if res, err := p.Register(call, registrar); err != nil || res.StatusCode != 200 {
			t.Fatalf("register: %v %v", res, err)
		}
	}
	out, err := p1.Dial(call, "202")
	if err != nil {
		t.Fatal(err)
	}
	in, err := p2.Incoming(call)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Answer(call); err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(call); err != nil {
		t.Fatal(err)
	}
	settle(t, "the call answered in the status", func() bool {
		tel := a.Status().Telephony
		return len(tel.Calls) == 1 && tel.Calls[0].Answered
	})
	tel := a.Status().Telephony
	if len(tel.Phones) != 2 || tel.Phones[0].Extension != "201" || tel.Phones[1].Extension != "202" {
		t.Fatalf("phones %+v", tel.Phones)
	}
	if c := tel.Calls[0]; c.From != "ext:201" || c.Dialed != "202" || c.Route != "ext:202" {
		t.Fatalf("call %+v", c)
	}
	if err := out.Hangup(call); err != nil {
		t.Fatal(err)
	}
	settle(t, "the call gone from the status", func() bool { return len(a.Status().Telephony.Calls) == 0 })
}
