package placement_test

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/placement"
)

// modeCase is one Place and Feasible call on a least-loaded placer.
type modeCase struct {
	name         string
	pools        []placement.Pool
	req          placement.Request
	want         outcome
	wantFeasible error
}

func runModeCases(t *testing.T, tests []modeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			p := placement.New(placement.LeastLoaded)
			is.Equal(place(p, tt.req, tt.pools), tt.want)                 // Place
			is.True(isErr(p.Feasible(tt.req, tt.pools), tt.wantFeasible)) // Feasible agrees
		})
	}
}

func TestPin(t *testing.T) {
	pin := func(id string, fallback bool) placement.Request {
		return placement.Request{Model: "m", Mode: placement.Pin, PinPool: id, AllowFallback: fallback}
	}
	runModeCases(t, []modeCase{
		{"pinned pool eligible", []placement.Pool{pool("a", slots(3)), pool("b")}, pin("b", false), chose("b", placement.ReasonPin), nil},
		{"pinned pool busy waits", []placement.Pool{pool("a"), pool("b", full)}, pin("b", false), failed(placement.ErrBusy), nil},
		{"pinned pool busy waits despite fallback", []placement.Pool{pool("a"), pool("b", full)}, pin("b", true), failed(placement.ErrBusy), nil},
		{"pinned pool offline waits", []placement.Pool{pool("a"), pool("b", offline)}, pin("b", true), failed(placement.ErrBusy), nil},
		{"pinned pool draining waits", []placement.Pool{pool("a"), pool("b", draining)}, pin("b", false), failed(placement.ErrBusy), nil},
		{"pinned pool unknown", []placement.Pool{pool("a")}, pin("zz", false), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"pinned pool unknown, fallback", []placement.Pool{pool("a")}, pin("zz", true), chose("a", placement.ReasonFallback), nil},
		{"no pin pool given", []placement.Pool{pool("a")}, pin("", false), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"pinned pool lacks model", []placement.Pool{pool("a"), pool("b", models("x"))}, pin("b", false), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"pinned pool lacks model, fallback", []placement.Pool{pool("a"), pool("b", models("x"))}, pin("b", true), chose("a", placement.ReasonFallback), nil},
		{"pinned pool ctx too small", []placement.Pool{pool("a"), pool("b", ctxMax(10))}, withCtx(pin("b", false), 100), failed(placement.ErrCtxTooLarge), placement.ErrCtxTooLarge},
		{"pinned pool ctx too small, fallback", []placement.Pool{pool("a"), pool("b", ctxMax(10))}, withCtx(pin("b", true), 100), chose("a", placement.ReasonFallback), nil},
		{"fallback finds nothing", []placement.Pool{pool("a", models("x"))}, pin("zz", true), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"fallback finds busy pools", []placement.Pool{pool("a", full)}, pin("zz", true), failed(placement.ErrBusy), nil},
		{"pin overrides avoid", []placement.Pool{pool("a"), pool("b")}, withAvoid(pin("b", false), "b"), chose("b", placement.ReasonPin), nil},
		{"pin overrides strict affinity", []placement.Pool{pool("a"), pool("b")}, withStrict(pin("b", false), "a"), chose("b", placement.ReasonPin), nil},
	})
}

func TestPrefer(t *testing.T) {
	prefer := func(fallback bool, ids ...string) placement.Request {
		return placement.Request{Model: "m", Mode: placement.Prefer, Prefer: ids, AllowFallback: fallback}
	}
	runModeCases(t, []modeCase{
		{"first preferred eligible", []placement.Pool{pool("a", slots(4)), pool("b"), pool("c")}, prefer(false, "c", "b"), chose("c", placement.ReasonPrefer), nil},
		{"list order, not slice order", []placement.Pool{pool("c"), pool("b")}, prefer(false, "b", "c"), chose("b", placement.ReasonPrefer), nil},
		{"first preferred busy", []placement.Pool{pool("a", slots(4)), pool("b"), pool("c", full)}, prefer(false, "c", "b"), chose("b", placement.ReasonPrefer), nil},
		{"first preferred lacks model", []placement.Pool{pool("b"), pool("c", models("x"))}, prefer(false, "c", "b"), chose("b", placement.ReasonPrefer), nil},
		{"preferred busy waits", []placement.Pool{pool("a"), pool("b", full)}, prefer(false, "b"), failed(placement.ErrBusy), nil},
		{"preferred busy, fallback", []placement.Pool{pool("a"), pool("b", full)}, prefer(true, "b"), chose("a", placement.ReasonFallback), nil},
		{"preferred unknown", []placement.Pool{pool("a")}, prefer(false, "zz"), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"empty preference list", []placement.Pool{pool("a")}, prefer(false), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"preferred ctx too small", []placement.Pool{pool("a"), pool("b", ctxMax(10))}, withCtx(prefer(false, "b"), 100), failed(placement.ErrCtxTooLarge), placement.ErrCtxTooLarge},
		{"preferred unknown, fallback", []placement.Pool{pool("a")}, prefer(true, "zz"), chose("a", placement.ReasonFallback), nil},
		{"fallback finds busy pools", []placement.Pool{pool("a", full)}, prefer(true, "zz"), failed(placement.ErrBusy), nil},
		{"avoided preferred pool skipped", []placement.Pool{pool("b"), pool("c")}, withAvoid(prefer(false, "b", "c"), "b"), chose("c", placement.ReasonPrefer), nil},
		{"strict affinity beats preference", []placement.Pool{pool("a"), pool("b")}, withStrict(prefer(false, "b"), "a"), chose("a", placement.ReasonAffinity), nil},
		{"strict affinity busy beats preference", []placement.Pool{pool("a", full), pool("b")}, withStrict(prefer(true, "b"), "a"), failed(placement.ErrBusy), nil},
		{"soft affinity does not beat preference", []placement.Pool{pool("a"), pool("b")}, withAffinity(prefer(false, "b"), "a"), chose("b", placement.ReasonPrefer), nil},
	})
}

