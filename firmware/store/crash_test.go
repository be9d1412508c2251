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
		// pending holds the one write that may be committed without its
		// acknowledgement having been read.
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch f[0] {
			case "open":
			case "put":
				want[f[1]] = f[2]
				acked++
			case "del":
				want[f[1]] = ""
				acked++
			default:
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("child: %s", sc.Text())
			}
			lines++
			if lines > killAfter {
				break
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
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
		if s.Seq() < acked {
			t.Fatalf("round %d: seq %d below %d acknowledged writes", round, s.Seq(), acked)
		}
		for key, stamp := range want {
			c, err := Get[Customer](s, key)
			switch {
			case stamp == "" && err == nil:
				// The write after the acknowledged delete may have
				// committed: it must be newer than anything acknowledged.
				if n, _ := strconv.Atoi(c.Company); n < round*100000 {
					t.Fatalf("round %d: %s deleted but holds old %s", round, key, c.Company)
				}
			case stamp == "":
			case err != nil:
				t.Fatalf("round %d: acknowledged %s=%s lost: %v", round, key, stamp, err)
			case c.Company != stamp:
				// Only a newer, unacknowledged write may replace it.
				got, _ := strconv.Atoi(c.Company)
				w, _ := strconv.Atoi(stamp)
				if got < w {
					t.Fatalf("round %d: %s holds %s, acknowledged %s", round, key, c.Company, stamp)
				}
				want[key] = c.Company
			}
		}
		// Resync the expectation with what the unacknowledged last
		// write may have done, so the next round starts exact.
		all, err := List[Customer](s)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			want[k] = ""
		}
		for _, c := range all {
			want[c.ID] = c.Company
		}
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
