package catalog_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/catalog/catalogtest"
)

func TestCreateSetsServerFields(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	clock := newFakeClock()
	c := newCatalog(clock)
	in := catalogtest.FullEntry("org/llama-3-8b") // Retired, verified, with timestamps: all ignored
	in.SourceURL = "https://hf.co/org/llama-3-8b.gguf"

	got, err := c.Create(ctx, in)
	is.NoErr(err)                                // created
	is.Equal(got.State, catalog.Active)          // new entries are Active
	is.Equal(got.CreatedMs, int64(startMs))      // created now
	is.Equal(got.StateChangedMs, int64(startMs)) // state set now
	is.Equal(got.RetireDeadlineMs, int64(0))     // no deadline
	is.True(!got.Verified)                       // not verified yet
	is.Equal(got.LastVerifiedMs, int64(0))       // never verified
	is.Equal(got.VerifyReason, "")               // no reason
	is.Equal(got.Tags, in.Tags)                  // descriptive fields kept
	is.Equal(got.Manifests, in.Manifests)        // manifests kept
	is.Equal(got.Signatures, in.Signatures)      // signatures kept
	is.Equal(got.SBOM, in.SBOM)                  // sbom kept
	is.Equal(got.TrustPolicy, in.TrustPolicy)    // trust policy kept

	stored, err := c.Get(ctx, in.ID)
	is.NoErr(err)         // get
	is.Equal(stored, got) // Get returns what Create returned
}

func TestCreateExisting(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	clock := newFakeClock()
	c := newCatalog(clock)
	first, err := c.Create(ctx, entry("org/m"))
	is.NoErr(err) // first create
	clock.Advance(time.Second)
	dup := entry("org/m")
	dup.Tags = []string{"other"}
	_, err = c.Create(ctx, dup)
	is.True(errors.Is(err, catalog.ErrExists)) // same id again
	got, err := c.Get(ctx, "org/m")
	is.NoErr(err)        // get
	is.Equal(got, first) // the first entry is untouched
}

func TestGetListDelete(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	c := newCatalog(newFakeClock())
	for _, id := range []string{"c", "org/b", "a"} {
		_, err := c.Create(ctx, entry(id))
		is.NoErr(err) // create
	}
	all, err := c.List(ctx)
	is.NoErr(err)                                     // list
	is.Equal(idsOf(all), []string{"a", "c", "org/b"}) // sorted by id

	is.NoErr(c.Delete(ctx, "c")) // delete
	_, err = c.Get(ctx, "c")
	is.True(errors.Is(err, catalog.ErrNotFound))                // deleted entry is gone
	is.True(errors.Is(c.Delete(ctx, "c"), catalog.ErrNotFound)) // second delete
	all, err = c.List(ctx)
	is.NoErr(err)                                // list
	is.Equal(idsOf(all), []string{"a", "org/b"}) // the others remain

	_, err = c.Create(ctx, entry("c"))
	is.NoErr(err) // an id is free again after delete
}

func TestUnknownIDs(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(newFakeClock())
	tests := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := c.Get(ctx, "org/none"); return err }},
		{"delete", func() error { return c.Delete(ctx, "org/none") }},
		{"verify", func() error { _, err := c.Verify(ctx, "org/none"); return err }},
		{"set state", func() error { _, err := c.SetState(ctx, "org/none", catalog.Retired, 0); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.True(errors.Is(tt.call(), catalog.ErrNotFound)) // unknown model
		})
	}
}

func TestEntriesShareNoMemory(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	c := newCatalog(newFakeClock())
	in := catalogtest.FullEntry("m")
	in.SourceURL = "https://hf.co/m"
	created, err := c.Create(ctx, in)
	is.NoErr(err) // create
	in.Tags[0], in.TrustPolicy.CARoots[0] = "changed", "changed"
	created.Tags[1], created.SBOM.URI = "changed", "changed"

	got, err := c.Get(ctx, "m")
	is.NoErr(err)                                                                     // get
	is.Equal(got.Tags, catalogtest.FullEntry("m").Tags)                               // neither the input nor the result aliases the store
	is.Equal(got.SBOM, catalogtest.FullEntry("m").SBOM)                               // sbom copied
	is.Equal(got.TrustPolicy.CARoots, catalogtest.FullEntry("m").TrustPolicy.CARoots) // nested slices copied
}

func TestSetState(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	clock := newFakeClock()
	c := newCatalog(clock)
	_, err := c.Create(ctx, entry("m"))
	is.NoErr(err) // create

	clock.Advance(time.Second)
	retired, err := c.SetState(ctx, "m", catalog.Retired, 60_000)
	is.NoErr(err)                                         // retire
	is.Equal(retired.State, catalog.Retired)              // retired
	is.Equal(retired.StateChangedMs, clock.Ms())          // changed now
	is.Equal(retired.RetireDeadlineMs, clock.Ms()+60_000) // running tasks get the deadline

	clock.Advance(time.Second)
	again, err := c.SetState(ctx, "m", catalog.Retired, 0)
	is.NoErr(err)                                          // retire again
	is.Equal(again.StateChangedMs, retired.StateChangedMs) // the state did not change
	is.Equal(again.RetireDeadlineMs, clock.Ms())           // the deadline moved to now

	clock.Advance(time.Second)
	active, err := c.SetState(ctx, "m", catalog.Active, 5_000)
	is.NoErr(err)                               // activate
	is.Equal(active.State, catalog.Active)      // active
	is.Equal(active.StateChangedMs, clock.Ms()) // changed now
	is.Equal(active.RetireDeadlineMs, int64(0)) // no deadline while active

	got, err := c.Get(ctx, "m")
	is.NoErr(err)                                                       // get
	is.Equal(got, active)                                               // stored
	is.Equal(c.States(), map[string]catalog.State{"m": catalog.Active}) // index follows
}

func TestSetStateValidation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		state    catalog.State
		deadline int64
		field    string
	}{
		{"unknown state", "Deleted", 0, "state"},
		{"empty state", "", 0, "state"},
		{"lower-case state", "retired", 0, "state"},
		{"negative deadline", catalog.Retired, -1, "deadline_ms"},
		{"deadline overflowing the clock", catalog.Retired, math.MaxInt64, "deadline_ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := newCatalog(newFakeClock())
			before, err := c.Create(ctx, entry("m"))
			is.NoErr(err) // create
			_, err = c.SetState(ctx, "m", tt.state, tt.deadline)
			var ve *catalog.ValidationError
			is.True(errors.As(err, &ve)) // typed error
			is.Equal(ve.Field, tt.field) // names the field
			got, err := c.Get(ctx, "m")
			is.NoErr(err)         // get
			is.Equal(got, before) // unchanged
		})
	}
}

func TestStoreErrorsAreWrapped(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	boom := errors.New("disk on fire")
	c := catalog.New(failStore{err: boom})
	_, err := c.Create(ctx, entry("m"))
	is.True(errors.Is(err, boom)) // create passes the store error on
	_, err = c.List(ctx)
	is.True(errors.Is(err, boom))         // list passes the store error on
	is.True(errors.Is(c.Load(ctx), boom)) // load passes the store error on
}

func idsOf(entries []catalog.Entry) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return ids
}
