//! Leader election with a `coordination.k8s.io/v1` Lease (`run --leader-elect`), by
//! client-go's rules, and the fence that keeps a stale leader from writing.
//!
//! - Every retry period, [`Elector::try_acquire_or_renew`] reads the Lease. A Lease held by
//!   someone else is left alone until it has not changed for a whole lease duration **by this
//!   process's own monotonic clock** (the holder's `renewTime` is never compared with our
//!   clock, so clock skew cannot shorten a lease). A free, expired or own Lease is written with
//!   `resourceVersion` compare-and-swap (`PUT`): a 409 means someone else moved it first.
//!   A new holder increments `leaseTransitions`, the *term*.
//! - [`Fence`]: the leader may write to the tenant only while its last successful renewal is
//!   younger than the renew deadline, by its monotonic clock. [`Fence::check`] runs before each
//!   tenant write; a leader that was paused (SIGSTOP, a frozen node) wakes with an old renewal
//!   and writes nothing more. The renew deadline is shorter than the lease duration, so a
//!   write that passed the check happened before any standby could take the Lease.
//! - The leader writes its address into the annotation `cxqueues.io/endpoint`; standbys forward
//!   the trigger routes there.
//! - [`Elector::release`] (on SIGTERM, after the write in flight) empties the holder, so that a
//!   standby takes over at its next retry.
//! - The cluster is found as client-go does: the in-cluster service account, else
//!   `KUBECONFIG` (a plain `http://` server only on loopback).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, PostParams};
use tenant::{Capabilities, ClientStats, Listed, Queue, Skill, Tenant, TenantError};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::status::{LeaseStatus, Role, SharedStatus};
use super::{Trigger, TriggerKind};

/// The annotation that holds the leader's reachable address (`http://POD_IP:PORT`).
pub const ENDPOINT_ANNOTATION: &str = "cxqueues.io/endpoint";

/// What can go wrong with the Lease.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("finding the Kubernetes API: {0}")]
    Config(String),
    #[error("the Kubernetes API: {0}")]
    Api(String),
    #[error("the Lease was changed by someone else first (409)")]
    Conflict,
    #[error("the Kubernetes API did not answer within {0:?}")]
    Timeout(Duration),
}

pub use crate::recorder::audit::LeaseTerm;

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fenced {
    #[error("not the leader: the Lease is held by {}", holder.as_deref().unwrap_or("nobody"))]
    NotLeader { holder: Option<String> },
    #[error(
        "the Lease was last renewed {}ms ago, past the renew deadline of {}ms: this runner may no longer be the leader, so it writes nothing",
        since.as_millis(),
        deadline.as_millis()
    )]
    Stale { since: Duration, deadline: Duration },
}

#[derive(Debug, Default)]
struct FenceState {
    /// The last successful renewal (monotonic) and the term, while leading.
    leading: Option<(Instant, LeaseTerm)>,
    /// The holder last seen, while standing by.
    holder: Option<String>,
}

/// The leader's right to write, judged by its own monotonic clock. Without election
/// ([`Fence::open`]) every write may go.
#[derive(Clone, Debug)]
pub struct Fence {
    inner: Option<Arc<Mutex<FenceState>>>,
    renew_deadline: Duration,
}

impl Fence {
    /// No election: the runner is the only writer.
    pub fn open() -> Self {
        Self {
            inner: None,
            renew_deadline: Duration::MAX,
        }
    }

    /// A fence closed until the first successful acquisition.
    pub fn elected(renew_deadline: Duration) -> Self {
        Self {
            inner: Some(Arc::default()),
            renew_deadline,
        }
    }

