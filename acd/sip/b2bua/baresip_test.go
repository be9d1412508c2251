package b2bua

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"callbox/acd"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/wav"
)

// baresip is one softphone process with a config directory of its own:
// ausine sends a tone, sndfile writes both directions of the call to WAV
// files, ctrl_tcp takes commands.
type baresip struct {
	t    *testing.T
	dir  string
	ctrl string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

func freeTCP(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startBaresip(t *testing.T, bin string, bx *box, ext string, freq int) *baresip {
	t.Helper()
	bs := &baresip{t: t, dir: t.TempDir(), done: make(chan error, 1)}
	bs.ctrl = fmt.Sprintf("127.0.0.1:%d", freeTCP(t))
	config := fmt.Sprintf(`module_path		/usr/lib/baresip/modules
sip_listen		127.0.0.1:%d
net_interface		127.0.0.1
audio_player		aufile,/dev/null
audio_source		ausine,%d
audio_alert		aufile,/dev/null
ausrc_srate		48000
ausrc_channels		2
snd_path		%s
ctrl_tcp_listen		%s
module			g711.so
module			ausine.so
module			aufile.so
module			sndfile.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
`, freeUDP(t), freq, bs.dir, bs.ctrl)
	accounts := fmt.Sprintf("<sip:%s@%s;transport=udp>;auth_pass=%s;regint=300;answermode=auto\n", ext, bx.addr(), secrets[ext])
	for name, body := range map[string]string{"config": config, "accounts": accounts} {
		if err := os.WriteFile(filepath.Join(bs.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bs.cmd = exec.Command(bin, "-f", bs.dir, "-4")
	bs.cmd.Stdout, bs.cmd.Stderr = &bs.out, &bs.out
	if err := bs.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { bs.done <- bs.cmd.Wait() }()
	t.Cleanup(func() {
		bs.stop()
		if t.Failed() {
			t.Logf("baresip %s output:\n%s", ext, bs.out.String())
		}
	})
	eventually(t, "baresip "+ext+" registered", func() bool { return len(bx.srv.Contacts(ext)) > 0 })
	return bs
}

// stop ends the process (SIGTERM, then kill) and waits for it.
func (bs *baresip) stop() {
	select {
	case err := <-bs.done:
		bs.done <- err
		return
	default:
	}
	_ = bs.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-bs.done:
		bs.done <- err
	case <-time.After(5 * time.Second):
		_ = bs.cmd.Process.Kill()
		bs.done <- <-bs.done
	}
}

// command sends one ctrl_tcp command (a JSON netstring).
func (bs *baresip) command(name, params string) {
	bs.t.Helper()
	c, err := net.DialTimeout("tcp", bs.ctrl, 5*time.Second)
	if err != nil {
		bs.t.Fatal(err)
	}
	defer c.Close()
	msg, _ := json.Marshal(map[string]string{"command": name, "params": params, "token": "t"})
	if _, err := fmt.Fprintf(c, "%d:%s,", len(msg), msg); err != nil {
		bs.t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	_, _ = c.Read(buf) // the response; its content is not needed
}

// received decodes the WAV sndfile wrote for the audio the phone
// received (the decoder side).
func (bs *baresip) received() []int16 {
	bs.t.Helper()
	files, _ := filepath.Glob(filepath.Join(bs.dir, "dump-*.wav"))
	for _, f := range files {
		if !strings.HasSuffix(f, "-dec.wav") {
			continue
		}
		fh, err := os.Open(f)
		if err != nil {
			bs.t.Fatal(err)
		}
		defer fh.Close()
		r, err := wav.NewReader(fh)
		if err != nil {
			bs.t.Fatalf("%s: %v", f, err)
		}
		var out []int16
		var fr media.Frame
		for r.ReadFrame(&fr) == nil {
			out = append(out, fr[:]...)
		}
		return out
	}
	bs.t.Fatalf("no decoder dump among %v", files)
	return nil
}

func TestBaresip_TwoSoftphonesHearEachOtherAndHold(t *testing.T) {
	bin := needPeer(t, "baresip")
	bx := startBox(t, Config{}, nil)
	callee := startBaresip(t, bin, bx, "202", 1000)
	caller := startBaresip(t, bin, bx, "201", 600)
	caller.command("dial", fmt.Sprintf("sip:202@%s", bx.addr()))
	eventually(t, "call answered", func() bool {
		cs := bx.sw.Calls()
		return len(cs) == 1 && !cs[0].Answer.IsZero()
	})
	time.Sleep(2 * time.Second) // two seconds of tone each way

	// Hold from the caller: the box stops sending to it until resume.
	// (baresip 1.0 writes nothing more to its decoder dump after a
	// resume, so the resumed audio is checked at the box's counters.)
	sentToCaller := func() uint64 {
		for _, l := range bx.legsOf() {
			if in, ok := l.(*inLeg); ok {
				return in.sess.Stats().PacketsOut
			}
		}
		t.Fatal("no caller leg")
		return 0
	}
	caller.command("hold", "")
	var held uint64
	eventually(t, "box stops sending to the holding caller", func() bool {
		n := sentToCaller()
		time.Sleep(200 * time.Millisecond)
		held = sentToCaller()
		return held == n
	})
	caller.command("resume", "")
	eventually(t, "box sends to the caller again after resume", func() bool { return sentToCaller() > held+10 })
	caller.command("hangup", "")
	rec := bx.lastEnded()
	if rec.HangupSide != acd.SideCaller {
		t.Errorf("hang-up side %q", rec.HangupSide)
	}
	caller.stop()
	callee.stop()
	// Skip the first half second (jitter buffers filling, tones starting)
	// and judge the next second, before the hold.
	if got := callee.received(); len(got) < 12000 || !audiotest.HasTone(got[4000:12000], 600, 0.5) {
		t.Errorf("callee did not hear the caller's 600 Hz (%d samples)", len(got))
	}
	if got := caller.received(); len(got) < 12000 || !audiotest.HasTone(got[4000:12000], 1000, 0.5) {
		t.Errorf("caller did not hear the callee's 1000 Hz (%d samples)", len(got))
	}
}

func TestBaresip_BlindTransferToThirdSoftphone(t *testing.T) {
	bin := needPeer(t, "baresip")
	bx := startBox(t, Config{}, nil)
	target := startBaresip(t, bin, bx, "203", 800)
	callee := startBaresip(t, bin, bx, "202", 1000)
	caller := startBaresip(t, bin, bx, "201", 600)
	caller.command("dial", fmt.Sprintf("sip:202@%s", bx.addr()))
	eventually(t, "call answered", func() bool {
		cs := bx.sw.Calls()
		return len(cs) == 1 && !cs[0].Answer.IsZero()
	})
	time.Sleep(time.Second)

	// 202 sends REFER; the box rings 203 and connects 201 to it.
	callee.command("transfer", fmt.Sprintf("sip:203@%s", bx.addr()))
	eventually(t, "transfer completed", func() bool {
		cs := bx.sw.Calls()
		return len(cs) == 1 && cs[0].Callee.Number == "203" && len(bx.legsOf()) == 2
	})
	time.Sleep(2 * time.Second) // two seconds of tone each way
	caller.command("hangup", "")
	rec := bx.lastEnded()
	if !strings.Contains(rec.RouteString(), "transfer:203") {
		t.Errorf("route %q", rec.RouteString())
	}
	caller.stop()
	callee.stop()
	target.stop()
	if got := target.received(); len(got) < 12000 || !audiotest.HasTone(got[4000:12000], 600, 0.5) {
		t.Errorf("the target did not hear the transferee's 600 Hz (%d samples)", len(got))
	}
	// The transferee's stream went on through the transfer: its last
	// second is the target's tone.
	if got := caller.received(); len(got) < 16000 || !audiotest.HasTone(got[len(got)-10000:len(got)-2000], 800, 0.5) {
		t.Errorf("the transferee did not hear the target's 800 Hz (%d samples)", len(got))
	}
}
