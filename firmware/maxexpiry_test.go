package firmware

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"callbox/acd/siptest"
	"callbox/firmware/store"
)

// A phone asking for an 8-hour registration gets one hour by default and
// eight when the box is started with --sip-max-expiry 8h.
func TestAppliance_SIPMaxExpiryBoundsTheRegistrationGranted(t *testing.T) {
	for _, tc := range []struct {
		max  time.Duration
		want string
	}{{0, "expires=3600"}, {8 * time.Hour, "expires=28800"}} {
		dir := dataDir(t)
		st, err := store.Open(StorePath(dir))
		if err != nil {
			t.Fatal(err)
		}
		secret, err := store.GenerateSecret(20)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Put(st, store.Extension{Number: "201", Name: "Desk 201", Secret: secret}); err != nil {
			t.Fatal(err)
		}
		st.Close()
		cfg := testConfig(t, dir, io.Discard)
		cfg.SIPMaxExpiry = tc.max
		a, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		settle(t, "SIP listening", func() bool { return a.tel.srv.Addr("udp").IsValid() })
		reg, cancelReg := context.WithTimeout(context.Background(), 10*time.Second)
		p := siptest.NewPhone(t, siptest.WithUser("201", secret), siptest.WithExpires(8*3600))
		res, err := p.Register(reg, a.tel.srv.Addr("udp"))
		cancelReg()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("register: %v %v", res, err)
		}
		if c := res.GetHeader("Contact"); c == nil || !strings.Contains(c.Value(), tc.want) {
			t.Errorf("max %v: Contact %v, want %s", tc.max, c, tc.want)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(StopTimeout):
			t.Fatal("Run did not return within StopTimeout")
		}
	}
}

func TestConfig_SIPMaxExpiryOutsideItsRangeIsRefused(t *testing.T) {
	for _, bad := range []time.Duration{30 * time.Second, 8 * 24 * time.Hour, -time.Hour} {
		cfg := testConfig(t, t.TempDir(), io.Discard)
		cfg.SIPMaxExpiry = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--sip-max-expiry") {
			t.Errorf("%v: %v", bad, err)
		}
	}
	cfg := testConfig(t, t.TempDir(), io.Discard)
	cfg.SIPMaxExpiry = 2 * time.Hour
	if err := cfg.Validate(); err != nil {
		t.Errorf("2h refused: %v", err)
	}
}
