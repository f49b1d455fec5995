//! Prometheus metrics, on an explicit registry, served at `GET /metrics` (OpenMetrics text).
//!
//! Kept by the controller as it runs:
//! - `cxqueues_reconciles_total{trigger, result}` and `cxqueues_reconcile_duration_seconds`;
//! - `cxqueues_conflicts_retried_total` (409s met and retried by apply) and
//!   `cxqueues_drift_corrections_total` (queues set back after a drift);
//! - `cxqueues_drift_queues{tenant}` and `cxqueues_drift_fields{tenant}` (gauges: drift not
//!   corrected as of the last run) and `cxqueues_drift_detected_total{tenant}` (new drifts).
//!
//! Read at scrape time (a collector):
//! - `cxqueues_api_requests_total{endpoint, status}`, `cxqueues_api_retries_total{endpoint}`,
//!   `cxqueues_rate_limit_waits_total`, `cxqueues_token_requests_total`, from the client's
//!   counters;
//! - `cxqueues_queues{state}` (in_sync, drifted, failed), `cxqueues_ready`, and
//!   `cxqueues_last_reconciled_commit_info{commit, branch, result}`, from the status;
//! - `cxqueues_build_info{version}` (always 1);
//! - `cxqueues_last_successful_reconcile_timestamp_seconds`: when a reconcile last ended
//!   applied or in sync (absent before the first);
//! - `cxqueues_webhook_events{state}` (pending, dead): the webhook outbox, when
//!   [`Metrics::with_outbox`] gave it.
//! - with `--git-url`: `cxqueues_git_fetches_total{result}` and
//!   `cxqueues_git_history_rewrites_total` (kept by the fetch loop),
//!   `cxqueues_git_pushes_total{result}` (the optimize branch pushed, ok or failed),
//!   `cxqueues_git_fetch_consecutive_failures` (from the status);
//! - `cxqueues_leader`: 1 on the runner that writes to the tenant (the Lease holder, or the
//!   only runner without `--leader-elect`), 0 on a standby.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use std::sync::atomic::{AtomicU64, Ordering};

use super::TriggerKind;
use super::status::{RunResult, SharedStatus};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabels {
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    trigger: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OptimizeLabels {
    result: &'static str,
}

/// The outcome of one scheduled optimization (`run --optimize-every`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizeResult {
    /// A new proposal was committed (and recorded).
    Proposed,
    /// The proposal equals the previous one, or the followed branch already holds it.
    Unchanged,
    /// No queue had traffic in the window.
    NoTraffic,
    /// The metrics could not be read or the proposal could not be made.
    Failed,
}

impl OptimizeResult {
    pub const ALL: [OptimizeResult; 4] = [
        OptimizeResult::Proposed,
        OptimizeResult::Unchanged,
        OptimizeResult::NoTraffic,
        OptimizeResult::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OptimizeResult::Proposed => "proposed",
            OptimizeResult::Unchanged => "unchanged",
            OptimizeResult::NoTraffic => "no_traffic",
            OptimizeResult::Failed => "failed",
        }
    }
}

/// The metrics the controller updates, and the registry that serves them.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    reconciles: Family<RunLabels, Counter>,
    duration: Histogram,
    conflicts: Counter,
    drift_corrections: Counter,
    drift_queues: Family<TenantLabels, Gauge>,
    drift_fields: Family<TenantLabels, Gauge>,
    drift_detected: Family<TenantLabels, Counter>,
    optimize_runs: Family<OptimizeLabels, Counter>,
    /// Milliseconds since the Unix epoch of the last successful reconcile; 0: none yet.
    last_success: Arc<AtomicU64>,
    fetches: Family<FetchLabels, Counter>,
    rewrites: Counter,
    pushes: Family<FetchLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    result: &'static str,
}

/// How many webhook events wait in the outbox and how many are dead letters, read at each
/// scrape.
pub type OutboxCounts = Box<dyn Fn() -> (usize, usize) + Send + Sync>;

