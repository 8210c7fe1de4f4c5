package httpstream

import (
	"context"
	"io"
	"net/http"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// maxProbeBody bounds a probe answer (/slots lists every slot's parameters).
const maxProbeBody = 4 << 20

// Get fetches url and returns the status and body of the answer. A failure
// to reach the engine is an *engine.Error of KindUnavailable, or ctx.Err()
// when ctx is done.
func (s *Streamer) Get(ctx context.Context, url string) (int, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, &engine.Error{Kind: engine.KindUnavailable, Engine: s.engine, Err: err}
	}
	s.setHeaders(req, "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return 0, nil, cerr
		}
		return 0, nil, &engine.Error{Kind: engine.KindUnavailable, Engine: s.engine, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return 0, nil, cerr
		}
		return 0, nil, &engine.Error{Kind: engine.KindUnavailable, Engine: s.engine, Status: resp.StatusCode, Err: err}
	}
	return resp.StatusCode, body, nil
}
