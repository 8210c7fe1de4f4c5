package nodeapi

// Node returns a snapshot of one node.
func (r *Registry) Node(id string) (NodeView, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	nd, ok := r.nodes[id]
	if !ok {
		return NodeView{}, false
	}
	return nd.view(), true
}

// Nodes returns a snapshot of every node, sorted by NodeID.
func (r *Registry) Nodes() []NodeView {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]NodeView, len(r.nodeOrder))
	for i, nd := range r.nodeOrder {
		out[i] = nd.view()
	}
	return out
}

// Pool returns a snapshot of one pool.
func (r *Registry) Pool(id string) (PoolView, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.pools[id]
	if !ok {
		return PoolView{}, false
	}
	return p.view(), true
}

// Pools returns a snapshot of every pool, sorted by PoolID.
func (r *Registry) Pools() []PoolView {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]PoolView, len(r.poolOrder))
	for i, p := range r.poolOrder {
		out[i] = p.view()
	}
	return out
}

// PoolsSince returns a snapshot of the pools whose view changed after
// version since (a report that differs, the node going online or offline, a
// Control change; not a bare timestamp), sorted by PoolID, and the version
// the snapshot reflects. When the set of pools itself changed after since (a
// node registered, was replaced or left), or since is 0, full is true and
// views holds every pool, as Pools does. A caller that keeps the views of
// Pools brings them up to date with the changed ones instead of copying
// every pool on every change.
func (r *Registry) PoolsSince(since uint64) (views []PoolView, version uint64, full bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	version = r.version.Load()
	if since == 0 || r.layout > since {
		views = make([]PoolView, len(r.poolOrder))
		for i, p := range r.poolOrder {
			views[i] = p.view()
		}
		return views, version, true
	}
	for _, p := range r.poolOrder {
		if p.changed > since {
			views = append(views, p.view())
		}
	}
	return views, version, false
}

func (p *pool) view() PoolView {
	return PoolView{
		PoolSpec:  p.spec,
		NodeID:    p.node.spec.NodeID,
		Online:    p.node.online,
		Report:    p.report,
		Reported:  p.reported,
		UpdatedAt: p.updatedAt,
		Control:   p.control,
	}
}

func (nd *node) view() NodeView {
	v := NodeView{
		NodeSpec:      nd.spec,
		Online:        nd.online,
		LastHeartbeat: nd.lastHeartbeat,
		RegisteredAt:  nd.registeredAt,
		Pools:         make([]PoolView, len(nd.pools)),
	}
	for i, p := range nd.pools {
		v.Pools[i] = p.view()
	}
	return v
}
