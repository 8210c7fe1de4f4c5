package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Catalog holds the model entries of api.md §6: their lifecycle, their
// verification and the admission gate. It is safe for concurrent use.
//
// Entries live in the Store; the Catalog keeps a small in-memory index of
// each entry's state and trust so that Admit is a map lookup. The Catalog
// must be the only writer of its Store. The index is built from the Store by
// Load, or by the first Admit or States when Load was not called.
type Catalog struct {
	store    Store
	now      func() time.Time
	fileRoot string // absolute; "" when file:// sources are not confined

	// writeMu serializes writes and loads; it is held across Store calls
	// so that the index follows the Store in the order of the writes.
	writeMu sync.Mutex

	mu     sync.RWMutex // guards loaded and gates; held only for map access
	loaded bool
	gates  map[string]gate
}

// gate is what Admit needs to know about one entry.
type gate struct {
	state    State
	verified bool
	strict   bool // the entry's own trust policy is strict
}

func gateOf(e *Entry) gate {
	return gate{state: e.State, verified: e.Verified, strict: e.strictPolicy()}
}

// Option configures a Catalog.
type Option func(*Catalog)

// WithClock sets the clock the Catalog reads timestamps from (default
// time.Now; nil keeps the default).
func WithClock(now func() time.Time) Option {
	return func(c *Catalog) {
		if now != nil {
			c.now = now
		}
	}
}

// WithFileRoot confines verification of file:// sources to the directory
// dir: a source whose path is not inside dir, lexically or after resolving
// symbolic links, fails verification with the reason "source outside the
// file root", and the file is opened through an os.Root so that no path
// component can escape dir while it is opened. A relative dir is made
// absolute against the working directory when the option is applied; an
// empty dir leaves sources unconfined. Without a root Verify hashes any
// regular file the process can read; set one in production to the
// directory that holds the models.
func WithFileRoot(dir string) Option {
	return func(c *Catalog) {
		c.fileRoot = dir
		if dir == "" {
			return
		}
		if abs, err := filepath.Abs(dir); err == nil {
			c.fileRoot = abs
		} // else Abs lost the working directory and Verify reports the relative root
	}
}

// New returns a Catalog over store.
func New(store Store, opts ...Option) *Catalog {
	c := &Catalog{store: store, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *Catalog) nowMs() int64 { return c.now().UnixMilli() }

// Load builds the in-memory index from the Store, replacing the one held.
// Call it at start-up to surface Store errors early; the first Admit loads
// the index itself when Load was not called.
func (c *Catalog) Load(ctx context.Context) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.loadLocked(ctx)
}

func (c *Catalog) loadLocked(ctx context.Context) error {
	entries, err := c.store.List(ctx)
	if err != nil {
		return fmt.Errorf("catalog: load: %w", err)
	}
	gates := make(map[string]gate, len(entries))
	for i := range entries {
		gates[entries[i].ID] = gateOf(&entries[i])
	}
	c.mu.Lock()
	c.gates, c.loaded = gates, true
	c.mu.Unlock()
	return nil
}

func (c *Catalog) ensureLoaded(ctx context.Context) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.RLock()
	loaded := c.loaded
	c.mu.RUnlock()
	if loaded {
		return nil
	}
	return c.loadLocked(ctx)
}

// setGate records e in the index; before the first load there is no index
// and the load will read e from the Store. Call it with writeMu held.
func (c *Catalog) setGate(e *Entry) {
	c.mu.Lock()
	if c.loaded {
		c.gates[e.ID] = gateOf(e)
	}
	c.mu.Unlock()
}

// Create validates e and stores it as a new Active entry. The caller's
// State, timestamps and verification fields are ignored: CreatedMs and
// StateChangedMs are now, and the entry is unverified. An existing id is
// ErrExists; a malformed field is a *ValidationError ("id required" when
// the id is empty).
func (c *Catalog) Create(ctx context.Context, e Entry) (Entry, error) {
	if err := validateEntry(&e); err != nil {
		return Entry{}, err
	}
	e = e.Clone()
	e.Verified, e.LastVerifiedMs, e.VerifyReason, e.RetireDeadlineMs = false, 0, "", 0

	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.store.Get(ctx, e.ID)
	switch {
	case err == nil:
		return Entry{}, fmt.Errorf("%w: %q", ErrExists, e.ID)
	case !errors.Is(err, ErrNotFound):
		return Entry{}, fmt.Errorf("catalog: create %q: %w", e.ID, err)
	}
	now := c.nowMs()
	e.State, e.CreatedMs, e.StateChangedMs = Active, now, now
	if err := c.store.Put(ctx, e); err != nil {
		return Entry{}, fmt.Errorf("catalog: create %q: %w", e.ID, err)
	}
	c.setGate(&e)
	return e.Clone(), nil
}

