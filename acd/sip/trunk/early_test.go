package trunk

import (
	"context"
	"sync"
	"testing"

	"callbox/acd"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/rtp"
)

// ringLeg is a caller's leg as the B2BUA sees it: media, and told of
// ringing.
type ringLeg struct {
	sess *rtp.Session
	mu   sync.Mutex
	ring []bool
	done chan struct{}
}

func (l *ringLeg) ID() string { return "test:caller" }
func (l *ringLeg) Caller() acd.Party {
	return acd.Party{Number: "201", Source: acd.SourceExtension, Via: "201"}
}
func (l *ringLeg) Answer(context.Context) error { return nil }
func (l *ringLeg) Hangup(acd.Cause) error       { return nil }
func (l *ringLeg) Media() media.Endpoint        { return l.sess }
func (l *ringLeg) Done() <-chan struct{}        { return l.done }
func (l *ringLeg) Ring(early bool)              { l.mu.Lock(); l.ring = append(l.ring, early); l.mu.Unlock() }
func (l *ringLeg) rings() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]bool(nil), l.ring...)
}

func TestSIPp_OutboundEarlyMediaReachesTheCaller(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	bx := startBox(t, Config{}, store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportUDP,
		Username: "boxuser", Secret: trunkSecret, CallerID: "+861012345678", AssertIdentity: true, Enabled: true})
	carrier := startSIPp(t, bin, "testdata/carrier-auth-uas.xml", carrierIP, port, 1, "", "-rtp_echo",
		"-key", "trunkuser", "boxuser", "-key", "trunkpass", trunkSecret)
	sess, err := rtp.Open(ctxT(t), bx.ports, rtp.Config{Codec: media.PCMA, Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	caller := &ringLeg{sess: sess, done: make(chan struct{})}
	leg, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", caller.Caller(), caller)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if r := caller.rings(); len(r) == 0 || !r[0] {
		t.Errorf("the caller was told %v, want ringing with early media first", r)
	}
	if err := leg.Hangup(acd.CauseNormalClearing); err != nil {
		t.Errorf("hang-up: %v", err)
	}
	checkSIPp(t, "carrier", carrier)
}
