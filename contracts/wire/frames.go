package wire

import "strconv"

// SSE event names of a task's event stream, in the order they may appear.
const (
	EventStarted = "started"
	EventMetrics = "metrics"
	EventToken   = "token"
	EventEnd     = "end"
	EventError   = "error"
)

// EventNames returns every SSE event name.
func EventNames() []string {
	return []string{EventStarted, EventMetrics, EventToken, EventEnd, EventError}
}

// ValidEventName reports whether name is an SSE event name of the contract.
func ValidEventName(name string) bool {
	switch name {
	case EventStarted, EventMetrics, EventToken, EventEnd, EventError:
		return true
	}
	return false
}

// TerminalEvent reports whether name ends a stream (end or error).
func TerminalEvent(name string) bool { return name == EventEnd || name == EventError }

// StartedFrame is the payload of the "started" event; PoolID and Engine are
// set once the task is placed.
type StartedFrame struct {
	QueuePosition    int    `json:"queue_position"`
	PredictedStartMs int64  `json:"predicted_start_ms"`
	PoolID           string `json:"pool_id,omitempty"`
	Engine           Engine `json:"engine,omitempty"`
}

// AppendJSON appends the frame's JSON encoding to dst without reflection; the
// bytes equal json.Marshal's.
func (f StartedFrame) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"queue_position":`...)
	dst = strconv.AppendInt(dst, int64(f.QueuePosition), 10)
	dst = append(dst, `,"predicted_start_ms":`...)
	dst = strconv.AppendInt(dst, f.PredictedStartMs, 10)
	if f.PoolID != "" {
		dst = append(dst, `,"pool_id":`...)
		dst = appendJSONString(dst, f.PoolID)
	}
	if f.Engine != "" {
		dst = append(dst, `,"engine":`...)
		dst = appendJSONString(dst, string(f.Engine))
	}
	return append(dst, '}')
}

// MetricsFrame is the payload of a "metrics" event. QueuePosition is sent
// while the task waits; unlimited budgets are omitted; Human and Prep only on
// a verbose stream (?verbose=true).
type MetricsFrame struct {
	QueuePosition         *int          `json:"queue_position,omitempty"`
	QueueDepth            int           `json:"queue_depth"`
	OnTimeProbability     *float64      `json:"on_time_probability,omitempty"`
	KVWarmth              bool          `json:"kv_warmth"`
	TokensBudgetRemaining *int64        `json:"tokens_budget_remaining,omitempty"`
	TimeBudgetRemainingMs *int64        `json:"time_budget_remaining_ms,omitempty"`
	CostBudgetRemaining   *float64      `json:"cost_budget_remaining,omitempty"`
	Human                 string        `json:"human,omitempty"`
	Prep                  *PrepProgress `json:"prep,omitempty"`
}

// AppendJSON appends the frame's JSON encoding to dst without reflection; the
// bytes equal json.Marshal's (a NaN or infinite float, which json.Marshal
// refuses, is written as strconv writes it: the result is not JSON).
func (f MetricsFrame) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if f.QueuePosition != nil {
		dst = append(dst, `"queue_position":`...)
		dst = strconv.AppendInt(dst, int64(*f.QueuePosition), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"queue_depth":`...)
	dst = strconv.AppendInt(dst, int64(f.QueueDepth), 10)
	if f.OnTimeProbability != nil {
		dst = append(dst, `,"on_time_probability":`...)
		dst = appendJSONFloat(dst, *f.OnTimeProbability)
	}
	dst = append(dst, `,"kv_warmth":`...)
	dst = strconv.AppendBool(dst, f.KVWarmth)
	if f.TokensBudgetRemaining != nil {
		dst = append(dst, `,"tokens_budget_remaining":`...)
		dst = strconv.AppendInt(dst, *f.TokensBudgetRemaining, 10)
	}
	if f.TimeBudgetRemainingMs != nil {
		dst = append(dst, `,"time_budget_remaining_ms":`...)
		dst = strconv.AppendInt(dst, *f.TimeBudgetRemainingMs, 10)
	}
	if f.CostBudgetRemaining != nil {
		dst = append(dst, `,"cost_budget_remaining":`...)
		dst = appendJSONFloat(dst, *f.CostBudgetRemaining)
	}
	if f.Human != "" {
		dst = append(dst, `,"human":`...)
		dst = appendJSONString(dst, f.Human)
	}
	if f.Prep != nil {
		dst = append(dst, `,"prep":{"step":`...)
		dst = appendJSONString(dst, f.Prep.Step)
		dst = append(dst, `,"progress":`...)
		dst = appendJSONFloat(dst, f.Prep.Progress)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// PrepProgress reports the progress of the current preparation step on a
// verbose stream; Progress runs from 0 to 1.
type PrepProgress struct {
	Step     string  `json:"step"`
	Progress float64 `json:"progress"`
}

// TokenFrame is the payload of a "token" event: the text the engine streamed
// and its index, counted from 0.
type TokenFrame struct {
	T string `json:"t"`
	I int    `json:"i"`
}

// AppendJSON appends the frame's JSON encoding to dst without reflection; the
// bytes equal json.Marshal's.
func (f TokenFrame) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"t":`...)
	dst = appendJSONString(dst, f.T)
	dst = append(dst, `,"i":`...)
	dst = strconv.AppendInt(dst, int64(f.I), 10)
	return append(dst, '}')
}

// FinishReason says why a stream ended.
type FinishReason string

// Finish reasons of an end frame. Stop and Length come from the engine;
// Canceled, Drain, Shutdown and Retired accompany "canceled": true.
const (
	FinishStop     FinishReason = "stop"
	FinishLength   FinishReason = "length"
	FinishCanceled FinishReason = "canceled"
	FinishDrain    FinishReason = "drain"
	FinishShutdown FinishReason = "shutdown"
	FinishRetired  FinishReason = "retired"
)

// FinishReasons returns every finish reason.
func FinishReasons() []FinishReason {
	return []FinishReason{FinishStop, FinishLength, FinishCanceled, FinishDrain, FinishShutdown, FinishRetired}
}

// Valid reports whether r is a finish reason of the contract.
func (r FinishReason) Valid() bool {
	switch r {
	case FinishStop, FinishLength, FinishCanceled, FinishDrain, FinishShutdown, FinishRetired:
		return true
	}
	return false
}

// EndFrame is the payload of the terminal "end" event.
type EndFrame struct {
	TokensOut    int          `json:"tokens_out"`
	DecodeMs     int64        `json:"decode_ms"`
	FinishReason FinishReason `json:"finish_reason,omitempty"`
	Canceled     bool         `json:"canceled"`
}

// AppendJSON appends the frame's JSON encoding to dst without reflection; the
// bytes equal json.Marshal's.
func (f EndFrame) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"tokens_out":`...)
	dst = strconv.AppendInt(dst, int64(f.TokensOut), 10)
	dst = append(dst, `,"decode_ms":`...)
	dst = strconv.AppendInt(dst, f.DecodeMs, 10)
	if f.FinishReason != "" {
		dst = append(dst, `,"finish_reason":`...)
		dst = appendJSONString(dst, string(f.FinishReason))
	}
	dst = append(dst, `,"canceled":`...)
	dst = strconv.AppendBool(dst, f.Canceled)
	return append(dst, '}')
}

// ErrorFrame is the payload of the terminal "error" event; Code is one of the
// in-stream codes (ErrorCode.InStream).
type ErrorFrame struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
	Engine  Engine    `json:"engine,omitempty"`
}

// AppendJSON appends the frame's JSON encoding to dst without reflection; the
// bytes equal json.Marshal's.
func (f ErrorFrame) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"code":`...)
	dst = appendJSONString(dst, string(f.Code))
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, f.Message)
	if f.Engine != "" {
		dst = append(dst, `,"engine":`...)
		dst = appendJSONString(dst, string(f.Engine))
	}
	return append(dst, '}')
}
