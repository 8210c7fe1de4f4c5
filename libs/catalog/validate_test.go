package catalog_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

func TestCreateValidation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		mutate func(e *catalog.Entry)
		field  string
	}{
		{"empty id", func(e *catalog.Entry) { e.ID = "" }, "id"},
		{"id of 129 characters", func(e *catalog.Entry) { e.ID = strings.Repeat("a", 129) }, "id"},
		{"id with space", func(e *catalog.Entry) { e.ID = "org/my model" }, "id"},
		{"id with leading slash", func(e *catalog.Entry) { e.ID = "/org/model" }, "id"},
		{"id with trailing slash", func(e *catalog.Entry) { e.ID = "org/" }, "id"},
		{"id with dot dot", func(e *catalog.Entry) { e.ID = "org/../model" }, "id"},
		{"id with dot dot inside a name", func(e *catalog.Entry) { e.ID = "a..b" }, "id"},
		{"id with double slash", func(e *catalog.Entry) { e.ID = "org//model" }, "id"},
		{"id with percent", func(e *catalog.Entry) { e.ID = "org%2Fmodel" }, "id"},
		{"id with backslash", func(e *catalog.Entry) { e.ID = `org\model` }, "id"},
		{"id not ASCII", func(e *catalog.Entry) { e.ID = "modèle" }, "id"},
		{"id with NUL", func(e *catalog.Entry) { e.ID = "m\x00" }, "id"},
		{"empty digest", func(e *catalog.Entry) { e.Digest = "" }, "digest"},
		{"md5 digest", func(e *catalog.Entry) { e.Digest = "md5:d41d8cd98f00b204e9800998ecf8427e" }, "digest"},
		{"digest without algorithm", func(e *catalog.Entry) { e.Digest = strings.Repeat("a", 64) }, "digest"},
		{"digest in upper case", func(e *catalog.Entry) { e.Digest = "sha256:" + strings.Repeat("A", 64) }, "digest"},
		{"digest of 63 hex", func(e *catalog.Entry) { e.Digest = "sha256:" + strings.Repeat("a", 63) }, "digest"},
		{"digest of 65 hex", func(e *catalog.Entry) { e.Digest = "sha256:" + strings.Repeat("a", 65) }, "digest"},
		{"digest not hex", func(e *catalog.Entry) { e.Digest = "sha256:" + strings.Repeat("g", 64) }, "digest"},
		{"ftp source", func(e *catalog.Entry) { e.SourceURL = "ftp://mirror.example/m.gguf" }, "source_url"},
		{"s3 source", func(e *catalog.Entry) { e.SourceURL = "s3://bucket/m.gguf" }, "source_url"},
		{"file source with remote host", func(e *catalog.Entry) { e.SourceURL = "file://nas/models/m.gguf" }, "source_url"},
		{"file source with query", func(e *catalog.Entry) { e.SourceURL = "file:///m.gguf?x=1" }, "source_url"},
		{"file source with fragment", func(e *catalog.Entry) { e.SourceURL = "file:///m.gguf#x" }, "source_url"},
		{"file source with NUL", func(e *catalog.Entry) { e.SourceURL = "file:///m%00.gguf" }, "source_url"},
		{"relative file source", func(e *catalog.Entry) { e.SourceURL = "file:models/m.gguf" }, "source_url"},
		{"http source without host", func(e *catalog.Entry) { e.SourceURL = "https:///m.gguf" }, "source_url"},
		{"http source with credentials", func(e *catalog.Entry) { e.SourceURL = "https://user:pw@hf.co/m" }, "source_url"},
		{"bare word source", func(e *catalog.Entry) { e.SourceURL = "model" }, "source_url"},
		{"registry without a dotted host", func(e *catalog.Entry) { e.SourceURL = "org/model" }, "source_url"},
		{"registry with dot dot", func(e *catalog.Entry) { e.SourceURL = "hf.co/org/../model" }, "source_url"},
		{"registry with space", func(e *catalog.Entry) { e.SourceURL = "hf.co/org/my model" }, "source_url"},
		{"registry with bad port", func(e *catalog.Entry) { e.SourceURL = "localhost:99999/model" }, "source_url"},
		{"source too long", func(e *catalog.Entry) { e.SourceURL = "https://hf.co/" + strings.Repeat("a", 2048) }, "source_url"},
		{"source host not allowed", func(e *catalog.Entry) {
			e.SourceURL = "https://evil.example/m.gguf"
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, AllowedRegistries: []string{"hf.co"}}
		}, "source_url"},
		{"registry host not allowed", func(e *catalog.Entry) {
			e.SourceURL = "ghcr.io/org/model:q4"
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustPermissive, AllowedRegistries: []string{"hf.co"}}
		}, "source_url"},
		{"IPv6 host not allowed", func(e *catalog.Entry) {
			e.SourceURL = "http://[::1]:8080/m.gguf"
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, AllowedRegistries: []string{"hf.co"}}
		}, "source_url"},
		{"too many tags", func(e *catalog.Entry) { e.Tags = make([]string, catalog.MaxTags+1) }, "tags"},
		{"empty tag", func(e *catalog.Entry) { e.Tags = []string{"chat", ""} }, "tags[1]"},
		{"tag with newline", func(e *catalog.Entry) { e.Tags = []string{"a\nb"} }, "tags[0]"},
		{"tag too long", func(e *catalog.Entry) { e.Tags = []string{strings.Repeat("t", catalog.MaxTagLen+1)} }, "tags[0]"},
		{"tag not UTF-8", func(e *catalog.Entry) { e.Tags = []string{"\xff"} }, "tags[0]"},
		{"manifest without digest", func(e *catalog.Entry) { e.Manifests = []catalog.Manifest{{SizeBytes: 1}} }, "manifests[0].digest"},
		{"manifest with bad digest", func(e *catalog.Entry) {
			e.Manifests = []catalog.Manifest{{Digest: otherDigest}, {Digest: "sha256:XYZ"}}
		}, "manifests[1].digest"},
		{"manifest digest too short", func(e *catalog.Entry) { e.Manifests = []catalog.Manifest{{Digest: "sha1:abc"}} }, "manifests[0].digest"},
		{"manifest with negative size", func(e *catalog.Entry) {
			e.Manifests = []catalog.Manifest{{Digest: otherDigest, SizeBytes: -1}}
		}, "manifests[0].size_bytes"},
		{"too many manifests", func(e *catalog.Entry) {
			e.Manifests = slices.Repeat([]catalog.Manifest{{Digest: otherDigest}}, catalog.MaxManifests+1)
		}, "manifests"},
		{"signature without signer", func(e *catalog.Entry) { e.Signatures = []catalog.Signature{{Algo: "ed25519"}} }, "signatures[0].signer"},
		{"signature without algo", func(e *catalog.Entry) { e.Signatures = []catalog.Signature{{Signer: "acme"}} }, "signatures[0].algo"},
		{"signature with negative time", func(e *catalog.Entry) {
			e.Signatures = []catalog.Signature{{Signer: "acme", Algo: "ed25519", TimestampMs: -1}}
		}, "signatures[0].timestamp_ms"},
		{"too many signatures", func(e *catalog.Entry) {
			e.Signatures = slices.Repeat([]catalog.Signature{{Signer: "a", Algo: "b"}}, catalog.MaxSignatures+1)
		}, "signatures"},
		{"sbom with bad digest", func(e *catalog.Entry) { e.SBOM = &catalog.SBOM{URI: "https://x/sbom", Digest: "nope"} }, "sbom.digest"},
		{"sbom uri with newline", func(e *catalog.Entry) { e.SBOM = &catalog.SBOM{URI: "https://x/\n"} }, "sbom.uri"},
		{"policy without mode", func(e *catalog.Entry) { e.TrustPolicy = &catalog.TrustPolicy{} }, "trust_policy.mode"},
		{"policy of unknown mode", func(e *catalog.Entry) { e.TrustPolicy = &catalog.TrustPolicy{Mode: "lenient"} }, "trust_policy.mode"},
		{"policy mode in upper case", func(e *catalog.Entry) { e.TrustPolicy = &catalog.TrustPolicy{Mode: "STRICT"} }, "trust_policy.mode"},
		{"policy with bad registry", func(e *catalog.Entry) {
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, AllowedRegistries: []string{"hf.co", "https://x"}}
		}, "trust_policy.allowed_registries[1]"},
		{"policy with too many registries", func(e *catalog.Entry) {
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, AllowedRegistries: slices.Repeat([]string{"hf.co"}, catalog.MaxRegistries+1)}
		}, "trust_policy.allowed_registries"},
		{"policy with empty CA root", func(e *catalog.Entry) {
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, CARoots: []string{""}}
		}, "trust_policy.ca_roots[0]"},
		{"policy with too many CA roots", func(e *catalog.Entry) {
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, CARoots: slices.Repeat([]string{"pem"}, catalog.MaxCARoots+1)}
		}, "trust_policy.ca_roots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := newCatalog(newFakeClock())
			e := entry("org/model")
			tt.mutate(&e)
			_, err := c.Create(ctx, e)
			is.True(errors.Is(err, catalog.ErrInvalid)) // rejected as invalid
			var ve *catalog.ValidationError
			is.True(errors.As(err, &ve)) // typed error
			is.Equal(ve.Field, tt.field) // names the field
			all, err := c.List(ctx)
			is.NoErr(err)         // list
			is.Equal(len(all), 0) // nothing stored
		})
	}
}

