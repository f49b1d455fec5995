//! NICE CXone behind the tenant port: the queue is the **ACD skill**.
//!
//! - [`Config`]: how to reach a tenant (access key, registered application, issuer, API
//!   version, rate). `Debug` never shows a secret.
//! - [`CxoneTenant`]: the HTTP client and the [`tenant::Tenant`] implementation.
//! - [`CAPABILITIES`]: what a skill can hold (notes and the service level; the rest of the
//!   neutral fields live in the Studio script) and how it is written (last writer wins,
//!   partial `PUT`, deactivation instead of delete, integer ids).
//! - [`skill_name_problem`]: the one place that knows the skill-name rule.
//!
//! # Connection
//! 1. `POST {issuer}/auth/token`, form `grant_type=password`, `username` = access key id,
//!    `password` = access key secret, the application as HTTP Basic. The answer's
//!    `expires_in` says when to refresh; a `refresh_token`, when given, is used for that
//!    (`grant_type=refresh_token`), falling back to the password grant if it is refused.
//! 2. The tenant id is the `tenantId` claim of the answer's `id_token`. The JWT's payload is
//!    base64url-decoded **without checking its signature**: the token came over TLS straight
//!    from the issuer we chose, and the claim only picks the API host, which the access token
//!    must then be valid for anyway.
//! 3. `GET {issuer}/.well-known/cxone-configuration?tenantId=…` gives `api_endpoint`; the API
//!    base is `{api_endpoint}/inContactAPI/services/v{N}.0`. [`Config::api_base`] skips this.
//!
//! Every request sends `Accept: application/json`. Requests share one client-side rate limit
//! (default 5/s; CXone publishes none). A 429 waits its `Retry-After` when it carries a usable
//! one, otherwise 2 s, then 6 s (capped, equal jitter), for a bounded number of tries.
//!
//! # Assumptions (where the vendor documentation is silent)
//! - `PUT /skills/{id}` is a partial update: only the changed managed fields are sent, so a
//!   field cxqueues does not manage is never sent and never clobbered. The body is built in
//!   one function ([`wire::update_body`]) so that switching to read-merge-write is one change.
//! - `serviceLevelGoal` is a percentage and `serviceLevelThreshold` seconds (as working
//!   clients send 80/30 for "80 % in 30 s").
//! - Campaigns are listed by `GET /campaigns` as `{campaigns:[{campaignId, campaignName}]}`.
//! - The ACD error body is read from `error_description`, `message` or `error`, in that order.
//! - Traffic for the optimizer: see [`reporting`] (one history call per media type and day,
//!   numbers as integers, numeric strings or ISO-8601 durations, the interval length from
//!   the spacing of the records, 30 minutes when there is one).

mod client;
mod port;
pub mod reporting;
pub mod wire;

pub use client::{Config, CxoneTenant};
pub use port::CAPABILITIES;
pub use wire::{MEDIA_TYPES, skill_name_problem};
