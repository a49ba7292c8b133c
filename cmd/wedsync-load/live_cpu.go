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
	serverPID   int
	t0          time.Time
	busy0, ours uint64
	ourPIDs     map[int]uint64
}

const clockTicks = 100 // USER_HZ on Linux

func startCPU(serverPID int) *cpuMeter {
	m := &cpuMeter{serverPID: serverPID, t0: time.Now(), ourPIDs: map[int]uint64{}}
	m.busy0 = machineBusy()
	for pid, t := range m.ourProcesses() {
		m.ourPIDs[pid] = t
	}
	return m
}

// report prints the machine's CPU use since start, in cores, and returns this benchmark's.
func (m *cpuMeter) report(name string) (ours float64) {
	d := time.Since(m.t0).Seconds()
	busy := float64(machineBusy()-m.busy0) / clockTicks / d
	var ticks uint64
	for pid, t := range m.ourProcesses() {
		ticks += t - min(t, m.ourPIDs[pid]) // processes that started meanwhile count from zero
	}
	ours = float64(ticks) / clockTicks / d
	fmt.Printf("%s: CPU in use %.2f of %d cores: this benchmark (load generator, server, its PostgreSQL) %.2f, other processes %.2f\n",
		name, busy, numCPU(), ours, max(0, busy-ours))
	return ours
}

// ourProcesses maps this benchmark's processes to their CPU ticks so far.
func (m *cpuMeter) ourProcesses() map[int]uint64 {
	out := map[int]uint64{}
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		ok := pid == self || pid == m.serverPID
		if !ok {
			cmd, _ := os.ReadFile(d + "/cmdline")
			ok = bytes.Contains(cmd, []byte(liveDBName)) || (bytes.Contains(cmd, []byte("-idle-helper")) && bytes.Contains(cmd, []byte("live")))
		}
		if ok {
			out[pid] = procTicks(d)
		}
	}
	return out
}

func procTicks(dir string) uint64 {
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0
	}
	// The command may hold spaces: fields count from after its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return u + s
}

func machineBusy() uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy uint64
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		if i != 3 && i != 4 { // not idle, not iowait
			busy += n
		}
	}
	return busy
}

// waitQuiet waits, up to limit, for a second in which other processes use less than a quarter of
// a core, so a test does not start in the middle of another job's burst on a shared machine.
func waitQuiet(serverPID int, name string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		m := startCPU(serverPID)
		time.Sleep(time.Second)
		d := time.Since(m.t0).Seconds()
		busy := float64(machineBusy()-m.busy0) / clockTicks / d
		var ticks uint64
		for pid, t := range m.ourProcesses() {
			ticks += t - min(t, m.ourPIDs[pid])
		}
		other := busy - float64(ticks)/clockTicks/d
		if other < 0.25 {
			return
		}
		if time.Now().After(deadline) {
			fmt.Printf("%s: other processes still use %.2f cores after waiting %s; measuring anyway\n", name, other, limit)
			return
		}
	}
}
