package firmware

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"callbox/acd/siptest"
	"callbox/acd/voicemail"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
	"callbox/media/wav"
)

// The IVR and voicemail end to end on the whole appliance: real SIPp
// peers on loopback, a simulated PSTN line, the stored flow, hours and
// mailbox (issue 8). Each SIPp runs in its own temporary directory, so
// its logs stay out of the repository.

// ivrNeedSIPp returns SIPp's path, skipping the test when it is missing
// unless CALLBOX_REQUIRE_E2E=1.
func ivrNeedSIPp(t *testing.T) string {
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

func ivrFreeUDP(t *testing.T) int { return siptest.FreeUDPPort(t, "127.0.0.1") }

// ivrSIPp is one SIPp process in its own directory.
type ivrSIPp struct {
	dir  string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

// runIVRSIPp writes scenario into a temporary directory and runs SIPp
// there for one call on 127.0.0.1:port, bounded to 40 s (the test's
// cleanup stops it sooner).
func runIVRSIPp(t *testing.T, bin, scenario string, port int, remote string, args ...string) *ivrSIPp {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "scenario.xml"), []byte(scenario), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	all := append([]string{remote, "-sf", "scenario.xml", "-i", "127.0.0.1", "-p", strconv.Itoa(port)},
		siptest.SIPpPorts(t, "127.0.0.1")...)
	all = append(all, "-m", "1", "-l", "1", "-recv_timeout", "20000", "-timeout", "35s", "-timeout_error", "-nostdin")
	s := &ivrSIPp{dir: dir, cmd: exec.CommandContext(ctx, bin, append(all, args...)...), done: make(chan error, 1)}
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		err := <-s.done
		s.done <- err
	})
	return s
}

func (s *ivrSIPp) wait() error {
	err := <-s.done
	s.done <- err
	return err
}

// messages is what SIPp logged of the messages it sent and received
// (-trace_msg), "" until it wrote any.
func (s *ivrSIPp) messages() string {
	matches, _ := filepath.Glob(filepath.Join(s.dir, "*_messages.log"))
	var all []byte
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		all = append(all, b...)
	}
	return string(all)
}

// mwiPhone registers as an extension and then stays up, answering the
// box's unsolicited message-summary NOTIFYs (and keep-alive OPTIONS) with
// 200 (-aa), each logged (-trace_msg) for the test to read.
const mwiPhone = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="desk phone waiting for message-waiting NOTIFYs">
  <send retrans="500"><![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: 300
      Content-Length: 0

  ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      [authentication]
      Max-Forwards: 70
      Expires: 300
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
  <pause milliseconds="34000"/>
</scenario>
`

// pstnCaller calls a simulated line, plays [pcap] (the caller speaking)
// and hangs up after [hold] ms (both replaced before SIPp reads it).
const pstnCaller = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="PSTN caller who speaks and hangs up">
  <send retrans="500"><![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Customer" <sip:13800138000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:13800138000@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=pstn 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Customer" <sip:13800138000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:13800138000@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <nop><action><exec play_pcap_audio="[pcap]"/></action></nop>
  <pause milliseconds="[hold]"/>
  <send retrans="500"><![CDATA[

      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Customer" <sip:13800138000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:13800138000@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`

// tonePcap writes a pcap of A-law RTP packets, 20 ms apart, carrying a
// steady tone for d, for SIPp's play_pcap_audio.
func tonePcap(t *testing.T, freq float64, d time.Duration) string {
	t.Helper()
	audio := audiotest.Sine(freq, 8000, int(d/time.Second*media.SampleRate))
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)
	for i := 0; (i+1)*media.FrameSamples <= len(audio); i++ {
		rtp := make([]byte, 12+media.FrameSamples)
		rtp[0], rtp[1] = 0x80, 8
		binary.BigEndian.PutUint16(rtp[2:], uint16(i))
		binary.BigEndian.PutUint32(rtp[4:], uint32(i*media.FrameSamples))
		binary.BigEndian.PutUint32(rtp[8:], 0x5eedcafe)
		g711.EncodeAlaw(rtp[12:], audio[i*media.FrameSamples:(i+1)*media.FrameSamples])
		udp := make([]byte, 8+len(rtp))
		binary.BigEndian.PutUint16(udp[0:], 40000)
		binary.BigEndian.PutUint16(udp[2:], 40002)
		binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
		copy(udp[8:], rtp)
		ip := make([]byte, 20+len(udp))
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
		copy(ip[12:16], []byte{127, 0, 0, 1})
		copy(ip[16:20], []byte{127, 0, 0, 1})
		copy(ip[20:], udp)
		frame := append(make([]byte, 12), 0x08, 0x00) // MACs, IPv4
		frame = append(frame, ip...)
		ts := time.Duration(i) * media.FrameDuration
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(ts/time.Second))
		le.PutUint32(rec[4:], uint32(ts%time.Second/time.Microsecond))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		b.Write(rec)
		b.Write(frame)
	}
	p := filepath.Join(t.TempDir(), "tone.pcap")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// afterHoursFlow checks the office hours; closed, it says so and takes a
