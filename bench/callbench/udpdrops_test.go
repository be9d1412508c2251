package main

import "testing"

func TestParseUDPLine_InodeAndDrops(t *testing.T) {
	line := "  512: 0100007F:61A8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 0000000000000000 42"
	inode, drops, ok := parseUDPLine(line)
	if !ok || inode != "123456" || drops != 42 {
		t.Errorf("got %q %d %v", inode, drops, ok)
	}
	for _, bad := range []string{
		"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
		"", "512: short", "  512: 0100007F:61A8 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 123456 2 0000000000000000 x",
	} {
		if _, _, ok := parseUDPLine(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUDPDrops_SubNeverGoesNegative(t *testing.T) {
	if d := (udpDrops{Box: 5, Load: 1}).sub(udpDrops{Box: 2, Load: 3}); d.Box != 3 || d.Load != 0 {
		t.Errorf("%+v", d)
	}
}

func FuzzParseUDPLine(f *testing.F) {
	f.Add("  512: 0100007F:61A8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 0000000000000000 42")
	f.Add("   sl  local_address rem_address")
	f.Fuzz(func(t *testing.T, line string) {
		inode, _, ok := parseUDPLine(line)
		if ok && inode == "" {
			t.Errorf("ok with no inode: %q", line)
		}
	})
}
