// Command wedsync-load generates load against WedSync for the benchmarks (make bench-*). Each
// subcommand builds what it measures, measures it, and ends with RESULT lines:
//
//	RESULT <name> <value> <unit>
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// command is one benchmark subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

// commands lists the subcommands; add one line per benchmark.
func commands() []command {
	return []command{
		{"metrics", "KPI recompute, dashboard render and bare KPI SQL on 1M payments (make bench-metrics)", runMetrics},
		{"live", "SSE fan-out, commit-to-screen, memory per idle stream, write throughput (make bench-live)", runLive},
		{"sync", "100,000 Stripe payments synced end to end through the framework vs a plain COPY (make bench-sync)", runSyncBench},
		{"scale", "steady-state cost of scheduling syncs and refreshing snapshots for 10,000 organizations (make bench-scale)", runScale},
		{"alerts", "alert raised to webhook received and to email accepted, real receivers (make bench-alerts)", func(_ context.Context, args []string) error { return runAlertsBench(args) }},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		return 2
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(ctx, args[1:]); err != nil {
				fmt.Fprintf(os.Stderr, "wedsync-load %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(os.Stderr, "wedsync-load: unknown subcommand %q\n", args[0])
	usage()
	return 2
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: wedsync-load <subcommand> [flags]   (wedsync-load <subcommand> -h for its flags)")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
}
