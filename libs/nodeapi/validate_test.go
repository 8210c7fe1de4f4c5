package nodeapi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

func TestRegisterValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(n *nodeapi.NodeSpec)
		field  string
	}{
		{"empty node id", func(n *nodeapi.NodeSpec) { n.NodeID = "" }, "node_id"},
		{"node id with slash", func(n *nodeapi.NodeSpec) { n.NodeID = "a/b" }, "node_id"},
		{"node id with space", func(n *nodeapi.NodeSpec) { n.NodeID = "a b" }, "node_id"},
		{"node id too long", func(n *nodeapi.NodeSpec) { n.NodeID = strings.Repeat("a", 129) }, "node_id"},
		{"machine id with newline", func(n *nodeapi.NodeSpec) { n.MachineID = "m\n1" }, "machine_id"},
		{"version too long", func(n *nodeapi.NodeSpec) { n.Version = strings.Repeat("v", 257) }, "version"},
		{"address not a URL", func(n *nodeapi.NodeSpec) { n.Address = "10.0.0.1:9000" }, "address"},
		{"address wrong scheme", func(n *nodeapi.NodeSpec) { n.Address = "ftp://10.0.0.1" }, "address"},
		{"negative cpu cores", func(n *nodeapi.NodeSpec) { n.CPUCores = -1 }, "capabilities.cpu_cores"},
		{"negative gpu index", func(n *nodeapi.NodeSpec) { n.GPUs[0].Index = -1 }, "capabilities.gpus[0].index"},
		{"negative vram", func(n *nodeapi.NodeSpec) { n.GPUs[0].VRAMTotalBytes = -1 }, "capabilities.gpus[0].vram_total_bytes"},
		{"bad pool id", func(n *nodeapi.NodeSpec) { n.Pools[1].PoolID = "../x" }, "pools[1].pool_id"},
		{"duplicate pool id", func(n *nodeapi.NodeSpec) { n.Pools[1].PoolID = "p0" }, "pools[1].pool_id"},
		{"unknown engine", func(n *nodeapi.NodeSpec) { n.Pools[0].Engine = "triton" }, "pools[0].engine"},
		{"any is not an engine", func(n *nodeapi.NodeSpec) { n.Pools[0].Engine = "any" }, "pools[0].engine"},
		{"missing url", func(n *nodeapi.NodeSpec) { n.Pools[0].URL = "" }, "pools[0].url"},
		{"relative url", func(n *nodeapi.NodeSpec) { n.Pools[0].URL = "/v1" }, "pools[0].url"},
		{"bad model id", func(n *nodeapi.NodeSpec) { n.Pools[0].Models = []string{"ok", "bad model"} }, "pools[0].models[1]"},
		{"empty model id", func(n *nodeapi.NodeSpec) { n.Pools[0].Models = []string{""} }, "pools[0].models[0]"},
		{"zero slots", func(n *nodeapi.NodeSpec) { n.Pools[1].SlotsTotal = 0 }, "pools[1].slots_total"},
		{"negative ctx", func(n *nodeapi.NodeSpec) { n.Pools[0].CtxMax = -1 }, "pools[0].ctx_max"},
		{"device mask with space", func(n *nodeapi.NodeSpec) { n.Pools[0].DeviceMask = "0, 1" }, "pools[0].device_mask"},
		{"device mask trailing comma", func(n *nodeapi.NodeSpec) { n.Pools[0].DeviceMask = "0," }, "pools[0].device_mask"},
		{"device mask letters", func(n *nodeapi.NodeSpec) { n.Pools[0].DeviceMask = "gpu0" }, "pools[0].device_mask"},
		{"device mask out of range", func(n *nodeapi.NodeSpec) { n.Pools[0].DeviceMask = "4096" }, "pools[0].device_mask"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := nodeapi.NewRegistry(timeout)
			n := nodeSpec("n1", "p0", "p1")
			tt.mutate(&n)
			_, err := r.Register(n)
			is.True(errors.Is(err, nodeapi.ErrInvalid)) // rejected as invalid
			var ve *nodeapi.ValidationError
			is.True(errors.As(err, &ve))     // typed error
			is.Equal(ve.Field, tt.field)     // names the field
			is.Equal(len(r.Nodes()), 0)      // nothing registered
			is.Equal(r.Version(), uint64(0)) // no change
		})
	}
}

