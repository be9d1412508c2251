package store

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var long = flag.Bool("long", false, "run the long variants of robustness tests")

// crashChildEnv switches the test binary into the writer child of
// TestStore_KeepsAcknowledgedWritesAcrossSIGKILL.
const crashChildEnv = "CALLBOX_STORE_CRASH_CHILD"

// crashChild opens the store and writes without end, printing
// "put <key> <n>" after each Put returned and "del <key> <n>" after each
// Delete, until the parent kills it.
func crashChild(path string, round int) {
	s, err := Open(path)
	if err != nil {
		fmt.Println("open-error", err)
		os.Exit(3)
	}
	fmt.Println("open")
	rng := rand.New(rand.NewPCG(uint64(round), 7))
	w := bufio.NewWriter(os.Stdout)
	// Bounded so that an orphaned child cannot run away.
	for n := range 20000 {
		key := fmt.Sprintf("k%02d", rng.IntN(40))
		if rng.IntN(10) == 0 {
			if _, err := Delete[Customer](s, key); err == nil {
				fmt.Fprintf(w, "del %s %d\n", key, n)
			}
		} else {
			c := Customer{ID: key, Name: "crash", Numbers: []string{"+86138" + strconv.Itoa(10000000+n)}, Notes: strings.Repeat("x", rng.IntN(3000)), VIP: n%2 == 0}
			c.Company = strconv.Itoa(round*100000 + n)
			if _, err := Put(s, c); err != nil {
				fmt.Fprintln(w, "put-error", err)
				w.Flush()
				os.Exit(4)
			}
			fmt.Fprintf(w, "put %s %d\n", key, round*100000+n)
		}
		w.Flush()
	}
	_ = s.Close()
	os.Exit(0)
}

func TestStore_KeepsAcknowledgedWritesAcrossSIGKILL(t *testing.T) {
	if p := os.Getenv(crashChildEnv); p != "" {
		round, _ := strconv.Atoi(os.Getenv(crashChildEnv + "_ROUND"))
		crashChild(p, round)
		return
	}
	rounds := 25
	if *long {
		rounds = 300
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "callbox.db")
	rng := rand.New(rand.NewPCG(11, 12))
	// want[key] is the last acknowledged state: the Company stamp of the
	// last acknowledged Put, or "" after an acknowledged Delete.
	want := map[string]string{}
	var acked uint64
	for round := 1; round <= rounds; round++ {
		cmd := exec.Command(exe, "-test.run=^TestStore_KeepsAcknowledgedWritesAcrossSIGKILL$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path, fmt.Sprintf("%s_ROUND=%d", crashChildEnv, round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of acknowledgements; 0 kills the
		// child while it opens the file.
		killAfter := rng.IntN(120)
		sc := bufio.NewScanner(out)
		lines := 0
		maxStamp := 0
		handle := func(line string) {
			f := strings.Fields(line)
			switch {
			case len(f) == 1 && f[0] == "open":
			case len(f) == 3 && f[0] == "put":
				want[f[1]] = f[2]
				n, _ := strconv.Atoi(f[2])
				maxStamp = max(maxStamp, n)
				acked++
			case len(f) == 3 && f[0] == "del":
				want[f[1]] = ""
				acked++
			default:
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("child: %s", line)
			}
		}
		for lines <= killAfter && sc.Scan() {
			handle(sc.Text())
			lines++
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		// Every line the child printed before it died is an
		// acknowledgement too: read them all.
		for sc.Scan() {
			handle(sc.Text())
		}
		_ = cmd.Wait()

		s, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		probs, err := s.Check()
		if err != nil || len(probs) != 0 {
			t.Fatalf("round %d: check: %v %v", round, probs, err)
		}
		// The write in flight when the child died may have committed
		// without its acknowledgement: one more seq, one key changed.
		if s.Seq() < acked || s.Seq() > acked+1 {
			t.Fatalf("round %d: seq %d, %d writes acknowledged", round, s.Seq(), acked)
		}
		all, err := List[Customer](s)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range all {
			got[c.ID] = c.Company
		}
		differ := 0
		for key := range 40 {
			k := fmt.Sprintf("k%02d", key)
			if got[k] == want[k] {
				continue
			}
			differ++
			if n, _ := strconv.Atoi(got[k]); got[k] != "" && n <= maxStamp {
				t.Fatalf("round %d: %s holds %q, acknowledged %q", round, k, got[k], want[k])
			}
		}
		if differ > 1 || (differ == 1 && s.Seq() != acked+1) {
			t.Fatalf("round %d: %d keys differ from the acknowledged writes (seq %d, acked %d)", round, differ, s.Seq(), acked)
		}
		// Start the next round from what is on disk.
		want = got
		acked = s.Seq()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	probs, err := Check(path)
	if err != nil || len(probs) != 0 {
		t.Fatalf("final check: %v %v", probs, err)
	}
}
