package artifacts_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// gatedStore is a BatchStore over a MemStore whose PutBatch waits for a
// signal on gate, and reports the size of each batch on batches.
type gatedStore struct {
	*artifacts.MemStore
	gate    chan struct{}
	batches chan int
}

func (g *gatedStore) PutBatch(ctx context.Context, as []artifacts.Artifact) []artifacts.PutResult {
	g.batches <- len(as)
	<-g.gate
	out := make([]artifacts.PutResult, len(as))
	for i, a := range as {
		got, created, err := g.Put(ctx, a)
		out[i] = artifacts.PutResult{Artifact: got, Created: created, Err: err}
	}
	return out
}

func newGated() *gatedStore {
	return &gatedStore{MemStore: artifacts.NewMemStore(artifacts.WithClock(fixedClock)),
		gate: make(chan struct{}), batches: make(chan int, 16)}
}

// collect gathers the results of Submit callbacks.
type collect struct {
	mu  sync.Mutex
	got []artifacts.PutResult
	all chan struct{}
	n   int
}

func newCollect(n int) *collect { return &collect{all: make(chan struct{}), n: n} }

func (c *collect) done(r artifacts.PutResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, r)
	if len(c.got) == c.n {
		close(c.all)
	}
}

func (c *collect) wait(t *testing.T) []artifacts.PutResult {
	t.Helper()
	select {
	case <-c.all:
	case <-time.After(10 * time.Second):
		t.Fatal("the spool did not report every artifact")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]artifacts.PutResult(nil), c.got...)
}

func TestSpoolBatchesWhatArrivesWhileWriting(t *testing.T) {
	is := is.New(t)
	g := newGated()
	sp := artifacts.NewSpool(g, 1<<20)
	c := newCollect(6)
	sp.Submit(plan(`["first"]`), c.done)
	is.Equal(<-g.batches, 1) // the first artifact is written alone
	for i := range 5 {
		sp.Submit(plan(fmt.Sprintf(`["later %d"]`, i)), c.done)
	}
	n, _ := sp.Pending()
	is.Equal(n, 5) // five wait while the first write runs
	g.gate <- struct{}{}
	is.Equal(<-g.batches, 5) // the five go in one batch
	g.gate <- struct{}{}
	for _, r := range c.wait(t) {
		is.NoErr(r.Err)              // each stored
		is.True(r.Created)           // as new
		is.True(r.Artifact.ID != "") // with its id
	}
	is.NoErr(sp.Close(context.Background())) // closes
}

func TestSpoolWaitRoomHoldsProducersUntilWritten(t *testing.T) {
	is := is.New(t)
	g := newGated()
	a := plan(`["a transcript of some length"]`)
	sp := artifacts.NewSpool(g, len(a.Content))
	sp.Submit(a, nil)
	<-g.batches // being written: still counted until done
	sp.Submit(plan(`["another"]`), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	is.True(errors.Is(sp.WaitRoom(ctx), context.DeadlineExceeded)) // over the bound: blocks until ctx ends

	released := make(chan error, 1)
	go func() { released <- sp.WaitRoom(context.Background()) }()
	g.gate <- struct{}{} // the first is written; the second is within the bound
	is.NoErr(<-released) // the producer goes on
	<-g.batches
	g.gate <- struct{}{}
	is.NoErr(sp.Close(context.Background())) // closes
	_, bytes := sp.Pending()
	is.Equal(bytes, 0) // nothing left
}

func TestSpoolCloseWritesPendingThenRefuses(t *testing.T) {
	is := is.New(t)
	store := artifacts.NewMemStore(artifacts.WithClock(fixedClock)) // no PutBatch: one Put each
	sp := artifacts.NewSpool(store, 1<<20)
	c := newCollect(3)
	for i := range 3 {
		sp.Submit(plan(fmt.Sprintf(`[%d]`, i)), c.done)
	}
	is.NoErr(sp.Close(context.Background())) // waits for the writes
	got := c.wait(t)
	is.Equal(len(got), 3) // every artifact reported
	for _, r := range got {
		_, err := store.Get(context.Background(), r.Artifact.ID)
		is.NoErr(err) // and stored
	}
	refused := make(chan error, 1)
	sp.Submit(plan(`["late"]`), func(r artifacts.PutResult) { refused <- r.Err })
	is.True(errors.Is(<-refused, artifacts.ErrSpoolClosed)) // after Close, refused
	is.NoErr(sp.WaitRoom(context.Background()))             // and nobody waits on a closed spool
}

func TestSpoolReportsInvalidArtifactsAlone(t *testing.T) {
	is := is.New(t)
	store := openBolt(t, filepath.Join(t.TempDir(), "a.db"), artifacts.WithClock(fixedClock))
	sp := artifacts.NewSpool(store, 1<<20)
	c := newCollect(2)
	sp.Submit(artifacts.Artifact{Kind: "nonsense", Content: []byte(`1`)}, c.done)
	sp.Submit(plan(`["fine"]`), c.done)
	is.NoErr(sp.Close(context.Background())) // closes
	bad, good := 0, 0
	for _, r := range c.wait(t) {
		if r.Err != nil {
			is.True(errors.Is(r.Err, artifacts.ErrInvalid)) // the bad kind is invalid
			bad++
			continue
		}
		good++
	}
	is.Equal(bad, 1)  // one refused
	is.Equal(good, 1) // one stored
}

func TestBoltStorePutBatch(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := artifacts.NewBoltStore(path, artifacts.WithClock(fixedClock))
	is.NoErr(err) // open
	before, _, err := s.Put(ctx, plan(`["stored before"]`))
	is.NoErr(err) // one stored the usual way
	res := s.PutBatch(ctx, []artifacts.Artifact{
		plan(`["one"]`), plan(`["one"]`), plan(`["stored before"]`),
		{Kind: "plan", Content: []byte(`{"unterminated":`)},
	})
	is.Equal(len(res), 4)                                // a result per artifact
	is.NoErr(res[0].Err)                                 // stored
	is.True(res[0].Created)                              // new
	is.NoErr(res[1].Err)                                 // the duplicate in the same batch
	is.True(!res[1].Created)                             // is the one just stored
	is.Equal(res[1].Artifact, res[0].Artifact)           // the same document
	is.True(!res[2].Created)                             // stored before: not written again
	is.Equal(res[2].Artifact, before)                    // and returned as stored
	is.True(errors.Is(res[3].Err, artifacts.ErrInvalid)) // bad JSON fails alone
	is.NoErr(s.Close())                                  // close
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	reopened := openBolt(t, path)
	got, err := reopened.Get(ctx, res[0].Artifact.ID)
	is.NoErr(err)                  // durable
	is.Equal(got, res[0].Artifact) // intact
	late := reopened.PutBatch(canceled, []artifacts.Artifact{plan(`["x"]`)})
	is.True(errors.Is(late[0].Err, context.Canceled)) // a canceled context writes nothing
}

func TestSpoolLingerGathersABatch(t *testing.T) {
	is := is.New(t)
	g := newGated()
	first := plan(`["a"]`)
	// A linger longer than the test: the writer goes on once half the bound
	// (five of these artifacts) is waiting.
	sp := artifacts.NewSpool(g, 10*len(first.Content), artifacts.WithLinger(time.Hour))
	c := newCollect(5)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		sp.Submit(plan(`["`+s+`"]`), c.done)
	}
	is.Equal(<-g.batches, 5) // one batch for all five
	g.gate <- struct{}{}
	is.Equal(len(c.wait(t)), 5)              // each reported
	is.NoErr(sp.Close(context.Background())) // closes
}
