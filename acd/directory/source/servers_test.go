package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The peers the tests start for themselves, one throwaway instance each,
// stopped by PID when the tests end. A peer whose binaries are missing is
// skipped, unless CALLBOX_REQUIRE_E2E=1.
var (
	pgDSN    string // empty when PostgreSQL is not available
	myDSN    string // MariaDB
	ldapURL  string // slapd
	peerErrs = map[string]error{}
	peerPIDs []int
)

const (
	ldapBase  = "dc=example,dc=com"
	ldapAdmin = "cn=admin,dc=example,dc=com"
	ldapPass  = "secret"
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "callbox-directory-peers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The postgres user must reach its data directory inside.
	os.Chmod(tmp, 0o755)
	// The servers are children started from this thread with a parent
	// death signal, so a test binary killed midway takes them along.
	runtime.LockOSThread()
	if fuzzing() {
		for _, p := range []string{"postgresql", "mariadb", "slapd"} {
			peerErrs[p] = errors.New("not started while fuzzing")
		}
	} else {
		pgDSN, peerErrs["postgresql"] = startPostgres(filepath.Join(tmp, "pg"))
		myDSN, peerErrs["mariadb"] = startMariaDB(filepath.Join(tmp, "my"))
		ldapURL, peerErrs["slapd"] = startSlapd(filepath.Join(tmp, "ldap"))
	}
	code := m.Run()
	for _, pid := range peerPIDs {
		stopPID(pid)
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

// fuzzing reports whether this process fuzzes: every fuzz worker runs
// TestMain, and none of the fuzz targets needs a server.
func fuzzing() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.fuzz=") || strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}

// child makes cmd die with the test binary.
func child(cmd *exec.Cmd) *exec.Cmd {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	return cmd
}

// needPeer skips (or fails under CALLBOX_REQUIRE_E2E=1) when a peer could
// not be started.
func needPeer(t *testing.T, name string) {
	t.Helper()
	if err := peerErrs[name]; err != nil {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatalf("%s: %v", name, err)
		}
		t.Skipf("%s: %v", name, err)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func run(name string, args ...string) error {
	out, err := child(exec.Command(name, args...)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// stopPID asks a server to stop and waits (bounded) for it to go.
func stopPID(pid int) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	p.Signal(syscall.SIGTERM)
	for range 100 {
		if p.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Signal(syscall.SIGKILL)
}

// waitSQL pings until the server answers (bounded).
func waitSQL(driver, dsn string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var last error
	for range 150 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		last = db.PingContext(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

func pgBin() (string, error) {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(m) == 0 {
		return "", fmt.Errorf("initdb not installed (Debian package postgresql)")
	}
	return filepath.Dir(m[len(m)-1]), nil
}

func startPostgres(dir string) (string, error) {
	bin, err := pgBin()
	if err != nil {
		return "", err
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	asPG := func(args ...string) error {
		return run("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
	}
	if err := run("chown", "postgres", dir); err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	if err := asPG(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8"); err != nil {
		return "", err
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return "", err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return "", err
	}
	defer logf.Close()
	cmd := child(exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"))
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	peerPIDs = append(peerPIDs, cmd.Process.Pid)
	go cmd.Wait()
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := waitSQL("pgx", dsn); err != nil {
		return "", err
	}
	return dsn, nil
}

func startMariaDB(dir string) (string, error) {
	if _, err := exec.LookPath("mariadbd"); err != nil {
		if _, err2 := os.Stat("/usr/sbin/mariadbd"); err2 != nil {
			return "", fmt.Errorf("mariadbd not installed (Debian package mariadb-server)")
		}
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", err
	}
	if err := run("mariadb-install-db", "--no-defaults", "--user=root", "--datadir="+data,
		"--auth-root-authentication-method=normal", "--skip-test-db"); err != nil {
		return "", err
	}
	cmd := child(exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--user=root", "--datadir="+data,
		"--port="+strconv.Itoa(port), "--bind-address=127.0.0.1", "--socket="+filepath.Join(dir, "sock"),
		"--pid-file="+filepath.Join(dir, "pid"), "--skip-grant-tables", "--skip-log-bin",
		"--innodb-buffer-pool-size=16M", "--character-set-server=utf8mb4", "--log-error="+filepath.Join(dir, "log")))
	if err := cmd.Start(); err != nil {
		return "", err
	}
	peerPIDs = append(peerPIDs, cmd.Process.Pid)
	// Reap the server when it exits so that stopPID sees it gone.
	go cmd.Wait()
	dsn := fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port)
	if err := waitSQL("mysql", dsn); err != nil {
		return "", err
	}
	return dsn, nil
}

func startSlapd(dir string) (string, error) {
	if _, err := os.Stat("/usr/sbin/slapd"); err != nil {
		return "", fmt.Errorf("slapd not installed (Debian package slapd)")
	}
	if _, err := exec.LookPath("ldapadd"); err != nil {
		return "", fmt.Errorf("ldapadd not installed (Debian package ldap-utils)")
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(db, 0o755); err != nil {
		return "", err
	}
	conf := filepath.Join(dir, "slapd.conf")
	err = os.WriteFile(conf, []byte(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile `+filepath.Join(dir, "slapd.pid")+`
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 16777216
suffix "`+ldapBase+`"
rootdn "`+ldapAdmin+`"
rootpw `+ldapPass+`
directory `+db+`
`), 0o600)
	if err != nil {
		return "", err
	}
	url := fmt.Sprintf("ldap://127.0.0.1:%d", port)
	// -d keeps slapd in the foreground, so its PID is the one we started.
	cmd := child(exec.Command("/usr/sbin/slapd", "-f", conf, "-h", url+"/", "-d", "0"))
	if err := cmd.Start(); err != nil {
		return "", err
	}
	peerPIDs = append(peerPIDs, cmd.Process.Pid)
	go cmd.Wait()
	ldif := filepath.Join(dir, "data.ldif")
	err = os.WriteFile(ldif, []byte(`dn: `+ldapBase+`
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,`+ldapBase+`
objectClass: organizationalUnit
ou: people

dn: uid=wang,ou=people,`+ldapBase+`
objectClass: inetOrgPerson
uid: wang
cn: Wang Fang
sn: Wang
o: Example Trading
ou: Purchasing
telephoneNumber: +8613812345678
mail: wang@example.com
`), 0o600)
	if err != nil {
		return "", err
	}
	var last error
	for range 100 {
		add := exec.Command("ldapadd", "-x", "-H", url, "-D", ldapAdmin, "-w", ldapPass, "-f", ldif)
		out, err := add.CombinedOutput()
		if err == nil {
			return url, nil
		}
		last = fmt.Errorf("ldapadd: %w: %s", err, out)
		// 255: slapd is not listening yet; anything else is final.
		if add.ProcessState.ExitCode() != 255 {
			return "", last
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", last
}

func itoa(n int) string { return strconv.Itoa(n) }
