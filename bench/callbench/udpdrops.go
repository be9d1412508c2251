package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// udpDrops is how many datagrams the kernel dropped at full receive
// buffers (the drops column of /proc/net/udp, per socket since it was
// opened), split between the sockets of the system under test and all
// the others of the network namespace (the load generators, SIPp):
// loss the table shows is then the box's when its sockets dropped, the
// load side's when the generator did not read in time.
type udpDrops struct {
	Box  uint64 `json:"box"`
	Load uint64 `json:"load"`
	// RelaySend is the sends the box's relay engine had refused by the
	// kernel (a full send buffer), from its /debug/stats; 0 for a peer.
	RelaySend uint64 `json:"relay_send"`
	// AfterEnd is the packets that came back after the measurement's
	// drain (loadgen.Result.AfterEnd): lost to the caller, but queued
	// somewhere rather than dropped.
	AfterEnd uint64 `json:"after_end"`
	// QueuedBox and QueuedLoad are the bytes waiting unread in receive
	// buffers at the moment of the reading (at the end of the window):
	// whose reading fell behind, when packets come back after the end.
	QueuedBox  uint64 `json:"queued_box_bytes"`
	QueuedLoad uint64 `json:"queued_load_bytes"`
}

// sub is the drops between an earlier reading and this one. Sockets
// opened or closed in between make it approximate (a closed socket's
// drops leave the sum), never negative.
func (d udpDrops) sub(before udpDrops) udpDrops {
	diff := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	return udpDrops{Box: diff(d.Box, before.Box), Load: diff(d.Load, before.Load), RelaySend: diff(d.RelaySend, before.RelaySend),
		AfterEnd: diff(d.AfterEnd, before.AfterEnd), QueuedBox: d.QueuedBox, QueuedLoad: d.QueuedLoad}
}

// drops reads the receive-buffer drops and, for the box, its relay's
// refused sends.
func (s *system) drops() udpDrops {
	d := readUDPDrops(s.media)
	if b := s.boxStats(); b != nil {
		d.RelaySend = b.RelaySendDropped
	}
	return d
}

// cell is the table cell: receive-buffer drops at the box and the load
// side, the box's refused sends, what came back after the end, and the
// KB left unread at the end in the box's and the load side's buffers.
func (d udpDrops) cell() string {
	return fmt.Sprintf("%d / %d / %d / %d; %d / %d KB", d.Box, d.Load, d.RelaySend, d.AfterEnd, d.QueuedBox>>10, d.QueuedLoad>>10)
}

// readUDPDrops reads /proc/net/udp and udp6 and credits each socket's
// drops to the system's processes (their open socket inodes) or to the
// load side.
func readUDPDrops(sys procTree) udpDrops {
	mine := map[string]bool{}
	for _, pid := range sys.pids() {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			continue
		}
		for _, e := range ents {
			link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
			if err == nil && strings.HasPrefix(link, "socket:[") {
				mine[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
			}
		}
	}
	var d udpDrops
	for _, path := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			inode, drops, queued, ok := parseUDPLine(sc.Text())
			if !ok {
				continue
			}
			if mine[inode] {
				d.Box += drops
				d.QueuedBox += queued
			} else {
				d.Load += drops
				d.QueuedLoad += queued
			}
		}
		f.Close()
	}
	return d
}

// parseUDPLine reads the receive queue (5th field, "tx:rx" in hex
// bytes), the inode (10th) and drops (13th, the last) of a socket line
// of /proc/net/udp; the header line and anything malformed give false.
func parseUDPLine(line string) (inode string, drops, rxQueue uint64, ok bool) {
	f := strings.Fields(line)
	if len(f) < 13 || !strings.HasSuffix(f[0], ":") {
		return "", 0, 0, false
	}
	n, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return "", 0, 0, false
	}
	_, rx, found := strings.Cut(f[4], ":")
	if !found {
		return "", 0, 0, false
	}
	q, err := strconv.ParseUint(rx, 16, 64)
	if err != nil {
		return "", 0, 0, false
	}
	return f[9], n, q, true
}

// String is the figures for a log line; "system" is the system under
// test (the box, or rtpengine beside Kamailio).
func (d udpDrops) String() string {
	return fmt.Sprintf("dropped at full buffers %d (system) / %d (load side), relay sends refused %d, came back after the end %d, unread at the end %d KB (system) / %d KB (load side)",
		d.Box, d.Load, d.RelaySend, d.AfterEnd, d.QueuedBox>>10, d.QueuedLoad>>10)
}
