package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

func TestVerifyRecordsTheResult(t *testing.T) {
	ctx := context.Background()
	content := []byte("GGUF model weights")
	big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16+7) // spans several read buffers
	dir := t.TempDir()
	src := writeModel(t, dir, "m.gguf", content)
	tests := []struct {
		name     string
		source   string
		digest   string
		verified bool
		reason   string
	}{
		{"digest matches", src, digestOf(content), true, ""},
		{"file on localhost", "file://localhost" + filepath.ToSlash(filepath.Join(dir, "m.gguf")), digestOf(content), true, ""},
		{"large file matches", writeModel(t, dir, "big.gguf", big), digestOf(big), true, ""},
		{"digest differs", src, otherDigest, false, "digest mismatch: got " + digestOf(content)},
		{"empty file", writeModel(t, dir, "empty.gguf", nil), otherDigest, false, "digest mismatch: got " + digestOf(nil)},
		{"missing file", "file://" + filepath.ToSlash(filepath.Join(dir, "none.gguf")), otherDigest, false, "source not found"},
		{"missing directory", "file://" + filepath.ToSlash(filepath.Join(dir, "no", "m.gguf")), otherDigest, false, "source not found"},
		{"directory", "file://" + filepath.ToSlash(dir), otherDigest, false, "source is not a regular file"},
		{"https source", "https://hf.co/org/m.gguf", otherDigest, false, "unsupported source scheme: https (only file:// can be verified locally)"},
		{"http source", "http://10.0.0.1/m.gguf", otherDigest, false, "unsupported source scheme: http (only file:// can be verified locally)"},
		{"registry source", "ghcr.io/org/m:q4", otherDigest, false, "unsupported source scheme: registry reference (only file:// can be verified locally)"},
		{"no source", "", otherDigest, false, "no source_url to verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			clock := newFakeClock()
			c := newCatalog(clock)
			e := entry("org/m")
			e.SourceURL, e.Digest = tt.source, tt.digest
			_, err := c.Create(ctx, e)
			is.NoErr(err) // create
			clock.Advance(time.Minute)

			got, err := c.Verify(ctx, "org/m")
			is.NoErr(err)                            // a failed verification is a result, not an error
			is.Equal(got.Verified, tt.verified)      // verdict
			is.Equal(got.VerifyReason, tt.reason)    // reason
			is.Equal(got.LastVerifiedMs, clock.Ms()) // recorded now
			stored, err := c.Get(ctx, "org/m")
			is.NoErr(err)         // get
			is.Equal(stored, got) // persisted
		})
	}
}

func TestVerifyAgainAfterTheFileChanged(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	clock := newFakeClock()
	c := newCatalog(clock)
	e := fileEntry(t, "m", []byte("v1"), true)
	_, err := c.Create(ctx, e)
	is.NoErr(err) // create
	first, err := c.Verify(ctx, "m")
	is.NoErr(err)           // verify
	is.True(first.Verified) // matches

	u, err := url.Parse(e.SourceURL)
	is.NoErr(err)                                       // source URL
	is.NoErr(os.WriteFile(u.Path, []byte("v2"), 0o644)) // the file is replaced
	clock.Advance(time.Second)
	second, err := c.Verify(ctx, "m")
	is.NoErr(err)                                                                 // verify again
	is.True(!second.Verified)                                                     // no longer matches
	is.Equal(second.VerifyReason, "digest mismatch: got "+digestOf([]byte("v2"))) // says why
	is.Equal(second.LastVerifiedMs, clock.Ms())                                   // recorded now
}

