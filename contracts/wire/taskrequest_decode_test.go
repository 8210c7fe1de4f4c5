package wire_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// commonTaskBodies are bodies of the common form: DecodeCommon takes them.
var commonTaskBodies = []string{
	`{"workload":"completion","model_ref":"tiny","prompt":"Write a short story about a quick brown fox.","max_tokens":64}`,
	` {} `,
	"\t{\r\n\"workload\" : \"completion\" ,\n\"model_ref\":\"org/model\"}\n",
	`{"task_id":"t-1","session_id":"s.1","workload":"completion","model_ref":"m","engine":"vllm","prompt":"hi",` +
		`"ctx":4096,"max_tokens":1,"priority":"batch","deadline_ms":60000,"seed":-42,"determinism":"strict",` +
		`"sampler_profile_version":"v3","temperature":0.7,"top_p":1,"stop":["A"],"expected_tokens":12,"kv_hint":"reuse"}`,
	`{"inputs":["a","b"],"stop":"END","temperature":1e-3,"top_p":0.5E+0,"seed":0,"ctx":-0}`,
	`{"inputs":[],"stop":[],"placement":{}}`,
	`{"stop":""}`,
	`{"stop":["a", "b" ]}`,
	`{"placement":{"mode":"pin","pin_pool_id":"p0","prefer_pools":["a"],"avoid_pools":[],"require_device_mask":"0,1","allow_fallback":false}}`,
	`{"placement":{"allow_fallback":true}}`,
	`{"prompt":"héllo wörld 日本語 🙂 ` + "\u2028\ufffd\x7f" + `"}`,
	`{"seed":9223372036854775807,"deadline_ms":-9223372036854775808}`,
	`{"temperature":-0,"top_p":1.7976931348623157e308}`,
	`{"workload":"unknown-enum","engine":"nope","priority":"urgent"}`,
}

// uncommonTaskBodies need encoding/json: DecodeCommon refuses them.
var uncommonTaskBodies = []string{
	``, ` `, `null`, `[]`, `"x"`, `1`, `{`, `{"a"`, `{"prompt":"x"`, `{"prompt":"x",}`, `{,}`,
	`{"prompt":"a\nb"}`, `{"prompt":"a\"b"}`, `{"prompt":"\u0041"}`, `{"stop":["\u2028"]}`, `{"pro\u006dpt":"x"}`, `{"prompt":"` + "\x01" + `"}`, `{"prompt":"` + "bad\xffutf8" + `"}`,
	`{"prompt":"` + "\xed\xa0\x80" + `"}`, `{"prompt":null}`, `{"future":1}`, `{"Prompt":"x"}`, `{"prompt":"x","prompt":"y"}`,
	`{"max_tokens":1.5}`, `{"max_tokens":1e2}`, `{"max_tokens":"8"}`, `{"max_tokens":01}`, `{"max_tokens":-}`,
	`{"max_tokens":9223372036854775808}`, `{"temperature":1e400}`, `{"temperature":.5}`, `{"temperature":1.}`,
	`{"temperature":1e}`, `{"stop":[1]}`, `{"stop":{}}`, `{"stop":[null]}`, `{"inputs":"x"}`, `{"inputs":["a",]}`,
	`{"placement":{"mode":"pin","mode":"auto"}}`, `{"placement":{"other":1}}`, `{"placement":{"allow_fallback":1}}`,
	`{"placement":{"allow_fallback":truex}}`, `{"placement":[]}`, `{} {}`, `{}x`, `{"ctx":1x}`, `{"seed":12 3}`,
}

func unmarshalTask(t *testing.T, body string) (wire.TaskRequest, error) {
	t.Helper()
	var r wire.TaskRequest
	err := json.Unmarshal([]byte(body), &r)
	return r, err
}

func TestDecodeCommonMatchesEncodingJSON(t *testing.T) {
	for _, body := range commonTaskBodies {
		t.Run(body, func(t *testing.T) {
			is := is.New(t)
			want, err := unmarshalTask(t, body)
			is.NoErr(err) // encoding/json decodes it
			var got wire.TaskRequest
			is.True(got.DecodeCommon([]byte(body))) // the common form
			is.Equal(got, want)                     // decoded exactly as encoding/json does
		})
	}
}

func TestDecodeCommonRefusesWhatNeedsEncodingJSON(t *testing.T) {
	for _, body := range uncommonTaskBodies {
		t.Run(body, func(t *testing.T) {
			is := is.New(t)
			var r wire.TaskRequest
			is.True(!r.DecodeCommon([]byte(body))) // left to encoding/json
		})
	}
}

func FuzzDecodeCommon(f *testing.F) {
	for _, body := range append(append([]string{}, commonTaskBodies...), uncommonTaskBodies...) {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got wire.TaskRequest
		if !got.DecodeCommon(body) {
			return
		}
		var want wire.TaskRequest
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("DecodeCommon took %q, encoding/json fails: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeCommon(%q) = %+v, encoding/json %+v", body, got, want)
		}
	})
}

func BenchmarkDecodeTaskRequest(b *testing.B) {
	body := []byte(commonTaskBodies[0])
	b.Run("common", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r wire.TaskRequest
			if !r.DecodeCommon(body) {
				b.Fatal("not common")
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r wire.TaskRequest
			if err := json.Unmarshal(body, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDecodeCommonCoversEveryField: a request with every body field set, as
// encoding/json writes it, takes the common path and decodes to itself. A
// field added to TaskRequest or PlacementRequest fails here until it is set
// below and DecodeCommon decodes it (else every body carrying it would
// silently take the slower encoding/json path).
func TestDecodeCommonCoversEveryField(t *testing.T) {
	is := is.New(t)
	full := wire.TaskRequest{
		TaskID: "t", SessionID: "s", Workload: wire.WorkloadCompletion, ModelRef: "m", Engine: "vllm",
		Prompt: "p", Inputs: []string{"i"}, Ctx: ptr(4096), MaxTokens: ptr(8), Priority: "batch",
		DeadlineMs: ptr[int64](1000), Seed: ptr[int64](7), Determinism: "strict", SamplerProfileVersion: "v1",
		Temperature: ptr(0.5), TopP: ptr(0.9), Stop: wire.StopSequences{"x"}, ExpectedTokens: ptr(3), KVHint: "reuse",
		Placement: &wire.PlacementRequest{Mode: "pin", PinPoolID: "p0", PreferPools: []string{"a"},
			AvoidPools: []string{"b"}, RequireDeviceMask: "0", AllowFallback: ptr(true)},
	}
	for _, v := range []reflect.Value{reflect.ValueOf(full), reflect.ValueOf(*full.Placement)} {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Tag.Get("json") == "-" {
				continue
			}
			is.True(!v.Field(i).IsZero()) // every body field is set in this test
		}
	}
	body, err := json.Marshal(full)
	is.NoErr(err)
	var got wire.TaskRequest
	is.True(got.DecodeCommon(body)) // every field is decoded without reflection
	is.Equal(got, full)             // to what was encoded
}
