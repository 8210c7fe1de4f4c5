package tasks

import (
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// terminal describes the last frame of a task (api.md §3 "Order of frames").
type terminal struct {
	end    *wire.EndFrame   // event "end", or
	failed *wire.ErrorFrame // event "error"
	tokens int              // end: tokens_out when the engine reported it (0 = count token frames)
}

func endFrame(reason wire.FinishReason, canceled bool, tokens int) terminal {
	return terminal{end: &wire.EndFrame{FinishReason: reason, Canceled: canceled}, tokens: tokens}
}

func errorFrame(code wire.ErrorCode, message string, engine string) terminal {
	return terminal{failed: &wire.ErrorFrame{Code: code, Message: message, Engine: wire.Engine(engine)}}
}

func (t terminal) event() string {
	if t.failed != nil {
		return wire.EventError
	}
	return wire.EventEnd
}

// encode renders the terminal frame given the token frames emitted so far
// and the decode time.
func (t terminal) encode(tokenFrames int, decode time.Duration) []byte {
	if t.failed != nil {
		return t.failed.AppendJSON(make([]byte, 0, 128))
	}
	f := *t.end
	f.TokensOut = t.tokensOut(tokenFrames)
	f.DecodeMs = decode.Milliseconds()
	return f.AppendJSON(make([]byte, 0, 96))
}

// tokensOut is the task's tokens_out: the engine's count when it reported
// one, else the token frames emitted.
func (t terminal) tokensOut(tokenFrames int) int {
	if t.tokens > 0 {
		return t.tokens
	}
	return tokenFrames
}

// code is the error code of a failed terminal, "" for an end.
func (t terminal) code() (wire.ErrorCode, string) {
	if t.failed == nil {
		return "", ""
	}
	return t.failed.Code, t.failed.Message
}

// appendStartedFrame appends the first frame to dst: where the task stands
// at admission.
func appendStartedFrame(dst []byte, pos int, predicted time.Duration, poolID, engine string) []byte {
	f := wire.StartedFrame{QueuePosition: pos, PredictedStartMs: predicted.Milliseconds(), PoolID: poolID, Engine: wire.Engine(engine)}
	return f.AppendJSON(dst)
}

// metricsFrames renders a metrics frame and its verbose variant, in one
// buffer.
func metricsFrames(f wire.MetricsFrame, human string) (plain, verbose []byte) {
	b := f.AppendJSON(make([]byte, 0, 320))
	n := len(b)
	f.Human = human
	b = f.AppendJSON(b)
	return b[:n:n], b[n:]
}

func ptr[T any](v T) *T { return &v }
