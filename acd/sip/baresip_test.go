package sip

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestBaresip_RegistersAndUnregistersOnExit runs a real softphone
// against the registrar: it registers with digest, and on SIGTERM it
// unregisters, which removes the binding.
func TestBaresip_RegistersAndUnregistersOnExit(t *testing.T) {
	bin := needPeer(t, "baresip")
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	dir := t.TempDir()
	port := freePort(t, "udp", "127.0.0.1")
	modules := "/usr/lib/baresip/modules"
	config := fmt.Sprintf(`module_path		%s
sip_listen		127.0.0.1:%d
net_interface		127.0.0.1
audio_player		aufile,/dev/null
audio_source		ausine,440
audio_alert		aufile,/dev/null
module			g711.so
module			ausine.so
module			aufile.so
module_app		account.so
`, modules, port)
	accounts := fmt.Sprintf("<sip:1001@%s;transport=udp>;auth_pass=%s;regint=300\n", srv.udp(), secret1001)
	for name, body := range map[string]string{"config": config, "accounts": accounts} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-f", dir, "-4")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("baresip output:\n%s", out.String())
		}
	})
	eventually(t, "baresip registered", func() bool {
		bs := srv.Contacts("1001")
		return len(bs) == 1 && strings.Contains(strings.ToLower(bs[0].UserAgent), "baresip")
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, "baresip unregistered on exit", func() bool { return len(srv.Contacts("1001")) == 0 })
}
