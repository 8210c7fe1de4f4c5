package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/tools/gguf"
)

func TestRunWritesModel(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gguf"), filepath.Join(dir, "b.gguf")
	var stderr bytes.Buffer
	is.Equal(run([]string{"--out", a, "--seed", "7"}, &stderr), 0) // first file written
	is.Equal(run([]string{"--out", b, "--seed", "7"}, &stderr), 0) // second file written
	da, err := os.ReadFile(a)
	is.NoErr(err) // readable
	db, err := os.ReadFile(b)
	is.NoErr(err)                // readable
	is.True(bytes.Equal(da, db)) // same seed, same bytes
	f, err := gguf.Parse(da)
	is.NoErr(err)                                         // a valid GGUF file
	is.Equal(f.Get("general.architecture"), any("llama")) // a llama model
	entries, err := os.ReadDir(dir)
	is.NoErr(err)             // listable
	is.Equal(len(entries), 2) // no temporary file left behind
}

func TestRunRejectsBadArgs(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{name: "no out", args: nil, code: 2},
		{name: "stray argument", args: []string{"--out", "x.gguf", "extra"}, code: 2},
		{name: "heads do not divide", args: []string{"--out", filepath.Join(t.TempDir(), "x.gguf"), "--heads", "5"}, code: 1},
		{name: "unknown flag", args: []string{"--nope"}, code: 2},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var stderr bytes.Buffer
			is.Equal(run(tt.args, &stderr), tt.code) // exit code
			is.True(stderr.Len() > 0)                // says why
		})
	}
}
