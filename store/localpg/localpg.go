// Package localpg starts a private PostgreSQL cluster from the machine's server binaries.
//
// It backs both the test suite (throwaway clusters under /tmp) and the embedded default of
// `wedsync serve` (a persistent cluster under ./.wedsync/). When the process runs as root the
// server runs as the `postgres` user, because initdb and postgres refuse to run as root.
package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultBinDir is where Debian installs the PostgreSQL 15 server binaries.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// Options configures a cluster.
type Options struct {
	// DataDir holds the cluster. Empty means a fresh temporary directory that Stop removes.
	DataDir string
	// BinDir holds initdb, pg_ctl and postgres. Empty means DefaultBinDir or $PG_BIN_DIR.
	BinDir string
	// Port to listen on (127.0.0.1 only). Zero picks a free port.
	Port int
	// Throwaway turns off fsync and synchronous commit: fast, for tests only.
	Throwaway bool
	// MaxConnections overrides the server's max_connections when positive.
	MaxConnections int
}

// Cluster is a running PostgreSQL server.
type Cluster struct {
	dataDir   string
	socketDir string
	binDir    string
	port      int
	temporary bool
	asUser    string // "postgres" when we run as root, else ""
}

// SuperUser is the bootstrap superuser of clusters created by this package.
const SuperUser = "postgres"

// Start initializes the cluster if its data directory is empty and starts the server.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c := &Cluster{binDir: opts.BinDir, port: opts.Port}
	if c.binDir == "" {
		c.binDir = os.Getenv("PG_BIN_DIR")
	}
	if c.binDir == "" {
		c.binDir = DefaultBinDir
	}
	if _, err := os.Stat(filepath.Join(c.binDir, "initdb")); err != nil {
		return nil, fmt.Errorf("localpg: PostgreSQL server binaries not found in %s (apt-get install postgresql): %w", c.binDir, err)
	}
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
	}
	var err error
	if opts.DataDir == "" {
		// os.MkdirTemp under /tmp: t.TempDir's 0700 root parents would stop initdb.
		base, err := os.MkdirTemp("", "wedsync-pg-")
		if err != nil {
			return nil, fmt.Errorf("localpg: temp dir: %w", err)
		}
		c.temporary = true
		opts.DataDir = filepath.Join(base, "data")
	}
	c.dataDir, err = filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if err := c.prepareDirs(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	}
	if c.port == 0 {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	if err := c.start(ctx, opts); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) prepareDirs() error {
	parent := filepath.Dir(c.dataDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("localpg: mkdir %s: %w", parent, err)
	}
	if c.temporary {
		// MkdirTemp made the parent 0700; the postgres user must be able to enter it.
		if err := os.Chmod(parent, 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return fmt.Errorf("localpg: mkdir %s: %w", c.dataDir, err)
	}
	c.socketDir = filepath.Join(parent, "sock")
	if err := os.MkdirAll(c.socketDir, 0o755); err != nil {
		return err
	}
	if c.asUser != "" {
		for _, d := range []string{c.dataDir, c.socketDir} {
			if err := chownToUser(d, c.asUser); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context) error {
	_, err := c.run(ctx, filepath.Join(c.binDir, "initdb"),
		"-D", c.dataDir, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
	if err != nil {
		return fmt.Errorf("localpg: initdb: %w", err)
	}
	return nil
}

func (c *Cluster) start(ctx context.Context, opts Options) error {
	settings := []string{
		"-p", strconv.Itoa(c.port),
		"-k", c.socketDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=" + strconv.Itoa(max(opts.MaxConnections, 200)),
	}
	if opts.Throwaway {
		settings = append(settings, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logFile := filepath.Join(filepath.Dir(c.dataDir), "postgres.log")
	if c.asUser != "" {
		if f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			f.Close()
			_ = chownToUser(logFile, c.asUser)
		}
	}
	_, err := c.run(ctx, filepath.Join(c.binDir, "pg_ctl"), "-D", c.dataDir, "-l", logFile, "-w", "-t", "60",
		"-o", strings.Join(settings, " "), "start")
	if err != nil {
		tail, _ := os.ReadFile(logFile)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("localpg: start: %w\n%s", err, tail)
	}
	return nil
}

// Stop shuts the server down (fast mode) and removes a temporary cluster's files.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.run(ctx, filepath.Join(c.binDir, "pg_ctl"), "-D", c.dataDir, "-m", "fast", "-w", "stop")
	if c.temporary {
		_ = os.RemoveAll(filepath.Dir(c.dataDir))
	}
	if err != nil {
		return fmt.Errorf("localpg: stop: %w", err)
	}
	return nil
}

// Restart stops and starts the server with the same settings (used by chaos tests).
func (c *Cluster) Restart(ctx context.Context) error {
	if _, err := c.run(ctx, filepath.Join(c.binDir, "pg_ctl"), "-D", c.dataDir, "-m", "fast", "-w", "restart"); err != nil {
		return fmt.Errorf("localpg: restart: %w", err)
	}
	return nil
}

// Port is the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// URL is a connection string for the given database and user over TCP.
func (c *Cluster) URL(database, user string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, c.port, database)
}

func (c *Cluster) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUser, "--", bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl's postmaster must not die with our process group on Ctrl-C; we stop it ourselves.
	cmd.SysProcAttr = detachedProcAttr()
	err := cmd.Run()
	if err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.Bytes(), nil
}

func chownToUser(path, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("localpg: user %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(path, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("localpg: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