// message for 201. Open, it would hang up: the test must never get there.
const afterHoursFlow = `{"format": 1, "name": "After hours", "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "hours"}},
 {"id": "hours", "type": "branch-hours", "settings": {"hours": "office"}, "exits": {"open": "bye", "closed": "closed"}},
 {"id": "closed", "type": "play", "settings": {"prompts": [{"key": "office-closed"}]}, "exits": {"next": "vm"}},
 {"id": "vm", "type": "voicemail", "settings": {"mailbox": "201"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

// notifyBody matches the message-summary lines of one NOTIFY.
var notifyBody = regexp.MustCompile(`Messages-Waiting: (yes|no)\r?\n(?:[^\r\n]*\r?\n)*?Voice-Message: (\d+)/(\d+)`)

// summaries lists "yes 1/0"-style summaries of the NOTIFYs in a SIPp
// message log, in order.
func summaries(log string) []string {
	var out []string
	for _, m := range notifyBody.FindAllStringSubmatch(log, -1) {
		out = append(out, m[1]+" "+m[2]+"/"+m[3])
	}
	return out
}

func TestAppliance_AfterHoursPSTNCallerLeavesAMessageThatLightsTheLampOfARegisteredSIPpPhone(t *testing.T) {
	bin := ivrNeedSIPp(t)
	dir := dataDir(t)
	st, err := store.Open(StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := store.GenerateSecret(20)
	if err != nil {
		t.Fatal(err)
	}
	// Open three days from now only: closed whenever the test runs.
	openDay := time.Now().UTC().Add(72 * time.Hour).Weekday()
	owner := store.User{Name: "anna", Role: store.RoleAgent}
	if err := owner.SetPassword(ownerPassword); err != nil {
		t.Fatal(err)
	}
	settings := store.DefaultSettings()
	settings.SetupDone = true
	if _, err := store.PutAll(st, settings, owner,
		store.Agent{ID: "802", Name: "Anna", User: "anna", Extension: "201", Enabled: true},
		store.Extension{Number: "201", Name: "Desk 201", Secret: secret, Voicemail: true},
		store.Hours{Name: "office", TimeZone: "UTC", Weekly: []store.WeeklyRange{{Day: openDay, Start: "09:00", End: "17:00"}}},
		store.Flow{ID: "afterhours", Name: "After hours", Version: 1, Published: true, Doc: json.RawMessage(afterHoursFlow)},
		store.Line{ID: "line1", Name: "Exchange line", Type: store.LineFXO, Device: "sim:1", Route: "flow:afterhours", Enabled: true},
	); err != nil {
		t.Fatal(err)
	}
	st.Close()
	a, err := New(context.Background(), testConfig(t, dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(StopTimeout):
			t.Error("Run did not return within StopTimeout")
		}
	}()
	settle(t, "SIP listening", func() bool { return a.tel.srv.Addr("udp").IsValid() })
	registrar := a.tel.srv.Addr("udp").String()
	if a.tel.lines.Sim == nil || len(a.tel.lines.Sim.Lines()) == 0 {
		t.Fatal("no simulated line")
	}
	line := a.tel.lines.Sim.Lines()[0].Addr().String()

	desk := runIVRSIPp(t, bin, mwiPhone, ivrFreeUDP(t), registrar, "-s", "201", "-au", "201", "-ap", secret, "-aa", "-trace_msg")
	settle(t, "201 registered", func() bool { return len(a.tel.srv.Contacts("201")) == 1 })

	// SIPp does not expand keys in pauses and actions: fill them in.
	speaks := strings.NewReplacer("[pcap]", tonePcap(t, 500, 25*time.Second), "[hold]", "16000").Replace(pstnCaller)
	caller := runIVRSIPp(t, bin, speaks, ivrFreeUDP(t), line, "-s", "80081")
	if err := caller.wait(); err != nil {
		t.Fatalf("PSTN caller: sipp %v\n%s", err, caller.out.String())
	}
	vm := a.tel.parts.voicemail.Store()
	var ms []voicemail.Message
	settle(t, "the message in the mailbox", func() bool { ms, _ = vm.List("201"); return len(ms) == 1 })
	m := ms[0]
	if m.From != "13800138000" || m.Folder != voicemail.FolderNew || m.Duration < time.Second {
		t.Errorf("message %+v: want a new one of a second or more from the PSTN caller", m)
	}
	if !audiotest.HasTone(ivrReadWAV(t, vm.AudioPath(m)), 500, 0.3) {
		t.Error("the message does not hold the caller's 500 Hz tone")
	}
	settle(t, "the lamp lit on 201", func() bool { return len(summaries(desk.messages())) >= 1 })
	if got := summaries(desk.messages()); got[0] != "yes 1/0" {
		t.Fatalf("first NOTIFY %q, want Messages-Waiting: yes with 1/0", got[0])
	}

	// The owner, an agent at 201, listens on the web (the message is
	// saved), then deletes it; the lamp goes out at the first and the
	// counts follow.
	web := ivrWebLogin(t, "http://"+a.WebAddr(), "anna", ownerPassword)
	if boxes := web.boxes(t); len(boxes) != 1 || boxes[0].Mailbox != "201" || boxes[0].New != 1 {
		t.Fatalf("the owner's boxes %+v, want 201 with one new message", boxes)
	}
	msgPath := "/api/v1/voicemail/boxes/201/messages/" + m.ID
	if code, body := web.do(t, "GET", msgPath+"/audio"); code != 200 || !strings.HasPrefix(body, "RIFF") {
		t.Fatalf("listening: %d", code)
	}
	if code, body := web.do(t, "POST", msgPath+"/save"); code != 204 {
		t.Fatalf("save: %d %s", code, body)
	}
	settle(t, "the NOTIFY after listening", func() bool { return len(summaries(desk.messages())) >= 2 })
	if code, body := web.do(t, "DELETE", msgPath); code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	settle(t, "the NOTIFY after deleting", func() bool { return len(summaries(desk.messages())) >= 3 })
	if got := summaries(desk.messages()); strings.Join(got, ", ") != "yes 1/0, no 0/1, no 0/0" {
		t.Errorf("NOTIFYs %q, want the lamp lit for the new message, then out", got)
	}
	t.Logf("message %s from %s, %v; NOTIFYs to 201: %q", m.ID, m.From, m.Duration, summaries(desk.messages()))
	if err := desk.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = desk.wait()

	cdrs, err := store.List[store.CDR](a.store)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range cdrs {
		if c.Source == "line:line1" {
			found = true
			t.Logf("CDR route %s, disposition %s", c.Route, c.Disposition)
			if !strings.HasPrefix(c.Route, "inbound:line-line1>flow:afterhours@v1") || !strings.Contains(c.Route, "voicemail:201") ||
				c.Disposition != store.DispositionVoicemail {
				t.Errorf("CDR route %q disposition %q, want the flow then the mailbox", c.Route, c.Disposition)
			}
		}
	}
	if !found {
		t.Errorf("no CDR of the line call: %+v", cdrs)
	}
}

const ownerPassword = "Mailbox-Owner-2026"

// ivrWeb is a logged-in client of the appliance's web API.
type ivrWeb struct {
	base   string
	client *http.Client
	csrf   string
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// ivrWebLogin logs in through the login form and fetches the session's
// CSRF token for the API.
func ivrWebLogin(t *testing.T, base, name, password string) *ivrWeb {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &ivrWeb{base: base, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page := w.do(t, "GET", "/login")
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", page)
	}
	res, err := w.client.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: %d", name, res.StatusCode)
	}
	code, body := w.do(t, "GET", "/api/v1/session")
	var sess struct {
		CSRFToken string `json:"csrfToken"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &sess) != nil || sess.CSRFToken == "" {
		t.Fatalf("session: %d %s", code, body)
	}
	w.csrf = sess.CSRFToken
	return w
}

// do sends a request without a body and returns the status and body.
func (w *ivrWeb) do(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, w.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.csrf != "" {
		req.Header.Set("X-CSRF-Token", w.csrf)
	}
	res, err := w.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func (w *ivrWeb) boxes(t *testing.T) []voicemail.BoxInfo {
	t.Helper()
	code, body := w.do(t, "GET", "/api/v1/voicemail/boxes")
	var out []voicemail.BoxInfo
	if code != 200 || json.Unmarshal([]byte(body), &out) != nil {
		t.Fatalf("boxes: %d %s", code, body)
	}
	return out
}

func ivrReadWAV(t *testing.T, path string) []int16 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := wav.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []int16
	var fr media.Frame
	for r.ReadFrame(&fr) == nil {
		out = append(out, fr[:]...)
	}
	return out
}
