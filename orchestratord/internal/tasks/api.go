package tasks

import (
	"context"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/correlation"
)

// The /v2 task surface in contract types (what httpapi.TaskService needs).

// Admit validates and submits a /v2 task.
func (s *Service) Admit(ctx context.Context, req wire.TaskRequest) (wire.AdmissionResponse, error) {
	spec, err := s.specFromRequest(req)
	if err != nil {
		return wire.AdmissionResponse{}, s.reject(err)
	}
	spec.CorrelationID = correlation.From(ctx)
	adm, err := s.Submit(spec)
	if err != nil {
		return wire.AdmissionResponse{}, err
	}
	return wire.AdmissionResponse{
		TaskID:           adm.ID,
		QueuePosition:    adm.QueuePosition,
		PredictedStartMs: adm.PredictedStart.Milliseconds(),
		BackoffMs:        adm.Backoff.Milliseconds(),
		Streams:          wire.TaskStreamURLs(adm.ID),
		Budget:           adm.Budget,
	}, nil
}

// Status reports a task in contract form.
func (s *Service) Status(_ context.Context, id string) (wire.TaskStatus, error) {
	st, err := s.status(id)
	if err != nil {
		return wire.TaskStatus{}, err
	}
	out := wire.TaskStatus{
		TaskID: st.ID, SessionID: st.SessionID, State: wire.TaskState(st.State), ModelRef: st.Model,
		Engine: wire.Engine(st.Engine), PoolID: st.PoolID, NodeID: st.NodeID, TokensOut: st.TokensOut,
		CreatedMs: st.Created.UnixMilli(), TranscriptArtifactID: st.TranscriptID,
	}
	if st.QueuePosition >= 0 {
		pos := st.QueuePosition
		out.QueuePosition = &pos
	}
	if !st.Started.IsZero() {
		ms := st.Started.UnixMilli()
		out.StartedMs = &ms
	}
	if !st.Ended.IsZero() {
		ms := st.Ended.UnixMilli()
		out.EndedMs = &ms
	}
	if st.ErrCode != "" {
		out.Error = &wire.TaskError{Code: st.ErrCode, Message: st.ErrMessage}
	}
	return out, nil
}

// Cancel cancels a task (api.md §3); see cancel.
func (s *Service) Cancel(_ context.Context, id string) error {
	return s.cancel(id, wire.FinishCanceled, cancelClient)
}

// Abandon cancels a task because the client that waits for it went away
// (an OpenAI-compatible request); it counts as a disconnect.
func (s *Service) Abandon(_ context.Context, id string) error {
	return s.cancel(id, wire.FinishCanceled, cancelDisconnect)
}

// Events returns a task's event log for streaming.
func (s *Service) Events(ctx context.Context, id string) (*streaming.Log, error) {
	return s.Log(ctx, id)
}
