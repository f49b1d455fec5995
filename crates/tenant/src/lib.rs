//! The port between cxqueues and a contact-center platform.
//!
//! Everything above this crate (`reconcile`, the runner) speaks only these types; everything
//! below it (one adapter crate per platform) turns them into one vendor's wire format.
//!
//! - [`Queue`], [`Skill`]: a tenant's routing queue and skill, vendor-neutral and typed.
//! - [`QueueMetrics`] for a [`MetricsQuery`]: a queue's closed reporting intervals and its
//!   staffing snapshot, in one shape for every platform.
//!   Fields a platform has and cxqueues does not model ride along in [`Queue::passthrough`],
//!   opaque to everyone but the adapter that filled it.
//! - [`Tenant`]: list ([`Listed`]: a queue, or one that does not read), get, create, update,
//!   delete queues and list skills.
//! - [`TenantError`]: the one error enum of the port, with its [`ErrorKind`].
//! - [`Capabilities`]: what a platform can hold and how it writes, so that `validate` and
//!   `plan` can reject, at file:line, a field that platform cannot hold before anything is
//!   written.
//! - [`Secret`]: the one way credentials are held.
//! - [`endpoint`]: the one check of a configured tenant address (https, or http to loopback).
//! - [`Backoff`]: the one exponential-backoff policy (capped, with jitter).
//! - [`ClientStats`], [`StatsRecorder`]: the request counters every HTTP adapter keeps.
//! - `http` (feature `http`): the one HTTP core of every adapter, GitHub and webhook
//!   delivery (client, pacer, retries, tokens, capped reads, redaction).
//! - `FakeTenant` (feature `testing`): an in-memory tenant for pure tests.

mod backoff;
mod capabilities;
pub mod endpoint;
mod error;
#[cfg(feature = "testing")]
mod fake;
#[cfg(feature = "http")]
pub mod http;
mod metrics;
mod queue;
mod secret;
mod stats;

pub use backoff::{Backoff, Jitter};
pub use capabilities::{
    Capabilities, DeleteMode, IdKind, NameRule, QueueField, UpdateMode, WriteMode,
};
pub use error::{Cause, ErrorKind, TenantError};
#[cfg(feature = "testing")]
pub use fake::FakeTenant;
pub use metrics::{
    GRANULARITY_SECONDS, Media, MetricsInterval, MetricsQuery, QueueMetrics, SeedFigures, Staffing,
    Window,
};
pub use queue::{Listed, Overflow, Queue, ServiceLevelTarget, Skill, SkillRequirement, Unreadable};
pub use secret::Secret;
pub use stats::{ClientStats, StatsRecorder};

use std::future::Future;

/// What reconcile needs from a tenant. One value serves many concurrent tasks.
///
/// Implementations keep their vendor's paths, JSON shapes, auth and paging to themselves.
pub trait Tenant: Send + Sync {
    /// What this platform supports (fields, conditional writes, page size).
    fn capabilities(&self) -> &Capabilities;

    /// Every listed queue, all pages: those that read, and those the adapter cannot read
    /// ([`Listed::Unreadable`]) apart.
    fn listing(&self) -> impl Future<Output = Result<Vec<Listed>, TenantError>> + Send;

    /// Every queue that reads, all pages ([`Tenant::listing`] also names those that do not).
    fn list_queues(&self) -> impl Future<Output = Result<Vec<Queue>, TenantError>> + Send {
        async move {
            let listed = self.listing().await?;
            Ok(listed.into_iter().filter_map(Listed::readable).collect())
        }
    }

    /// One queue by id ([`TenantError::NotFound`] when it does not exist).
    fn get_queue(&self, id: &str) -> impl Future<Output = Result<Queue, TenantError>> + Send;

    /// Creates a queue (its id and version are ignored). An implementation never creates a
    /// duplicate after a lost response or a lagging list: it looks the name up before posting
    /// again.
    fn create_queue(
        &self,
        queue: &Queue,
    ) -> impl Future<Output = Result<Queue, TenantError>> + Send;

    /// Writes queue `id` as `queue`; `base` is the tenant object `queue` was derived from, so
    /// that a platform whose updates are partial sends only what differs. On a platform with
    /// conditional writes, only if its version is still `if_match` (a moved version is
    /// [`TenantError::Conflict`]); on a last-writer-wins platform `if_match` is `None`.
    fn update_queue(
        &self,
        id: &str,
        base: &Queue,
        queue: &Queue,
        if_match: Option<u64>,
    ) -> impl Future<Output = Result<Queue, TenantError>> + Send;

    /// Deletes (or, where the platform cannot delete, deactivates) queue `id`.
    fn delete_queue(
        &self,
        id: &str,
        if_match: Option<u64>,
    ) -> impl Future<Output = Result<(), TenantError>> + Send;

    /// Every skill, all pages.
    fn list_skills(&self) -> impl Future<Output = Result<Vec<Skill>, TenantError>> + Send;

    /// The traffic of the queues `query` names (every queue when it names none), for
    /// `optimize --from-tenant` and `run --optimize-every`: per queue, the closed intervals of
    /// the window and a staffing snapshot ([`QueueMetrics`]). A platform whose adapter does not
    /// read them says so ([`TenantError::Unsupported`]).
    fn queue_metrics(
        &self,
        query: &MetricsQuery,
    ) -> impl Future<Output = Result<Vec<QueueMetrics>, TenantError>> + Send {
        let _ = query;
        let platform = self.capabilities().platform;
        async move {
            Err(TenantError::Unsupported(format!(
                "reading traffic metrics from a {platform} tenant is not supported yet; pass --metrics FILE"
            )))
        }
    }

    /// Who this client writes as, in the terms the tenant reports in `modified_by` (a client
    /// id), so that reconcile recognises its own writes and never reports them as a rival's.
    fn actor(&self) -> Option<&str> {
        None
    }

    /// What the adapter's client has sent so far (empty for a tenant without HTTP).
    fn stats(&self) -> ClientStats {
        ClientStats::default()
    }
}
