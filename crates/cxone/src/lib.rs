//! The wire layer between cxqueues and a contact-center tenant.
//!
//! [`Tenant`] is what reconcile needs from a tenant: list, get, create, update and delete
//! routing queues (with version preconditions) and list skills. It speaks in vendor-neutral
//! wire types ([`RemoteQueue`], [`Skill`]) and typed errors ([`ApiError`]); paths, JSON shapes,
//! pagination and the OAuth flavour stay inside an implementation such as [`HttpTenant`],
//! so that another vendor's backend can stand beside it later.
//!
//! [`HttpTenant`] is the HTTP client for the API in `shared/spec/cxone-api.md`: OAuth 2.0
//! client credentials with a cached, single-flight token, retries that honour `Retry-After`,
//! full-jitter backoff, and a client-side rate limit shared by every caller. Its counters
//! ([`ClientStats`], from [`HttpTenant::stats`]) feed the runner's metrics.

mod client;
mod error;
mod secret;
mod types;

pub use client::{ClientConfig, ClientStats, DEFAULT_SCOPES, HttpTenant, RetryPolicy};
pub use client::{QUEUE_METRICS, QueueMetrics};
pub use error::ApiError;
pub use secret::Secret;
pub use types::{Overflow, RemoteQueue, ServiceLevelTarget, Skill, SkillRequirement, Tenant};