    fn state(&self) -> Option<std::sync::MutexGuard<'_, FenceState>> {
        self.inner
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Before each tenant write: the term to name in the audit intent (`None` without
    /// election), or why the write may not go.
    pub fn check(&self) -> Result<Option<LeaseTerm>, Fenced> {
        let Some(st) = self.state() else {
            return Ok(None);
        };
        match &st.leading {
            Some((at, term)) => {
                let since = at.elapsed();
                if since < self.renew_deadline {
                    Ok(Some(term.clone()))
                } else {
                    Err(Fenced::Stale {
                        since,
                        deadline: self.renew_deadline,
                    })
                }
            }
            None => Err(Fenced::NotLeader {
                holder: st.holder.clone(),
            }),
        }
    }

    /// Whether this runner leads now (by the same rule as [`Fence::check`]).
    pub fn leads(&self) -> bool {
        self.check().is_ok()
    }

    /// The holder last seen (for a standby's answers).
    pub fn holder(&self) -> Option<String> {
        self.state().and_then(|s| {
            s.leading
                .as_ref()
                .map(|(_, t)| t.holder.clone())
                .or_else(|| s.holder.clone())
        })
    }

    fn renewed(&self, at: Instant, term: LeaseTerm) {
        if let Some(mut st) = self.state() {
            st.leading = Some((at, term));
            st.holder = None;
        }
    }

    fn stand_by(&self, holder: Option<String>) {
        if let Some(mut st) = self.state() {
            st.leading = None;
            st.holder = holder;
        }
    }
}

/// `run --leader-elect`'s settings.
#[derive(Clone, Debug)]
pub struct ElectionConfig {
    pub lease_name: String,
    pub namespace: String,
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
    /// This runner's address for the trigger routes (`http://POD_IP:PORT`).
    pub endpoint: Option<String>,
}

impl ElectionConfig {
    /// client-go's constraints: lease duration > renew deadline > retry period × 1.2.
    pub fn validate(&self) -> Result<(), String> {
        if self.lease_duration <= self.renew_deadline {
            return Err(format!(
                "--leader-elect-lease-duration ({:?}) must be longer than --leader-elect-renew-deadline ({:?})",
                self.lease_duration, self.renew_deadline
            ));
        }
        if self.renew_deadline.as_secs_f64() <= self.retry_period.as_secs_f64() * JITTER {
            return Err(format!(
                "--leader-elect-renew-deadline ({:?}) must be longer than 1.2 × --leader-elect-retry-period ({:?})",
                self.renew_deadline, self.retry_period
            ));
        }
        Ok(())
    }
}

/// client-go's jitter factor for the retry period.
const JITTER: f64 = 1.2;

/// A Lease name from a tenant name: DNS-1123 (lower case letters, digits and `-`, at most
/// 63 characters, starting and ending with an alphanumeric), prefixed `cxqueues-`.
pub fn default_lease_name(tenant: &str) -> String {
    let mut name = String::from("cxqueues-");
    let mut dash = true;
    for c in tenant.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            name.push(c);
            dash = false;
        } else if !dash {
            name.push('-');
            dash = true;
        }
    }
    let mut name: String = name.chars().take(63).collect();
    while name.ends_with('-') {
        name.pop();
    }
    name
}

/// Whether `name` is a DNS-1123 label (what `--leader-elect-lease-name` must be).
pub fn is_dns1123_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The identity: `POD_NAME`, else the host name and the pid.
pub fn default_identity() -> String {
    if let Ok(pod) = std::env::var("POD_NAME")
        && !pod.trim().is_empty()
    {
        return pod.trim().to_string();
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "cxqueues".to_string());
    format!("{host}_{}", std::process::id())
}

/// Connects to the cluster as client-go does: the in-cluster service account when the pod
/// has one, else `KUBECONFIG` (or `~/.kube/config`). Returns the client and the namespace:
/// `POD_NAMESPACE`, else the service account's, else the kubeconfig context's.
pub async fn connect() -> Result<(kube::Client, String), LeaseError> {
    // One TLS stack: rustls with ring, as the adapters use.
    tenant::http::install_crypto_provider();
    let config = if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        kube::Config::incluster().map_err(|e| LeaseError::Config(e.to_string()))?
    } else {
        kube::Config::from_kubeconfig(&kube::config::KubeConfigOptions::default())
            .await
            .map_err(|e| LeaseError::Config(e.to_string()))?
    };
    let url = config.cluster_url.to_string();
    if url.starts_with("http://") {
        let parsed = url::Url::parse(&url).map_err(|e| LeaseError::Config(e.to_string()))?;
        if !tenant::endpoint::is_loopback(&parsed) {
            return Err(LeaseError::Config(format!(
                "the API server {url} is plain http:// to a host that is not this machine: use https://"
            )));
        }
    }
    let namespace = std::env::var("POD_NAMESPACE")
        .ok()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = kube::Client::try_from(config).map_err(|e| LeaseError::Config(e.to_string()))?;
    Ok((client, namespace))
}

