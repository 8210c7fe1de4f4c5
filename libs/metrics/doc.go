// Package metrics defines every Prometheus series of orchestratord (api.md
// §8) on a caller-owned prometheus.Registerer, with typed helpers so a label
// set cannot be misspelled.
//
// Closed label sets (engine, priority, outcome, reasons, policy) are small
// string types with constants; a value outside the set is recorded as
// "other" instead of growing cardinality. pool_id and model_id values are
// bounded by the caller: pass only registered pools and catalog models, and
// call ForgetPool / ForgetModel when one leaves.
//
// Series of the closed sets are created at zero by New, so they are exported
// before their first event. The token path takes a PoolSeries handle once per
// task and records through it without allocating.
//
// Import rule: this package imports only the standard library and
// github.com/prometheus/client_golang; it never imports another lib or the
// daemon, and never touches the global registry.
package metrics