func TestCreateIDRequiredMessage(t *testing.T) {
	is := is.New(t)
	_, err := newCatalog(newFakeClock()).Create(context.Background(), catalog.Entry{Digest: otherDigest})
	var ve *catalog.ValidationError
	is.True(errors.As(err, &ve))                           // typed error
	is.Equal(ve.Message(), "id required")                  // the message api.md §6 prescribes
	is.Equal(err.Error(), "catalog: invalid: id required") // error text
	is.True(errors.Is(err, catalog.ErrInvalid))            // matches the sentinel
}

func TestCreateAcceptsEdgeValues(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		mutate func(e *catalog.Entry)
	}{
		{"id of every allowed character", func(e *catalog.Entry) { e.ID = "aZ09._:@+-/x" }},
		{"id of 128 characters", func(e *catalog.Entry) { e.ID = strings.Repeat("a", 128) }},
		{"id of one character", func(e *catalog.Entry) { e.ID = "m" }},
		{"id with a single dot", func(e *catalog.Entry) { e.ID = "org/llama-3.1-8b" }},
		{"file source", func(e *catalog.Entry) { e.SourceURL = "file:///models/m.gguf" }},
		{"file source on localhost", func(e *catalog.Entry) { e.SourceURL = "file://localhost/models/m.gguf" }},
		{"file source percent-encoded", func(e *catalog.Entry) { e.SourceURL = "file:///models/my%20model.gguf" }},
		{"http source", func(e *catalog.Entry) { e.SourceURL = "http://10.0.0.1:8080/m.gguf" }},
		{"http source on IPv6", func(e *catalog.Entry) { e.SourceURL = "http://[::1]:8080/m.gguf" }},
		{"https source", func(e *catalog.Entry) { e.SourceURL = "https://huggingface.co/org/m/resolve/main/m.gguf" }},
		{"registry source with tag", func(e *catalog.Entry) { e.SourceURL = "ghcr.io/org/model:q4_k_m" }},
		{"registry source with digest", func(e *catalog.Entry) { e.SourceURL = "hf.co/org/model@" + otherDigest }},
		{"registry source on localhost with port", func(e *catalog.Entry) { e.SourceURL = "localhost:5000/model" }},
		{"allowed registry by host", func(e *catalog.Entry) {
			e.SourceURL = "https://HF.co:443/org/m"
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, AllowedRegistries: []string{"hf.co"}}
		}},
		{"allowed registry by host and port", func(e *catalog.Entry) {
			e.SourceURL = "localhost:5000/model"
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, AllowedRegistries: []string{"localhost:5000"}}
		}},
		{"file source under allowed registries", func(e *catalog.Entry) {
			e.SourceURL = "file:///models/m.gguf"
			e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustStrict, AllowedRegistries: []string{"hf.co"}}
		}},
		{"most tags", func(e *catalog.Entry) { e.Tags = slices.Repeat([]string{"chat"}, catalog.MaxTags) }},
		{"unicode tag", func(e *catalog.Entry) { e.Tags = []string{"modèle 7B"} }},
		{"sha512 manifest", func(e *catalog.Entry) {
			e.Manifests = []catalog.Manifest{{Digest: "sha512:" + strings.Repeat("0f", 64), SizeBytes: 0}}
		}},
		{"empty sbom", func(e *catalog.Entry) { e.SBOM = &catalog.SBOM{} }},
		{"permissive policy", func(e *catalog.Entry) { e.TrustPolicy = &catalog.TrustPolicy{Mode: catalog.TrustPermissive} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := newCatalog(newFakeClock())
			e := entry("org/model")
			tt.mutate(&e)
			got, err := c.Create(ctx, e)
			is.NoErr(err)          // accepted
			is.Equal(got.ID, e.ID) // stored under its id
			_, err = c.Get(ctx, e.ID)
			is.NoErr(err) // readable
		})
	}
}

func TestIDsAreValidatedBeforeStorage(t *testing.T) {
	ctx := context.Background()
	c := catalog.New(failStore{err: errors.New("store must not be reached")})
	tests := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := c.Get(ctx, "../etc"); return err }},
		{"delete", func() error { return c.Delete(ctx, "") }},
		{"verify", func() error { _, err := c.Verify(ctx, "a//b"); return err }},
		{"set state", func() error { _, err := c.SetState(ctx, "/m", catalog.Retired, 0); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.True(errors.Is(tt.call(), catalog.ErrInvalid)) // rejected before any Store call
		})
	}
}

func TestValidDigestAndModelID(t *testing.T) {
	is := is.New(t)
	is.True(catalog.ValidDigest(otherDigest))                  // sha256 of 64 lowercase hex
	is.True(!catalog.ValidDigest("sha256:" + otherDigest[8:])) // 63 hex
	is.True(catalog.ValidModelID("org/model-7b"))              // with a slash
	is.True(!catalog.ValidModelID("org/../model"))             // dot dot
}
