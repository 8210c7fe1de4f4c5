package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

// FuzzCreate feeds arbitrary ids, digests and sources to Create: it never
// panics, rejects only with a *ValidationError, and an accepted entry reads
// back under its id with a valid id and digest.
func FuzzCreate(f *testing.F) {
	f.Add("org/model", otherDigest, "file:///models/m.gguf")
	f.Add("a..b", "sha256:", "https://user@hf.co/x")
	f.Add("x", otherDigest, "localhost:5000/m@"+otherDigest)
	f.Add("/m", "md5:00", "file://%2e%2e/x?y#z")
	f.Add("m", otherDigest, "s3://b/k")
	f.Fuzz(func(t *testing.T, id, digest, source string) {
		is := is.New(t)
		ctx := context.Background()
		c := catalog.New(catalog.NewMemStore())
		got, err := c.Create(ctx, catalog.Entry{ID: id, Digest: digest, SourceURL: source})
		var ve *catalog.ValidationError
		if err != nil {
			is.True(errors.As(err, &ve)) // only validation failures
			return
		}
		is.True(catalog.ValidModelID(got.ID))    // accepted ids are valid
		is.True(catalog.ValidDigest(got.Digest)) // accepted digests are valid
		stored, err := c.Get(ctx, id)
		is.NoErr(err)         // readable
		is.Equal(stored, got) // as created
	})
}
