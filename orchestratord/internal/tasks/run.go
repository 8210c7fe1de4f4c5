package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/streaming"
)

// run drives one task on its leased pool until it ends, retrying on another
// pool when the engine fails before the first token.
func (s *Service) run(r *record) {
	s.mu.Lock()
	if r.log != nil {
		r.log.Grow(streamBytesHint(r.spec.MaxTokens), r.spec.MaxTokens+4)
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		ctx, poolID, log := r.runCtx, r.poolID, r.log
		view, ok := s.viewLocked(poolID)
		req := s.engineRequest(r) // under the lock: finish drops the prompt
		s.mu.Unlock()
		var (
			res engine.Result
			err error
		)
		switch {
		case log == nil:
			// Ended (canceled) and archived before this run began: there is
			// no log to stream into and the terminal frame is written.
			err = streaming.ErrClosed
		case !ok:
			err = &engine.Error{Kind: engine.KindUnavailable, Message: "pool left the registry"}
		default:
			var client engine.Client
			client, err = s.deps.Engines.Client(view)
			if err == nil {
				res, err = client.Generate(ctx, req, s.emitter(r, log))
			}
		}
		if s.retry(r, err) {
			if s.requeued(r) {
				return // back in the queue: a dispatch pass starts it again
			}
			continue
		}
		// The engine is done with the slot. It is given back before the
		// terminal frame goes out, so that a client's next turn, sent when
		// it reads `end`, finds the slot free (kv_hint reuse lands there);
		// and only once the transcript writer has room, so that finished
		// streams cannot pile up in memory faster than the store takes them.
		_ = s.deps.Transcripts.WaitRoom(context.Background())
		s.mu.Lock()
		s.releaseLocked(r)
		if r.cancel != nil {
			r.cancel()
		}
		// A finished record is kept for the retention period: it holds no
		// context.
		r.runCtx, r.cancel = nil, nil
		s.mu.Unlock()
		s.complete(r, res, err)
		s.wakeDispatcher()
		return
	}
}

func (s *Service) engineRequest(r *record) engine.Request {
	sp := r.spec
	return engine.Request{
		Model: sp.Model, Prompt: sp.Prompt, Messages: sp.Messages, MaxTokens: sp.MaxTokens,
		Seed: sp.Seed, Temperature: sp.Temperature, TopP: sp.TopP, Stop: sp.Stop,
		TokenTimeout: s.opt.TokenTimeout,
	}
}

// emitter appends each batch of engine chunks to the task's log. After the
// first batch it adds the metrics frame api.md §3 asks for.
func (s *Service) emitter(r *record, log *streaming.Log) func([]string) error {
	e := &emitter{s: s, r: r, log: log}
	return e.emit
}

// emitter is the state of one engine call's emit function.
type emitter struct {
	s      *Service
	r      *record
	log    *streaming.Log
	tokens func(n int) // the pool's tokens-out counter, once the first batch is in
}

func (e *emitter) emit(chunks []string) error {
	if e.tokens != nil {
		if _, err := e.log.AppendTokens(chunks); err != nil {
			return err
		}
		e.tokens(len(chunks))
		return nil
	}
	// The first token counts once it is in the log: a task canceled
	// before has no first token, and the end frame says 0 tokens.
	if _, err := e.log.AppendTokens(chunks); err != nil {
		return err
	}
	s, r := e.s, e.r
	now := s.now()
	s.mu.Lock()
	r.firstToken = now
	eng, pool, prio := metricsEngine(r.engine), r.poolID, metricsPriority(r.spec.Priority)
	ttft := now.Sub(r.created)
	frame := wire.MetricsFrame{QueueDepth: s.queue.Len(), OnTimeProbability: ptr(onTimeProbability(r.due, now, 0))}
	s.mu.Unlock()
	s.sessionServed(r.spec.SessionID, pool, &frame)
	s.deps.Metrics.ObserveFirstToken(eng, pool, prio, ttft)
	e.tokens = s.deps.Metrics.PoolSeries(eng, pool).TokensOut
	e.tokens(len(chunks))
	plain, verbose := metricsFrames(frame, "first token after "+ttft.Round(time.Millisecond).String())
	_, err := e.log.AppendVerbose(wire.EventMetrics, plain, verbose)
	return err
}

