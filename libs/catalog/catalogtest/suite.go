package catalogtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

// digestA and digestB are valid digests for the entries of the suite.
const (
	digestA = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	digestB = "sha256:00000000000000000000000000000000000000000000000000000000000000ff"
)

// FullEntry returns an entry with every field set, nested ones included, so
// that a round trip through a Store shows what the adapter keeps.
func FullEntry(id string) catalog.Entry {
	return catalog.Entry{
		ID:        id,
		Digest:    digestA,
		SourceURL: "file:///models/" + id + ".gguf",
		Tags:      []string{"chat", "q4"},
		Manifests: []catalog.Manifest{{Digest: digestA, SizeBytes: 4 << 30}, {Digest: digestB, SizeBytes: 1}},
		Signatures: []catalog.Signature{
			{Signer: "acme", Algo: "ed25519", Verified: true, TimestampMs: 1_700_000_000_000},
		},
		SBOM: &catalog.SBOM{URI: "https://sbom.example/" + id + ".json", Digest: digestB},
		TrustPolicy: &catalog.TrustPolicy{
			Mode:              catalog.TrustStrict,
			AllowedRegistries: []string{"hf.co", "ghcr.io"},
			RequireSignature:  true,
			RequireSBOM:       true,
			CARoots:           []string{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
		},
		State:            catalog.Retired,
		CreatedMs:        1_700_000_000_001,
		StateChangedMs:   1_700_000_000_002,
		RetireDeadlineMs: 1_700_000_060_002,
		Verified:         true,
		LastVerifiedMs:   1_700_000_000_003,
		VerifyReason:     "digest mismatch: got " + digestB,
	}
}

// MinimalEntry returns an entry with only the required fields set.
func MinimalEntry(id string) catalog.Entry {
	return catalog.Entry{ID: id, Digest: digestB, State: catalog.Active, CreatedMs: 1}
}

// RunStoreSuite runs the contract of catalog.Store against the adapter that
// newStore returns; each call must return a fresh, empty store.
func RunStoreSuite(t *testing.T, newStore func(t *testing.T) catalog.Store) {
	t.Helper()
	ctx := context.Background()

	t.Run("get of an unknown id is ErrNotFound", func(t *testing.T) {
		is := is.New(t)
		_, err := newStore(t).Get(ctx, "org/none")
		is.True(errors.Is(err, catalog.ErrNotFound)) // unknown id
	})

	t.Run("put then get returns every field", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		for _, e := range []catalog.Entry{FullEntry("org/full"), MinimalEntry("minimal")} {
			is.NoErr(s.Put(ctx, e)) // put
			got, err := s.Get(ctx, e.ID)
			is.NoErr(err)    // get
			is.Equal(got, e) // round trip keeps every field
		}
	})

	t.Run("ids of every allowed character", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		ids := []string{"org/model:q4@v1+x_y-z.gguf", "a", "A.b", "x/y/z"}
		for _, id := range ids {
			is.NoErr(s.Put(ctx, MinimalEntry(id))) // put
		}
		for _, id := range ids {
			got, err := s.Get(ctx, id)
			is.NoErr(err)        // get
			is.Equal(got.ID, id) // the id it was stored under
		}
	})

	t.Run("put replaces", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		is.NoErr(s.Put(ctx, FullEntry("m"))) // create
		repl := MinimalEntry("m")
		repl.Verified, repl.VerifyReason = false, "source not found"
		is.NoErr(s.Put(ctx, repl)) // replace
		got, err := s.Get(ctx, "m")
		is.NoErr(err)       // get
		is.Equal(got, repl) // the replacement, nothing of the first
		all, err := s.List(ctx)
		is.NoErr(err)         // list
		is.Equal(len(all), 1) // one entry per id
	})

	t.Run("delete", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		is.NoErr(s.Put(ctx, MinimalEntry("m"))) // create
		is.NoErr(s.Delete(ctx, "m"))            // delete
		_, err := s.Get(ctx, "m")
		is.True(errors.Is(err, catalog.ErrNotFound))                   // gone
		is.True(errors.Is(s.Delete(ctx, "m"), catalog.ErrNotFound))    // second delete
		is.True(errors.Is(s.Delete(ctx, "none"), catalog.ErrNotFound)) // never stored
	})

	t.Run("list", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		empty, err := s.List(ctx)
		is.NoErr(err)           // list of an empty store
		is.Equal(len(empty), 0) // nothing
		want := []catalog.Entry{FullEntry("b/full"), MinimalEntry("a"), MinimalEntry("c")}
		for _, e := range want {
			is.NoErr(s.Put(ctx, e)) // put
		}
		got, err := s.List(ctx)
		is.NoErr(err) // list
		byID := func(a, b catalog.Entry) int { return cmp.Compare(a.ID, b.ID) }
		slices.SortFunc(got, byID)
		slices.SortFunc(want, byID)
		is.Equal(got, want) // every entry with every field
	})

	t.Run("entries share no memory with the caller", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		in := FullEntry("m")
		is.NoErr(s.Put(ctx, in)) // put
		in.Tags[0], in.Manifests[0].SizeBytes, in.Signatures[0].Signer = "changed", 9, "changed"
		in.SBOM.URI, in.TrustPolicy.AllowedRegistries[0], in.TrustPolicy.CARoots[0] = "changed", "changed", "changed"

		got, err := s.Get(ctx, "m")
		is.NoErr(err)                 // get
		is.Equal(got, FullEntry("m")) // the argument of Put was copied
		got.Tags[0], got.SBOM.URI, got.TrustPolicy.Mode = "changed", "changed", "changed"
		listed, err := s.List(ctx)
		is.NoErr(err) // list
		again, err := s.Get(ctx, "m")
		is.NoErr(err)                                     // get again
		is.Equal(again, FullEntry("m"))                   // the result of Get was a copy
		is.Equal(listed, []catalog.Entry{FullEntry("m")}) // so is List's
		listed[0].Tags[1] = "changed"
		again, err = s.Get(ctx, "m")
		is.NoErr(err)                   // get after changing the list
		is.Equal(again, FullEntry("m")) // the result of List was a copy
	})

	t.Run("concurrent use", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		const writers, perWriter = 4, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*perWriter*3)
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					id := fmt.Sprintf("w%d/m%d", w, i)
					errs <- s.Put(ctx, FullEntry(id))
					_, err := s.Get(ctx, id)
					errs <- err
					_, err = s.List(ctx)
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			is.NoErr(err) // every call succeeded
		}
		all, err := s.List(ctx)
		is.NoErr(err)                         // list
		is.Equal(len(all), writers*perWriter) // every entry stored once
	})
}
