package webui

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd/siptest"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/webui/browsertest"
)

// The real box, a SIPp phone and a SIPp PSTN caller, and the console and
// the wallboard in two headless browsers: the whole path from a ringing
// line to the agent's screen. The SIPp scenarios are the switch's own
// (cmd/callbox/testdata/sipp).

const sippScenarios = "../cmd/callbox/testdata/sipp"

// lockedBuffer collects a process's output from its copying goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2eTools returns the callbox binary (built for the test) and SIPp, or
// skips when SIPp or chromium is missing (unless CALLBOX_REQUIRE_E2E=1).
func e2eTools(t *testing.T) (box, sipp string) {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil || browsertest.Path() == "" {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatalf("sipp and chromium are required (CALLBOX_REQUIRE_E2E=1): %v", err)
		}
		t.Skip("sipp or chromium not installed")
	}
	box = filepath.Join(t.TempDir(), "callbox")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", box, "callbox/cmd/callbox").CombinedOutput(); err != nil {
		t.Fatalf("build callbox: %v\n%s", err, out)
	}
	return box, sipp
}

func freeUDPPort(t *testing.T) int { return siptest.FreeUDPPort(t, "127.0.0.1") }

// freeBoxPort is free for UDP and TCP, and the next one for TCP (the
// box listens for TLS there).
func freeBoxPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freeUDPPort(t)
		ok := p < 65535
		for _, port := range []int{p, p + 1} {
			if !ok {
				break
			}
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

// runBox starts the binary on data, with extra flags, and waits until it
// is healthy; the test's cleanup stops it with SIGTERM by its PID.
func runBox(t *testing.T, bin, data string, extra ...string) (web, sip string, simBase int) {
	t.Helper()
	sip = "127.0.0.1:" + strconv.Itoa(freeBoxPort(t))
	web = "127.0.0.1:" + strconv.Itoa(freeBoxPort(t))
	simBase = freeUDPPort(t)
	args := append([]string{"run", "--data", data, "--http", web, "--sip", sip,
		"--sim-base-port", strconv.Itoa(simBase), "--rtp-ports", "40000-49999"}, extra...)
	cmd := exec.Command(bin, args...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("callbox did not stop within 10 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("callbox log:\n%s", stderr.String())
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if res, err := client.Get("http://" + web + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return web, sip, simBase
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the box did not become healthy in 30 s\n%s", stderr.String())
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("callbox exited: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sippRun is one SIPp process for one call, bounded to 25 s.
type sippRun struct {
	out  lockedBuffer
	done chan error
}

func startSIPp(t *testing.T, bin, scenario string, port int, remote string, args ...string) *sippRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	all := []string{}
	if remote != "" {
		all = append(all, remote)
	}
	all = append(all, "-i", "127.0.0.1", "-sf", filepath.Join(sippScenarios, scenario), "-p", strconv.Itoa(port))
	all = append(all, siptest.SIPpPorts(t, "127.0.0.1")...)
	all = append(all, "-m", "1", "-l", "1",
		"-recv_timeout", "10000", "-timeout", "20s", "-timeout_error", "-nostdin")
	all = append(all, args...)
	s := &sippRun{done: make(chan error, 1)}
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		err := <-s.done
		s.done <- err
	})
	return s
}

func (s *sippRun) check(t *testing.T, what string) {
	t.Helper()
	err := <-s.done
	s.done <- err
	if err != nil {
		t.Errorf("%s: sipp %v\n%s", what, err, s.out.String())
	}
}

// waitBound waits until SIPp holds UDP 127.0.0.1:port, read from the
// kernel's table (siptest.AwaitUDPBound: a probe bind could take the
// port in the instant SIPp binds it), or fails with what SIPp printed.
func (s *sippRun) waitBound(t *testing.T, port int) {
	t.Helper()
	if err := siptest.AwaitUDPBound("127.0.0.1", port, s.done); err != nil {
		t.Fatalf("SIPp UAS: %v\n%s", err, s.out.String())
	}
}

// seedCallCenter writes a finished setup, a supervisor and an agent login,
// desk 202 with agent 802 in queue "sales" (answered on simulated line 2)
// and a customer; it returns the desk's SIP secret.
func seedCallCenter(t *testing.T, data string) string {
	t.Helper()
	st, err := store.Open(filepath.Join(data, "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	settings := store.DefaultSettings()
	settings.SiteName, settings.SetupDone = "E2E", true
	put(t, st, settings)
	for _, u := range []store.User{{Name: "admin", Role: store.RoleAdmin}, {Name: "boss", Role: store.RoleSupervisor},
		{Name: "anna", Role: store.RoleAgent}} {
		if err := u.SetPassword(testPassword); err != nil {
			t.Fatal(err)
		}
		put(t, st, u)
	}
	secret, err := store.GenerateSecret(20)
	if err != nil {
		t.Fatal(err)
	}
	put(t, st, store.Extension{Number: "202", Name: "Desk 202", Secret: secret})
	put(t, st, store.Agent{ID: "802", Name: "Anna", User: "anna", Extension: "202", Enabled: true})
	put(t, st, store.Queue{Name: "sales", Number: "600", Strategy: store.StrategyRingAll,
		Members: []store.QueueMember{{Agent: "802", Level: 1, Weight: 1}}, RingSeconds: 20})
	put(t, st, store.Line{ID: "line2", Type: store.LineFXO, Device: "sim:2", Route: "queue:sales", Enabled: true})
	put(t, st, store.Customer{ID: "c9", Name: "Chen Jing", Company: "Jing Tea House", Numbers: []string{"+8613800138000"}, VIP: true})
	return secret
}

func TestE2E_SIPpCallerPopsOnTheAgentConsoleAndTheWallboardCounts(t *testing.T) {
	bin, sipp := e2eTools(t)
	dir := screenshotDir(t)
	data, err := os.MkdirTemp("", "cbw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	secret := seedCallCenter(t, data)
	web, sip, simBase := runBox(t, bin, data)
	base := "http://" + web

	board := newChromium(t)
	browserLogin(t, board, base, "boss", "/wallboard")
	waitJS(t, board, "board live", `document.querySelector("#stream.live") !== null`)
	waitJS(t, board, "sales card", jsEq(`.qcard[data-queue="sales"] [data-f="answered"]`, "0"))

	desk := newChromium(t)
	browserLogin(t, desk, base, "anna", "/agent")
	waitJS(t, desk, "console live", `document.querySelector("#stream.live") !== null`)
	step(t, desk, "log in to 202", chromedp.Click(`#login-form button`, chromedp.NodeVisible))
	waitJS(t, desk, "ready", jsEq("#state", i18n.T(i18n.EN, "agentui.state.available")))
	waitJS(t, board, "agent ready on the board", jsEq(`tr[data-agent="802"] .state-badge`, i18n.T(i18n.EN, "agentui.state.available")))

	// Anna's desk phone registers and answers the call the queue sends.
	media, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	phonePort := freeUDPPort(t)
	startSIPp(t, sipp, "register.xml", phonePort, sip, "-s", "202", "-au", "202", "-ap", secret).check(t, "register 202")
	if t.Failed() {
		t.FailNow()
	}
	phone := startSIPp(t, sipp, "answer-uas.xml", phonePort, "", "-s", "202",
		"-key", "mport", strconv.Itoa(media.LocalAddr().(*net.UDPAddr).Port))
	phone.waitBound(t, phonePort)

	caller := startSIPp(t, sipp, "pstn-call.xml", freeUDPPort(t), "127.0.0.1:"+strconv.Itoa(simBase+1),
		"-s", "80082", "-key", "callerid", "13800138000", "-key", "callername", "Customer")
	waitJS(t, desk, "pop of the caller", jsEq(".popcard .caller-name", "Chen Jing"))
	if got := text(t, desk, ".popcard .company"); got != "Jing Tea House" {
		t.Errorf("company %q", got)
	}
	shot(t, desk, dir, "e2e-agent-pop-en")
	waitJS(t, board, "answered on the board", jsEq(`.qcard[data-queue="sales"] [data-f="answered"]`, "1"))
	shot(t, board, dir, "e2e-wallboard-en")
	caller.check(t, "PSTN caller")
	phone.check(t, "Anna's desk 202")
}
