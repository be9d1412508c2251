package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// errNoSIP means the binary started but nothing answered SIP on its port.
var errNoSIP = errors.New("no SIP answer")

// system is one system under test, started by the harness.
type system struct {
	Name string `json:"name"`
	Note string `json:"note,omitempty"`
	sip  string // host:port of its SIP UDP listener
	// signal does the SIP work, media relays RTP; the same process for
	// the box, Kamailio's process tree and rtpengine for the peer.
	signal, media procTree
	http          string // status and pprof, "" if none
	debug         string // the binary's --debug listener (pprof, /debug/stats), "" if none
	pprof         bool
	procs         []*child
	setupRate     int // calls/s while a concurrent step is set up, when not the mode's
	// regExpiry is the registration lifetime the bench phones ask for
	// (0: an hour); the box grants it when started with a longer
	// --sip-max-expiry, so runs longer than an hour (the soak) keep their
	// phones registered without refreshing them.
	regExpiry time.Duration
	// data is the box's data directory ("" for the peer).
	data string
}

// registrationFor is how long phones registered for a run bounded by
// ctx must stay registered: the whole run and ten minutes more, and at
// least an hour.
func registrationFor(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Hour
	}
	return max(time.Hour, time.Until(d).Round(time.Minute)+10*time.Minute)
}

// cpu is the CPU time of everything the system runs.
func (s *system) cpu() (signal, media float64) {
	signal = s.signal.cpuSeconds()
	if s.media.pid == s.signal.pid {
		return signal, signal
	}
	return signal, s.media.cpuSeconds()
}

// usage sums memory and handles of the system's processes.
func (s *system) usage() usage {
	u := s.signal.usage()
	if s.media.pid != s.signal.pid {
		m := s.media.usage()
		u.PSSKB += m.PSSKB
		u.RSSKB += m.RSSKB
		u.Threads += m.Threads
		u.FDs += m.FDs
		u.Procs += m.Procs
	}
	return u
}

// goroutines asks the box for its goroutine count: from /debug/stats
// (boxStats), the "goroutines" field of /status, or the total of
// /debug/pprof/goroutine. -1 when it serves none of them.
func (s *system) goroutines() int {
	if b := s.boxStats(); b != nil {
		return int(b.Goroutines)
	}
	c := http.Client{Timeout: 3 * time.Second}
	if s.http == "" {
		return -1
	}
	if r, err := c.Get("http://" + s.http + "/status"); err == nil {
		var v struct {
			Goroutines *int `json:"goroutines"`
		}
		err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&v)
		r.Body.Close()
		if err == nil && v.Goroutines != nil {
			return *v.Goroutines
		}
	}
	if r, err := c.Get("http://" + s.pprofAddr() + "/debug/pprof/goroutine?debug=1"); err == nil {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		r.Body.Close()
		var n int
		if _, err := fmt.Sscanf(string(b), "goroutine profile: total %d", &n); err == nil {
			return n
		}
	}
	return -1
}

// profile saves a CPU profile of d from the system's pprof endpoint.
func (s *system) profile(ctx context.Context, d time.Duration, path string) {
	s.fetchProfile(ctx, "profile", d, path)
}

// allocProfile saves what the system allocated during the next d.
func (s *system) allocProfile(ctx context.Context, d time.Duration, path string) {
	s.fetchProfile(ctx, "allocs", d, path)
}

func (s *system) fetchProfile(ctx context.Context, kind string, d time.Duration, path string) {
	if d < time.Second {
		return
	}
	s.savePprof(ctx, fmt.Sprintf("%s?seconds=%d", kind, int(d.Seconds())), d+10*time.Second, path)
}

// goroutineDump saves every goroutine's stack from the pprof endpoint.
func (s *system) goroutineDump(path string) {
	s.savePprof(context.Background(), "goroutine?debug=2", 20*time.Second, path)
}

// heapProfile saves the in-use heap (after a GC) from the pprof endpoint.
func (s *system) heapProfile(path string) {
	s.savePprof(context.Background(), "heap?gc=1", 20*time.Second, path)
}

// savePprof writes what the system's pprof endpoint answers to query
// (the part after /debug/pprof/) to path; nothing without pprof or on
// an error answer.
func (s *system) savePprof(ctx context.Context, query string, timeout time.Duration, path string) {
	if !s.pprof {
		return
	}
	c := http.Client{Timeout: timeout}
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+s.pprofAddr()+"/debug/pprof/"+query, nil)
	if err != nil {
		return
	}
	r, err := c.Do(req)
	if err != nil {
		log.Printf("pprof %s: %v", path, err)
		return
	}
	defer r.Body.Close()
	if r.StatusCode != 200 {
		return
	}
	if f, err := os.Create(path); err == nil {
		io.Copy(f, r.Body)
		f.Close()
	}
}