/// What this process remembers of the Lease between attempts.
#[derive(Clone, Debug)]
struct Observed {
    /// The record as last read: holder, renew time, transitions (what "changed" compares).
    record: (Option<String>, Option<MicroTime>, i32),
    /// When we saw it change, by our clock.
    at: Instant,
}

/// A tenant whose writes pass [`Fence::check`] first: a refused write is
/// [`TenantError::Fenced`] and nothing is sent. Reads go straight through.
#[derive(Debug)]
pub struct FencedTenant<'a, T> {
    inner: &'a T,
    fence: &'a Fence,
}

impl<'a, T> FencedTenant<'a, T> {
    pub fn new(inner: &'a T, fence: &'a Fence) -> Self {
        Self { inner, fence }
    }

    fn guard(&self) -> Result<(), TenantError> {
        self.fence
            .check()
            .map(|_| ())
            .map_err(|e| TenantError::Fenced(e.to_string()))
    }
}

impl<T: Tenant> Tenant for FencedTenant<'_, T> {
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
        self.inner.listing().await
    }

    async fn list_queues(&self) -> Result<Vec<Queue>, TenantError> {
        self.inner.list_queues().await
    }

    async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
        self.inner.get_queue(id).await
    }

    async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        self.guard()?;
        self.inner.create_queue(queue).await
    }

    async fn update_queue(
        &self,
        id: &str,
        base: &Queue,
        queue: &Queue,
        if_match: Option<u64>,
    ) -> Result<Queue, TenantError> {
        self.guard()?;
        self.inner.update_queue(id, base, queue, if_match).await
    }

    async fn delete_queue(&self, id: &str, if_match: Option<u64>) -> Result<(), TenantError> {
        self.guard()?;
        self.inner.delete_queue(id, if_match).await
    }

    async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
        self.inner.list_skills().await
    }

    async fn queue_metrics(
        &self,
        query: &tenant::MetricsQuery,
    ) -> Result<Vec<tenant::QueueMetrics>, TenantError> {
        self.inner.queue_metrics(query).await
    }

    fn actor(&self) -> Option<&str> {
        self.inner.actor()
    }

    fn stats(&self) -> ClientStats {
        self.inner.stats()
    }
}

/// The elector: one per runner.
#[derive(Debug)]
pub struct Elector {
    cfg: ElectionConfig,
    api: Api<Lease>,
    fence: Fence,
    observed: Mutex<Option<Observed>>,
}

/// What one attempt found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub leading: bool,
    pub status: LeaseStatus,
}

fn record_of(spec: &LeaseSpec) -> (Option<String>, Option<MicroTime>, i32) {
    (
        spec.holder_identity.clone().filter(|h| !h.is_empty()),
        spec.renew_time.clone(),
        spec.lease_transitions.unwrap_or(0),
    )
}

fn api_error(e: kube::Error) -> LeaseError {
    match &e {
        kube::Error::Api(s) if s.code == 409 => LeaseError::Conflict,
        _ => LeaseError::Api(e.to_string()),
    }
}

/// One API call, bounded by `limit`.
async fn bounded<T>(
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, kube::Error>>,
) -> Result<T, LeaseError> {
    tokio::time::timeout(limit, call)
        .await
        .map_err(|_| LeaseError::Timeout(limit))?
        .map_err(api_error)
}

impl Elector {
    pub fn new(cfg: ElectionConfig, client: kube::Client) -> Self {
        let api = Api::namespaced(client, &cfg.namespace);
        let fence = Fence::elected(cfg.renew_deadline);
        Self {
            cfg,
            api,
            fence,
            observed: Mutex::new(None),
        }
    }

    pub fn fence(&self) -> Fence {
        self.fence.clone()
    }

    pub fn config(&self) -> &ElectionConfig {
        &self.cfg
    }

