package main

import "testing"

func TestParseUDPLine_InodeDropsAndReceiveQueue(t *testing.T) {
	line := "  512: 0100007F:61A8 00000000:0000 07 00000000:00000A80 00:00000000 00000000     0        0 123456 2 0000000000000000 42"
	inode, drops, queued, ok := parseUDPLine(line)
	if !ok || inode != "123456" || drops != 42 || queued != 0xa80 {
		t.Errorf("got %q %d %d %v", inode, drops, queued, ok)
	}
	for _, bad := range []string{
		"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
		"", "512: short", "  512: 0100007F:61A8 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 123456 2 0000000000000000 x",
		"  512: 0100007F:61A8 00000000:0000 07 00000000 00:00000000 00000000 0 0 123456 2 0000000000000000 1 2",
		"  512: 0100007F:61A8 00000000:0000 07 00000000:zz 00:00000000 00000000 0 0 123456 2 0000000000000000 1",
	} {
		if _, _, _, ok := parseUDPLine(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUDPDrops_SubNeverGoesNegative(t *testing.T) {
	if d := (udpDrops{Box: 5, Load: 1, QueuedBox: 7}).sub(udpDrops{Box: 2, Load: 3, QueuedBox: 9}); d.Box != 3 || d.Load != 0 || d.QueuedBox != 7 {
		t.Errorf("%+v", d)
	}
}

func FuzzParseUDPLine(f *testing.F) {
	f.Add("  512: 0100007F:61A8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 0000000000000000 42")
	f.Add("   sl  local_address rem_address")
	f.Fuzz(func(t *testing.T, line string) {
		inode, _, _, ok := parseUDPLine(line)
		if ok && inode == "" {
			t.Errorf("ok with no inode: %q", line)
		}
	})
}
