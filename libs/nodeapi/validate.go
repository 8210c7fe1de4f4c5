package nodeapi

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds on what one registration or report may hold.
const (
	MaxIDLen         = 128  // node, pool and model ids
	MaxPoolsPerNode  = 256  // pools in one registration
	MaxModelsPerPool = 1024 // models in one pool spec or report
	MaxGPUsPerNode   = 256  // GPUs in one registration
	MaxURLLen        = 2048 // pool URL and node address
	MaxTextLen       = 256  // machine id, versions, GPU names
	MaxErrorLen      = 4096 // a report's last error
	maxDeviceIndex   = 1023
)

// ValidID reports whether id is a valid node or pool id: 1–128 characters of
// [A-Za-z0-9._:@+-].
func ValidID(id string) bool { return validIDChars(id, false) }

// ValidModelID reports whether id is a valid model id: like ValidID, and '/'
// is allowed too (e.g. "org/model").
func ValidModelID(id string) bool { return validIDChars(id, true) }

func validIDChars(id string, slash bool) bool {
	if len(id) == 0 || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '@', c == '+', c == '-':
		case c == '/' && slash:
		default:
			return false
		}
	}
	return true
}

func invalid(field, reason string) error {
	return &ValidationError{Field: field, Reason: reason}
}

func indexed(prefix string, i int, suffix string) string {
	return prefix + "[" + strconv.Itoa(i) + "]" + suffix
}

func validateNode(n *NodeSpec) error {
	if !ValidID(n.NodeID) {
		return invalid("node_id", "must be 1-128 characters of [A-Za-z0-9._:@+-]")
	}
	if err := validText("machine_id", n.MachineID, MaxTextLen); err != nil {
		return err
	}
	if err := validText("version", n.Version, MaxTextLen); err != nil {
		return err
	}
	if n.Address != "" {
		if err := validURL("address", n.Address); err != nil {
			return err
		}
	}
	if n.CPUCores < 0 {
		return invalid("capabilities.cpu_cores", "must be >= 0")
	}
	if len(n.GPUs) > MaxGPUsPerNode {
		return invalid("capabilities.gpus", "at most "+strconv.Itoa(MaxGPUsPerNode)+" entries")
	}
	for i, g := range n.GPUs {
		switch {
		case g.Index < 0:
			return invalid(indexed("capabilities.gpus", i, ".index"), "must be >= 0")
		case g.VRAMTotalBytes < 0:
			return invalid(indexed("capabilities.gpus", i, ".vram_total_bytes"), "must be >= 0")
		}
		if err := validText(indexed("capabilities.gpus", i, ".name"), g.Name, MaxTextLen); err != nil {
			return err
		}
	}
	if len(n.Pools) > MaxPoolsPerNode {
		return invalid("pools", "at most "+strconv.Itoa(MaxPoolsPerNode)+" entries")
	}
	for i := range n.Pools {
		if err := validatePool(i, &n.Pools[i]); err != nil {
			return err
		}
		for j := 0; j < i; j++ {
			if n.Pools[j].PoolID == n.Pools[i].PoolID {
				return invalid(indexed("pools", i, ".pool_id"), "duplicate pool id "+strconv.Quote(n.Pools[i].PoolID))
			}
		}
	}
	return nil
}

func validatePool(i int, p *PoolSpec) error {
	if !ValidID(p.PoolID) {
		return invalid(indexed("pools", i, ".pool_id"), "must be 1-128 characters of [A-Za-z0-9._:@+-]")
	}
	if !ValidEngine(p.Engine) {
		return invalid(indexed("pools", i, ".engine"), "must be one of llamacpp, vllm, tgi, ollama, openai")
	}
	if err := validURL(indexed("pools", i, ".url"), p.URL); err != nil {
		return err
	}
	if err := validModels(indexed("pools", i, ".models"), p.Models); err != nil {
		return err
	}
	if p.SlotsTotal < 1 {
		return invalid(indexed("pools", i, ".slots_total"), "must be >= 1")
	}
	if p.CtxMax < 0 {
		return invalid(indexed("pools", i, ".ctx_max"), "must be >= 0")
	}
	if !validDeviceMask(p.DeviceMask) {
		return invalid(indexed("pools", i, ".device_mask"), `must be comma-separated GPU indexes such as "0,1"`)
	}
	return nil
}

// validateReport checks one report. Field names are built only on failure,
// so a valid heartbeat allocates nothing here: i < 0 names a lone "report",
// otherwise the field is "pools[i]".
func validateReport(i int, r *PoolReport) error {
	switch {
	case r.SlotsFree < -1:
		return invalid(reportField(i, ".slots_free"), "must be >= 0, or -1 when unknown")
	case r.SlotsTotal < 0:
		return invalid(reportField(i, ".slots_total"), "must be >= 0")
	case r.VRAMFreeBytes < 0:
		return invalid(reportField(i, ".vram_free_bytes"), "must be >= 0")
	case len(r.LastError) > MaxErrorLen || !utf8.ValidString(r.LastError):
		return invalid(reportField(i, ".last_error"), "must be valid UTF-8 of at most "+strconv.Itoa(MaxErrorLen)+" bytes")
	}
	if len(r.ModelsAvailable) > MaxModelsPerPool {
		return invalid(reportField(i, ".models_available"), "at most "+strconv.Itoa(MaxModelsPerPool)+" entries")
	}
	for j, m := range r.ModelsAvailable {
		if !ValidModelID(m) {
			return invalid(indexed(reportField(i, ".models_available"), j, ""), "must be 1-128 characters of [A-Za-z0-9._:@+-/]")
		}
	}
	if !printable(r.EngineVersion, MaxTextLen) {
		return invalid(reportField(i, ".engine_version"), "must be printable UTF-8 of at most "+strconv.Itoa(MaxTextLen)+" bytes")
	}
	return nil
}

func reportField(i int, name string) string {
	if i < 0 {
		return "report" + name
	}
	return indexed("pools", i, name)
}

func validModels(field string, models []string) error {
	if len(models) > MaxModelsPerPool {
		return invalid(field, "at most "+strconv.Itoa(MaxModelsPerPool)+" entries")
	}
	for j, m := range models {
		if !ValidModelID(m) {
			return invalid(indexed(field, j, ""), "must be 1-128 characters of [A-Za-z0-9._:@+-/]")
		}
	}
	return nil
}

// validText accepts printable text of at most max bytes (may be empty).
func validText(field, s string, max int) error {
	if !printable(s, max) {
		return invalid(field, "must be printable UTF-8 of at most "+strconv.Itoa(max)+" bytes")
	}
	return nil
}

func printable(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func validURL(field, raw string) error {
	if raw == "" {
		return invalid(field, "required")
	}
	if len(raw) > MaxURLLen {
		return invalid(field, "at most "+strconv.Itoa(MaxURLLen)+" bytes")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, "must be an absolute http or https URL")
	}
	return nil
}

func validDeviceMask(mask string) bool {
	if mask == "" {
		return true
	}
	for part := range strings.SplitSeq(mask, ",") {
		if len(part) == 0 || len(part) > 4 {
			return false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
		if n, err := strconv.Atoi(part); err != nil || n > maxDeviceIndex {
			return false
		}
	}
	return true
}