func TestAvoid(t *testing.T) {
	avoid := func(fallback bool, ids ...string) placement.Request {
		return placement.Request{Model: "m", Avoid: ids, AllowFallback: fallback}
	}
	runModeCases(t, []modeCase{
		{"avoided least-loaded pool skipped", []placement.Pool{pool("a", slots(4)), pool("b")}, avoid(false, "a"), chose("b", placement.ReasonLeastLoaded), nil},
		{"waits for a busy pool rather than an avoided one", []placement.Pool{pool("a"), pool("b", full)}, avoid(true, "a"), failed(placement.ErrBusy), nil},
		{"all avoided, fallback", []placement.Pool{pool("a"), pool("b", slots(2))}, avoid(true, "a", "b"), chose("b", placement.ReasonFallback), nil},
		{"all avoided, fallback, busy", []placement.Pool{pool("a", full)}, avoid(true, "a"), failed(placement.ErrBusy), nil},
		{"all avoided, no fallback", []placement.Pool{pool("a"), pool("b")}, avoid(false, "a", "b"), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"other pool's ctx too small, fallback to avoided", []placement.Pool{pool("a"), pool("b", ctxMax(10))}, withCtx(avoid(true, "a"), 100), chose("a", placement.ReasonFallback), nil},
		{"other pool's ctx too small, no fallback", []placement.Pool{pool("a"), pool("b", ctxMax(10))}, withCtx(avoid(false, "a"), 100), failed(placement.ErrCtxTooLarge), placement.ErrCtxTooLarge},
		{"avoiding an unknown pool", []placement.Pool{pool("a")}, avoid(false, "zz"), chose("a", placement.ReasonLeastLoaded), nil},
	})
}

func TestAffinity(t *testing.T) {
	req := placement.Request{Model: "m", AllowFallback: true}
	runModeCases(t, []modeCase{
		{"affinity pool eligible", []placement.Pool{pool("a", slots(4)), pool("b")}, withAffinity(req, "b"), chose("b", placement.ReasonAffinity), nil},
		{"affinity pool busy", []placement.Pool{pool("a"), pool("b", full)}, withAffinity(req, "b"), chose("a", placement.ReasonLeastLoaded), nil},
		{"affinity pool gone", []placement.Pool{pool("a")}, withAffinity(req, "b"), chose("a", placement.ReasonLeastLoaded), nil},
		{"affinity pool avoided", []placement.Pool{pool("a"), pool("b", slots(3))}, withAvoid(withAffinity(req, "b"), "b"), chose("a", placement.ReasonLeastLoaded), nil},
		{"strict, affinity pool eligible", []placement.Pool{pool("a", slots(4)), pool("b")}, withStrict(req, "b"), chose("b", placement.ReasonAffinity), nil},
		{"strict, affinity pool busy", []placement.Pool{pool("a"), pool("b", full)}, withStrict(req, "b"), failed(placement.ErrBusy), nil},
		{"strict, affinity pool draining", []placement.Pool{pool("a"), pool("b", draining)}, withStrict(req, "b"), failed(placement.ErrBusy), nil},
		{"strict, affinity pool gone", []placement.Pool{pool("a")}, withStrict(req, "b"), chose("a", placement.ReasonLeastLoaded), nil},
		{"strict, affinity pool lost the model", []placement.Pool{pool("a"), pool("b", models("x"))}, withStrict(req, "b"), chose("a", placement.ReasonLeastLoaded), nil},
		{"strict, affinity pool ctx too small", []placement.Pool{pool("a"), pool("b", ctxMax(10))}, withCtx(withStrict(req, "b"), 100), chose("a", placement.ReasonLeastLoaded), nil},
		{"strict, affinity pool avoided", []placement.Pool{pool("a"), pool("b")}, withAvoid(withStrict(req, "b"), "b"), chose("a", placement.ReasonLeastLoaded), nil},
		{"strict, nothing else either", []placement.Pool{pool("a", models("x"))}, withStrict(req, "b"), failed(placement.ErrNoPool), placement.ErrNoPool},
		{"affinity after pin fallback", []placement.Pool{pool("a", slots(4)), pool("b")}, withAffinity(placement.Request{Model: "m", Mode: placement.Pin, PinPool: "zz", AllowFallback: true}, "b"), chose("b", placement.ReasonFallback), nil},
	})
}

func withCtx(r placement.Request, ctx int) placement.Request { r.Ctx = ctx; return r }
func withAvoid(r placement.Request, ids ...string) placement.Request {
	r.Avoid = ids
	return r
}
func withAffinity(r placement.Request, id string) placement.Request { r.AffinityPool = id; return r }
func withStrict(r placement.Request, id string) placement.Request {
	r.AffinityPool, r.Strict = id, true
	return r
}
