package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuMeter tells how busy the machine was during a test, and how much of that was this
// benchmark (this process, its helper, the server and the benchmark database's backends) and how
// much other processes: on a shared machine, the latencies mean little without it.
type cpuMeter struct {
	serverPID, pgPort int
	t0                time.Time
	busy0, irq0       uint64
	ourPIDs           map[int]uint64
}

const clockTicks = 100 // USER_HZ on Linux

func startCPU(serverPID, pgPort int) *cpuMeter {
	m := &cpuMeter{serverPID: serverPID, pgPort: pgPort, t0: time.Now(), ourPIDs: map[int]uint64{}}
	m.busy0, m.irq0 = machineBusy()
	for pid, t := range m.ourProcesses() {
		m.ourPIDs[pid] = t
	}
	return m
}

// report prints the machine's CPU use since start, in cores, and returns this benchmark's.
// Interrupt time (loopback TCP is mostly softirq work) belongs to no process: it is shown apart.
func (m *cpuMeter) report(name string) (ours float64) {
	busy, irq, ours := m.read()
	fmt.Printf("%s: CPU in use %.2f of %d cores: this benchmark (load generator, server, its PostgreSQL) %.2f, interrupts %.2f, other processes %.2f\n",
		name, busy, numCPU(), ours, irq, max(0, busy-ours-irq))
	return ours
}

// cpuSplit is CPU time spent since start by the server process, this process (the load
// generator and its clients) and the benchmark's PostgreSQL.
type cpuSplit struct{ server, load, postgres time.Duration }

// split reads this benchmark's CPU time since start by role: unlike cores in use, it does not
// depend on how much of the machine other processes took meanwhile.
func (m *cpuMeter) split() cpuSplit {
	var out cpuSplit
	self := os.Getpid()
	for pid, t := range m.ourProcesses() {
		d := time.Duration(t-min(t, m.ourPIDs[pid])) * time.Second / clockTicks
		switch pid {
		case m.serverPID:
			out.server += d
		case self:
			out.load += d
		default:
			out.postgres += d
		}
	}
	return out
}

// read returns the cores in use since start: all, interrupts, and this benchmark's processes.
func (m *cpuMeter) read() (busy, irq, ours float64) {
	d := time.Since(m.t0).Seconds()
	b, i := machineBusy()
	var ticks uint64
	for pid, t := range m.ourProcesses() {
		ticks += t - min(t, m.ourPIDs[pid]) // processes that started meanwhile count from zero
	}
	return float64(b-m.busy0) / clockTicks / d, float64(i-m.irq0) / clockTicks / d, float64(ticks) / clockTicks / d
}

// ourProcesses maps this benchmark's processes to their CPU ticks so far: this process, the
// server, the idle helper, and the benchmark cluster's postmaster with all its children.
func (m *cpuMeter) ourProcesses() map[int]uint64 {
	type proc struct {
		ppid  int
		ticks uint64
		cmd   []byte
	}
	procs := map[int]proc{}
	postmaster := 0
	portArg := []byte("-p\x00" + strconv.Itoa(m.pgPort) + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		ppid, ticks := procStat(d)
		cmd, _ := os.ReadFile(d + "/cmdline")
		procs[pid] = proc{ppid, ticks, cmd}
		if m.pgPort > 0 && bytes.Contains(cmd, portArg) && bytes.Contains(cmd, []byte("postgres")) {
			postmaster = pid
		}
	}
	out := map[int]uint64{}
	self := os.Getpid()
	for pid, p := range procs {
		if pid == self || pid == m.serverPID || (postmaster != 0 && (pid == postmaster || p.ppid == postmaster)) ||
			(bytes.Contains(p.cmd, []byte("-idle-helper")) && p.ppid == self) {
			out[pid] = p.ticks
		}
	}
	return out
}

// procStat reads a process's parent and its user+system CPU ticks.
func procStat(dir string) (ppid int, ticks uint64) {
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, 0
	}
	// The command may hold spaces: fields count from after its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0
	}
	ppid, _ = strconv.Atoi(f[1])
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return ppid, u + s
}

// machineBusy reads the machine's busy ticks (all but idle and iowait) and, of those, the
// interrupt ticks (irq, softirq).
func machineBusy() (busy, irq uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		if i != 3 && i != 4 { // not idle, not iowait
			busy += n
		}
		if i == 5 || i == 6 {
			irq += n
		}
	}
	return busy, irq
}

// waitQuiet waits, up to limit, for a second in which other processes use less than a quarter of
// a core, so a test does not start in the middle of another job's burst on a shared machine.
func waitQuiet(serverPID, pgPort int, name string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		m := startCPU(serverPID, pgPort)
		time.Sleep(time.Second)
		busy, irq, ours := m.read()
		other := busy - ours - irq
		if other < 0.25 {
			return
		}
		if time.Now().After(deadline) {
			fmt.Printf("%s: other processes still use %.2f cores after waiting %s; measuring anyway\n", name, other, limit)
			return
		}
	}
}
