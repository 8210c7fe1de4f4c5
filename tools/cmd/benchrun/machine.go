package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Machine is where the session ran.
type Machine struct {
	NProc     int    `json:"nproc"`
	Kernel    string `json:"kernel"` // as `uname -sr` prints it
	CPU       string `json:"cpu"`
	GoVersion string `json:"go_version"`
	OSArch    string `json:"os_arch"`
	// Revision is the VCS revision benchrun was built from, when known.
	Revision string `json:"revision,omitempty"`
	Date     string `json:"date"`
}

// readMachine describes the machine from /proc (through readFile), the Go
// runtime and now.
func readMachine(now time.Time, readFile func(string) ([]byte, error)) Machine {
	m := Machine{
		NProc:     runtime.NumCPU(),
		Kernel:    kernel(readFile),
		CPU:       "unknown",
		GoVersion: runtime.Version(),
		OSArch:    runtime.GOOS + "/" + runtime.GOARCH,
		Revision:  revision(),
		Date:      now.UTC().Format(time.RFC3339),
	}
	if b, err := readFile("/proc/cpuinfo"); err == nil {
		if cpu := cpuModel(b); cpu != "" {
			m.CPU = cpu
		}
	}
	return m
}

// kernel is "<ostype> <osrelease>", what `uname -sr` prints.
func kernel(readFile func(string) ([]byte, error)) string {
	ostype, err1 := readFile("/proc/sys/kernel/ostype")
	release, err2 := readFile("/proc/sys/kernel/osrelease")
	if err1 != nil || err2 != nil {
		return runtime.GOOS
	}
	return strings.TrimSpace(string(ostype)) + " " + strings.TrimSpace(string(release))
}

// cpuModel is the first "model name" (x86) or "Hardware"/"Processor" (arm)
// of /proc/cpuinfo.
func cpuModel(cpuinfo []byte) string {
	found := map[string]string{}
	for line := range bytes.Lines(cpuinfo) {
		key, val, ok := strings.Cut(string(line), ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		if _, seen := found[key]; !seen {
			found[key] = strings.TrimSpace(val)
		}
	}
	for _, key := range []string{"model name", "Hardware", "Processor", "cpu model"} {
		if v := found[key]; v != "" {
			return v
		}
	}
	return ""
}

// revision is the vcs.revision of the build, with "+dirty" when modified.
func revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev[:min(len(rev), 12)] + dirty
}

// commandLine quotes argv so that a POSIX shell runs it again as it ran.
func commandLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
