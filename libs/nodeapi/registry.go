package nodeapi

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout is the heartbeat timeout used when NewRegistry is given a
// timeout <= 0: three missed heartbeats at a 5 s interval.
const DefaultTimeout = 15 * time.Second

// Option configures a Registry.
type Option func(*Registry)

// WithClock sets the clock the registry reads; nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(r *Registry) {
		if now != nil {
			r.now = now
		}
	}
}

// Registry is the node and pool registry. It is safe for concurrent use.
//
// Every change of state other than a bare timestamp (a registration, a
// deregistration, a node going online or offline, a pool report that differs
// from the previous one) increments Version and signals every subscriber.
type Registry struct {
	timeout time.Duration
	now     func() time.Time
	version atomic.Uint64
	layout  uint64 // the version at which the set of pools last changed

	mu        sync.RWMutex
	nodes     map[string]*node
	pools     map[string]*pool
	nodeOrder []*node // sorted by NodeID
	poolOrder []*pool // sorted by PoolID
	online    int
	subs      map[uint64]chan struct{}
	nextSub   uint64
}

type node struct {
	spec          NodeSpec // deep copy of the registration; never modified
	online        bool
	lastHeartbeat time.Time
	registeredAt  time.Time
	pools         []*pool // sorted by PoolID
}

type pool struct {
	spec      PoolSpec
	node      *node
	report    PoolReport
	reported  bool
	updatedAt time.Time
	control   Control // the orchestrator's hold; carried over a re-registration
	changed   uint64  // the version at which the pool's view last changed (updatedAt aside)
}

// NewRegistry returns an empty registry in which a node that has not
// heartbeated for longer than timeout goes offline at the next Expire
// (DefaultTimeout when timeout <= 0).
func NewRegistry(timeout time.Duration, opts ...Option) *Registry {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	r := &Registry{
		timeout: timeout,
		now:     time.Now,
		nodes:   make(map[string]*node),
		pools:   make(map[string]*pool),
		subs:    make(map[uint64]chan struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Register adds a node, or replaces a registered node with the same id
// together with all of its pools (reports of the old pools are dropped; the
// Control of a pool id the new registration keeps stays).
// The node is online from now on, as if it had heartbeated. It returns
// replaced=true when the node was registered before. Errors: a
// *ValidationError (ErrInvalid) naming the field, or a *PoolConflictError
// (ErrPoolConflict) when a pool id belongs to another node; on error nothing
// changes.
func (r *Registry) Register(n NodeSpec) (replaced bool, err error) {
	if err := validateNode(&n); err != nil {
		return false, err
	}
	spec := cloneNodeSpec(n)

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ps := range spec.Pools {
		if p, ok := r.pools[ps.PoolID]; ok && p.node.spec.NodeID != spec.NodeID {
			return false, &PoolConflictError{PoolID: ps.PoolID, Owner: p.node.spec.NodeID}
		}
	}
	now := r.now()
	old, replaced := r.nodes[spec.NodeID]
	var held map[string]Control
	if replaced {
		for _, p := range old.pools {
			if p.control != (Control{}) {
				if held == nil {
					held = make(map[string]Control)
				}
				held[p.spec.PoolID] = p.control
			}
		}
		r.removeLocked(old)
	}
	nd := &node{spec: spec, online: true, lastHeartbeat: now, registeredAt: now}
	nd.pools = make([]*pool, 0, len(spec.Pools))
	for _, ps := range spec.Pools {
		p := &pool{spec: ps, node: nd, updatedAt: now, control: held[ps.PoolID]}
		nd.pools = append(nd.pools, p)
		r.pools[ps.PoolID] = p
		i, _ := slices.BinarySearchFunc(r.poolOrder, ps.PoolID, comparePoolID)
		r.poolOrder = slices.Insert(r.poolOrder, i, p)
	}
	slices.SortFunc(nd.pools, func(a, b *pool) int { return cmp.Compare(a.spec.PoolID, b.spec.PoolID) })
	r.nodes[spec.NodeID] = nd
	i, _ := slices.BinarySearchFunc(r.nodeOrder, spec.NodeID, compareNodeID)
	r.nodeOrder = slices.Insert(r.nodeOrder, i, nd)
	r.online++
	r.layout = r.nextVersion()
	r.changedLocked()
	return replaced, nil
}

// Deregister removes a node and its pools; ErrUnknownNode when it is not
// registered.
func (r *Registry) Deregister(nodeID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	nd, ok := r.nodes[nodeID]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownNode, nodeID)
	}
	r.removeLocked(nd)
	r.layout = r.nextVersion()
	r.changedLocked()
	return nil
}

// removeLocked drops nd and its pools from every index.
func (r *Registry) removeLocked(nd *node) {
	for _, p := range nd.pools {
		delete(r.pools, p.spec.PoolID)
	}
	if len(nd.pools) > 0 {
		r.poolOrder = slices.DeleteFunc(r.poolOrder, func(p *pool) bool { return p.node == nd })
	}
	if nd.online {
		r.online--
	}
	delete(r.nodes, nd.spec.NodeID)
	if i, ok := slices.BinarySearchFunc(r.nodeOrder, nd.spec.NodeID, compareNodeID); ok {
		r.nodeOrder = slices.Delete(r.nodeOrder, i, i+1)
	}
}

// Heartbeat records a heartbeat of a registered node: the node is online and
// each report replaces the last report of the pool it names. Reports naming
// a pool the node does not own are ignored. Errors: ErrUnknownNode (the node
// should register again), or a *ValidationError when a report is malformed,
// in which case nothing is applied.
func (r *Registry) Heartbeat(nodeID string, reports []PoolReport) error {
	for i := range reports {
		if err := validateReport(i, &reports[i]); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	nd, ok := r.nodes[nodeID]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownNode, nodeID)
	}
	now := r.now()
	next := r.nextVersion()
	nd.lastHeartbeat = now
	changed := false
	if !nd.online {
		nd.online = true
		r.online++
		changed = true
		nd.touch(next)
	}
	for i := range reports {
		p, ok := r.pools[reports[i].PoolID]
		if !ok || p.node != nd {
			continue
		}
		if p.apply(&reports[i], now) {
			changed = true
			p.changed = next
		}
	}
	if changed {
		r.changedLocked()
	}
	return nil
}

