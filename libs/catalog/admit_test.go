package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/catalog/catalogtest"
)

// gateCatalog holds one entry per combination the gate distinguishes,
// named after it.
func gateCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	is := is.New(t)
	ctx := context.Background()
	c := newCatalog(newFakeClock())
	strict := &catalog.TrustPolicy{Mode: catalog.TrustStrict}
	permissive := &catalog.TrustPolicy{Mode: catalog.TrustPermissive}
	add := func(id string, verified bool, policy *catalog.TrustPolicy, state catalog.State) {
		e := fileEntry(t, id, []byte(id), verified)
		e.TrustPolicy = policy
		_, err := c.Create(ctx, e)
		is.NoErr(err) // create
		got, err := c.Verify(ctx, id)
		is.NoErr(err)                    // verify against the real file
		is.Equal(got.Verified, verified) // as the fixture wants
		_, err = c.SetState(ctx, id, state, 0)
		is.NoErr(err) // state
	}
	add("active-verified", true, nil, catalog.Active)
	add("active-unverified", false, nil, catalog.Active)
	add("retired-verified", true, nil, catalog.Retired)
	add("retired-unverified", false, nil, catalog.Retired)
	add("policy-strict-verified", true, strict, catalog.Active)
	add("policy-strict-unverified", false, strict, catalog.Active)
	add("policy-permissive-unverified", false, permissive, catalog.Active)
	add("retired-policy-strict-unverified", false, strict, catalog.Retired)
	_, err := c.Create(ctx, entry("never-verified")) // Verify never ran
	is.NoErr(err)                                    // create
	return c
}

func TestAdmitGate(t *testing.T) {
	ctx := context.Background()
	c := gateCatalog(t)
	tests := []struct {
		model  string
		strict bool
		want   error
	}{
		{"active-verified", false, nil},
		{"active-verified", true, nil},
		{"active-unverified", false, nil},
		{"active-unverified", true, catalog.ErrUntrusted},
		{"never-verified", false, nil},
		{"never-verified", true, catalog.ErrUntrusted},
		{"retired-verified", false, catalog.ErrRetired},
		{"retired-verified", true, catalog.ErrRetired},
		{"retired-unverified", false, catalog.ErrRetired},
		{"retired-unverified", true, catalog.ErrRetired},
		{"policy-strict-verified", false, nil},
		{"policy-strict-verified", true, nil},
		{"policy-strict-unverified", false, catalog.ErrUntrusted},
		{"policy-strict-unverified", true, catalog.ErrUntrusted},
		{"policy-permissive-unverified", false, nil},
		{"policy-permissive-unverified", true, catalog.ErrUntrusted},
		{"retired-policy-strict-unverified", false, catalog.ErrRetired},
		{"unknown/model", false, nil},
		{"unknown/model", true, catalog.ErrUntrusted},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s strict=%t", tt.model, tt.strict), func(t *testing.T) {
			is := is.New(t)
			err := c.Admit(ctx, tt.model, tt.strict)
			is.Equal(err, tt.want) // the bare sentinel (or nil)
		})
	}
}

func TestAdmitFollowsLifecycle(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	c := newCatalog(newFakeClock())
	_, err := c.Create(ctx, fileEntry(t, "m", []byte("w"), true))
	is.NoErr(err)                                           // create
	is.Equal(c.Admit(ctx, "m", true), catalog.ErrUntrusted) // not verified yet
	_, err = c.Verify(ctx, "m")
	is.NoErr(err)                     // verify
	is.NoErr(c.Admit(ctx, "m", true)) // verified
	_, err = c.SetState(ctx, "m", catalog.Retired, 30_000)
	is.NoErr(err)                                          // retire
	is.Equal(c.Admit(ctx, "m", false), catalog.ErrRetired) // retired at once
	_, err = c.SetState(ctx, "m", catalog.Active, 0)
	is.NoErr(err)                                           // activate
	is.NoErr(c.Admit(ctx, "m", true))                       // admitted again
	is.NoErr(c.Delete(ctx, "m"))                            // delete
	is.NoErr(c.Admit(ctx, "m", false))                      // unknown again
	is.Equal(c.Admit(ctx, "m", true), catalog.ErrUntrusted) // and unverified under strict trust
}

func TestIndexLoadsFromTheStore(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		load func(c *catalog.Catalog) error
	}{
		{"explicit Load", func(c *catalog.Catalog) error { return c.Load(ctx) }},
		{"first Admit", func(c *catalog.Catalog) error { return c.Admit(ctx, "other", false) }},
		{"first States", func(c *catalog.Catalog) error { c.States(); return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			store := catalog.NewMemStore()
			retired := entry("org/old")
			retired.State = catalog.Retired
			is.NoErr(store.Put(ctx, retired))                         // left by an earlier run
			is.NoErr(store.Put(ctx, catalogtest.MinimalEntry("new"))) // unverified, Active
			c := catalog.New(store)
			is.NoErr(tt.load(c))                                                                              // load
			is.Equal(c.Admit(ctx, "org/old", false), catalog.ErrRetired)                                      // the earlier run's state holds
			is.Equal(c.Admit(ctx, "new", true), catalog.ErrUntrusted)                                         // and its trust
			is.Equal(c.States(), map[string]catalog.State{"org/old": catalog.Retired, "new": catalog.Active}) // states as stored
		})
	}
}

func TestAdmitFailsClosedWhenTheStoreFails(t *testing.T) {
	is := is.New(t)
	boom := errors.New("store unavailable")
	c := catalog.New(failStore{err: boom})
	is.True(errors.Is(c.Admit(context.Background(), "m", false), boom)) // no gate without the index
	is.Equal(len(c.States()), 0)                                        // no states to report
}

func TestAdmitDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	c := gateCatalog(t)
	tests := []struct {
		model  string
		strict bool
	}{
		{"active-verified", true},
		{"retired-verified", false},
		{"active-unverified", true},
		{"unknown/model", false},
		{"unknown/model", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s strict=%t", tt.model, tt.strict), func(t *testing.T) {
			is := is.New(t)
			allocs := testing.AllocsPerRun(100, func() { _ = c.Admit(ctx, tt.model, tt.strict) })
			is.Equal(allocs, 0.0) // a map lookup under a read lock
		})
	}
}

func TestStatesFollowTheCatalog(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	c := newCatalog(newFakeClock())
	is.Equal(len(c.States()), 0) // empty catalog
	for _, id := range []string{"a", "org/b", "c"} {
		_, err := c.Create(ctx, entry(id))
		is.NoErr(err) // create
	}
	_, err := c.SetState(ctx, "org/b", catalog.Retired, 0)
	is.NoErr(err)                // retire
	is.NoErr(c.Delete(ctx, "c")) // delete
	states := c.States()
	is.Equal(states, map[string]catalog.State{"a": catalog.Active, "org/b": catalog.Retired}) // every entry's state
	states["a"] = catalog.Retired
	is.Equal(c.States()["a"], catalog.Active) // a copy
}