impl Metrics {
    /// A registry with every metric; the tenant client's counters (`stats`) and `status` are
    /// read at each scrape.
    pub(crate) fn new(stats: ClientStatsSource, status: SharedStatus) -> Self {
        let mut registry = Registry::default();
        let reconciles = Family::<RunLabels, Counter>::default();
        registry.register(
            "cxqueues_reconciles",
            "Reconciles, by trigger (commit, manual, retry, resync) and result (applied, in_sync, drifted, invalid, failed)",
            reconciles.clone(),
        );
        let duration = Histogram::new(exponential_buckets(0.005, 2.0, 16));
        registry.register(
            "cxqueues_reconcile_duration_seconds",
            "How long a reconcile took, reading git and the tenant included",
            duration.clone(),
        );
        let conflicts = Counter::default();
        registry.register(
            "cxqueues_conflicts_retried",
            "Version conflicts (409) met while applying, each re-read and retried",
            conflicts.clone(),
        );
        let drift_corrections = Counter::default();
        registry.register(
            "cxqueues_drift_corrections",
            "Queues written back to the repository's values after they drifted",
            drift_corrections.clone(),
        );
        let drift_queues = Family::<TenantLabels, Gauge>::default();
        registry.register(
            "cxqueues_drift_queues",
            "Queues whose tenant copy differs from the repository and is not corrected (drift mode warn, or held by a window)",
            drift_queues.clone(),
        );
        let drift_fields = Family::<TenantLabels, Gauge>::default();
        registry.register(
            "cxqueues_drift_fields",
            "Fields of those queues that differ",
            drift_fields.clone(),
        );
        let drift_detected = Family::<TenantLabels, Counter>::default();
        registry.register(
            "cxqueues_drift_detected",
            "Drifts found that differ from the last one reported for their queue",
            drift_detected.clone(),
        );
        let optimize_runs = Family::<OptimizeLabels, Counter>::default();
        registry.register(
            "cxqueues_optimize_runs",
            "Scheduled optimizations (run --optimize-every), by result (proposed, unchanged, no_traffic, failed)",
            optimize_runs.clone(),
        );
        for r in OptimizeResult::ALL {
            let _ = optimize_runs.get_or_create(&OptimizeLabels { result: r.as_str() });
        }
        let last_success = Arc::new(AtomicU64::new(0));
        let fetches = Family::<FetchLabels, Counter>::default();
        registry.register(
            "cxqueues_git_fetches",
            "Fetches of the remote repository (--git-url), by result (ok, failed)",
            fetches.clone(),
        );
        let rewrites = Counter::default();
        registry.register(
            "cxqueues_git_history_rewrites",
            "Fetches whose new head does not descend from the old one (force-pushes followed)",
            rewrites.clone(),
        );
        let pushes = Family::<FetchLabels, Counter>::default();
        registry.register(
            "cxqueues_git_pushes",
            "Pushes of the optimize branch to the remote repository (--git-url), by result (ok, failed); a failed push is not retried",
            pushes.clone(),
        );
        registry.register_collector(Box::new(Scraped {
            stats,
            status,
            last_success: last_success.clone(),
        }));
        // The zero series of the common outcomes, so that a rate() works from the start.
        for trigger in [TriggerKind::Commit, TriggerKind::Resync] {
            for result in [RunResult::Applied, RunResult::InSync, RunResult::Failed] {
                let _ = reconciles.get_or_create(&RunLabels {
                    trigger: trigger.as_str(),
                    result: result.as_str(),
                });
            }
        }
        Self {
            registry,
            reconciles,
            duration,
            conflicts,
            drift_corrections,
            drift_queues,
            drift_fields,
            drift_detected,
            optimize_runs,
            last_success,
            fetches,
            rewrites,
            pushes,
        }
    }

    /// The drift gauges of a tenant (`metadata.name`), as of the last run.
    pub fn set_drift(&self, tenant: &str, queues: i64, fields: i64) {
        let labels = TenantLabels {
            tenant: tenant.to_string(),
        };
        self.drift_queues.get_or_create(&labels).set(queues);
        self.drift_fields.get_or_create(&labels).set(fields);
    }

