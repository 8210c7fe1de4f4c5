package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// hashBufSize is the read size when hashing a source: large reads keep the
// syscall count low for multi-gigabyte model files, and the file is streamed
// through the hash, never held in memory.
const hashBufSize = 1 << 20

// Reasons Verify records for a source it could not check.
const (
	reasonNoSource    = "no source_url to verify"
	reasonBadSource   = "source_url is malformed"
	reasonNotFound    = "source not found"
	reasonNotRegular  = "source is not a regular file"
	reasonPermission  = "source unreadable: permission denied"
	reasonUnreadable  = "source unreadable"
	reasonOutsideRoot = "source outside the file root"
)

// Verify checks the entry's source against its Digest and records the
// result: Verified, LastVerifiedMs (now) and VerifyReason (empty on
// success). A file:// source is streamed through SHA-256 and compared with
// Digest; on a match the entry's trust policy must also be met (a verified
// signature when RequireSignature, an SBOM URI when RequireSBOM). Failures
// are recorded, not returned: "digest mismatch: got sha256:…",
// "source not found", "source outside the file root" (see WithFileRoot),
// "unsupported source scheme: https (only file:// can be verified locally)".
//
// The hash runs without locks; when ctx is done during it, Verify returns
// ctx.Err() and records nothing. It returns ErrNotFound when the entry is
// gone, ErrConflict when it was deleted and created again meanwhile, and an
// error when the file root cannot be opened.
func (c *Catalog) Verify(ctx context.Context, id string) (Entry, error) {
	if err := validateID(id); err != nil {
		return Entry{}, err
	}
	e, err := c.store.Get(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	reason, err := c.checkSource(ctx, &e)
	if err != nil {
		return Entry{}, err
	}

	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	cur, err := c.store.Get(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	if cur.CreatedMs != e.CreatedMs || cur.Digest != e.Digest || cur.SourceURL != e.SourceURL {
		return Entry{}, fmt.Errorf("%w: %q", ErrConflict, id)
	}
	if reason == "" {
		reason = cur.policyShortfall()
	}
	cur.Verified, cur.LastVerifiedMs, cur.VerifyReason = reason == "", c.nowMs(), reason
	if err := c.store.Put(ctx, cur); err != nil {
		return Entry{}, fmt.Errorf("catalog: verify %q: %w", id, err)
	}
	c.setGate(&cur)
	return cur, nil
}

// checkSource hashes the entry's source and returns why it does not match
// the digest ("" when it does). The error is for failures that are not the
// source's: ctx done, or an unusable file root.
func (c *Catalog) checkSource(ctx context.Context, e *Entry) (string, error) {
	if e.SourceURL == "" {
		return reasonNoSource, nil
	}
	src, bad := parseSource(e.SourceURL)
	switch {
	case bad != "":
		return reasonBadSource, nil
	case src.kind == sourceRegistry:
		return "unsupported source scheme: registry reference (only file:// can be verified locally)", nil
	case src.kind != sourceFile:
		return "unsupported source scheme: " + src.scheme + " (only file:// can be verified locally)", nil
	}
	f, reason, err := c.openSource(src.path)
	if reason != "" || err != nil {
		return reason, err
	}
	defer f.Close()

	h := sha256.New()
	if _, err := io.CopyBuffer(h, ctxReader{ctx: ctx, r: f}, make([]byte, hashBufSize)); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", ctxErr
		}
		return reasonFor(err), nil
	}
	got := sha256Prefix + hex.EncodeToString(h.Sum(nil))
	if got != e.Digest {
		return "digest mismatch: got " + got, nil
	}
	return "", nil
}

// openSource opens the regular file at the absolute path p, confined to the
// file root when one is set. It returns the file, or the reason it cannot be
// verified, or an error when the file root itself is unusable.
func (c *Catalog) openSource(p string) (*os.File, string, error) {
	p = filepath.Clean(filepath.FromSlash(p))
	// O_NONBLOCK: a FIFO swapped in after the stat must not block the open.
	const flags = os.O_RDONLY | syscall.O_NONBLOCK
	if c.fileRoot == "" {
		st, err := os.Stat(p)
		if err != nil {
			return nil, reasonFor(err), nil
		}
		if !st.Mode().IsRegular() {
			return nil, reasonNotRegular, nil
		}
		return openedRegular(os.OpenFile(p, flags, 0))
	}

	if !filepath.IsAbs(c.fileRoot) {
		return nil, "", fmt.Errorf("catalog: file root %q is not absolute", c.fileRoot)
	}
	rootReal, err := filepath.EvalSymlinks(c.fileRoot)
	if err != nil {
		return nil, "", fmt.Errorf("catalog: file root: %w", err)
	}
	// A lexical check first, so that nothing outside the root is touched,
	// not even to say whether it exists; the root may be named as
	// configured or by its resolved path.
	if !within(c.fileRoot, p) && !within(rootReal, p) {
		return nil, reasonOutsideRoot, nil
	}
	// Then resolve symbolic links and open the resolved path through an
	// os.Root at the resolved root: links that stay inside the root work,
	// absolute ones included, and a link swapped in after the check cannot
	// escape.
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, reasonFor(err), nil
	}
	rel, err := filepath.Rel(rootReal, resolved)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, reasonOutsideRoot, nil
	}
	root, err := os.OpenRoot(rootReal)
	if err != nil {
		return nil, "", fmt.Errorf("catalog: file root: %w", err)
	}
	defer root.Close()
	st, err := root.Stat(rel)
	if err != nil {
		return nil, reasonFor(err), nil
	}
	if !st.Mode().IsRegular() {
		return nil, reasonNotRegular, nil
	}
	return openedRegular(root.OpenFile(rel, flags, 0))
}

// within reports whether the clean path p is dir or inside it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && filepath.IsLocal(rel)
}

// openedRegular checks that an opened file is still a regular file.
func openedRegular(f *os.File, err error) (*os.File, string, error) {
	if err != nil {
		return nil, reasonFor(err), nil
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, reasonFor(err), nil
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, reasonNotRegular, nil
	}
	return f, "", nil
}

// reasonFor names a file error without its path.
func reasonFor(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return reasonNotFound
	case errors.Is(err, fs.ErrPermission):
		return reasonPermission
	}
	return reasonUnreadable
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