    fn status_of(&self, lease: Option<&Lease>) -> LeaseStatus {
        let spec = lease.and_then(|l| l.spec.as_ref());
        LeaseStatus {
            name: self.cfg.lease_name.clone(),
            namespace: self.cfg.namespace.clone(),
            identity: self.cfg.identity.clone(),
            holder: spec
                .and_then(|s| s.holder_identity.clone())
                .filter(|h| !h.is_empty()),
            term: spec.and_then(|s| s.lease_transitions).unwrap_or(0),
            leader_endpoint: lease
                .and_then(|l| l.metadata.annotations.as_ref())
                .and_then(|a| a.get(ENDPOINT_ANNOTATION).cloned()),
        }
    }

    fn desired(&self, base: Option<&Lease>, transitions: i32, acquire: Option<MicroTime>) -> Lease {
        let now = MicroTime(k8s_openapi::jiff::Timestamp::now());
        let mut meta = base
            .map(|l| l.metadata.clone())
            .unwrap_or_else(|| ObjectMeta {
                name: Some(self.cfg.lease_name.clone()),
                namespace: Some(self.cfg.namespace.clone()),
                ..ObjectMeta::default()
            });
        let annotations = meta.annotations.get_or_insert_with(Default::default);
        match &self.cfg.endpoint {
            Some(e) => {
                annotations.insert(ENDPOINT_ANNOTATION.to_string(), e.clone());
            }
            None => {
                annotations.remove(ENDPOINT_ANNOTATION);
            }
        }
        Lease {
            metadata: meta,
            spec: Some(LeaseSpec {
                holder_identity: Some(self.cfg.identity.clone()),
                lease_duration_seconds: Some(
                    i32::try_from(self.cfg.lease_duration.as_secs().max(1)).unwrap_or(i32::MAX),
                ),
                acquire_time: Some(acquire.unwrap_or_else(|| now.clone())),
                renew_time: Some(now),
                lease_transitions: Some(transitions),
                ..LeaseSpec::default()
            }),
        }
    }

    /// One round of client-go's `tryAcquireOrRenew`: `Ok(true)` when this runner holds the
    /// Lease afterwards. Each API call is bounded by the retry period.
    pub async fn try_acquire_or_renew(&self) -> Result<Attempt, LeaseError> {
        let limit = self.cfg.retry_period.max(Duration::from_millis(500));
        let started = Instant::now();
        let current = bounded(limit, self.api.get_opt(&self.cfg.lease_name)).await?;
        let Some(current) = current else {
            let lease = self.desired(None, 0, None);
            let made = bounded(limit, self.api.create(&PostParams::default(), &lease)).await?;
            return Ok(self.won(&made, started));
        };
        let spec = current.spec.clone().unwrap_or_default();
        let record = record_of(&spec);
        let now = Instant::now();
        let observed_at = {
            let mut obs = self.observed.lock().unwrap_or_else(|p| p.into_inner());
            match obs.as_ref() {
                Some(o) if o.record == record => o.at,
                _ => {
                    *obs = Some(Observed {
                        record: record.clone(),
                        at: now,
                    });
                    now
                }
            }
        };
        let holder = record.0.clone();
        let mine = holder.as_deref() == Some(self.cfg.identity.as_str());
        let duration = spec
            .lease_duration_seconds
            .map(|s| Duration::from_secs(u64::try_from(s.max(0)).unwrap_or(0)))
            .unwrap_or(self.cfg.lease_duration);
        let expired = now.duration_since(observed_at) >= duration;
        if holder.is_some() && !mine && !expired {
            self.fence.stand_by(holder);
            return Ok(Attempt {
                leading: false,
                status: self.status_of(Some(&current)),
            });
        }
        let (transitions, acquire) = if mine {
            (record.2, spec.acquire_time.clone())
        } else {
            (record.2.saturating_add(1), None)
        };
        let lease = self.desired(Some(&current), transitions, acquire);
        let put = bounded(
            limit,
            self.api
                .replace(&self.cfg.lease_name, &PostParams::default(), &lease),
        )
        .await;
        match put {
            Ok(updated) => Ok(self.won(&updated, started)),
            Err(LeaseError::Conflict) => {
                if !mine {
                    self.fence.stand_by(holder);
                }
                Err(LeaseError::Conflict)
            }
            Err(e) => Err(e),
        }
    }