// Get returns the entry with the id: ErrNotFound when there is none, a
// *ValidationError when the id is malformed.
func (c *Catalog) Get(ctx context.Context, id string) (Entry, error) {
	if err := validateID(id); err != nil {
		return Entry{}, err
	}
	return c.store.Get(ctx, id)
}

// List returns every entry, sorted by id.
func (c *Catalog) List(ctx context.Context) ([]Entry, error) {
	entries, err := c.store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: list: %w", err)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	return entries, nil
}

// Delete removes the entry with the id: ErrNotFound when there is none. A
// deleted model is unknown to Admit again.
func (c *Catalog) Delete(ctx context.Context, id string) error {
	if err := validateID(id); err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.store.Delete(ctx, id); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.gates, id)
	c.mu.Unlock()
	return nil
}

// SetState moves the entry to Active or Retired. Retiring sets
// RetireDeadlineMs to now + deadlineMs (0 retires at once; retiring again
// moves the deadline); activating clears it. StateChangedMs changes only
// when the state does. A Retired model fails Admit with ErrRetired at once.
func (c *Catalog) SetState(ctx context.Context, id string, s State, deadlineMs int64) (Entry, error) {
	if err := validateID(id); err != nil {
		return Entry{}, err
	}
	if !s.Valid() {
		return Entry{}, invalid("state", "must be Active or Retired")
	}
	if deadlineMs < 0 {
		return Entry{}, invalid("deadline_ms", "must be >= 0")
	}

	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	e, err := c.store.Get(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	now := c.nowMs()
	if deadlineMs > math.MaxInt64-now {
		return Entry{}, invalid("deadline_ms", "too large")
	}
	if e.State != s {
		e.State, e.StateChangedMs = s, now
	}
	e.RetireDeadlineMs = 0
	if s == Retired {
		e.RetireDeadlineMs = now + deadlineMs
	}
	if err := c.store.Put(ctx, e); err != nil {
		return Entry{}, fmt.Errorf("catalog: set state of %q: %w", id, err)
	}
	c.setGate(&e)
	return e, nil
}

// Admit is the admission gate for a task that asks for modelRef:
//
//   - a Retired entry → ErrRetired;
//   - strict trust, asked for by the request (strictTrust, from
//     X-Trust-Policy: strict) or by the entry's own trust policy, and the
//     entry is not Verified → ErrUntrusted;
//   - no entry: nil, since models that pools advertise need no catalog
//     entry, except under strictTrust, where a model the catalog never
//     verified has no verified digest → ErrUntrusted;
//   - otherwise nil.
//
// It returns the bare sentinels and does not allocate. On its first call,
// when Load was not called, it loads the index and returns a Store error if
// that fails: the gate fails closed.
func (c *Catalog) Admit(ctx context.Context, modelRef string, strictTrust bool) error {
	c.mu.RLock()
	g, known := c.gates[modelRef]
	loaded := c.loaded
	c.mu.RUnlock()
	if !loaded {
		if err := c.ensureLoaded(ctx); err != nil {
			return err
		}
		c.mu.RLock()
		g, known = c.gates[modelRef]
		c.mu.RUnlock()
	}
	switch {
	case !known && strictTrust:
		return ErrUntrusted
	case !known:
		return nil
	case g.state == Retired:
		return ErrRetired
	case (strictTrust || g.strict) && !g.verified:
		return ErrUntrusted
	}
	return nil
}

// States returns the state of every entry, by id, for the
// orchd_model_state metric. When the index was not loaded yet it loads it
// first, as Admit does; if the Store fails then it reports no states (the
// error is Load's and Admit's to return, a metrics scrape has no way to).
func (c *Catalog) States() map[string]State {
	c.mu.RLock()
	loaded := c.loaded
	c.mu.RUnlock()
	if !loaded && c.ensureLoaded(context.Background()) != nil {
		return map[string]State{}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]State, len(c.gates))
	for id, g := range c.gates {
		out[id] = g.state
	}
	return out
}
