// Command gguf-gen writes a tiny random llama model as a GGUF v3 file that
// llama.cpp and Ollama load, for end-to-end tests against real inference.
// The same flags give a byte-identical file.
//
//	gguf-gen --out tiny.gguf [--seed 1] [--layers 2] [--embd 64] [--heads 4] [--ff 128] [--ctx 256]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/orchestratord/orchestratord/tools/gguf"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gguf-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg gguf.LlamaConfig
	out := fs.String("out", "", "file to write (required)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the random weights")
	fs.StringVar(&cfg.Name, "name", gguf.DefaultName, "general.name")
	fs.IntVar(&cfg.Layers, "layers", gguf.DefaultLayers, "transformer blocks")
	fs.IntVar(&cfg.Embd, "embd", gguf.DefaultEmbd, "embedding width")
	fs.IntVar(&cfg.Heads, "heads", gguf.DefaultHeads, "attention heads")
	fs.IntVar(&cfg.FF, "ff", gguf.DefaultFF, "feed-forward width")
	fs.IntVar(&cfg.Context, "ctx", gguf.DefaultContext, "training context length")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "gguf-gen: --out FILE is required and no arguments are taken")
		return 2
	}
	if err := write(*out, cfg); err != nil {
		fmt.Fprintln(stderr, "gguf-gen:", err)
		return 1
	}
	return 0
}

// write writes the model to a temporary file next to path and renames it,
// so a reader never sees half a model.
func write(path string, cfg gguf.LlamaConfig) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".gguf-gen-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := gguf.WriteLlama(f, cfg); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
