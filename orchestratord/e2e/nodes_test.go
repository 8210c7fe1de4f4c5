package e2e

import (
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §5: nodes register their pools over HTTP, heartbeat, serve tasks,
// and leave; node writes take the node token.
func TestRegisteredNodeServesTasks(t *testing.T) {
	is := is.New(t)
	sim := startSim(t, "--slots", "2")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 200, timeout_ms: 600}\n", nil,
		"ORCHD_API_TOKEN=api-tok", "ORCHD_NODE_TOKEN=node-tok")
	api := []string{"Authorization", "Bearer api-tok"}
	node := []string{"Authorization", "Bearer node-tok"}
	reg := wire.NodeRegisterRequest{NodeID: "gpu-1", MachineID: "m-1", Version: "test",
		Pools: []wire.PoolRegistration{{PoolID: "gpu-1-p0", Engine: wire.EngineLlamaCpp, URL: sim.URL, Models: []string{"tiny"}, SlotsTotal: 2, CtxMax: 4096}}}

	resp, _ := call(t, "POST", o.URL+"/v2/nodes/register", reg, api...)
	is.Equal(resp.StatusCode, 403) // the API token is not the node token
	resp, raw := call(t, "POST", o.URL+"/v2/nodes/register", reg, node...)
	is.Equal(resp.StatusCode, 200) // registered
	rr := decode[wire.NodeRegisterResponse](t, raw)
	is.True(rr.Success)                          // success
	is.Equal(rr.HeartbeatIntervalMs, int64(200)) // the configured interval

	hb := wire.HeartbeatRequest{TimestampMs: time.Now().UnixMilli(), Pools: []wire.PoolHeartbeat{{PoolID: "gpu-1-p0", Ready: true, SlotsFree: ptrTo(2), SlotsTotal: 2}}}
	resp, _ = call(t, "POST", o.URL+"/v2/nodes/gpu-1/heartbeat", hb, node...)
	is.Equal(resp.StatusCode, 200) // heartbeat accepted

	adm := decode[wire.AdmissionResponse](t, mustCall(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":6`), 202, api...))
	frames := stream(t, o, adm, api...)
	is.Equal(lastFrame(t, frames).Event, wire.EventEnd) // served by the registered pool
	resp, raw = call(t, "GET", o.URL+"/v2/tasks/"+adm.TaskID, nil, api...)
	is.Equal(decode[wire.TaskStatus](t, raw).NodeID, "gpu-1") // on that node

	resp, raw = call(t, "GET", o.URL+"/v2/nodes", nil, api...)
	is.Equal(resp.StatusCode, 200)
	nodes := decode[[]wire.Node](t, raw)
	is.Equal(len(nodes), 1)                    // listed
	is.Equal(nodes[0].Status, wire.NodeOnline) // online

	waitFor(t, 5*time.Second, "node offline after missed heartbeats", func() bool {
		_, raw := call(t, "GET", o.URL+"/v2/nodes/gpu-1", nil, api...)
		return decode[wire.Node](t, raw).Status == wire.NodeOffline
	})
	resp, _ = call(t, "POST", o.URL+"/v2/nodes/gpu-1/heartbeat", hb, node...)
	is.Equal(resp.StatusCode, 200) // back on its next heartbeat

	resp, _ = call(t, "DELETE", o.URL+"/v2/nodes/gpu-1", nil, node...)
	is.Equal(resp.StatusCode, 204) // deregistered
	resp, raw = call(t, "POST", o.URL+"/v2/nodes/gpu-1/heartbeat", hb, node...)
	is.Equal(resp.StatusCode, 404) // unknown now: the node re-registers
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeNotFound)
	resp, raw = call(t, "POST", o.URL+"/v2/nodes/register", `{"node_id":"bad id"}`, node...)
	is.Equal(resp.StatusCode, 400) // validated
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeInvalidParams)
}

func ptrTo[T any](v T) *T { return &v }

// mustCall does a request and insists on a status.
func mustCall(t *testing.T, method, url string, body any, want int, headers ...string) []byte {
	t.Helper()
	resp, raw := call(t, method, url, body, headers...)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, raw, want)
	}
	return raw
}
