package tasks

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// fakeGate is a ModelGate that refuses the models it was told to and
// records every question.
type fakeGate struct {
	mu     sync.Mutex
	refuse map[string]error
	strict map[string]bool // model → strictTrust of the last question
	nAsked int
}

func (g *fakeGate) AdmitModel(model string, strictTrust bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.nAsked++
	g.strict[model] = strictTrust
	return g.refuse[model]
}

func (g *fakeGate) asked() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.nAsked
}

func newGate(refuse map[string]error) *fakeGate {
	return &fakeGate{refuse: refuse, strict: map[string]bool{}}
}

// withGate installs the gate before the harness admits anything (the
// dispatcher never reads it).
func withGate(h *harness, g ModelGate) *harness {
	h.svc.deps.Models = g
	return h
}

func TestCatalogGateAtAdmission(t *testing.T) {
	retired := &problem.Error{Code: wire.CodePoolUnavailable, Message: "model m is retired"}
	untrusted := &problem.Error{Code: wire.CodeUntrustedArtifact, Message: "model u has no verified digest"}
	cases := []struct {
		name   string
		model  string
		trust  wire.TrustMode
		code   wire.ErrorCode // "" = admitted
		strict bool           // what the gate was asked
	}{
		{name: "admitted", model: "ok", trust: "", code: "", strict: false},
		{name: "permissive header", model: "ok", trust: wire.TrustPermissive, code: "", strict: false},
		{name: "strict header reaches the gate", model: "ok", trust: wire.TrustStrict, code: "", strict: true},
		{name: "retired", model: "m", trust: "", code: wire.CodePoolUnavailable, strict: false},
		{name: "untrusted", model: "u", trust: wire.TrustStrict, code: wire.CodeUntrustedArtifact, strict: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"a"})}
			p := pool("p1", 1)
			p.Models = []string{"ok", "m", "u"}
			gate := newGate(map[string]error{"m": retired, "u": untrusted})
			h := withGate(newHarness(t, Options{}, fakeEngines{"p1": eng}, p), gate)
			_, err := h.svc.Admit(context.Background(), req(func(r *wire.TaskRequest) { r.ModelRef, r.TrustPolicy = tc.model, tc.trust }))
			got, _ := problem.As(err)
			code := wire.ErrorCode("")
			if got != nil {
				code = got.Code
			}
			is.Equal(code, tc.code)                    // the gate's verdict is the answer
			is.Equal(gate.strict[tc.model], tc.strict) // strict trust only from the header
		})
	}
}

func TestTrustHeaderValidated(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"a"})}
	gate := newGate(nil)
	h := withGate(newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1)), gate)
	_, err := h.svc.Admit(context.Background(), req(func(r *wire.TaskRequest) { r.TrustPolicy = "paranoid" }))
	p, ok := problem.As(err)
	is.True(ok)                               // a client error
	is.Equal(p.Code, wire.CodeInvalidParams)  // 400
	is.Equal(p.Field, wire.HeaderTrustPolicy) // naming the header
	is.Equal(gate.asked(), 0)                 // refused before the gate
}

func TestReplayOfAnAdmittedTaskSkipsTheGate(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	gate := newGate(map[string]error{})
	h := withGate(newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1)), gate)
	r := req(func(r *wire.TaskRequest) { r.TaskID = "t1" })
	first, err := h.svc.Admit(context.Background(), r)
	is.NoErr(err) // admitted
	gate.mu.Lock()
	gate.refuse["m"] = &problem.Error{Code: wire.CodePoolUnavailable, Message: "retired"}
	gate.mu.Unlock()
	again, err := h.svc.Admit(context.Background(), r)
	is.NoErr(err)                        // the same admission, not a new one
	is.Equal(again.TaskID, first.TaskID) // same task
	_, err = h.svc.Admit(context.Background(), req(nil))
	is.True(err != nil) // a new task of the model is refused
}

func TestRetiredModelTasksEnd(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	other := pool("p2", 1)
	other.Models = []string{"other"}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng, "p2": eng}, pool("p1", 1), other)
	ctx := context.Background()
	running, err := h.svc.Admit(ctx, req(nil))
	is.NoErr(err) // takes the only slot
	queued, err := h.svc.Admit(ctx, req(nil))
	is.NoErr(err)                     // waits
	is.Equal(queued.QueuePosition, 0) // queued behind it
	otherTask, err := h.svc.Admit(ctx, req(func(r *wire.TaskRequest) { r.ModelRef = "other" }))
	is.NoErr(err) // another model, on another pool

	is.Equal(h.svc.EndQueued("m"), 1) // the queued task of m
	ev, data := endOf(t, waitEnd(t, h, queued.TaskID))
	is.Equal(ev, wire.EventError) // ended with an error frame
	var ef wire.ErrorFrame
	is.NoErr(json.Unmarshal(data, &ef))
	is.Equal(ef.Code, wire.CodePoolUnavailable) // POOL_UNAVAILABLE
	is.Equal(ef.Message, "model m was retired") // saying why
	st, err := h.svc.Status(ctx, running.TaskID)
	is.NoErr(err)
	is.Equal(st.State, wire.TaskRunning) // running tasks keep running until the deadline

	is.Equal(h.svc.CancelRunning("m"), 1) // the deadline passed
	ev, data = endOf(t, waitEnd(t, h, running.TaskID))
	is.Equal(ev, wire.EventEnd) // ended like a cancel
	var end wire.EndFrame
	is.NoErr(json.Unmarshal(data, &end))
	is.True(end.Canceled)                          // canceled
	is.Equal(end.FinishReason, wire.FinishRetired) // because the model retired
	st, err = h.svc.Status(ctx, otherTask.TaskID)
	is.NoErr(err)
	is.Equal(st.State, wire.TaskRunning) // other models untouched
}
