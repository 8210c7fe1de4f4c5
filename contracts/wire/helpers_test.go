package wire_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/matryer/is"
)

// decodeStrict decodes data into v and fails on fields v does not name.
func decodeStrict(t *testing.T, data string, v any) {
	t.Helper()
	is := is.New(t)
	dec := json.NewDecoder(bytes.NewReader([]byte(data)))
	dec.DisallowUnknownFields()
	is.NoErr(dec.Decode(v)) // every field of the sample is a field of the type
}

// generic decodes JSON into maps and slices for a structural comparison.
func generic(t *testing.T, data []byte) any {
	t.Helper()
	is := is.New(t)
	var v any
	is.NoErr(json.Unmarshal(data, &v)) // valid JSON
	return v
}

// keys returns the top-level keys of a JSON object.
func keys(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	is := is.New(t)
	var m map[string]json.RawMessage
	is.NoErr(json.Unmarshal(data, &m)) // a JSON object
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
