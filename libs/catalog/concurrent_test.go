package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

// TestConcurrentUse runs every operation at once on shared and private ids
// (meaningful under -race) and checks that the index agrees with the Store.
func TestConcurrentUse(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	c := newCatalog(newFakeClock())
	shared := fileEntry(t, "org/shared", []byte("shared weights"), true)
	_, err := c.Create(ctx, shared)
	is.NoErr(err) // create the shared entry

	const workers, rounds = 4, 30
	entries := make([][]catalog.Entry, workers) // files are written before the goroutines start
	for w := range workers {
		for i := range rounds {
			id := fmt.Sprintf("w%d/m%d", w, i)
			entries[w] = append(entries[w], fileEntry(t, id, []byte(id), i%2 == 0))
		}
	}
	errs := make(chan error, workers*rounds*8)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i, e := range entries[w] {
				id := e.ID
				_, err := c.Create(ctx, e)
				errs <- err
				_, err = c.Verify(ctx, id)
				errs <- err
				_, err = c.Verify(ctx, shared.ID)
				errs <- err
				_, err = c.SetState(ctx, shared.ID, []catalog.State{catalog.Active, catalog.Retired}[i%2], int64(i))
				errs <- err
				admitErr := c.Admit(ctx, shared.ID, i%3 == 0)
				errs <- ignore(admitErr, catalog.ErrRetired, catalog.ErrUntrusted)
				_, err = c.List(ctx)
				errs <- err
				_ = c.States()
				_, err = c.Create(ctx, shared) // always exists
				errs <- ignore(err, catalog.ErrExists)
				errs <- deleteOdd(ctx, c, id, i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		is.NoErr(err) // every operation succeeded or failed as allowed
	}

	all, err := c.List(ctx)
	is.NoErr(err)                          // list
	is.Equal(len(all), 1+workers*rounds/2) // the shared entry and the even ones survive
	is.Equal(c.States(), statesOf(all))    // the index agrees with the store
	is.NoErr(c.Load(ctx))                  // rebuild the index from the store
	is.Equal(c.States(), statesOf(all))    // same answer
}

// ignore returns nil when err matches one of the allowed errors.
func ignore(err error, allowed ...error) error {
	for _, a := range allowed {
		if errors.Is(err, a) {
			return nil
		}
	}
	return err
}

// deleteOdd deletes the entries of odd rounds.
func deleteOdd(ctx context.Context, c *catalog.Catalog, id string, round int) error {
	if round%2 == 0 {
		return nil
	}
	return c.Delete(ctx, id)
}
