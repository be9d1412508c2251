package firmware

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestDefaultGateways_ReadsTheKernelRouteTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route")
	table := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
		"eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n" +
		"eth1\t00000000\tzz\t0003\n"
	if err := os.WriteFile(path, []byte(table), 0o600); err != nil {
		t.Fatal(err)
	}
	got := defaultGateways(path)
	if want := map[string]string{"eth0": "192.168.1.1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("gateways = %v, want %v", got, want)
	}
	if got := defaultGateways(filepath.Join(t.TempDir(), "missing")); len(got) != 0 {
		t.Fatalf("missing table gave %v", got)
	}
}

func TestNameServers_SkipsCommentsAndGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "# generated\nsearch example.lan\nnameserver 192.168.1.1\nnameserver not-an-address\nnameserver 2001:db8::53\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := nameServers(path), []string{"192.168.1.1", "2001:db8::53"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("name servers = %v, want %v", got, want)
	}
}

func TestNetworkView_ListsLoopbackLast(t *testing.T) {
	v := networkView()
	if len(v) == 0 {
		t.Fatal("no interface up")
	}
	last := v[len(v)-1]
	if !slices.Contains(last.Addrs, "127.0.0.1/8") {
		t.Fatalf("loopback is not last: %+v", v)
	}
	if last.DNS != nil {
		t.Fatalf("loopback shows name servers: %+v", last)
	}
}