func TestVerifyAppliesTheTrustPolicy(t *testing.T) {
	ctx := context.Background()
	signed := []catalog.Signature{{Signer: "acme", Algo: "ed25519", Verified: true}}
	unsigned := []catalog.Signature{{Signer: "acme", Algo: "ed25519", Verified: false}}
	sbom := &catalog.SBOM{URI: "https://x/sbom.json"}
	tests := []struct {
		name       string
		policy     *catalog.TrustPolicy
		signatures []catalog.Signature
		sbom       *catalog.SBOM
		verified   bool
		reason     string
	}{
		{"no policy", nil, nil, nil, true, ""},
		{"signature required and present", &catalog.TrustPolicy{Mode: catalog.TrustStrict, RequireSignature: true}, signed, nil, true, ""},
		{"signature required, none", &catalog.TrustPolicy{Mode: catalog.TrustStrict, RequireSignature: true}, nil, nil, false, "trust policy requires a verified signature"},
		{"signature required, unverified one", &catalog.TrustPolicy{Mode: catalog.TrustStrict, RequireSignature: true}, unsigned, nil, false, "trust policy requires a verified signature"},
		{"sbom required and present", &catalog.TrustPolicy{Mode: catalog.TrustPermissive, RequireSBOM: true}, nil, sbom, true, ""},
		{"sbom required, none", &catalog.TrustPolicy{Mode: catalog.TrustPermissive, RequireSBOM: true}, nil, nil, false, "trust policy requires an SBOM"},
		{"sbom required, no uri", &catalog.TrustPolicy{Mode: catalog.TrustPermissive, RequireSBOM: true}, nil, &catalog.SBOM{}, false, "trust policy requires an SBOM"},
		{"both required and present", &catalog.TrustPolicy{Mode: catalog.TrustStrict, RequireSignature: true, RequireSBOM: true}, signed, sbom, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := newCatalog(newFakeClock())
			e := fileEntry(t, "m", []byte("weights"), true)
			e.TrustPolicy, e.Signatures, e.SBOM = tt.policy, tt.signatures, tt.sbom
			_, err := c.Create(ctx, e)
			is.NoErr(err) // create
			got, err := c.Verify(ctx, "m")
			is.NoErr(err)                         // verify
			is.Equal(got.Verified, tt.verified)   // verdict
			is.Equal(got.VerifyReason, tt.reason) // reason
		})
	}
}

func TestVerifyFileRoot(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	root := filepath.Join(base, "models")
	content := []byte("weights")
	inside := writeModel(t, root, "org/m.gguf", content)
	outside := writeModel(t, base, "secret/key.gguf", content)
	is.New(t).NoErr(os.Symlink(filepath.Join(base, "secret", "key.gguf"), filepath.Join(root, "escape.gguf"))) // link out of the root
	is.New(t).NoErr(os.Symlink(filepath.Join(base, "secret"), filepath.Join(root, "secretdir")))               // directory link out of the root
	is.New(t).NoErr(os.Symlink(filepath.Join(root, "org", "m.gguf"), filepath.Join(root, "alias.gguf")))       // link within the root
	rootURL := "file://" + filepath.ToSlash(root)
	tests := []struct {
		name     string
		source   string
		verified bool
		reason   string
	}{
		{"inside the root", inside, true, ""},
		{"link within the root", rootURL + "/alias.gguf", true, ""},
		{"dot segments that stay inside", rootURL + "/org/./../org/m.gguf", true, ""},
		{"outside the root", outside, false, "source outside the file root"},
		{"dot dot escape", rootURL + "/../secret/key.gguf", false, "source outside the file root"},
		{"percent-encoded dot dot escape", rootURL + "/%2e%2e/secret/key.gguf", false, "source outside the file root"},
		{"deep dot dot escape", rootURL + "/org/../../secret/key.gguf", false, "source outside the file root"},
		{"file link escape", rootURL + "/escape.gguf", false, "source outside the file root"},
		{"directory link escape", rootURL + "/secretdir/key.gguf", false, "source outside the file root"},
		{"sibling with the root as prefix", "file://" + filepath.ToSlash(root) + "-other/m.gguf", false, "source outside the file root"},
		{"filesystem root", "file:///", false, "source outside the file root"},
		{"the root itself", rootURL, false, "source is not a regular file"},
		{"missing inside the root", rootURL + "/none.gguf", false, "source not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := newCatalog(newFakeClock(), catalog.WithFileRoot(root))
			e := entry("m")
			e.SourceURL, e.Digest = tt.source, digestOf(content)
			_, err := c.Create(ctx, e)
			is.NoErr(err) // create
			got, err := c.Verify(ctx, "m")
			is.NoErr(err)                         // verify
			is.Equal(got.Verified, tt.verified)   // verdict
			is.Equal(got.VerifyReason, tt.reason) // reason
		})
	}
}

