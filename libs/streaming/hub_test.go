package streaming_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/streaming"
)

func TestHubCreateGetDelete(t *testing.T) {
	is := is.New(t)
	hub := streaming.NewHub(time.Minute, streaming.WithClock(newFakeClock().now))

	a, err := hub.Create("a")
	is.NoErr(err) // Create
	_, err = hub.Create("a")
	is.True(errors.Is(err, streaming.ErrExists)) // the id is taken
	got, ok := hub.Get("a")
	is.True(ok)      // Get finds it
	is.Equal(got, a) // the same log
	_, ok = hub.Get("b")
	is.True(!ok)           // unknown id
	is.Equal(hub.Len(), 1) // one log

	hub.Delete("a")
	_, ok = hub.Get("a")
	is.True(!ok)           // deleted
	is.Equal(hub.Len(), 0) // none left
	_, err = hub.Create("a")
	is.NoErr(err) // the id is free again
}

// A finished log deleted before its retention ends (the daemon archives it)
// is garbage once its readers are done: the hub's retention list does not
// keep it alive.
func TestHubDeletedFinishedLogIsFreed(t *testing.T) {
	is := is.New(t)
	hub := streaming.NewHub(time.Hour)
	l, err := hub.Create("a")
	is.NoErr(err) // Create
	_, err = l.AppendTokens([]string{"some", "tokens"})
	is.NoErr(err) // tokens
	_, err = l.Finish(func(int) (string, []byte) { return "end", []byte(`{}`) })
	is.NoErr(err) // finished: on the retention list now
	hub.Delete("a")
	w := weak.Make(l)
	l = nil
	runtime.GC()
	is.True(w.Value() == nil) // collected although its retention has not ended
	is.Equal(hub.Sweep(), 0)  // and the sweep finds nothing to forget
}

func TestHubRetention(t *testing.T) {
	is := is.New(t)
	clock := newFakeClock()
	hub := streaming.NewHub(10*time.Minute, streaming.WithClock(clock.now))
	done, err := hub.Create("done")
	is.NoErr(err) // Create done
	_, err = hub.Create("running")
	is.NoErr(err) // Create running

	_, err = done.Finish(endFrame)
	is.NoErr(err)                            // Finish
	is.Equal(done.FinishedAt(), clock.now()) // the hub's clock stamps the log
	clock.advance(10 * time.Minute)
	_, ok := hub.Get("done")
	is.True(ok)              // kept for the retention period
	is.Equal(hub.Sweep(), 0) // nothing expired yet
	clock.advance(time.Millisecond)
	_, ok = hub.Get("done")
	is.True(!ok)           // expired, even before a sweep
	is.Equal(hub.Len(), 2) // still held until swept
	_, ok = hub.Get("running")
	is.True(ok)              // an open log never expires
	is.Equal(hub.Sweep(), 1) // the finished log is forgotten
	is.Equal(hub.Len(), 1)   // the open one stays
	is.Equal(hub.Sweep(), 0) // and a second sweep finds nothing
}

func TestHubCreateReplacesExpiredLog(t *testing.T) {
	is := is.New(t)
	clock := newFakeClock()
	hub := streaming.NewHub(time.Second, streaming.WithClock(clock.now))
	old, err := hub.Create("t")
	is.NoErr(err) // Create
	_, err = old.Finish(endFrame)
	is.NoErr(err) // Finish
	clock.advance(2 * time.Second)

	fresh, err := hub.Create("t")
	is.NoErr(err)            // an expired log does not block its id
	is.True(fresh != old)    // a new log
	is.Equal(hub.Sweep(), 0) // the old log's expiry does not remove the new one
	got, ok := hub.Get("t")
	is.True(ok)          // the new log is there
	is.Equal(got, fresh) // and it is the new one
}

func TestHubSweepsOnlyExpiredInFinishOrder(t *testing.T) {
	is := is.New(t)
	clock := newFakeClock()
	hub := streaming.NewHub(time.Minute, streaming.WithClock(clock.now))
	ids := []string{"a", "b", "c", "d"}
	for _, id := range ids {
		l, err := hub.Create(id)
		is.NoErr(err) // Create
		_, err = l.Finish(endFrame)
		is.NoErr(err) // Finish one per 30 s
		clock.advance(30 * time.Second)
	}
	// finished at 0, 30, 60, 90 s; now 120 s
	is.Equal(hub.Sweep(), 2) // a and b are older than a minute
	is.Equal(hub.Len(), 2)   // c and d remain
	hub.Delete("c")
	clock.advance(time.Hour)
	is.Equal(hub.Sweep(), 1) // only d was still held
	is.Equal(hub.Len(), 0)   // all gone
}

func TestHubRunSweeps(t *testing.T) {
	is := is.New(t)
	clock := newFakeClock()
	hub := streaming.NewHub(time.Second, streaming.WithClock(clock.now))
	l, err := hub.Create("t")
	is.NoErr(err) // Create
	_, err = l.Finish(endFrame)
	is.NoErr(err) // Finish
	clock.advance(time.Minute)

	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		hub.Run(ctx, time.Millisecond)
	}()
	is.True(eventually(func() bool { return hub.Len() == 0 })) // Run swept the expired log
	cancel()
	<-ran // Run returns when ctx is done
}
