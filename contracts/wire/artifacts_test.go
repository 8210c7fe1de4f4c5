package wire_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// The transcript metadata is encoded with its keys sorted, the canonical
// order the artifact store keeps without re-encoding.
func TestTranscriptMetadataKeysSorted(t *testing.T) {
	is := is.New(t)
	b, err := json.Marshal(wire.TranscriptMetadata{
		Engine: wire.EngineVLLM, EngineVersion: "v", ModelRef: "m", NodeID: "n", PoolID: "p",
	})
	is.NoErr(err)
	dec := json.NewDecoder(bytes.NewReader(b))
	var keys []string
	_, err = dec.Token() // {
	is.NoErr(err)
	for dec.More() {
		k, err := dec.Token()
		is.NoErr(err)
		keys = append(keys, k.(string))
		_, err = dec.Token()
		is.NoErr(err)
	}
	is.Equal(len(keys), 5)         // every field written
	is.True(slices.IsSorted(keys)) // in canonical order
}
