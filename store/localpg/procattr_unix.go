package localpg

import "syscall"

// detachedProcAttr puts child processes in their own process group so a terminal's Ctrl-C
// reaches only wedsync, which then stops the server in order.
func detachedProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
