package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

func TestAdmissionResponseAppendJSON(t *testing.T) {
	tests := []struct {
		name string
		resp wire.AdmissionResponse
	}{
		{"queued", wire.AdmissionResponse{TaskID: "01JD7Q3W0000000000000000AB", QueuePosition: 3, PredictedStartMs: 1200, BackoffMs: 40,
			Streams: wire.TaskStreamURLs("01JD7Q3W0000000000000000AB")}},
		{"zero", wire.AdmissionResponse{}},
		{"negative numbers", wire.AdmissionResponse{TaskID: "t", QueuePosition: -1, PredictedStartMs: -5, BackoffMs: -9}},
		{"budget is not in the body", wire.AdmissionResponse{TaskID: "t", Budget: wire.Budget{TokensRemaining: ptr(int64(5))}}},
		{"preparation without steps", wire.AdmissionResponse{TaskID: "t", Preparation: &wire.Preparation{}}},
		{"preparation with empty steps", wire.AdmissionResponse{TaskID: "t", Preparation: &wire.Preparation{Steps: []wire.PreparationStep{}}}},
		{"preparation", wire.AdmissionResponse{TaskID: "t", Preparation: &wire.Preparation{Steps: []wire.PreparationStep{
			{Kind: wire.PrepModelFetch, Description: "pull <org/model> & verify", EstimatedMs: ptr(int64(5000))},
			{Kind: wire.PrepPoolWarmup},
			{Kind: wire.PrepEngineProvision, EstimatedMs: ptr(int64(0))},
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(tt.resp)
			is.NoErr(err)                                                       // encoding/json encodes
			is.Equal(string(tt.resp.AppendJSON(nil)), string(want))             // same bytes as encoding/json
			is.Equal(string(tt.resp.AppendJSON([]byte("x"))), "x"+string(want)) // appends to dst
		})
	}
	for _, text := range trickyText {
		t.Run("text "+text, func(t *testing.T) {
			is := is.New(t)
			resp := wire.AdmissionResponse{TaskID: text, Streams: wire.StreamURLs{SSE: text, SSEVerbose: text + "?"},
				Preparation: &wire.Preparation{Steps: []wire.PreparationStep{{Kind: text, Description: text}}}}
			want, err := json.Marshal(resp)
			is.NoErr(err)                                        // encoding/json encodes
			is.Equal(string(resp.AppendJSON(nil)), string(want)) // same bytes as encoding/json
		})
	}
}

func TestStartedFrameAppendJSON(t *testing.T) {
	tests := []wire.StartedFrame{
		{},
		{QueuePosition: 2, PredictedStartMs: 350},
		{QueuePosition: -1, PredictedStartMs: -1},
		{PoolID: "p0", Engine: wire.EngineLlamaCpp},
		{PoolID: "a<b>&\"c\"", Engine: "bad\xffengine"},
	}
	for _, f := range tests {
		t.Run(f.PoolID, func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(f)
			is.NoErr(err)                                     // encoding/json encodes
			is.Equal(string(f.AppendJSON(nil)), string(want)) // same bytes as encoding/json
		})
	}
}

func FuzzAdmissionResponseAppendJSON(f *testing.F) {
	for _, s := range trickyText {
		f.Add(s, s, 3, int64(120))
	}
	f.Fuzz(func(t *testing.T, id, kind string, pos int, ms int64) {
		is := is.New(t)
		resp := wire.AdmissionResponse{TaskID: id, QueuePosition: pos, PredictedStartMs: ms, BackoffMs: -ms,
			Streams:     wire.StreamURLs{SSE: kind, SSEVerbose: id},
			Preparation: &wire.Preparation{Steps: []wire.PreparationStep{{Kind: kind, Description: id, EstimatedMs: &ms}}}}
		want, err := json.Marshal(resp)
		is.NoErr(err)                                        // encoding/json encodes
		is.Equal(string(resp.AppendJSON(nil)), string(want)) // same bytes as encoding/json
	})
}

func BenchmarkAdmissionResponseAppendJSON(b *testing.B) {
	resp := wire.AdmissionResponse{TaskID: "01JD7Q3W0000000000000000AB", QueuePosition: 3, PredictedStartMs: 1200,
		Streams: wire.TaskStreamURLs("01JD7Q3W0000000000000000AB")}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = resp.AppendJSON(buf[:0])
	}
}

func BenchmarkAdmissionResponseMarshal(b *testing.B) {
	resp := wire.AdmissionResponse{TaskID: "01JD7Q3W0000000000000000AB", QueuePosition: 3, PredictedStartMs: 1200,
		Streams: wire.TaskStreamURLs("01JD7Q3W0000000000000000AB")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(resp); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAdmissionResponseLocation(t *testing.T) {
	tests := []struct {
		name string
		resp wire.AdmissionResponse
	}{
		{"own stream URLs", wire.AdmissionResponse{TaskID: "01JD7Q3W0000000000000000AB", Streams: wire.TaskStreamURLs("01JD7Q3W0000000000000000AB")}},
		{"no stream URLs", wire.AdmissionResponse{TaskID: "t-1"}},
		{"another task's URLs", wire.AdmissionResponse{TaskID: "t-1", Streams: wire.TaskStreamURLs("t-2")}},
		{"a longer id's URLs", wire.AdmissionResponse{TaskID: "t-1", Streams: wire.TaskStreamURLs("t-10")}},
		{"other URLs", wire.AdmissionResponse{TaskID: "t-1", Streams: wire.StreamURLs{SSE: "/a", SSEVerbose: "/v3/tasks/t-1/events"}}},
		{"no task id", wire.AdmissionResponse{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(tt.resp.Location(), wire.TaskLocation(tt.resp.TaskID)) // always the task's own location
		})
	}
}

func TestTaskStreamURLs(t *testing.T) {
	is := is.New(t)
	u := wire.TaskStreamURLs("t-1")
	is.Equal(u.SSE, "/v2/tasks/t-1/events")                     // the plain stream
	is.Equal(u.SSEVerbose, "/v2/tasks/t-1/events?verbose=true") // the verbose one
	resp := wire.AdmissionResponse{TaskID: "t-1", Streams: u}
	allocs := testing.AllocsPerRun(100, func() { _ = resp.Location() })
	is.Equal(allocs, 0.0) // the location is cut from the stream URLs
}