    /// Records a successful write of the Lease: the fence counts from when the attempt
    /// *started* (the server may have stored it any time after that).
    fn won(&self, lease: &Lease, started: Instant) -> Attempt {
        let spec = lease.spec.clone().unwrap_or_default();
        *self.observed.lock().unwrap_or_else(|p| p.into_inner()) = Some(Observed {
            record: record_of(&spec),
            at: started,
        });
        let term = spec.lease_transitions.unwrap_or(0);
        self.fence.renewed(
            started,
            LeaseTerm {
                holder: self.cfg.identity.clone(),
                term,
            },
        );
        Attempt {
            leading: true,
            status: self.status_of(Some(lease)),
        }
    }

    /// Gives the Lease up (holder emptied, duration 1 s), when this runner holds it, so that
    /// a standby takes over at its next retry. Writes nothing to the tenant afterwards.
    pub async fn release(&self) -> Result<bool, LeaseError> {
        let was_leading = self.fence.leads();
        self.fence.stand_by(None);
        if !was_leading {
            return Ok(false);
        }
        let limit = self.cfg.retry_period.max(Duration::from_secs(1));
        let current = bounded(limit, self.api.get_opt(&self.cfg.lease_name)).await?;
        let Some(mut lease) = current else {
            return Ok(false);
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.cfg.identity.as_str()) {
            return Ok(false);
        }
        let now = MicroTime(k8s_openapi::jiff::Timestamp::now());
        spec.holder_identity = Some(String::new());
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(now.clone());
        spec.acquire_time = Some(now);
        if let Some(a) = lease.metadata.annotations.as_mut() {
            a.remove(ENDPOINT_ANNOTATION);
        }
        bounded(
            limit,
            self.api
                .replace(&self.cfg.lease_name, &PostParams::default(), &lease),
        )
        .await?;
        Ok(true)
    }