func TestVerifyWithAMissingFileRoot(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	c := newCatalog(newFakeClock(), catalog.WithFileRoot(filepath.Join(dir, "none")))
	e := entry("m")
	e.SourceURL = "file://" + filepath.ToSlash(filepath.Join(dir, "none", "m.gguf"))
	_, err := c.Create(ctx, e)
	is.NoErr(err) // create
	_, err = c.Verify(ctx, "m")
	is.True(err != nil) // a broken configuration is an error, not a verdict on the model
	got, err := c.Get(ctx, "m")
	is.NoErr(err)                          // get
	is.Equal(got.LastVerifiedMs, int64(0)) // nothing recorded
}

func TestVerifyStopsWhenTheContextIsDone(t *testing.T) {
	is := is.New(t)
	store := &hookStore{Store: catalog.NewMemStore()}
	c := catalog.New(store, catalog.WithClock(newFakeClock().Now))
	created, err := c.Create(context.Background(), fileEntry(t, "m", []byte("weights"), true))
	is.NoErr(err) // create

	// Verify reads the entry, then hashes: cancel in between.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store.arm(cancel)
	_, err = c.Verify(ctx, "m")
	is.True(errors.Is(err, context.Canceled)) // the hash stopped
	got, err := c.Get(context.Background(), "m")
	is.NoErr(err)          // get
	is.Equal(got, created) // nothing recorded
}

func TestVerifyRacesWithDelete(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		during func(c *catalog.Catalog, clock *fakeClock, e catalog.Entry) error
		want   error
	}{
		{"deleted while hashing", func(c *catalog.Catalog, _ *fakeClock, e catalog.Entry) error {
			return c.Delete(ctx, e.ID)
		}, catalog.ErrNotFound},
		{"deleted and created again while hashing", func(c *catalog.Catalog, clock *fakeClock, e catalog.Entry) error {
			err := c.Delete(ctx, e.ID)
			clock.Advance(time.Second)
			_, createErr := c.Create(ctx, e)
			return errors.Join(err, createErr)
		}, catalog.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			clock := newFakeClock()
			store := &hookStore{Store: catalog.NewMemStore()}
			c := catalog.New(store, catalog.WithClock(clock.Now))
			e := fileEntry(t, "m", []byte("weights"), true)
			_, err := c.Create(ctx, e)
			is.NoErr(err) // create
			var hookErr error
			store.arm(func() { hookErr = tt.during(c, clock, e) }) // runs between Verify's read and its hash
			_, err = c.Verify(ctx, "m")
			is.NoErr(hookErr)                // the concurrent change happened
			is.True(errors.Is(err, tt.want)) // the result is not recorded on another entry
		})
	}
}

func TestVerifyRelativeFileRoot(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	base := t.TempDir()
	content := []byte("weights")
	inside := writeModel(t, base, "models/m.gguf", content)
	t.Chdir(base)
	c := newCatalog(newFakeClock(), catalog.WithFileRoot("models"))
	e := entry("m")
	e.SourceURL, e.Digest = inside, digestOf(content)
	_, err := c.Create(ctx, e)
	is.NoErr(err) // create
	got, err := c.Verify(ctx, "m")
	is.NoErr(err)                  // verify
	is.True(got.Verified)          // a relative root is taken against the working directory
	is.Equal(got.VerifyReason, "") // no reason
}

func TestVerifyFileRootBehindALink(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	content := []byte("weights")
	resolvedURL := writeModel(t, base, "data/models/m.gguf", content)
	alias := filepath.Join(base, "models")
	is.New(t).NoErr(os.Symlink(filepath.Join(base, "data", "models"), alias)) // the configured root is a link
	tests := []struct {
		name   string
		source string
	}{
		{"named through the link", "file://" + filepath.ToSlash(filepath.Join(alias, "m.gguf"))},
		{"named by the resolved path", resolvedURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := newCatalog(newFakeClock(), catalog.WithFileRoot(alias))
			e := entry("m")
			e.SourceURL, e.Digest = tt.source, digestOf(content)
			_, err := c.Create(ctx, e)
			is.NoErr(err) // create
			got, err := c.Verify(ctx, "m")
			is.NoErr(err)                  // verify
			is.True(got.Verified)          // inside the root either way
			is.Equal(got.VerifyReason, "") // no reason
		})
	}
}