func TestRegisterAcceptsEdgeValues(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(n *nodeapi.NodeSpec)
	}{
		{"id of every allowed character", func(n *nodeapi.NodeSpec) { n.NodeID = "aZ09._:@+-" }},
		{"id of 128 characters", func(n *nodeapi.NodeSpec) { n.NodeID = strings.Repeat("a", 128) }},
		{"empty address", func(n *nodeapi.NodeSpec) { n.Address = "" }},
		{"https pool url", func(n *nodeapi.NodeSpec) { n.Pools[0].URL = "https://gpu.example:8443/base" }},
		{"no models", func(n *nodeapi.NodeSpec) { n.Pools[0].Models = nil }},
		{"no device mask", func(n *nodeapi.NodeSpec) { n.Pools[0].DeviceMask = "" }},
		{"single device", func(n *nodeapi.NodeSpec) { n.Pools[0].DeviceMask = "7" }},
		{"no pools", func(n *nodeapi.NodeSpec) { n.Pools = nil }},
		{"vllm", func(n *nodeapi.NodeSpec) { n.Pools[0].Engine = nodeapi.EngineVLLM }},
		{"tgi", func(n *nodeapi.NodeSpec) { n.Pools[0].Engine = nodeapi.EngineTGI }},
		{"ollama", func(n *nodeapi.NodeSpec) { n.Pools[0].Engine = nodeapi.EngineOllama }},
		{"openai", func(n *nodeapi.NodeSpec) { n.Pools[0].Engine = nodeapi.EngineOpenAI }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := nodeapi.NewRegistry(timeout)
			n := nodeSpec("n1", "p0")
			tt.mutate(&n)
			_, err := r.Register(n)
			is.NoErr(err) // accepted
		})
	}
}

func TestHeartbeatValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *nodeapi.PoolReport)
		field  string
	}{
		{"slots free below -1", func(r *nodeapi.PoolReport) { r.SlotsFree = -2 }, "pools[0].slots_free"},
		{"negative slots total", func(r *nodeapi.PoolReport) { r.SlotsTotal = -1 }, "pools[0].slots_total"},
		{"negative vram", func(r *nodeapi.PoolReport) { r.VRAMFreeBytes = -1 }, "pools[0].vram_free_bytes"},
		{"bad model", func(r *nodeapi.PoolReport) { r.ModelsAvailable = []string{"a b"} }, "pools[0].models_available[0]"},
		{"engine version control char", func(r *nodeapi.PoolReport) { r.EngineVersion = "b\x00" }, "pools[0].engine_version"},
		{"last error not utf-8", func(r *nodeapi.PoolReport) { r.LastError = "\xff" }, "pools[0].last_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			clk := newFakeClock()
			r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
			_, err := r.Register(nodeSpec("n1", "p1"))
			is.NoErr(err) // register
			clk.Advance(timeout + 1)
			r.Expire()
			rep := report("p1", 1)
			tt.mutate(&rep)
			err = r.Heartbeat("n1", []nodeapi.PoolReport{rep})
			var ve *nodeapi.ValidationError
			is.True(errors.As(err, &ve)) // typed error
			is.Equal(ve.Field, tt.field) // names the field
			pv, _ := r.Pool("p1")
			is.True(!pv.Reported) // nothing applied
			is.True(!pv.Online)   // not even the heartbeat itself
		})
	}
}

func TestValidIDs(t *testing.T) {
	tests := []struct {
		id          string
		node, model bool
	}{
		{"node-1", true, true},
		{"a.b_c:d@e+f-g", true, true},
		{"org/model", false, true},
		{"", false, false},
		{"a b", false, false},
		{"../x", false, true}, // model ids are not paths: only the characters count
		{"ü", false, false},
		{strings.Repeat("x", 128), true, true},
		{strings.Repeat("x", 129), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			is := is.New(t)
			is.Equal(nodeapi.ValidID(tt.id), tt.node)       // node/pool id rule
			is.Equal(nodeapi.ValidModelID(tt.id), tt.model) // model id rule
		})
	}
}
