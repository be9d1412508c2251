package trunk

import (
	"slices"
	"testing"
	"time"

	"callbox/firmware/store"
)

func TestRegister_BacksOffWhileTheRegistrarIsSilent(t *testing.T) {
	port := freeUDP(t, carrierIP) // nobody listens there
	bx := startBox(t, Config{RetryMin: 5 * time.Second, RetryMax: 15 * time.Second, RegisterTimeout: 100 * time.Millisecond},
		store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportUDP,
			Username: "boxuser", Secret: trunkSecret, Register: true, Enabled: true})
	want := []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 15 * time.Second}
	eventually(t, "four retries", func() bool {
		bx.clock.fire()
		return len(bx.clock.asked()) >= len(want)
	})
	if got := bx.clock.asked()[:len(want)]; !slices.Equal(got, want) {
		t.Errorf("retry waits %v, want %v", got, want)
	}
	s := bx.status("carrier")
	if s.Registered || s.RegisterError == "" || s.NextRegister.IsZero() {
		t.Errorf("status after failures: %+v", s)
	}
}
