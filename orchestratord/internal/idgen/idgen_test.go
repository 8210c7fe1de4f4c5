package idgen_test

import (
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/oklog/ulid/v2"

	"github.com/orchestratord/orchestratord/orchestratord/internal/idgen"
)

func TestNextIsMonotonicWithinAMillisecond(t *testing.T) {
	is := is.New(t)
	at := time.UnixMilli(1_700_000_000_000)
	g := idgen.New(func() time.Time { return at })
	prev := g.Next()
	for range 1000 {
		next := g.Next()
		is.True(next > prev) // strictly increasing within one millisecond
		prev = next
	}
	id, err := ulid.ParseStrict(prev)
	is.NoErr(err)                                              // a valid ULID
	is.Equal(id.Time(), uint64(1_700_000_000_000))             // stamped with the injected clock
	is.Equal(ulid.Time(id.Time()).UnixMilli(), at.UnixMilli()) // as a time
}

func TestNextFollowsTheClock(t *testing.T) {
	is := is.New(t)
	ms := int64(1_700_000_000_000)
	g := idgen.New(func() time.Time { return time.UnixMilli(ms) })
	first := g.Next()
	ms += 5
	second, err := ulid.ParseStrict(g.Next())
	is.NoErr(err)                       // a valid ULID
	is.Equal(second.Time(), uint64(ms)) // the new millisecond
	is.True(second.String() > first)    // later ids sort later
}

func TestNextOutsideTheULIDRangeStillMakesAnID(t *testing.T) {
	is := is.New(t)
	g := idgen.New(func() time.Time { return ulid.Time(ulid.MaxTime()).Add(time.Hour) })
	id, err := ulid.ParseStrict(g.Next())
	is.NoErr(err)                       // a valid ULID all the same
	is.True(id.Time() < ulid.MaxTime()) // from the real clock
}

func TestNextConcurrentIDsAreUnique(t *testing.T) {
	is := is.New(t)
	g := idgen.New(nil)
	const workers, each = 4, 500
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				ids[w] = append(ids[w], g.Next())
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, list := range ids {
		for _, id := range list {
			seen[id] = true
		}
	}
	is.Equal(len(seen), workers*each) // no id twice
}

func TestNextAllocatesOnlyTheString(t *testing.T) {
	is := is.New(t)
	g := idgen.New(nil)
	allocs := testing.AllocsPerRun(200, func() { _ = g.Next() })
	is.Equal(allocs, 1.0) // the returned string
}
