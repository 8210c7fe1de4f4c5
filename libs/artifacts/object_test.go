package artifacts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

func TestObjectWritesCanonical(t *testing.T) {
	tests := []struct {
		name    string
		members [][2]string // key, value
		want    string
	}{
		{"empty", nil, `{}`},
		{"one", [][2]string{{"a", "b"}}, `{"a":"b"}`},
		{"escapes", [][2]string{{"format", "text/event-stream"}, {"sse", "id: 1\nevent: token\ndata: {\"t\":\"\\\"\"}\n\n"}},
			`{"format":"text/event-stream","sse":"id: 1\nevent: token\ndata: {\"t\":\"\\\"\"}\n\n"}`},
		{"control and unicode", [][2]string{{"k", "\x00\x1f\u2028é😀"}}, "{\"k\":\"\\u0000\\u001f\u2028é😀\"}"},
		{"invalid utf-8 replaced", [][2]string{{"k", "a\xffb"}}, "{\"k\":\"a\uFFFDb\"}"},
		{"utf-16 key order", [][2]string{{"\U0001F600", "1"}, {"\uE000", "2"}}, "{\"\U0001F600\":\"1\",\"\uE000\":\"2\"}"},
		{"escaped key", [][2]string{{"\n", "1"}, {"a", "2"}}, `{"\n":"1","a":"2"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var o artifacts.Object
			o.Reset(make([]byte, 0, 8))
			for i, m := range tt.members {
				if i%2 == 0 {
					o.String(m[0], m[1])
				} else {
					o.Text(m[0], []byte(m[1]))
				}
			}
			got, err := o.Bytes()
			is.NoErr(err)                  // keys were in order
			is.Equal(string(got), tt.want) // canonical encoding
			canon, err := artifacts.Canonical(got)
			is.NoErr(err)                    // valid JSON
			is.Equal(string(canon), tt.want) // canonical already
		})
	}
}

func TestObjectRejectsKeysOutOfOrder(t *testing.T) {
	tests := []struct {
		name string
		keys []string
	}{
		{"descending", []string{"b", "a"}},
		{"duplicate", []string{"a", "a"}},
		{"utf-16 order differs from code points", []string{"\uE000", "\U0001F600"}},
		{"later misuse", []string{"a", "c", "b", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var o artifacts.Object
			for _, k := range tt.keys {
				o.String(k, "v")
			}
			_, err := o.Bytes()
			is.True(errors.Is(err, artifacts.ErrInvalid)) // misuse reported
			_, err = o.Artifact(artifacts.KindTrace)
			is.True(errors.Is(err, artifacts.ErrInvalid)) // and no artifact made
		})
	}
}

// TestBuiltArtifactStoresLikeBytes: an artifact built by an Object is stored
// under the id the same content gets as plain bytes, and once its Content is
// replaced the store checks (and canonicalizes) the new bytes again.
func TestBuiltArtifactStoresLikeBytes(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := artifacts.NewMemStore()
	var o artifacts.Object
	o.String("format", "text/event-stream")
	o.Text("sse", []byte("id: 1\nevent: end\ndata: {}\n\n"))
	built, err := o.Artifact(artifacts.KindTrace)
	is.NoErr(err)
	got, created, err := s.Put(ctx, built)
	is.NoErr(err)    // stored
	is.True(created) // new
	plain, created, err := s.Put(ctx, artifacts.Artifact{Kind: artifacts.KindTrace, Content: append([]byte(nil), built.Content...)})
	is.NoErr(err)              // stored
	is.True(!created)          // the same document
	is.Equal(plain.ID, got.ID) // under the same id

	built.Content = []byte(`{ "sse": "x", "format": "y" }`) // no longer what the Object wrote
	re, _, err := s.Put(ctx, built)
	is.NoErr(err)                                            // checked and canonicalized
	is.Equal(string(re.Content), `{"format":"y","sse":"x"}`) // canonical form stored
	built.Content = []byte(`{"a":1,"a":2}`)                  // not JSON the store accepts
	_, _, err = s.Put(ctx, built)
	is.True(errors.Is(err, artifacts.ErrInvalid)) // rejected, as any caller's would be
}

// FuzzObject: whatever members an Object accepts, it writes the canonical
// form of the object they make, and it accepts them exactly when their keys
// are strictly increasing in UTF-16 order.
func FuzzObject(f *testing.F) {
	f.Add("a", "x", "b", "y\n\"")
	f.Add("b", "x", "a", "y")
	f.Add("\uE000", "", "\U0001F600", "\xff")
	f.Add("k", "\x00", "k", "v")
	f.Add("a\uFFFD", "x", "a\xff\xfe", "y") // equal once written
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		is := is.New(t)
		var o artifacts.Object
		o.String(k1, v1)
		o.Text(k2, []byte(v2))
		got, err := o.Bytes()
		plain := append(artifacts.AppendString([]byte{'{'}, k1), ':')
		plain = append(artifacts.AppendString(plain, v1), ',')
		plain = append(artifacts.AppendString(plain, k2), ':')
		plain = append(artifacts.AppendString(plain, v2), '}')
		canon, cerr := artifacts.Canonical(plain)
		if err != nil {
			is.True(errors.Is(err, artifacts.ErrInvalid))          // misuse is ErrInvalid
			is.True(cerr != nil || string(canon) != string(plain)) // and the members were not in canonical order
			return
		}
		is.NoErr(cerr)                       // the object is JSON
		is.Equal(string(got), string(canon)) // written canonically
		is.Equal(string(got), string(plain)) // as member-by-member canonical strings
	})
}
