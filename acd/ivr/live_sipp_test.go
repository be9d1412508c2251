package ivr_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/ivr"
	"callbox/acd/siptest"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/dtmf"
	"callbox/media/g711"
)

// needSIPp returns SIPp's path, skipping the test when it is missing
// unless CALLBOX_REQUIRE_E2E=1.
func needSIPp(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatalf("sipp is required (CALLBOX_REQUIRE_E2E=1) but missing: %v", err)
		}
		t.Skip("sipp not installed")
	}
	return p
}

func freeUDPPort(t *testing.T) int { return siptest.FreeUDPPort(t, "127.0.0.1") }

// dtmfPcap writes a pcap of A-law RTP packets, 20 ms apart, carrying
// digits as in-band DTMF tones (after half a second of silence), for
// SIPp's play_pcap_audio.
func dtmfPcap(t *testing.T, digits string) string {
	t.Helper()
	return dtmfPcapPaced(t, 0, digits)
}

// dtmfPcapPaced is dtmfPcap for several groups of keys with gap of
// silence between them, as a caller who waits for the next prompt.
func dtmfPcapPaced(t *testing.T, gap time.Duration, groups ...string) string {
	t.Helper()
	var audio []int16
	audio = append(audio, make([]int16, media.SampleRate/2)...)
	for i, digits := range groups {
		if i > 0 {
			audio = append(audio, make([]int16, int(gap*media.SampleRate/time.Second))...)
		}
		g, err := dtmf.NewGenerator(digits, 120*time.Millisecond, 120*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var f media.Frame
		for g.ReadFrame(&f) == nil {
			audio = append(audio, f[:]...)
		}
	}
	audio = append(audio, make([]int16, media.SampleRate/2)...)

	var pkts [][]byte
	for i := 0; (i+1)*media.FrameSamples <= len(audio); i++ {
		rtp := make([]byte, 12+media.FrameSamples)
		rtp[0], rtp[1] = 0x80, 8
		binary.BigEndian.PutUint16(rtp[2:], uint16(i))
		binary.BigEndian.PutUint32(rtp[4:], uint32(i*media.FrameSamples))
		binary.BigEndian.PutUint32(rtp[8:], 0x1badcafe)
		g711.EncodeAlaw(rtp[12:], audio[i*media.FrameSamples:(i+1)*media.FrameSamples])
		pkts = append(pkts, rtp)
	}
	return rtpPcap(t, pkts)
}

// rtpPcap writes RTP packets, one every 20 ms, as a pcap of UDP over
// IPv4 over Ethernet, the form SIPp's play_pcap_audio reads.
func rtpPcap(t *testing.T, pkts [][]byte) string {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)
	for i, rtp := range pkts {
		udp := make([]byte, 8)
		binary.BigEndian.PutUint16(udp[0:], 6000)
		binary.BigEndian.PutUint16(udp[2:], 6002)
		binary.BigEndian.PutUint16(udp[4:], uint16(8+len(rtp)))
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(rtp)))
		copy(ip[12:], []byte{127, 0, 0, 1})
		copy(ip[16:], []byte{127, 0, 0, 1})
		eth := make([]byte, 14)
		eth[12] = 0x08
		pkt := append(append(append(eth, ip...), udp...), rtp...)
		rec := make([]byte, 16)
		at := time.Duration(i) * media.FrameDuration
		le.PutUint32(rec[0:], uint32(at/time.Second))
		le.PutUint32(rec[4:], uint32(at%time.Second/time.Microsecond))
		le.PutUint32(rec[8:], uint32(len(pkt)))
		le.PutUint32(rec[12:], uint32(len(pkt)))
		b.Write(rec)
		b.Write(pkt)
	}
	path := filepath.Join(t.TempDir(), "rtp.pcap")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunner_SIPpCallerWithInBandDTMFReachesTheOperator(t *testing.T) {
	bin := needSIPp(t)
	transferred := make(chan string, 1)
	bx := startLiveBox(t, menuFlow, func(*store.Store, *ivr.Voice) ivr.Actions {
		return ivr.Actions{Transfer: func(ctx context.Context, c *acd.Call, req ivr.TransferRequest) error {
			transferred <- req.Extension
			return hold(ctx, nil) // until the caller hangs up
		}}
	})
	tmpl, err := os.ReadFile(filepath.Join("testdata", "sipp", "inband-uac.xml"))
	if err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(t.TempDir(), "inband-uac.xml")
	if err := os.WriteFile(scenario, bytes.ReplaceAll(tmpl, []byte("PCAP_FILE"), []byte(dtmfPcap(t, "2"))), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	args := append([]string{bx.srv.Addr("udp").String(), "-sf", scenario, "-i", "127.0.0.1", "-p", fmt.Sprint(freeUDPPort(t))},
		siptest.SIPpPorts(t, "127.0.0.1")...)
	cmd := exec.CommandContext(ctx, bin, append(args, "-m", "1", "-l", "1",
		"-recv_timeout", "10000", "-timeout", "20s", "-timeout_error", "-nostdin",
		"-s", "800", "-key", "caller", "201", "-au", "201", "-ap", phoneSecret)...)
	cmd.Dir = t.TempDir() // SIPp's logs stay out of the repository
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, tail(out.String()))
	}
	select {
	case ext := <-transferred:
		if ext != "202" {
			t.Errorf("in-band 2 transferred to %s, want 202", ext)
		}
	default:
		t.Fatalf("the in-band key never reached the flow\n%s", tail(out.String()))
	}
	rec := bx.lastEnded()
	if rec.Data[ivr.CallDigits] != "menu=2" {
		t.Errorf("digits %q", rec.Data[ivr.CallDigits])
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}
