package jobres_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU returns the CPU time used by the PostgreSQL backends
// serving this process's connections (Linux only; 0 elsewhere): other
// processes may use the same server meanwhile.
func postgresCPU(u string) time.Duration {
	if u == "" {
		return 0
	}
	ports := selfPorts()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid, coalesce(client_port, 0) FROM pg_stat_activity WHERE pid <> pg_backend_pid()`)
	if err != nil {
		return 0
	}
	var pids []int
	var pid, port int
	pgx.ForEachRow(rows, []any{&pid, &port}, func() error {
		if ports[port] {
			pids = append(pids, pid)
		}
		return nil
	})
	var ticks int64
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		end := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[end+2:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100
}

// selfPorts returns the local TCP ports of this process's sockets.
func selfPorts() map[int]bool {
	inodes := make(map[string]bool)
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		l, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	ports := make(map[int]bool)
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || !inodes[fs[9]] {
				continue
			}
			local := fs[1]
			if i := strings.LastIndexByte(local, ':'); i >= 0 {
				if p, err := strconv.ParseInt(local[i+1:], 16, 64); err == nil {
					ports[int(p)] = true
				}
			}
		}
	}
	return ports
}
