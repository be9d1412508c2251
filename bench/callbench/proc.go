package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clkTck is USER_HZ, 100 on every Linux this runs on.
const clkTck = 100

// procTree is a process and, when tree is set, every descendant (Kamailio
// forks its workers; the box and rtpengine are one process each).
type procTree struct {
	pid  int
	tree bool
}

// pids lists the process and its live descendants.
func (p procTree) pids() []int {
	if !p.tree {
		return []int{p.pid}
	}
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			parent[pid] = pp
		}
	}
	out := []int{p.pid}
	for pid := range parent {
		for q, hops := parent[pid], 0; q > 1 && hops < 8; q, hops = parent[q], hops+1 {
			if q == p.pid {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// statFields returns the fields of /proc/<pid>/stat after the command
// name (state is [0], ppid [1], utime [11], stime [12]).
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	return parseStat(string(b))
}

// parseStat splits a stat line after the command name, which is in
// parentheses and may itself hold spaces and parentheses.
func parseStat(line string) []string {
	i := strings.LastIndexByte(line, ')')
	if i < 0 || i+2 > len(line) {
		return nil
	}
	return strings.Fields(line[i+2:])
}

// cpuSeconds is utime+stime of the process (tree).
func (p procTree) cpuSeconds() float64 {
	var sum float64
	for _, pid := range p.pids() {
		f := statFields(pid)
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		sum += (ut + st) / clkTck
	}
	return sum
}

// usage is one reading of a process (tree)'s memory and handles.
type usage struct {
	// PSSKB is the proportional set size summed over the tree
	// (smaps_rollup), so memory Kamailio's workers share counts once;
	// for one process it is its RSS less its share of shared libraries.
	PSSKB int `json:"pss_kb"`
	RSSKB int `json:"rss_kb"` // VmRSS, summed
	// AnonKB and FileKB split VmRSS: anonymous memory (heap, stacks:
	// what the process holds itself) and file pages it has mapped (its
	// database file, which grows with the records it stores).
	AnonKB  int `json:"rss_anon_kb"`
	FileKB  int `json:"rss_file_kb"`
	Threads int `json:"threads"`
	FDs     int `json:"fds"`
	Procs   int `json:"processes"`
}

func (p procTree) usage() usage {
	var u usage
	for _, pid := range p.pids() {
		u.Procs++
		u.PSSKB += kbField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		u.RSSKB += parseField(string(status), "VmRSS:")
		u.AnonKB += parseField(string(status), "RssAnon:")
		u.FileKB += parseField(string(status), "RssFile:")
		u.Threads += parseField(string(status), "Threads:")
		if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
			u.FDs += len(ents)
		}
	}
	return u
}

// kbField reads the number after name at the start of a line of a
// /proc file.
func kbField(path, name string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return parseField(string(b), name)
}

// parseField finds the line starting with name and returns the integer
// after it ("VmRSS:   1234 kB" gives 1234), 0 when absent or malformed.
func parseField(text, name string) int {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, name) {
			if f := strings.Fields(line[len(name):]); len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}

// machine describes where the run happened.
func machine() (nproc int, model string) {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "processor") {
			nproc++
		}
		if model == "" && strings.HasPrefix(line, "model name") {
			if i := strings.IndexByte(line, ':'); i >= 0 {
				model = strings.TrimSpace(line[i+1:])
			}
		}
	}
	return nproc, model
}

// machineCPU is the busy and total time of all the machine's cores
// (the first line of /proc/stat, in clock ticks); zero when unreadable.
type machineCPU struct{ busy, total uint64 }

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseCPUStatLine(line)
}

// parseCPUStatLine reads "cpu user nice system idle iowait irq softirq
// steal ...": idle and iowait are not busy; everything else is.
func parseCPUStatLine(line string) machineCPU {
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return machineCPU{}
	}
	var m machineCPU
	for i, v := range f[1:] {
		if i >= 8 { // guest time is counted in user already
			break
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return machineCPU{}
		}
		m.total += n
		if i != 3 && i != 4 {
			m.busy += n
		}
	}
	return m
}

// busyPercent is the share of the machine busy between two readings.
func (m machineCPU) busyPercent(before machineCPU) float64 {
	if m.total <= before.total || m.busy < before.busy {
		return 0
	}
	return 100 * float64(m.busy-before.busy) / float64(m.total-before.total)
}