// Report records the result of a probe of one pool (the daemon probes static
// pools itself). rep.PoolID may be empty; when set it must equal poolID.
// Errors: ErrUnknownPool, or a *ValidationError.
func (r *Registry) Report(poolID string, rep PoolReport) error {
	if rep.PoolID != "" && rep.PoolID != poolID {
		return invalid("report.pool_id", fmt.Sprintf("does not match the pool %q", poolID))
	}
	if err := validateReport(-1, &rep); err != nil {
		return err
	}
	rep.PoolID = poolID
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pools[poolID]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownPool, poolID)
	}
	if p.apply(&rep, r.now()) {
		p.changed = r.nextVersion()
		r.changedLocked()
	}
	return nil
}

// apply stores rep as the pool's last report and reports whether anything
// but the timestamp changed. The models slice is copied only when it differs,
// so a steady heartbeat allocates nothing.
func (p *pool) apply(rep *PoolReport, now time.Time) bool {
	p.updatedAt = now
	models := p.report.ModelsAvailable
	sameModels := slices.Equal(models, rep.ModelsAvailable)
	if p.reported && sameModels && sameScalars(&p.report, rep) {
		return false
	}
	if !sameModels {
		models = slices.Clone(rep.ModelsAvailable)
	}
	p.report = *rep
	p.report.ModelsAvailable = models
	p.reported = true
	return true
}

func sameScalars(a, b *PoolReport) bool {
	return a.Ready == b.Ready && a.Draining == b.Draining && a.SlotsFree == b.SlotsFree &&
		a.SlotsTotal == b.SlotsTotal && a.VRAMFreeBytes == b.VRAMFreeBytes &&
		a.EngineVersion == b.EngineVersion && a.LastError == b.LastError
}

// Expire marks offline every node that is not static and whose last
// heartbeat is older than the timeout, and returns their ids, sorted. The
// caller runs it periodically; a node comes back with its next heartbeat.
func (r *Registry) Expire() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var expired []string
	for _, nd := range r.nodeOrder {
		if nd.online && !nd.spec.Static && now.Sub(nd.lastHeartbeat) > r.timeout {
			nd.online = false
			r.online--
			nd.touch(r.nextVersion())
			expired = append(expired, nd.spec.NodeID)
		}
	}
	if len(expired) > 0 {
		r.changedLocked()
	}
	return expired
}

// Online returns the number of nodes online, static nodes included.
func (r *Registry) Online() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.online
}

// Version returns a counter that increments on every change of state, so a
// caller can keep a snapshot until the version moves.
func (r *Registry) Version() uint64 { return r.version.Load() }

// Subscribe returns a channel with a buffer of one that receives a signal,
// without blocking the registry, after every change counted by Version;
// several changes may collapse into one signal. cancel unsubscribes (it is
// idempotent); the channel is never closed.
func (r *Registry) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.mu.Lock()
	id := r.nextSub
	r.nextSub++
	r.subs[id] = ch
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.subs, id)
		r.mu.Unlock()
	}
}

// nextVersion is the version the change being made will have. r.mu is held
// for writing.
func (r *Registry) nextVersion() uint64 { return r.version.Load() + 1 }

// touch marks every pool of nd changed at version v (the node went online or
// offline).
func (nd *node) touch(v uint64) {
	for _, p := range nd.pools {
		p.changed = v
	}
}

func (r *Registry) changedLocked() {
	r.version.Add(1)
	for _, ch := range r.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func comparePoolID(p *pool, id string) int { return cmp.Compare(p.spec.PoolID, id) }
func compareNodeID(n *node, id string) int { return cmp.Compare(n.spec.NodeID, id) }

// cloneNodeSpec copies every slice of n so the registry owns its state.
func cloneNodeSpec(n NodeSpec) NodeSpec {
	n.GPUs = slices.Clone(n.GPUs)
	n.Pools = slices.Clone(n.Pools)
	for i := range n.Pools {
		n.Pools[i].Models = slices.Clone(n.Pools[i].Models)
	}
	return n
}
