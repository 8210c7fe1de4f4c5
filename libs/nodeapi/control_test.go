package nodeapi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

func TestUpdateControl(t *testing.T) {
	is := is.New(t)
	r := nodeapi.NewRegistry(timeout)
	_, err := r.Register(nodeSpec("n1", "p1", "p2"))
	is.NoErr(err) // register
	ch, cancel := r.Subscribe()
	defer cancel()
	v0 := r.Version()

	c, err := r.UpdateControl("p1", func(c *nodeapi.Control) { c.Draining = true })
	is.NoErr(err)             // drain
	is.True(c.Draining)       // the state f left
	is.True(r.Version() > v0) // counted as a change
	is.True(signalled(ch))    // subscribers hear of it
	pv, _ := r.Pool("p1")
	is.True(pv.Draining())     // the view is held
	is.True(pv.Control.Held()) // by the control
	other, _ := r.Pool("p2")
	is.True(!other.Draining()) // the other pool is not

	v1 := r.Version()
	_, err = r.UpdateControl("p1", func(c *nodeapi.Control) { c.Draining = true })
	is.NoErr(err)             // same state again
	is.Equal(r.Version(), v1) // no change, no new version
	is.True(!signalled(ch))   // and no signal

	_, err = r.UpdateControl("missing", func(*nodeapi.Control) {})
	is.True(errors.Is(err, nodeapi.ErrUnknownPool)) // unknown pool

	_, err = r.UpdateControl("p1", func(c *nodeapi.Control) { c.LastError = strings.Repeat("x", nodeapi.MaxErrorLen+10) })
	is.NoErr(err) // a long error
	pv, _ = r.Pool("p1")
	is.Equal(len(pv.Control.LastError), nodeapi.MaxErrorLen) // is bounded
}

func TestControlSurvivesReRegistration(t *testing.T) {
	is := is.New(t)
	r := nodeapi.NewRegistry(timeout)
	_, err := r.Register(nodeSpec("n1", "p1", "p2"))
	is.NoErr(err) // register
	_, err = r.UpdateControl("p1", func(c *nodeapi.Control) { c.Draining, c.LastError = true, "reload failed" })
	is.NoErr(err) // drain p1
	_, err = r.Register(nodeSpec("n1", "p1", "p3"))
	is.NoErr(err) // re-register with p1 kept, p2 gone
	pv, ok := r.Pool("p1")
	is.True(ok)                                     // p1 still there
	is.True(pv.Control.Draining)                    // still drained
	is.Equal(pv.Control.LastError, "reload failed") // and its error kept
	p3, _ := r.Pool("p3")
	is.Equal(p3.Control, nodeapi.Control{}) // a new pool starts free
}

func TestPoolViewDrainingAndLastError(t *testing.T) {
	tests := []struct {
		name     string
		view     nodeapi.PoolView
		draining bool
		lastErr  string
	}{
		{"free", nodeapi.PoolView{}, false, ""},
		{"reported draining", nodeapi.PoolView{Reported: true, Report: nodeapi.PoolReport{Draining: true}}, true, ""},
		{"stale report ignored", nodeapi.PoolView{Report: nodeapi.PoolReport{Draining: true}}, false, ""},
		{"drained by operator", nodeapi.PoolView{Control: nodeapi.Control{Draining: true}}, true, ""},
		{"reloading", nodeapi.PoolView{Control: nodeapi.Control{Reloading: true}}, true, ""},
		{"reported error", nodeapi.PoolView{Report: nodeapi.PoolReport{LastError: "probe"}}, false, "probe"},
		{"control error", nodeapi.PoolView{Control: nodeapi.Control{LastError: "reload"}}, false, "reload"},
		{"both errors", nodeapi.PoolView{Report: nodeapi.PoolReport{LastError: "probe"}, Control: nodeapi.Control{LastError: "reload"}}, false, "reload; probe"},
		{"same error once", nodeapi.PoolView{Report: nodeapi.PoolReport{LastError: "x"}, Control: nodeapi.Control{LastError: "x"}}, false, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(tt.view.Draining(), tt.draining) // draining
			is.Equal(tt.view.LastError(), tt.lastErr) // last error
		})
	}
}
