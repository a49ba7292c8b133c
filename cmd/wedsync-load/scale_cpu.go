package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// scaleMeter reads the CPU time of the server process and of the benchmark cluster (its
// postmaster, every live child, and the children that exited, through the postmaster's
// cutime/cstime) from /proc.
type scaleMeter struct {
	serverPID int
	portArg   []byte
}

// cpuSample is CPU ticks at an instant.
type cpuSample struct {
	ticks uint64
	at    time.Time
}

// since is the percent of one core used between s0 and s.
func (s cpuSample) since(s0 cpuSample) float64 {
	d := s.at.Sub(s0.at).Seconds()
	if d <= 0 {
		return 0
	}
	return 100 * float64(s.ticks-min(s.ticks, s0.ticks)) / clockTicks / d
}

func newScaleMeter(serverPID, pgPort int) *scaleMeter {
	return &scaleMeter{serverPID: serverPID, portArg: []byte("-p\x00" + strconv.Itoa(pgPort) + "\x00")}
}

// read samples the server and the cluster.
func (m *scaleMeter) read() (out struct{ server, pg cpuSample }) {
	now := time.Now()
	type proc struct {
		ppid         int
		self, waited uint64
	}
	procs := map[int]proc{}
	postmaster := 0
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		ppid, self, waited := procTimes(d)
		procs[pid] = proc{ppid, self, waited}
		if postmaster == 0 {
			if cmd, _ := os.ReadFile(d + "/cmdline"); bytes.Contains(cmd, m.portArg) && bytes.Contains(cmd, []byte("postgres")) {
				postmaster = pid
			}
		}
	}
	out.server = cpuSample{ticks: procs[m.serverPID].self, at: now}
	pg := cpuSample{at: now}
	for pid, p := range procs {
		switch {
		case pid == postmaster:
			pg.ticks += p.self + p.waited
		case postmaster != 0 && p.ppid == postmaster:
			pg.ticks += p.self
		}
	}
	out.pg = pg
	return out
}

// procTimes reads a process's parent, its own user+system ticks and those of its children it
// waited for.
func procTimes(dir string) (ppid int, self, waited uint64) {
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, 0, 0
	}
	i := bytes.LastIndexByte(b, ')') // the command may hold spaces
	if i < 0 {
		return 0, 0, 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, 0, 0
	}
	n := func(k int) uint64 { v, _ := strconv.ParseUint(f[k], 10, 64); return v }
	ppid, _ = strconv.Atoi(f[1])
	return ppid, n(11) + n(12), n(13) + n(14)
}
