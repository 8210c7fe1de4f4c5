package artifacts_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// PutBatch recycles its encodings: a result of an earlier batch keeps its
// content and metadata while later batches reuse the buffers, and every
// stored document reads back whole.
func TestBoltPutBatchResultsOutliveRecycledBuffers(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := openBolt(t, filepath.Join(t.TempDir(), "a.db"))
	batch := func(from int) []artifacts.Artifact {
		as := make([]artifacts.Artifact, 8)
		for i := range as {
			n := from + i
			as[i] = artifacts.Artifact{Kind: "trace", Content: []byte(fmt.Sprintf(`{"n":%d,"text":"%0*d"}`, n, 200+n, n)),
				Metadata: []byte(fmt.Sprintf(`{"m":%d}`, n)), Tags: []string{"sse"}}
		}
		return as
	}
	first := s.PutBatch(ctx, batch(0))
	for round := 1; round <= 4; round++ {
		for _, r := range s.PutBatch(ctx, batch(round*8)) {
			is.NoErr(r.Err) // stored
		}
	}
	for i, r := range first {
		is.NoErr(r.Err)                                                                          // stored
		is.True(r.Created)                                                                       // new
		is.Equal(string(r.Artifact.Content), fmt.Sprintf(`{"n":%d,"text":"%0*d"}`, i, 200+i, i)) // the result's content is intact
		is.Equal(string(r.Artifact.Metadata), fmt.Sprintf(`{"m":%d}`, i))                        // and its metadata
		got, err := s.Get(ctx, r.Artifact.ID)
		is.NoErr(err)                                             // it reads back
		is.Equal(string(got.Content), string(r.Artifact.Content)) // whole
	}
	_, err := s.Get(ctx, s.PutBatch(ctx, batch(100))[7].Artifact.ID)
	is.NoErr(err) // the last of a later batch too
}
