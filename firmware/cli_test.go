package firmware

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("LANG", "en_US.UTF-8")
	t.Setenv("LC_ALL", "")
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errb, "v1.0-test")
	return code, out.String(), errb.String()
}

func TestMain_WrongCommandLinesExitTwoWithAMessage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"run", "--http", "127.0.0.1:99999"}, "--http: bad listen address"},
		{[]string{"run", "--sip", "nohostport"}, "--sip: bad listen address"},
		{[]string{"run", "--log-level", "loud"}, "want debug, info, warn or error"},
		{[]string{"run", "stray"}, "unexpected arguments: stray"},
		{[]string{"version", "x"}, "unexpected arguments"},
		{[]string{"backup", "--data", "/tmp"}, "the flag --out is required"},
		{[]string{"restore"}, "the flag --in is required"},
	}
	for _, c := range cases {
		code, _, stderr := runMain(t, "", c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: code %d, stderr %q", c.args, code, stderr)
		}
	}
}

func TestMain_VersionHelpAndChinese(t *testing.T) {
	if code, out, _ := runMain(t, "", "version"); code != 0 || out != "callbox v1.0-test\n" {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := runMain(t, "", "help"); code != 0 || !strings.Contains(out, "callbox backup") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, _ := runMain(t, "", "run", "-h"); code != 0 {
		t.Fatalf("run -h: %d", code)
	}
	t.Setenv("LANG", "zh_CN.UTF-8")
	var errb bytes.Buffer
	if Main(context.Background(), []string{"nope"}, nil, &bytes.Buffer{}, &errb, "x") != ExitUsage || !strings.Contains(errb.String(), "未知命令") {
		t.Fatalf("zh: %q", errb.String())
	}
}

func TestMain_CheckConsoleAndRestoreOnAStoppedBox(t *testing.T) {
	dir := dataDir(t)
	if code, _, stderr := runMain(t, "", "check", "--data", dir); code != ExitError || !strings.Contains(stderr, "callbox:") {
		t.Fatalf("check of a missing store: %d %q", code, stderr)
	}
	if code, _, stderr := runMain(t, "", "console", "--data", dir); code != ExitError || !strings.Contains(stderr, "there is no store") {
		t.Fatalf("console without a store: %d %q", code, stderr)
	}
	cfg := testConfig(t, dir, nil)
	cfg.Demo = true
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.close(true)
	if code, out, _ := runMain(t, "", "check", "--data", dir); code != 0 || !strings.Contains(out, "no problems") {
		t.Fatalf("check: %d %q", code, out)
	}
	code, out, _ := runMain(t, "status\nreset-admin-password\nyes\nquit\n", "console", "--data", dir)
	if code != 0 || !strings.Contains(out, "not running; working on") || !strings.Contains(out, "extensions 5") ||
		!strings.Contains(out, "User admin has the one-time password") {
		t.Fatalf("offline console: %d\n%s", code, out)
	}
	bak := filepath.Join(t.TempDir(), "b.bak")
	if code, out, _ := runMain(t, "", "backup", "--data", dir, "--out", bak); code != 0 || !strings.Contains(out, "bytes written to") {
		t.Fatalf("backup: %d %q", code, out)
	}
	if code, out, _ := runMain(t, "", "restore", "--data", dir, "--in", bak); code != 0 || !strings.Contains(out, "Restored") {
		t.Fatalf("restore: %d %q", code, out)
	}
	if code, _, stderr := runMain(t, "", "restore", "--data", dir, "--in", filepath.Join(dir, "missing.bak")); code != ExitError || stderr == "" {
		t.Fatalf("restore of a missing file: %d %q", code, stderr)
	}
}
