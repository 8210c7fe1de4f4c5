package openai

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/correlation"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
	"github.com/orchestratord/orchestratord/orchestratord/internal/tasks"
)

// Tasks is the task service the surface submits through (tasks.Service).
type Tasks interface {
	Submit(spec tasks.Spec) (tasks.Admission, error)
	Events(ctx context.Context, id string) (*streaming.Log, error)
	// Abandon cancels a task whose client went away.
	Abandon(ctx context.Context, id string) error
	// PromptTokens is the engine's prompt token count of a task whose end
	// frame was read (0 when unknown).
	PromptTokens(id string) int
}

// Default limits, the same as the /v2 surface's (docs/decisions.md).
const (
	// DefaultMaxTokens applies when a request names no token limit.
	DefaultMaxTokens = 256
	// DefaultTokenLimit is the upper bound of max_tokens unless
	// WithTokenLimit sets the configured one.
	DefaultTokenLimit = 32768
)

// ownedBy is the owned_by of every model of GET /v1/models.
const ownedBy = "orchestratord"

// Option configures a Service.
type Option func(*Service)

// WithTokenLimit sets the upper bound of max_tokens (limits.max_tokens).
func WithTokenLimit(n int) Option { return func(s *Service) { s.tokenLimit = n } }

// WithCatalogModels adds the Active catalog models to GET /v1/models.
func WithCatalogModels(active func() []string) Option {
	return func(s *Service) { s.catalog = active }
}

// WithClock sets the clock of created timestamps (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithKeepAlive sets the longest quiet spell of a stream before a
// ": keep-alive" comment (default streaming.DefaultKeepAlive; ≤ 0 turns
// keep-alives off).
func WithKeepAlive(d time.Duration) Option { return func(s *Service) { s.keepAlive = d } }

// WithMetrics counts requests refused by validation in
// orchd_tasks_rejected_total{reason="invalid_params"}, as /v2 does.
func WithMetrics(m *metrics.Metrics) Option { return func(s *Service) { s.metrics = m } }

// Service answers the OpenAI-compatible routes.
type Service struct {
	tasks      Tasks
	poolModels func() []string
	catalog    func() []string
	now        func() time.Time
	keepAlive  time.Duration
	tokenLimit int
	metrics    *metrics.Metrics
	started    time.Time
	// bufs recycles the buffers a stream reads frames into and renders
	// chunks in: grown per stream they were most of what /v1 allocated.
	bufs sync.Pool
}

// streamBufs are the buffers of one Stream.Serve.
type streamBufs struct{ sse, out []byte }

// maxPooledStreamBuf bounds the buffers kept for the next stream.
const maxPooledStreamBuf = 1 << 20

// New returns a Service that submits through ts and lists the models
// poolModels returns (those of ready pools).
func New(ts Tasks, poolModels func() []string, opts ...Option) (*Service, error) {
	if ts == nil || poolModels == nil {
		return nil, errors.New("openai: the task service and the pool models are required")
	}
	s := &Service{
		tasks: ts, poolModels: poolModels, now: time.Now,
		keepAlive: streaming.DefaultKeepAlive, tokenLimit: DefaultTokenLimit,
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.tokenLimit < 1 {
		return nil, errors.New("openai: the token limit must be at least 1")
	}
	s.started = s.now()
	return s, nil
}

// Reply answers a completion request: Body for stream:false (a
// wire.ChatCompletion or wire.Completion to encode as JSON), Stream for
// stream:true. Exactly one is set. TaskID names the task (for logs);
// Budget is the session's budgets left at admission, sent as the
// X-Budget-* headers as on /v2 (api.md §9).
type Reply struct {
	TaskID string
	Body   any
	Stream *Stream
	Budget wire.Budget
}

// ChatCompletions admits a chat completion and answers it (api.md §9). It
// returns a problem error when the request is invalid or not admitted. For
// stream:false it waits for the task to end; when ctx is done first it
// cancels the task and returns ctx.Err().
func (s *Service) ChatCompletions(ctx context.Context, req wire.ChatCompletionRequest, sessionHeader string) (Reply, error) {
	spec, err := s.chatSpec(&req, sessionHeader)
	if err != nil {
		return Reply{}, s.refuse(err)
	}
	return s.answer(ctx, spec, kindChat, req.Model, req.Stream, req.IncludeUsage())
}

// Completions admits a text completion and answers it, like ChatCompletions.
func (s *Service) Completions(ctx context.Context, req wire.CompletionRequest, sessionHeader string) (Reply, error) {
	spec, err := s.completionSpec(&req, sessionHeader)
	if err != nil {
		return Reply{}, s.refuse(err)
	}
	return s.answer(ctx, spec, kindText, req.Model, req.Stream, req.IncludeUsage())
}

// Models lists the Active catalog models and the models of ready pools.
func (s *Service) Models(context.Context) wire.ModelList {
	var names []string
	if s.catalog != nil {
		names = append(names, s.catalog()...)
	}
	names = append(names, s.poolModels()...)
	sort.Strings(names)
	out := wire.ModelList{Object: wire.ObjectList, Data: make([]wire.Model, 0, len(names))}
	created := s.started.Unix()
	for i, n := range names {
		if n == "" || (i > 0 && names[i-1] == n) {
			continue
		}
		out.Data = append(out.Data, wire.Model{ID: n, Object: wire.ObjectModel, Created: created, OwnedBy: ownedBy})
	}
	return out
}

// answer submits spec and either returns the stream or waits for the end.
func (s *Service) answer(ctx context.Context, spec tasks.Spec, k kind, model string, stream, usage bool) (Reply, error) {
	created := s.now().Unix()
	spec.CorrelationID = correlation.From(ctx)
	adm, err := s.tasks.Submit(spec)
	if err != nil {
		return Reply{}, err
	}
	log, err := s.tasks.Events(ctx, adm.ID)
	if err != nil {
		s.abandon(adm.ID)
		return Reply{}, err
	}
	r := newRenderer(k, adm.ID, model, created)
	if stream {
		return Reply{TaskID: adm.ID, Budget: adm.Budget, Stream: &Stream{svc: s, taskID: adm.ID, log: log, r: r, usage: usage}}, nil
	}
	select {
	case <-log.Done():
	case <-ctx.Done():
		s.abandon(adm.ID)
		return Reply{}, ctx.Err()
	}
	sse, _, _ := log.ReadFrom(0, false, nil)
	res, err := collect(sse)
	if err != nil {
		return Reply{}, err
	}
	if res.failed != nil {
		return Reply{}, frameProblem(res.failed)
	}
	res.prompt = s.tasks.PromptTokens(adm.ID)
	return Reply{TaskID: adm.ID, Body: r.body(res), Budget: adm.Budget}, nil
}

// abandon cancels a task whose client went away. The task was admitted by
// this request, so Abandon can only fail once the task has been forgotten,
// when there is nothing left to cancel.
func (s *Service) abandon(id string) {
	_ = s.tasks.Abandon(context.Background(), id)
}

// refuse counts a request refused by validation.
func (s *Service) refuse(err error) error {
	if s.metrics != nil {
		s.metrics.TaskRejected(metrics.RejectInvalidParams)
	}
	return err
}

// frameProblem turns a task's error frame into the error a non-streamed
// request answers with: the code's status, and for an eviction the 429
// fields.
func frameProblem(f *wire.ErrorFrame) error {
	p := &problem.Error{Code: f.Code, Message: f.Message, Engine: string(f.Engine)}
	if f.Code == wire.CodeQueueFullDropLRU {
		p.Policy, p.Retriable = wire.PolicyDropLRU, true
	}
	return p
}
