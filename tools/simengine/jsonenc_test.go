package simengine

import (
	"testing"

	"github.com/matryer/is"
)

func TestAppendCppDouble(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{1, "1.0"},
		{-2.5, "-2.5"},
		{1.75, "1.75"},
		{float64(float32(0.8)), "0.800000011920929"},
		{float64(float32(0.95)), "0.949999988079071"},
		{1234567, "1234567.0"},
		{123456789012345, "123456789012345.0"},
		{1e15, "1e+15"},
		{100, "100.0"},
		{1e16, "1e+16"},
		{1.5e300, "1.5e+300"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1.25e-7, "1.25e-07"},
		{58823.5294117647, "58823.5294117647"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			is := is.New(t)
			is.Equal(string(appendCppDouble(nil, tc.in)), tc.want) // nlohmann::json dump of a double
		})
	}
}

func TestAppendCppDoubleNonFinite(t *testing.T) {
	is := is.New(t)
	inf, zero := 1.0, 0.0
	is.Equal(string(appendCppDouble(nil, inf/zero)), "null")  // +inf dumps as null
	is.Equal(string(appendCppDouble(nil, zero/zero)), "null") // NaN dumps as null
	is.Equal(string(appendCppDouble(nil, -inf/zero)), "null") // -inf dumps as null
}

func TestAppendJSONString(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", " word", `" word"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"named controls", "\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"other controls", "\x00\x1f", `"\u0000\u001f"`},
		{"html stays raw", "<a href='/x'>&</a>", `"<a href='/x'>&</a>"`},
		{"utf-8 stays raw", " café ü", `" café ü"`},
		{"del stays raw", "\x7f", "\"\x7f\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(string(appendJSONString(nil, tc.in)), tc.want)         // string input
			is.Equal(string(appendJSONString(nil, []byte(tc.in))), tc.want) // byte input
		})
	}
}

func TestJSONWriterNesting(t *testing.T) {
	is := is.New(t)
	var j jsonWriter
	j.obj().key("a").num(1).key("b").arr().str("x").null().obj().end().end().key("c").boolean(true).end()
	is.Equal(string(j.b), `{"a":1,"b":["x",null,{}],"c":true}`) // commas and nesting
}

func TestEncodeTokenFrameDoesNotAllocate(t *testing.T) {
	is := is.New(t)
	p := &genParams{id: "cmpl-x", model: "tiny", promptTokens: 3, maxTokens: 8}
	llama := &llamaEncoder{p: p, stream: true}
	oai := newOAIEncoder(p, false, true, false, 1)
	chat := newOAIEncoder(p, true, true, false, 1)
	ev := &tokenEvent{emit: []byte(" word"), id: 1001, n: 2}
	buf := make([]byte, 0, 1024)
	for _, enc := range []frameEncoder{llama, oai, chat} {
		allocs := testing.AllocsPerRun(100, func() { buf = enc.token(buf[:0], ev) })
		is.Equal(allocs, 0.0) // a token frame is append-encoded into the reused buffer
	}
}