    /// Tries every retry period until `shutdown`: acquires, renews, or stands by. Writes the
    /// role and the Lease into `status`; on becoming the leader sends a trigger (the new
    /// leader reconciles at once).
    pub async fn run(
        self: Arc<Self>,
        status: SharedStatus,
        triggers: mpsc::UnboundedSender<Trigger>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut leading = false;
        let mut last_error: Option<String> = None;
        loop {
            let attempt = self.try_acquire_or_renew().await;
            match &attempt {
                Ok(a) => {
                    last_error = None;
                    let mut st = status.write();
                    st.lease = Some(a.status.clone());
                    st.role = Some(if a.leading {
                        Role::Leader
                    } else {
                        Role::Standby
                    });
                    if !a.leading {
                        // A standby is ready once it has read the Lease.
                        st.ready = true;
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    if last_error.as_deref() != Some(text.as_str())
                        && !matches!(e, LeaseError::Conflict)
                    {
                        warn!(lease = %self.cfg.lease_name, error = %text, "cannot read or write the Lease");
                    }
                    last_error = Some(text);
                }
            }
            let now_leading = self.fence.leads();
            if now_leading && !leading {
                let term = self.fence.check().ok().flatten().map_or(0, |t| t.term);
                info!(lease = %self.cfg.lease_name, identity = %self.cfg.identity, term, "became the leader");
                status.write().role = Some(Role::Leader);
                let _ = triggers.send(Trigger::new(TriggerKind::Manual));
            } else if !now_leading && leading {
                // The holder as last read (not ourselves: our renewal is too old).
                let holder = status
                    .read()
                    .lease
                    .as_ref()
                    .and_then(|l| l.holder.clone())
                    .filter(|h| *h != self.cfg.identity);
                warn!(
                    lease = %self.cfg.lease_name,
                    holder = holder.as_deref().unwrap_or("unknown"),
                    "lost the Lease: standing by, writing nothing"
                );
                self.fence.stand_by(holder);
                status.write().role = Some(Role::Standby);
            }
            leading = now_leading;
            // client-go waits the retry period, jittered (×1.0–1.2) while not leading.
            let wait = if leading {
                self.cfg.retry_period
            } else {
                self.cfg
                    .retry_period
                    .mul_f64(1.0 + rand::random::<f64>() * (JITTER - 1.0))
            };
            tokio::select! {
                _ = shutdown.changed() => break,
                () = tokio::time::sleep(wait) => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_names_from_tenants_are_dns_1123() {
        for (tenant, want) in [
            ("Acme BPO", "cxqueues-acme-bpo"),
            ("acme_prod.eu", "cxqueues-acme-prod-eu"),
            ("--Weird__Name--", "cxqueues-weird-name"),
            ("", "cxqueues"),
        ] {
            let got = default_lease_name(tenant);
            assert_eq!(got, want, "{tenant}");
            assert!(is_dns1123_label(&got), "{got}");
        }
        let long = default_lease_name(&"x".repeat(100));
        assert!(long.len() <= 63 && is_dns1123_label(&long));
        for bad in ["", "Upper", "-a", "a-", "a.b", &"a".repeat(64)] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn the_fence_opens_only_within_the_renew_deadline_of_the_last_renewal() {
        let fence = Fence::elected(Duration::from_secs(10));
        assert_eq!(
            fence.check(),
            Err(Fenced::NotLeader { holder: None }),
            "closed before the first acquisition"
        );
        let term = LeaseTerm {
            holder: "a".into(),
            term: 3,
        };
        fence.renewed(Instant::now(), term.clone());
        assert_eq!(fence.check(), Ok(Some(term.clone())));
        let past = Instant::now()
            .checked_sub(Duration::from_secs(11))
            .expect("the monotonic clock is past 11 s");
        fence.renewed(past, term);
        assert!(
            matches!(fence.check(), Err(Fenced::Stale { .. })),
            "a renewal older than the deadline closes it"
        );
        fence.stand_by(Some("b".into()));
        assert_eq!(
            fence.check(),
            Err(Fenced::NotLeader {
                holder: Some("b".into())
            })
        );
        assert_eq!(Fence::open().check(), Ok(None));
    }

    /// A tenant that counts the writes that reach it.
    #[derive(Debug, Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl Tenant for Counting {
        fn capabilities(&self) -> &Capabilities {
            &routing_api::CAPABILITIES
        }
        async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
            Ok(Vec::new())
        }
        async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
            Err(TenantError::NotFound { what: id.into() })
        }
        async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(queue.clone())
        }
        async fn update_queue(
            &self,
            _id: &str,
            _base: &Queue,
            queue: &Queue,
            _if_match: Option<u64>,
        ) -> Result<Queue, TenantError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(queue.clone())
        }
        async fn delete_queue(&self, _id: &str, _if_match: Option<u64>) -> Result<(), TenantError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
        async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn a_fenced_tenant_sends_no_write_once_the_renewal_is_older_than_the_deadline() {
        let inner = Counting::default();
        let fence = Fence::elected(Duration::from_secs(10));
        let tenant = FencedTenant::new(&inner, &fence);
        let q = Queue::named("Alpha");
        let refused = tenant.create_queue(&q).await;
        assert!(
            matches!(refused, Err(TenantError::Fenced(_))),
            "{refused:?}"
        );
        let term = LeaseTerm {
            holder: "a".into(),
            term: 1,
        };
        fence.renewed(Instant::now(), term.clone());
        tenant.create_queue(&q).await.unwrap();
        tenant.update_queue("1", &q, &q, None).await.unwrap();
        assert_eq!(inner.0.load(std::sync::atomic::Ordering::SeqCst), 2);
        let past = Instant::now()
            .checked_sub(Duration::from_secs(11))
            .expect("the monotonic clock is past 11 s");
        fence.renewed(past, term);
        assert!(matches!(
            tenant.update_queue("1", &q, &q, None).await,
            Err(TenantError::Fenced(_))
        ));
        assert!(matches!(
            tenant.delete_queue("1", None).await,
            Err(TenantError::Fenced(_))
        ));
        assert_eq!(
            tenant.list_queues().await.unwrap().len(),
            0,
            "reads go through"
        );
        assert_eq!(
            inner.0.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "nothing sent after the deadline"
        );
    }

    #[test]
    fn election_settings_follow_client_gos_constraints() {
        let cfg = |d, r, p| ElectionConfig {
            lease_name: "l".into(),
            namespace: "n".into(),
            identity: "i".into(),
            lease_duration: Duration::from_secs(d),
            renew_deadline: Duration::from_secs(r),
            retry_period: Duration::from_secs(p),
            endpoint: None,
        };
        assert!(cfg(15, 10, 2).validate().is_ok());
        assert!(cfg(10, 10, 2).validate().is_err());
        assert!(cfg(15, 2, 2).validate().is_err());
    }
}
