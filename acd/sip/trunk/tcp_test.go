package trunk

import (
	"net"
	"testing"

	"callbox/firmware/store"
)

func TestSIPp_RegistersOverTCP(t *testing.T) {
	bin := needPeer(t, "sipp")
	l, err := net.Listen("tcp", carrierIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	registrar := startSIPp(t, bin, "testdata/registrar-once-uas.xml", carrierIP, port, 1, "tcp", "-t", "t1")
	bx := startBox(t, Config{}, store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportTCP,
		Username: "boxuser", Secret: trunkSecret, Register: true, Enabled: true})
	eventually(t, "registered over TCP", func() bool { return bx.status("carrier").Registered })
	if _, err := store.Delete[store.Trunk](bx.st, "carrier"); err != nil {
		t.Fatal(err)
	}
	checkSIPp(t, "registrar", registrar)
}
