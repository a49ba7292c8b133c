package webtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is a headless Chromium for one test.
type Browser struct {
	ctx context.Context
}

// browserTurn lets one browser test of a test binary run at a time: parallel Chromium instances
// on a small machine starve each other (and the server under test) into timeouts.
var browserTurn = make(chan struct{}, 1)

// NewBrowser starts headless Chromium (the Debian package; `make test` installs it) with the
// flags this machine needs, and stops it when t ends.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	browserTurn <- struct{}{}
	t.Cleanup(func() { <-browserTurn })
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make test`, which installs it, or apt-get install chromium")
	}
	dir, err := os.MkdirTemp("", "wedsync-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	})
	return &Browser{ctx: ctx}
}

// NewContext opens a tab in a fresh browser context (its own cookies, like a private window),
// bounded by timeout.
func (b *Browser) NewContext(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

// Screenshot saves a full-page PNG to path (for looking at pages; not an assertion).
func Screenshot(ctx context.Context, path string) error {
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		return err
	}
	return os.WriteFile(path, buf, 0o644)
}