    /// Counts drifts not reported before.
    pub fn add_drift_detected(&self, tenant: &str, n: u64) {
        self.drift_detected
            .get_or_create(&TenantLabels {
                tenant: tenant.to_string(),
            })
            .inc_by(n);
    }

    /// Counts one scheduled optimization.
    pub fn observe_optimize(&self, result: OptimizeResult) {
        self.optimize_runs
            .get_or_create(&OptimizeLabels {
                result: result.as_str(),
            })
            .inc();
    }

    /// Also serves the webhook outbox's counts, `(pending, dead)`, read at each scrape.
    pub fn with_outbox(mut self, counts: OutboxCounts) -> Self {
        self.registry.register_collector(Box::new(Outbox(counts)));
        self
    }

    /// Counts one fetch of the remote.
    pub fn observe_fetch(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.fetches.get_or_create(&FetchLabels { result }).inc();
    }

    /// Counts one push of the optimize branch.
    pub fn observe_push(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.pushes.get_or_create(&FetchLabels { result }).inc();
    }

    /// Counts one rewritten history followed.
    pub fn observe_rewrite(&self) {
        self.rewrites.inc();
    }

    /// Counts one finished run.
    pub(crate) fn observe_run(&self, trigger: TriggerKind, result: RunResult, seconds: f64) {
        self.reconciles
            .get_or_create(&RunLabels {
                trigger: trigger.as_str(),
                result: result.as_str(),
            })
            .inc();
        self.duration.observe(seconds);
        if matches!(result, RunResult::Applied | RunResult::InSync) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            self.last_success.store(now.max(1), Ordering::SeqCst);
        }
    }

    pub(crate) fn add_conflicts(&self, n: u64) {
        self.conflicts.inc_by(n);
    }

    pub(crate) fn add_drift_corrections(&self, n: u64) {
        self.drift_corrections.inc_by(n);
    }

    /// The OpenMetrics text exposition.
    pub(crate) fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The content type of [`Metrics::encode`].
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Where a scrape reads the tenant client's counters (`Tenant::stats` of the client in use).
pub(crate) type ClientStatsSource = Arc<dyn Fn() -> tenant::ClientStats + Send + Sync>;

/// The counters of `client` at each scrape.
pub(crate) fn stats_of<T: tenant::Tenant + 'static>(client: T) -> ClientStatsSource {
    Arc::new(move || client.stats())
}

/// Metrics read at scrape time.
struct Scraped {
    stats: ClientStatsSource,
    status: SharedStatus,
    last_success: Arc<AtomicU64>,
}

/// The webhook outbox's counts, read at scrape time.
struct Outbox(OutboxCounts);

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbox")
    }
}

