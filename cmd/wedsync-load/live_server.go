package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

// liveServer is a `wedsync serve` process started by the benchmark: web and workers on the
// benchmark's private database, with its metrics listener on.
type liveServer struct {
	cmd        *exec.Cmd
	addr       string
	metricsURL string
	exited     chan struct{}
}

// buildServer builds ./cmd/wedsync into dir (the benchmark runs from the repository root).
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "wedsync")
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/wedsync")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build ./cmd/wedsync (run from the repository root): %w", err)
	}
	return bin, nil
}

func startLiveServer(ctx context.Context, bin string, env []string) (*liveServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	maddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &liveServer{addr: addr, metricsURL: "http://" + maddr, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--log-level", "warn")
	s.cmd.Env = append(append(os.Environ(), env...), "WEDSYNC_BASE_URL=http://"+addr, "WEDSYNC_METRICS_ADDR="+maddr)
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, errors.New("server exited during start-up")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("server not ready within 30 s")
		}
	}
}

// stop interrupts the server (graceful shutdown) and kills it after 10 s.
func (s *liveServer) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// scrape reads the server's unlabeled metric samples (gauges and counters) by name.
func (s *liveServer) scrape(ctx context.Context) (map[string]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.metricsURL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || strings.HasPrefix(f[0], "#") || strings.Contains(f[0], "{") {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			out[f[0]] = v
		}
	}
	return out, sc.Err()
}

// fanoutBuckets reads the server's fan-out histogram: cumulative counts by upper bound.
func (s *liveServer) fanoutBuckets(ctx context.Context) (map[float64]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.metricsURL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	out := map[float64]float64{}
	sc := bufio.NewScanner(resp.Body)
	const prefix = `wedsync_live_fanout_seconds_bucket{le="`
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		bound, err1 := strconv.ParseFloat(le, 64)
		n, err2 := strconv.ParseFloat(count, 64)
		if err1 == nil && err2 == nil {
			out[bound] = n
		}
	}
	return out, sc.Err()
}

// bucketQuantile is the upper bound of the bucket holding quantile q of the observations made
// between two readings of a histogram.
func bucketQuantile(before, after map[float64]float64, q float64) float64 {
	bounds := make([]float64, 0, len(after))
	for b := range after {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 {
		return 0
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	for _, b := range bounds {
		if after[b]-before[b] >= q*total {
			return b
		}
	}
	return bounds[len(bounds)-1]
}

// forceGC makes the server collect garbage (the heap profile endpoint's gc=1), so heap figures
// count live memory only.
func (s *liveServer) forceGC(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.metricsURL+"/debug/pprof/heap?gc=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("force gc: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// memory is the server's memory as the benchmark compares it.
type serverMemory struct {
	rss, heap, stack, goroutines, fds, streams float64
}

// settledMemory collects garbage twice and reads the server's memory.
func (s *liveServer) settledMemory(ctx context.Context) (serverMemory, error) {
	for range 2 {
		if err := s.forceGC(ctx); err != nil {
			return serverMemory{}, err
		}
		time.Sleep(300 * time.Millisecond)
	}
	m, err := s.scrape(ctx)
	if err != nil {
		return serverMemory{}, err
	}
	return serverMemory{rss: m["process_resident_memory_bytes"], heap: m["go_memstats_heap_inuse_bytes"],
		stack: m["go_memstats_stack_inuse_bytes"], goroutines: m["go_goroutines"], fds: m["process_open_fds"],
		streams: m["wedsync_live_streams"]}, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// profile records CPU profiles of the server (for d) and of this process (until stop) into dir,
// when dir is set.
func (b *liveBench) profile(ctx context.Context, dir, name string, d time.Duration) (stop func(), err error) {
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, name+"-load.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", b.srv.metricsURL, max(1, int(d.Seconds())))
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "server profile:", err)
			return
		}
		defer resp.Body.Close()
		out, err := os.Create(filepath.Join(dir, name+"-server.pprof"))
		if err != nil {
			return
		}
		defer out.Close()
		_, _ = io.Copy(out, resp.Body)
	}()
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		<-done
	}, nil
}

// saveHeapProfile saves the server's heap profile (after a collection) into dir, when set.
func (s *liveServer) saveHeapProfile(ctx context.Context, dir, name string) error {
	if dir == "" {
		return nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.metricsURL+"/debug/pprof/heap?gc=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := os.Create(filepath.Join(dir, name+"-server-heap.pprof"))
	if err != nil {
		return err
	}
	defer out.Close()
	_, err = io.Copy(out, resp.Body)
	return err
}
