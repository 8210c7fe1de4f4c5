package nodeagent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/tools/nodeagent"
)

func TestParseEngine(t *testing.T) {
	cases := []struct {
		name, in string
		want     nodeagent.EngineSpec
	}{
		{"every key", "pool_id=p1,engine=llamacpp,url=http://127.0.0.1:8081,models=a;org/b,slots=4,ctx=8192,device_mask=0;1",
			nodeagent.EngineSpec{PoolID: "p1", Engine: "llamacpp", URL: "http://127.0.0.1:8081", Models: []string{"a", "org/b"},
				Slots: 4, Ctx: 8192, DeviceMask: "0,1"}},
		{"minimal", "pool_id=p2,engine=ollama,url=http://h:11434",
			nodeagent.EngineSpec{PoolID: "p2", Engine: "ollama", URL: "http://h:11434"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			got, err := nodeagent.ParseEngine(tc.in)
			is.NoErr(err)          // parsed
			is.Equal(got, tc.want) // field by field
		})
	}
	for _, bad := range []string{"pool_id", "pool_id=p,slots=x", "pool_id=p,colour=red", "pool_id=p,ctx=1k"} {
		t.Run(bad, func(t *testing.T) {
			is := is.New(t)
			_, err := nodeagent.ParseEngine(bad)
			is.True(errors.Is(err, nodeagent.ErrConfig)) // refused
		})
	}
}

func TestLoadConfig(t *testing.T) {
	is := is.New(t)
	cfg, err := nodeagent.LoadConfig(strings.NewReader(`
orchestrator: http://10.0.0.1:8080
node_id: gpu-7
interval: 3s
gpus:
  - {index: 0, name: L4, vram_total_bytes: 24000000000}
engines:
  - pool_id: gpu7-vllm
    engine: vllm
    url: http://127.0.0.1:8000
    models: [org/mistral-7b]
    slots: 16
`))
	is.NoErr(err)                                                                               // loaded
	is.Equal(cfg.Interval, 3*time.Second)                                                       // durations as strings
	is.Equal(cfg.GPUs, []nodeagent.GPU{{Index: 0, Name: "L4", VRAMTotalBytes: 24_000_000_000}}) // gpus
	is.Equal(cfg.Engines, []nodeagent.EngineSpec{{PoolID: "gpu7-vllm", Engine: "vllm", URL: "http://127.0.0.1:8000",
		Models: []string{"org/mistral-7b"}, Slots: 16}}) // engines
	is.NoErr(cfg.Validate()) // valid

	_, err = nodeagent.LoadConfig(strings.NewReader("orchestrater: http://x\n"))
	is.True(errors.Is(err, nodeagent.ErrConfig)) // a misspelt key is an error
}

func TestValidate(t *testing.T) {
	valid := func() nodeagent.Config {
		return nodeagent.Config{Orchestrator: "http://10.0.0.1:8080", NodeID: "gpu-1", Listen: "127.0.0.1:0",
			Engines: []nodeagent.EngineSpec{{PoolID: "p", Engine: "tgi", URL: "http://127.0.0.1:3000"}}}
	}
	cases := []struct {
		name   string
		mutate func(*nodeagent.Config)
		field  string // in the message
	}{
		{"no orchestrator", func(c *nodeagent.Config) { c.Orchestrator = "" }, "orchestrator"},
		{"bad node id", func(c *nodeagent.Config) { c.NodeID = "gpu 1" }, "node_id"},
		{"no engines", func(c *nodeagent.Config) { c.Engines = nil }, "engines"},
		{"unknown engine", func(c *nodeagent.Config) { c.Engines[0].Engine = "triton" }, "engines[0].engine"},
		{"bad engine url", func(c *nodeagent.Config) { c.Engines[0].URL = "127.0.0.1:3000" }, "engines[0].url"},
		{"duplicate pool", func(c *nodeagent.Config) { c.Engines = append(c.Engines, c.Engines[0]) }, "engines[1].pool_id"},
		{"bad model", func(c *nodeagent.Config) { c.Engines[0].Models = []string{"a b"} }, "engines[0].models"},
		{"bad device mask", func(c *nodeagent.Config) { c.Engines[0].DeviceMask = "0,gpu1" }, "engines[0].device_mask"},
		{"public listen without token", func(c *nodeagent.Config) { c.Listen = "0.0.0.0:7070" }, "token"},
		{"negative interval", func(c *nodeagent.Config) { c.Interval = -time.Second }, "interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			c := valid()
			tc.mutate(&c)
			err := c.Validate()
			is.True(errors.Is(err, nodeagent.ErrConfig))         // refused
			is.True(strings.Contains(err.Error(), tc.field+":")) // naming the field
		})
	}
	t.Run("public listen with token", func(t *testing.T) {
		is := is.New(t)
		c := valid()
		c.Listen, c.Token = "0.0.0.0:7070", "secret"
		is.NoErr(c.Validate()) // allowed
	})
}
