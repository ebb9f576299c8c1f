package proc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tree returns pid and every descendant of it that lives now, pid first,
// found through the parent ids of /proc/<pid>/stat.
func Tree(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := make(map[int][]int)
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // it exited meanwhile
		}
		st, err := parseStatFields(data)
		if err != nil {
			continue
		}
		children[st.ppid] = append(children[st.ppid], child)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		kids := children[out[i]]
		slices.Sort(kids)
		out = append(out, kids...)
	}
	return out, nil
}

// ReadTreeStats reads the resource usage of pid and its descendants (see
// Stats for what each figure sums). A descendant that exits during the
// read is left out; its CPU time then counts in its parent's reaped
// children's time.
func ReadTreeStats(pid int) (Stats, error) {
	pids, err := Tree(pid)
	if err != nil {
		return Stats{}, fmt.Errorf("read stats of %d: %w", pid, err)
	}
	var total Stats
	for i, p := range pids {
		s, err := readMember(p)
		if err != nil {
			if i == 0 {
				return Stats{}, fmt.Errorf("read stats of %d: %w", pid, err)
			}
			continue
		}
		total.RSS += s.RSS
		total.Peak += s.Peak
		total.CPU += s.CPU
		total.Procs++
	}
	return total, nil
}

// readMember reads one process of a tree: its Pss (VmRSS when the kernel
// has no smaps_rollup), VmHWM, and its own and its reaped children's CPU
// time.
func readMember(pid int) (Stats, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Stats{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stats{}, err
	}
	var s Stats
	if s.RSS, s.Peak, err = parseStatus(status); err != nil {
		return Stats{}, err
	}
	st, err := parseStatFields(stat)
	if err != nil {
		return Stats{}, err
	}
	s.CPU = st.cpu + st.childCPU
	if rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		if pss, err := parsePss(rollup); err == nil {
			s.RSS = pss
		}
	}
	return s, nil
}

// statFields are the fields of /proc/<pid>/stat the package reads.
type statFields struct {
	ppid     int
	cpu      time.Duration // utime + stime
	childCPU time.Duration // cutime + cstime: children waited for
}

// parseStatFields parses the content of /proc/<pid>/stat. The command
// name (field 2) is in parentheses and may hold spaces or parentheses
// itself, so fields are counted from the last ')'.
func parseStatFields(data []byte) (statFields, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return statFields{}, errors.New("/proc stat: no command name")
	}
	// After ") " come fields 3 (state) onwards: ppid is field 4 (index 1),
	// utime, stime, cutime and cstime fields 14 to 17 (indexes 11 to 14).
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 15 {
		return statFields{}, fmt.Errorf("/proc stat: %d fields after the command name, want at least 15", len(f))
	}
	var n [5]int64
	for i, idx := range []int{1, 11, 12, 13, 14} {
		v, err := strconv.ParseInt(f[idx], 10, 64)
		if err != nil {
			return statFields{}, fmt.Errorf("/proc stat: bad field %q", f[idx])
		}
		n[i] = v
	}
	tick := time.Second / clockTicks
	return statFields{ppid: int(n[0]), cpu: time.Duration(n[1]+n[2]) * tick, childCPU: time.Duration(n[3]+n[4]) * tick}, nil
}

// parsePss returns the Pss line of /proc/<pid>/smaps_rollup, in bytes.
func parsePss(data []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if key, value, ok := strings.Cut(sc.Text(), ":"); ok && key == "Pss" {
			return parseKB(value)
		}
	}
	return 0, errors.New("/proc smaps_rollup: no Pss line")
}
