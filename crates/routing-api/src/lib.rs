//! The adapter for the routing API contract of `shared/spec/cxone-api.md` (the API as our
//! users describe it, and the simulator's default face): `spec.platform: routing-api`, the
//! default. It is not the real NICE CXone API (that is the `nice-cxone` adapter).
//!
//! [`HttpTenant`] is the HTTP client, over the workspace's one HTTP core (`tenant::http`):
//! OAuth 2.0 client credentials with a cached, single-flight token asked for before every
//! attempt, retries that honour `Retry-After` (up to [`RetryPolicy::max_retry_after`], 180 s by
//! default; a longer wait fails at once), full-jitter backoff, and a client-side rate limit
//! shared by every caller. Its counters ([`ClientStats`], from
//! [`HttpTenant::stats`]) feed the runner's metrics. Its own calls speak this API's wire types
//! ([`RemoteQueue`], [`Skill`]) and errors ([`ApiError`]); the port ([`tenant::Tenant`]) is
//! implemented over them, with [`CAPABILITIES`], so that paths, JSON shapes, pagination and
//! the OAuth flavour never leave this crate.
//!
//! # Hardening
//!
//! The client treats the tenant as untrusted input:
//! - **Lists end.** A list stops at an empty or short page (short against the `pageSize` the
//!   tenant says it served), after `pageCount` pages, or once `total` items are listed. A
//!   `total` past [`ClientConfig::max_list_items`] (default 100,000), a `pageCount` past
//!   [`ClientConfig::max_list_pages`] (default 10,000), a list that grows past either, and a
//!   page that repeats only ids already listed, or repeats one after new ones, are
//!   [`ApiError::BadListing`] naming the page. (Ids already listed that open a page, shifted
//!   there by a concurrent delete, are dropped.)
//! - **Bodies are capped.** At most [`ClientConfig::max_response_bytes`] (default 64 MiB) of a
//!   response is read, chunk by chunk; a longer one (or a `Content-Length` saying so) is
//!   [`ApiError::ResponseTooLarge`] naming the limit, and is not retried.
//! - **No redirects.** Neither API calls nor token requests follow a redirect; a 3xx is
//!   [`ApiError::Redirected`], naming the `Location` without its userinfo, query or fragment.
//!   The token form and the bearer token are never sent anywhere but the configured URLs.
//! - **Server text is redacted and sanitised.** Error bodies, error codes and messages, token
//!   endpoint errors and `Location`s are shown with the client secret and the access tokens
//!   in play replaced by `***` (raw, HTTP Basic, form-, percent- and JSON-encoded), control
//!   and bidi characters escaped (`\n`, `\u{202e}`), a body quoted at most 500 bytes, and at
//!   most 20 of a 400's `errors`, all of them within the core's 4 KiB per error.
//! - **Token answers are read field by field.** `expires_in` may be a number or a string
//!   holding one (`"3600"`); anything else is an error naming the field, never quoting the
//!   body.

mod client;
mod error;
mod port;
mod types;

pub use client::{ClientConfig, ClientStats, DEFAULT_SCOPES, HttpTenant, RetryPolicy};
pub use client::{QUEUE_METRICS, QueueMetrics};
pub use client::{QueueListing, UnreadableQueue};
pub use error::ApiError;
pub use port::{CAPABILITIES, to_neutral, to_wire};
pub use tenant::Secret;
pub use types::{Overflow, RemoteQueue, ServiceLevelTarget, Skill, SkillRequirement};
