package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, fixed
// at 100 by the Linux ABI whatever the kernel's HZ.
const userHZ = 100

// ErrProcFormat: /proc/<pid>/stat or status did not parse.
var ErrProcFormat = errors.New("unexpected /proc format")

// cpuTicks reads utime+stime of pid, in USER_HZ ticks.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatTicks(b)
}

// parseStatTicks extracts utime (field 14) + stime (field 15) from a
// /proc/<pid>/stat line; fields count from after the command name, which may
// contain spaces and parentheses.
func parseStatTicks(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: no command name in stat", ErrProcFormat)
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("%w: %d fields in stat", ErrProcFormat, len(fields)+2)
	}
	utime, err1 := strconv.ParseUint(string(fields[11]), 10, 64)
	stime, err2 := strconv.ParseUint(string(fields[12]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrProcFormat, err)
	}
	return utime + stime, nil
}

// peakRSSKiB reads VmHWM of pid in KiB.
func peakRSSKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(b)
}

// parseVmHWM extracts "VmHWM:  1234 kB" from /proc/<pid>/status.
func parseVmHWM(b []byte) (int64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%w: VmHWM line %q", ErrProcFormat, bytes.TrimSpace(line))
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrProcFormat, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: no VmHWM in status", ErrProcFormat)
}

// cpuClock measures the CPU time a process spends from its start on.
type cpuClock struct {
	pid    int
	before uint64
}

// startCPUClock reads pid's CPU time now.
func startCPUClock(pid int) (cpuClock, error) {
	t, err := cpuTicks(pid)
	return cpuClock{pid: pid, before: t}, err
}

// elapsedMs is the CPU time pid spent since the clock started, in ms.
func (c cpuClock) elapsedMs() (float64, error) {
	after, err := cpuTicks(c.pid)
	if err != nil {
		return 0, err
	}
	return float64(after-c.before) * 1e3 / userHZ, nil
}

// perRequestMicros spreads ms of CPU over requests, in µs; 0 for none.
func perRequestMicros(ms float64, requests int64) float64 {
	if requests <= 0 {
		return 0
	}
	return ms * 1e3 / float64(requests)
}
