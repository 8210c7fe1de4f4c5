package catalog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

// benchCatalog holds n Active entries and one verified, strict one.
func benchCatalog(b *testing.B, n int) *catalog.Catalog {
	b.Helper()
	ctx := context.Background()
	c := catalog.New(catalog.NewMemStore())
	for i := range n {
		if _, err := c.Create(ctx, entry(fmt.Sprintf("org/model-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Load(ctx); err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkAdmit(b *testing.B) {
	ctx := context.Background()
	c := benchCatalog(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Admit(ctx, "org/model-500", false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdmitUnknown(b *testing.B) {
	ctx := context.Background()
	c := benchCatalog(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Admit(ctx, "org/advertised-by-a-pool", false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdmitParallel(b *testing.B) {
	ctx := context.Background()
	c := benchCatalog(b, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Admit(ctx, "org/model-500", false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	content := make([]byte, 8<<20)
	for i := range content {
		content[i] = byte(i)
	}
	dir := b.TempDir()
	p := filepath.Join(dir, "m.gguf")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		b.Fatal(err)
	}
	c := catalog.New(catalog.NewMemStore(), catalog.WithFileRoot(dir))
	if _, err := c.Create(ctx, catalog.Entry{ID: "m", Digest: digestOf(content), SourceURL: "file://" + filepath.ToSlash(p)}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := c.Verify(ctx, "m")
		if err != nil || !e.Verified {
			b.Fatal(err, e.VerifyReason)
		}
	}
}