// goMemory reads HeapInuse+StackInuse (KB, after a GC) from the text
// heap profile's MemStats trailer; -1 without pprof.
func (s *system) goMemory() int {
	if !s.pprof {
		return -1
	}
	c := http.Client{Timeout: 20 * time.Second}
	r, err := c.Get("http://" + s.pprofAddr() + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return -1
	}
	defer r.Body.Close()
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return -1
	}
	return parseMemStats(string(b))
}

// parseMemStats sums "# HeapInuse = N" and the in-use half of
// "# Stack = N / M" (bytes) from the heap profile's MemStats trailer into
// KB; -1 when either is missing.
func parseMemStats(text string) int {
	heap, stack := -1, -1
	for _, line := range strings.Split(text, "\n") {
		var v int
		if _, err := fmt.Sscanf(line, "# HeapInuse = %d", &v); err == nil {
			heap = v
		}
		var sys int
		if _, err := fmt.Sscanf(line, "# Stack = %d / %d", &v, &sys); err == nil {
			stack = v // in use / obtained from the OS
		}
	}
	if heap < 0 || stack < 0 {
		return -1
	}
	return (heap + stack) / 1024
}

// freeMemory asks a Go system to collect and hand its free pages back
// to the kernel (POST /debug/free-memory on its pprof address: the
// binary's debug listener, bench/pbxsut's HTTP); false when it could not.
func (s *system) freeMemory() bool {
	if !s.pprof {
		return false
	}
	c := http.Client{Timeout: 20 * time.Second}
	r, err := c.Post("http://"+s.pprofAddr()+"/debug/free-memory", "", nil)
	if err != nil {
		return false
	}
	r.Body.Close()
	return r.StatusCode == http.StatusOK || r.StatusCode == http.StatusNoContent
}

// pprofAddr is where the system serves /debug/pprof: the binary's debug
// listener, or its HTTP address (bench/pbxsut).
func (s *system) pprofAddr() string {
	if s.debug != "" {
		return s.debug
	}
	return s.http
}

func (s *system) hasPprof() bool {
	if s.pprofAddr() == "" {
		return false
	}
	c := http.Client{Timeout: 3 * time.Second}
	r, err := c.Get("http://" + s.pprofAddr() + "/debug/pprof/")
	if err != nil {
		return false
	}
	r.Body.Close()
	return r.StatusCode == 200
}

// stop ends what the system started, last first, each by its PID.
func (s *system) stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		s.procs[i].stop()
	}
}

// child is a process the harness started.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs a program with its output in dir/<name>.log. The child
// dies with the harness (parent-death signal).
func start(dir, name, bin string, args ...string) (*child, error) {
	f, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		f.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the child's PID, then SIGKILL after 10 s.
func (c *child) stop() {
	if c.exited() {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		log.Printf("%s (pid %d) ignored SIGTERM; killing it", c.name, c.pid())
		c.cmd.Process.Kill()
		<-c.done
	}
}

// probeSIP sends OPTIONS until any SIP response comes back or the
// deadline passes.
func probeSIP(ctx context.Context, addr string, within time.Duration) error {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer conn.Close()
	to, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return err
	}
	lport := conn.LocalAddr().(*net.UDPAddr).Port
	deadline := time.Now().Add(within)
	buf := make([]byte, 4096)
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		msg := fmt.Sprintf("OPTIONS sip:probe@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-probe-%d;rport\r\n"+
			"From: <sip:probe@127.0.0.1>;tag=probe%d\r\nTo: <sip:probe@%s>\r\nCall-ID: probe-%d-%d@127.0.0.1\r\n"+
			"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nUser-Agent: callbench\r\nContent-Length: 0\r\n\r\n",
			addr, lport, i, i, addr, lport, i)
		conn.WriteTo([]byte(msg), to)
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, _, err := conn.ReadFrom(buf); err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 ") {
			return nil
		}
	}
	return fmt.Errorf("%s: %w within %v", addr, errNoSIP, within)
}

// pingNG waits until rtpengine answers a ping on its ng control port
// (bencode over UDP: "<cookie> d7:command4:pinge").
func pingNG(ctx context.Context, addr string, within time.Duration) error {
	conn, err := net.Dial("udp4", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(within)
	buf := make([]byte, 512)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		conn.Write([]byte("bench1 d7:command4:pinge"))
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := conn.Read(buf); err == nil && strings.Contains(string(buf[:n]), "pong") {
			return nil
		}
	}
	return fmt.Errorf("rtpengine at %s did not answer ping within %v", addr, within)
}

// storeKB is the size of the box's store file, 0 when it has none.
func (s *system) storeKB() int64 {
	if s.data == "" {
		return 0
	}
	fi, err := os.Stat(filepath.Join(s.data, "callbox.db"))
	if err != nil {
		return 0
	}
	return fi.Size() / 1024
}