impl Collector for Outbox {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (pending, dead) = (self.0)();
        let mut m = encoder.encode_descriptor(
            "cxqueues_webhook_events",
            "Webhook events in the outbox: waiting for delivery (pending) or given up (dead, until `cxqueues webhooks retry`).",
            None,
            MetricType::Gauge,
        )?;
        for (state, n) in [("pending", pending), ("dead", dead)] {
            ConstGauge::new(n as i64).encode(m.encode_family(&[("state", state)])?)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Scraped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scraped").finish_non_exhaustive()
    }
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = (self.stats)();
        {
            let mut m = encoder.encode_descriptor(
                "cxqueues_api_requests",
                "Requests sent to the tenant API, by endpoint and HTTP status (`error`: no answer).",
                None,
                MetricType::Counter,
            )?;
            for (endpoint, by_status) in &stats.requests {
                for (status, n) in by_status {
                    let labels = [("endpoint", endpoint.as_str()), ("status", status.as_str())];
                    ConstCounter::new(*n).encode(m.encode_family(&labels)?)?;
                }
            }
        }
        {
            let mut m = encoder.encode_descriptor(
                "cxqueues_api_retries",
                "Requests to the tenant API sent again (throttled or failed), by endpoint.",
                None,
                MetricType::Counter,
            )?;
            for (endpoint, n) in &stats.retries {
                let labels = [("endpoint", endpoint.as_str())];
                ConstCounter::new(*n).encode(m.encode_family(&labels)?)?;
            }
        }
        let m = encoder.encode_descriptor(
            "cxqueues_rate_limit_waits",
            "Requests that waited for the client-side rate limit.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(stats.rate_limit_waits).encode(m)?;
        let m = encoder.encode_descriptor(
            "cxqueues_token_requests",
            "OAuth token requests sent.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(stats.token_requests).encode(m)?;

        let mut m = encoder.encode_descriptor(
            "cxqueues_build",
            "The running cxqueues: its version.",
            None,
            MetricType::Info,
        )?;
        m.encode_info(&[("version", env!("CARGO_PKG_VERSION"))])?;
        let last = self.last_success.load(Ordering::SeqCst);
        if last > 0 {
            let m = encoder.encode_descriptor(
                "cxqueues_last_successful_reconcile_timestamp_seconds",
                "When a reconcile last ended applied or in sync (Unix time).",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(last as f64 / 1000.0).encode(m)?;
        }
        let status = self.status.read();
        {
            let mut m = encoder.encode_descriptor(
                "cxqueues_queues",
                "Queues of the repository by state against the tenant.",
                None,
                MetricType::Gauge,
            )?;
            for (state, n) in status.queue_counts() {
                let labels = [("state", state)];
                ConstGauge::new(n as i64).encode(m.encode_family(&labels)?)?;
            }
        }
        let m = encoder.encode_descriptor(
            "cxqueues_ready",
            "1 once a reconcile has completed.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(
            status.ready && status.not_ready_reason().is_none(),
        ))
        .encode(m)?;
        let m = encoder.encode_descriptor(
            "cxqueues_leader",
            "1 on the runner that writes to the tenant (the Lease holder), 0 on a standby.",
            None,
            MetricType::Gauge,
        )?;
        let leads = status.role != Some(super::status::Role::Standby);
        ConstGauge::new(i64::from(leads)).encode(m)?;
        if let Some(remote) = &status.remote {
            let m = encoder.encode_descriptor(
                "cxqueues_git_fetch_consecutive_failures",
                "Fetches of the remote that failed in a row (0 after a good one).",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(i64::from(remote.consecutive_failures)).encode(m)?;
        }
        if let Some(commit) = &status.commit {
            let mut m = encoder.encode_descriptor(
                "cxqueues_last_reconciled_commit",
                "The commit last reconciled, its branch and result.",
                None,
                MetricType::Info,
            )?;
            let labels = [
                ("commit", commit.id.as_str()),
                ("branch", status.branch.as_str()),
                ("result", status.result.map_or("none", RunResult::as_str)),
            ];
            m.encode_info(&labels)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::status::Status;

    fn metrics() -> Metrics {
        let cfg = routing_api::ClientConfig::new(
            "http://127.0.0.1:9",
            "id",
            tenant::Secret::new("s".to_string()),
        );
        let client = routing_api::HttpTenant::new(cfg).unwrap();
        let status = SharedStatus::new(Status::new("main", true));
        Metrics::new(stats_of(client), status).with_outbox(Box::new(|| (3, 1)))
    }

    /// The value of the sample that starts with `series` (name and labels), if any.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn build_info_the_last_successful_reconcile_and_the_outbox_are_served() {
        let m = metrics();
        let before = m.encode().unwrap();
        let version = format!(
            "cxqueues_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(sample(&before, &version), Some(1.0), "{before}");
        assert_eq!(
            sample(&before, "cxqueues_webhook_events{state=\"pending\"}"),
            Some(3.0)
        );
        assert_eq!(
            sample(&before, "cxqueues_webhook_events{state=\"dead\"}"),
            Some(1.0)
        );
        let last = "cxqueues_last_successful_reconcile_timestamp_seconds";
        assert_eq!(sample(&before, last), None, "none before the first success");
        m.observe_run(TriggerKind::Commit, RunResult::Failed, 0.1);
        assert_eq!(
            sample(&m.encode().unwrap(), last),
            None,
            "a failure is no success"
        );
        m.observe_run(TriggerKind::Commit, RunResult::Applied, 0.1);
        let after = sample(&m.encode().unwrap(), last).expect("set by a success");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(after > now - 60.0 && after <= now + 1.0, "{after} vs {now}");
    }
}
