package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/sessions"
	"github.com/orchestratord/orchestratord/libs/sessions/boltstore"
)

func TestCommitsSurviveReopen(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "sessions.db")
	s, err := boltstore.Open(path)
	is.NoErr(err) // open creates the directory and the file
	exp := time.Unix(1_700_000_600, 123_456_789)
	full := sessions.Record{
		ID: "user@example.com:chat-1", Expires: exp, Turns: 1 << 40, LastPool: "pool." + strings.Repeat("p", 120), Warm: true,
		Spent: sessions.Usage{Tokens: 1<<62 + 3, Time: 90 * time.Minute, Cost: 0.000123456789},
	}
	bare := sessions.Record{ID: "b", Expires: exp}
	is.NoErr(s.Commit(ctx, []sessions.Change{{Record: full}, {Record: bare}, {Record: sessions.Record{ID: "gone", Expires: exp}}})) // one commit
	is.NoErr(s.Commit(ctx, []sessions.Change{{Record: sessions.Record{ID: "gone"}, Delete: true}}))                                 // a delete
	is.NoErr(s.Commit(ctx, []sessions.Change{{Record: sessions.Record{ID: "never-stored"}, Delete: true}}))                         // deleting nothing is fine
	is.NoErr(s.Close())                                                                                                             // close
	is.True(s.Commit(ctx, []sessions.Change{{Record: bare}}) != nil)                                                                // a closed store refuses writes

	got, errs := load(t, open(t, path))
	is.Equal(len(errs), 0)       // nothing unreadable
	is.Equal(len(got), 2)        // the two left
	is.Equal(got[full.ID], full) // every field, the expiry to the nanosecond
	is.Equal(got[bare.ID], bare) // an empty one too
}

func TestLaterChangesOfACommitWin(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "sessions.db"))
	is.NoErr(s.Commit(ctx, []sessions.Change{
		{Record: sessions.Record{ID: "a", Turns: 1}},
		{Record: sessions.Record{ID: "a", Turns: 2}},
		{Record: sessions.Record{ID: "b", Turns: 1}},
		{Record: sessions.Record{ID: "b"}, Delete: true},
	})) // applied in order
	got, _ := load(t, s)
	is.Equal(len(got), 1)       // b deleted after its put
	is.Equal(got["a"].Turns, 2) // the later put
}

func TestInvalidIDsNeverReachTheFile(t *testing.T) {
	ctx := context.Background()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "sessions.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // closed: any access to the file would fail otherwise
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   string
	}{
		{"empty", ""},
		{"space", "a b"},
		{"slash", "../../etc/passwd"},
		{"nul", "a\x00b"},
		{"non-ascii", "sessión"},
		{"too long", strings.Repeat("a", 129)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			put := []sessions.Change{{Record: sessions.Record{ID: "fine"}}, {Record: sessions.Record{ID: tt.id}}}
			is.True(errors.Is(s.Commit(ctx, put), boltstore.ErrInvalidID)) // a put is refused before the file
			del := []sessions.Change{{Record: sessions.Record{ID: tt.id}, Delete: true}}
			is.True(errors.Is(s.Commit(ctx, del), boltstore.ErrInvalidID)) // so is a delete
		})
	}
}

func TestInvalidCommitWritesNothing(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "sessions.db"))
	err := s.Commit(ctx, []sessions.Change{{Record: sessions.Record{ID: "ok"}}, {Record: sessions.Record{ID: "bad id"}}})
	is.True(errors.Is(err, boltstore.ErrInvalidID)) // refused
	err = s.Commit(ctx, []sessions.Change{{Record: sessions.Record{ID: "ok"}}, {Record: sessions.Record{ID: "p", LastPool: strings.Repeat("p", 2000)}}})
	is.True(err != nil) // a pool id beyond the record's bound fails the commit
	got, _ := load(t, s)
	is.Equal(len(got), 0) // all or nothing: "ok" was not written either time
}

func TestSecondOpenIsLocked(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "sessions.db")
	open(t, path)
	_, err := boltstore.Open(path, boltstore.WithLockTimeout(20*time.Millisecond))
	is.True(errors.Is(err, boltstore.ErrLocked)) // one holder at a time
	_, err = boltstore.Open("")
	is.True(err != nil) // a path is required
}

func TestCanceledContext(t *testing.T) {
	is := is.New(t)
	s := open(t, filepath.Join(t.TempDir(), "sessions.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	is.True(errors.Is(s.Commit(ctx, []sessions.Change{{Record: sessions.Record{ID: "a"}}}), context.Canceled)) // no commit
	is.True(errors.Is(s.Load(ctx, func(sessions.Record, error) {}), context.Canceled))                         // no load
}
