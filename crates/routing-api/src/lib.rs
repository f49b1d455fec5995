//! The adapter for the routing API contract of `shared/spec/cxone-api.md` (the API as our
//! users describe it, and the simulator's default face): `spec.platform: routing-api`, the
//! default. It is not the real NICE CXone API (that is the `nice-cxone` adapter).
//!
//! [`HttpTenant`] is the HTTP client: OAuth 2.0 client credentials with a cached,
//! single-flight token, retries that honour `Retry-After`, full-jitter backoff, and a
//! client-side rate limit shared by every caller. Its counters ([`ClientStats`], from
//! [`HttpTenant::stats`]) feed the runner's metrics. Its own calls speak this API's wire types
//! ([`RemoteQueue`], [`Skill`]) and errors ([`ApiError`]); the port ([`tenant::Tenant`]) is
//! implemented over them, with [`CAPABILITIES`], so that paths, JSON shapes, pagination and
//! the OAuth flavour never leave this crate.

mod client;
mod error;
mod port;
mod types;

pub use client::{ClientConfig, ClientStats, DEFAULT_SCOPES, HttpTenant, RetryPolicy};
pub use error::ApiError;
pub use port::{CAPABILITIES, to_neutral, to_wire};
pub use tenant::Secret;
pub use types::{Overflow, RemoteQueue, ServiceLevelTarget, Skill, SkillRequirement};
