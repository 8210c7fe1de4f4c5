package placement_test

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/placement"
)

func TestEligibilityFilters(t *testing.T) {
	is := is.New(t)
	base := placement.Request{Model: "m"}
	withReq := func(edit func(*placement.Request)) placement.Request {
		r := base
		edit(&r)
		return r
	}
	tests := []struct {
		name string
		pool placement.Pool
		req  placement.Request
		want outcome
	}{
		{"eligible", pool("a"), base, chose("a", placement.ReasonLeastLoaded)},
		{"offline", pool("a", offline), base, failed(placement.ErrBusy)},
		{"not ready", pool("a", notReady), base, failed(placement.ErrBusy)},
		{"draining", pool("a", draining), base, failed(placement.ErrBusy)},
		{"no free slot", pool("a", full), base, failed(placement.ErrBusy)},
		{"negative free slots", pool("a", slots(-1)), base, failed(placement.ErrBusy)},
		{"lacks model", pool("a", models("other")), base, failed(placement.ErrNoPool)},
		{"one of several models", pool("a", models("x", "m", "y")), base, chose("a", placement.ReasonLeastLoaded)},
		{"no models", pool("a", models()), base, failed(placement.ErrNoPool)},
		{"engine any", pool("a", engine("vllm")), base, chose("a", placement.ReasonLeastLoaded)},
		{"engine matches", pool("a", engine("vllm")), withReq(func(r *placement.Request) { r.Engine = "vllm" }), chose("a", placement.ReasonLeastLoaded)},
		{"engine differs", pool("a", engine("vllm")), withReq(func(r *placement.Request) { r.Engine = "tgi" }), failed(placement.ErrNoPool)},
		{"ctx below max", pool("a", ctxMax(4096)), withReq(func(r *placement.Request) { r.Ctx = 4095 }), chose("a", placement.ReasonLeastLoaded)},
		{"ctx at max", pool("a", ctxMax(4096)), withReq(func(r *placement.Request) { r.Ctx = 4096 }), chose("a", placement.ReasonLeastLoaded)},
		{"ctx above max", pool("a", ctxMax(4096)), withReq(func(r *placement.Request) { r.Ctx = 4097 }), failed(placement.ErrCtxTooLarge)},
		{"ctx above max of a busy pool", pool("a", ctxMax(4096), full), withReq(func(r *placement.Request) { r.Ctx = 4097 }), failed(placement.ErrCtxTooLarge)},
		{"ctx max unknown", pool("a", ctxMax(0)), withReq(func(r *placement.Request) { r.Ctx = 1 << 20 }), chose("a", placement.ReasonLeastLoaded)},
		{"ctx not given", pool("a", ctxMax(16)), base, chose("a", placement.ReasonLeastLoaded)},
		{"device in mask", pool("a", mask("0,1")), withReq(func(r *placement.Request) { r.RequireDeviceMask = "1" }), chose("a", placement.ReasonLeastLoaded)},
		{"devices in mask, spaces", pool("a", mask("0, 1,2")), withReq(func(r *placement.Request) { r.RequireDeviceMask = " 2 , 0" }), chose("a", placement.ReasonLeastLoaded)},
		{"device missing", pool("a", mask("0,1")), withReq(func(r *placement.Request) { r.RequireDeviceMask = "0,2" }), failed(placement.ErrNoPool)},
		{"device prefix is not a device", pool("a", mask("10")), withReq(func(r *placement.Request) { r.RequireDeviceMask = "1" }), failed(placement.ErrNoPool)},
		{"mask unknown", pool("a", mask("")), withReq(func(r *placement.Request) { r.RequireDeviceMask = "0" }), failed(placement.ErrNoPool)},
		{"empty requirement entries", pool("a", mask("3")), withReq(func(r *placement.Request) { r.RequireDeviceMask = ",3," }), chose("a", placement.ReasonLeastLoaded)},
		{"avoided, fallback", pool("a"), withReq(func(r *placement.Request) { r.Avoid = []string{"a"}; r.AllowFallback = true }), chose("a", placement.ReasonFallback)},
		{"avoided, no fallback", pool("a"), withReq(func(r *placement.Request) { r.Avoid = []string{"a"} }), failed(placement.ErrNoPool)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			p := placement.New(placement.LeastLoaded)
			pools := []placement.Pool{tt.pool}
			is.Equal(place(p, tt.req, pools), tt.want) // decision or error
		})
	}
	is.Equal(place(placement.New(placement.LeastLoaded), base, nil), failed(placement.ErrNoPool)) // no pools at all
}

func TestErrorPrecedence(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name  string
		pools []placement.Pool
		req   placement.Request
		want  error
	}{
		{"busy beats a pool without the model", []placement.Pool{pool("a", models("x")), pool("b", full)}, placement.Request{Model: "m"}, placement.ErrBusy},
		{"busy beats ctx too small elsewhere", []placement.Pool{pool("a", ctxMax(10)), pool("b", offline)}, placement.Request{Model: "m", Ctx: 100}, placement.ErrBusy},
		{"ctx too small everywhere", []placement.Pool{pool("a", ctxMax(10)), pool("b", ctxMax(50), draining)}, placement.Request{Model: "m", Ctx: 100}, placement.ErrCtxTooLarge},
		{"ctx too small beats other engines", []placement.Pool{pool("a", ctxMax(10)), pool("b", engine("tgi"))}, placement.Request{Model: "m", Engine: "llamacpp", Ctx: 100}, placement.ErrCtxTooLarge},
		{"model only on another engine", []placement.Pool{pool("a", engine("tgi"))}, placement.Request{Model: "m", Engine: "vllm"}, placement.ErrNoPool},
		{"model nowhere", []placement.Pool{pool("a", models("x")), pool("b", models("y"), full)}, placement.Request{Model: "m"}, placement.ErrNoPool},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			p := placement.New(placement.LeastLoaded)
			_, err := p.Place(tt.req, tt.pools)
			is.True(isErr(err, tt.want))                                                     // Place classifies the failure
			is.Equal(p.Feasible(tt.req, tt.pools) == nil, isErr(tt.want, placement.ErrBusy)) // Feasible: only a busy request is feasible
		})
	}
}

func TestDecisionIndex(t *testing.T) {
	is := is.New(t)
	pools := []placement.Pool{pool("a", models("x")), pool("b", full), pool("c"), pool("d", models("x"))}
	d, err := placement.New(placement.LeastLoaded).Place(placement.Request{Model: "m"}, pools)
	is.NoErr(err)                         // c is eligible
	is.Equal(d.PoolID, "c")               // c chosen
	is.Equal(pools[d.Index].ID, d.PoolID) // Index points at the chosen pool
}
