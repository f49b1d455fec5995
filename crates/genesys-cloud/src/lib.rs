//! The Genesys Cloud adapter: `spec.platform: genesys-cloud`.
//!
//! [`GenesysTenant`] speaks the Genesys Cloud Platform API v2 for routing queues and implements
//! the port ([`tenant::Tenant`]) over it. Vendor details (paths, JSON shapes, paging, OAuth,
//! error bodies, eventual consistency) never leave this crate.
//!
//! # What is managed
//! - `description` ↔ `description`;
//! - `serviceLevelTarget {threshold, time}` ↔ `mediaSettings.call.serviceLevel
//!   {percentage = threshold / 100, durationMs = time × 1000}`;
//! - the `spec.genesys` block, carried in [`tenant::Queue::settings`] under `genesys.*`
//!   (see [`wire`] for every path);
//! - `modifiedBy` / `dateModified` become `Queue::modified_by` / `modified_at`.
//!
//! Every other field of the Genesys queue (members, bullseye, conditional group routing,
//! in-queue flows, prompts, fields that are not in any SDK yet) is kept in
//! [`tenant::Queue::passthrough`] as the server sent it and goes back unchanged on a PUT.
//!
//! # What is not managed
//! `maxWaitTime`, `maxWaiters`, `overflow` and `skillRequirements` have no queue field in
//! Genesys Cloud; [`CAPABILITIES`] names where Genesys keeps each, so `validate` rejects them at
//! their line. `spec.genesys.inQueueFlow` is not offered: resolving a flow name needs the
//! Architect flows API, which this adapter does not call.
//!
//! # Assumptions (where the vendor notes say "not documented")
//! - The largest list page is not documented; we ask for 500 (what the Terraform provider
//!   uses) and stop at a short or empty page or at `pageCount`, whichever comes first.
//! - The create status code is not documented: any 2xx with a queue body is success.
//! - Codes for 400/401/403/404/409 are not documented: we map by HTTP status and keep the
//!   server's `message` (and `contextId`, for support) as the reason. A 409 is "rejected".
//! - A 5xx or network failure on a POST may have created the queue: we never repeat the POST
//!   blindly; we look the name up first.
//! - A `Retry-After` above 180 s is not waited (as the Go SDK): the call fails as rate limited.
//! - Durations in the `genesys` block are whole seconds: a `durationMs` or `timeoutMs` that is
//!   not a whole number of seconds is rounded to the nearest second when read.
//! - Before a POST we look the name up with the list's `name` filter (exact match on the
//!   returned names; the filter itself may match more). A queue found that way is adopted:
//!   the declared fields are written onto it with a PUT instead of creating a second one.
//! - A deleted queue is done when GET answers 404, polled with doubling backoff from 1 s up to
//!   16 s, for at most 120 s (the Terraform provider's bound).
//! - A GET answering 404 for a queue this run created is retried for up to 30 s (list and
//!   cache lag).
//! - What this run created is remembered by name, so a create planned again while the list
//!   still lags returns the queue already made. Across runs inside the lag window, we rely on
//!   Genesys refusing a second queue with the same name (queue names are unique in an org);
//!   the create then fails with the server's message instead of duplicating.
//! - Deletes send `forceDelete=false`: a queue Genesys will not delete as is (in use by a
//!   flow, say) fails with the server's message rather than being forced.
//! - The token is refreshed 60 s before `expires_in` runs out (never earlier than half its
//!   lifetime); an answer without `expires_in` is trusted for 5 minutes.
//! - `acwSettings.timeoutMs` is sent as declared whatever the wrap-up prompt; whether
//!   Genesys keeps it with a prompt that does not use it is not documented (if it drops it,
//!   the next plan shows the change again).
//! - Traffic for the optimizer comes from the analytics API: see [`analytics`] (30-minute
//!   buckets, closed ones only, at most 100 queue predicates per query, the voice series
//!   unless another media is asked, agents on queue now as the staffing).

pub mod analytics;
mod client;
mod config;
mod error;
mod port;
pub mod wire;

pub use client::GenesysTenant;
pub use config::{Config, login_base_for_api, region_domain};
pub use error::GenesysError;
pub use port::CAPABILITIES;
pub use tenant::Secret;
