package nodeapi_test

import (
	"sync"
	"time"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// fakeClock is a manual clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.UnixMilli(1_700_000_000_000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func poolSpec(id string) nodeapi.PoolSpec {
	return nodeapi.PoolSpec{
		PoolID:     id,
		Engine:     nodeapi.EngineLlamaCPP,
		URL:        "http://127.0.0.1:8080",
		Models:     []string{"org/model-7b"},
		SlotsTotal: 4,
		CtxMax:     8192,
		DeviceMask: "0,1",
	}
}

func nodeSpec(id string, pools ...string) nodeapi.NodeSpec {
	n := nodeapi.NodeSpec{
		NodeID:    id,
		MachineID: "machine-" + id,
		Address:   "http://10.0.0.1:9000",
		Version:   "1.2.3",
		GPUs:      []nodeapi.GPU{{Index: 0, Name: "L4", VRAMTotalBytes: 24 << 30}},
		CPUCores:  16,
	}
	for _, p := range pools {
		n.Pools = append(n.Pools, poolSpec(p))
	}
	return n
}

func report(pool string, free int) nodeapi.PoolReport {
	return nodeapi.PoolReport{
		PoolID:          pool,
		Ready:           true,
		SlotsFree:       free,
		SlotsTotal:      4,
		VRAMFreeBytes:   1 << 30,
		ModelsAvailable: []string{"org/model-7b"},
		EngineVersion:   "b4000",
	}
}

func poolIDs(views []nodeapi.PoolView) []string {
	ids := make([]string, len(views))
	for i, v := range views {
		ids[i] = v.PoolID
	}
	return ids
}

func nodeIDs(views []nodeapi.NodeView) []string {
	ids := make([]string, len(views))
	for i, v := range views {
		ids[i] = v.NodeID
	}
	return ids
}

// signalled reports whether ch holds a signal, without waiting: the registry
// signals synchronously inside the call that changed its state.
func signalled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