// retry decides whether a failure before the first token is retried on
// another pool (api.md §4). When it is, the task holds a new lease on
// return, or waits in the queue again (requeued).
func (s *Service) retry(r *record, err error) bool {
	var ee *engine.Error
	if err == nil || !errors.As(err, &ee) || ee.Kind != engine.KindUnavailable || ee.Chunks > 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.state != Running || r.attempts >= s.opt.Retries || s.closing {
		return false
	}
	r.attempts++
	r.tried = append(r.tried, r.poolID)
	taskEvent(s.deps.Log.Warn(), &r.spec).Str(fieldPoolID, r.poolID).Int(fieldAttempt, r.attempts).
		Str(fieldError, ee.Error()).Msg("engine failed before the first token; retrying")
	// Free the failed pool's slot for placement (it may be the only pool
	// that serves the task); publish only once the outcome is known.
	s.syncPoolsLocked() // a pending registry change is published before the lease moves
	old := r.poolID
	s.leases[old]--
	s.poolChangedLocked(old)
	d, perr := s.deps.Placer.Place(s.placementRequest(r), s.refreshPoolsLocked())
	if errors.Is(perr, placement.ErrBusy) && s.requeueLocked(r) {
		s.leaseReturnedLocked(old)
		return true
	}
	if perr != nil {
		// The task fails on the pool it holds (also when it found no room
		// in the queue): run returns the lease once the terminal frame is
		// written.
		s.leases[old]++
		s.leaseChangedLocked(old)
		return false
	}
	s.leaseReturnedLocked(old)
	r.poolID = d.PoolID
	if v, ok := s.viewLocked(d.PoolID); ok {
		r.nodeID, r.engine = v.NodeID, v.Engine
	}
	s.leases[r.poolID]++
	s.leaseChangedLocked(r.poolID)
	return true
}

// complete appends the terminal frame for how the engine call ended.
func (s *Service) complete(r *record, res engine.Result, err error) {
	s.mu.Lock()
	eng, pool := r.engine, r.poolID
	if res.EngineVersion != "" {
		r.engineVersion = res.EngineVersion
	}
	r.promptTokens = res.PromptTokens // before the end frame: a reader of it finds the count
	first, started := r.firstToken, r.started
	s.mu.Unlock()
	switch {
	case err == nil:
		if s.finish(r, endFrame(finishReason(res.FinishReason), false, res.TokensOut), Completed) {
			s.mu.Lock()
			if !first.IsZero() {
				s.stats.observe(pool, first.Sub(started), s.now().Sub(first), r.tokensOut)
				s.poolChangedLocked(pool) // its measured latency
			}
			s.mu.Unlock()
		}
	case errors.Is(err, streaming.ErrClosed), errors.Is(err, context.Canceled):
		// Canceled, drained or shut down: whoever ended it wrote the frame.
	default:
		code, msg := classify(err)
		if s.finish(r, errorFrame(code, msg, eng), Failed) {
			taskEvent(s.deps.Log.Warn(), &r.spec).Str(fieldPoolID, pool).Str(fieldCode, string(code)).
				Str(fieldError, err.Error()).Msg("task failed on the engine")
		}
	}
}

// classify maps an engine failure to the in-stream error codes of api.md §2.
func classify(err error) (code wire.ErrorCode, message string) {
	var ee *engine.Error
	if !errors.As(err, &ee) {
		return wire.CodeInternal, "internal error"
	}
	switch ee.Kind {
	case engine.KindTimeout:
		return wire.CodeDecodeTimeout, "no token from the engine within the token timeout"
	case engine.KindReset:
		return wire.CodeWorkerReset, "the engine connection dropped mid-stream"
	case engine.KindUnavailable:
		if ee.Status > 0 {
			return wire.CodeEngineError, engineMessage("the engine failed before the first token", ee.Status)
		}
		return wire.CodeWorkerReset, "the engine could not be reached"
	default:
		return wire.CodeEngineError, engineMessage(fmt.Sprintf("the engine reported an error: %s", safeEngineMessage(ee.Message)), ee.Status)
	}
}

// safeEngineMessage keeps an engine's own message short and printable.
func safeEngineMessage(m string) string {
	const max = 200
	out := make([]rune, 0, len(m))
	for _, c := range m {
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		out = append(out, c)
		if len(out) == max {
			break
		}
	}
	return string(out)
}

func finishReason(r string) wire.FinishReason {
	if r == engine.FinishLength {
		return wire.FinishLength
	}
	return wire.FinishStop
}
