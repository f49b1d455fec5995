//! The Genesys Cloud adapter: `spec.platform: genesys-cloud`.
//!
//! [`GenesysTenant`] speaks the Genesys Cloud Platform API v2 for routing queues and implements
//! the port ([`tenant::Tenant`]) over it. Vendor details (paths, JSON shapes, paging, OAuth,
//! error bodies, eventual consistency) never leave this crate. The transport (pacing, retries,
//! the token cache asked before every attempt, capped reads, redaction of every server text)
//! is the HTTP core's (`tenant::http`); this crate keeps its token request, its error mapping,
//! its paging and its wire mapping.
//!
//! # What is managed
//! - `description` ↔ `description`;
//! - `serviceLevelTarget {threshold, time}` ↔ `mediaSettings.call.serviceLevel
//!   {percentage = threshold / 100, durationMs = time × 1000}`, as decimal shifts on the
//!   number's digits ([`model::Decimal`]), never through `f64`;
//! - `skillRequirements` ↔ the queue's skill expression group ([`skillgroup`]; the client's
//!   `groups` module makes, patches and deletes it around the queue write);
//! - the `spec.genesys` block, carried in [`tenant::Queue::settings`] under `genesys.*`
//!   (see [`wire`] for every path), conditional group routing included (by names; ids on the
//!   wire);
//! - `modifiedBy` / `dateModified` become `Queue::modified_by` / `modified_at`.
//!
//! Every other field of the Genesys queue (other member groups, bullseye, in-queue flows,
//! prompts, fields that are not in any SDK yet) is kept in [`tenant::Queue::passthrough`] as the
//! server sent it and goes back unchanged on a PUT: only the managed fields that change are
//! written over it. Two exceptions: rule 1 of `conditionalGroupRouting` loses its `queue`
//! (Genesys's Terraform provider: "remove queue_id from first CGR rule to avoid api error"), and
//! `acwSettings.timeoutMs` goes only with the prompts that take one.
//!
//! # What is not managed
//! `maxWaitTime`, `maxWaiters` and `overflow` have no queue field in Genesys Cloud;
//! [`CAPABILITIES`] names where Genesys keeps each, so `validate` rejects them at their line.
//! `spec.genesys.inQueueFlow` is not offered: resolving a flow name needs the Architect flows
//! API, which this adapter does not call. Optional skills (`required: false`, bullseye rings)
//! and language skills in skill groups are not managed; `memberDivisions` of a skill group is
//! left out (`spec.genesys.skillGroupDivisions` is not offered: it needs the divisions API).
//!
//! # Assumptions (where the vendor notes say "not documented")
//! - The largest list page is not documented; we ask for 500 (what the Terraform provider
//!   uses) and read to `pageCount` (a server serving fewer per page is read to the end);
//!   without `pageCount`, to an empty page or one shorter than its own `pageSize`. A page that
//!   repeats an id already seen, or lists a seen id under another name, makes the listing
//!   inconsistent: it is listed once more (a queue renamed while we page shows twice), then
//!   refused (`paging.rs`).
//! - A queue whose id is not a text (`12345`, none) or whose managed numbers a document cannot
//!   hold exactly (more than 15 significant digits) is listed as unreadable
//!   ([`tenant::Queue::problem`]): named by the plan, never dropped, never written.
//! - A PUT answered 2xx whose queue does not hold the managed fields it changed (or the member
//!   group or routing rules it sent) is a failure ("the write is not confirmed").
//! - Skill groups: the list (`GET /routing/skillgroups`) is cursor-paged by `after`, read from
//!   the `after` of `nextUri`, once per run and only when a group must be found by name; its
//!   entries carry no conditions, so a group's conditions cost one GET per group a listed
//!   queue has as its skill group (deduplicated per run, never per group of the org). A skill
//!   group answers PATCH, not PUT; we send `{name, skillConditions}`. The permissions are the
//!   Platform API's `routing:skillGroup:view|add|edit|delete` (not in the published queue
//!   models). A group name listed twice is refused rather than guessed.
//! - Of a queue's several skill groups, the one named `cxqueues: <queue name>` is ours; with
//!   several and none of that name, skill requirements are left unmanaged.
//! - Conditional group routing: `ServiceLevel`'s `conditionValue` is a 0–1 fraction (YAML
//!   takes a percentage); `EstimatedWaitTime`'s is seconds. A rule whose queue or groups cannot
//!   be named from the run's listing and the queue's member groups is left unmanaged (read),
//!   or refused before anything is sent (write).
//! - The create status code is not documented: any 2xx with a queue body is success.
//! - Codes for 400/401/403/404/409 are not documented: we map by HTTP status and keep the
//!   server's `message` (and `contextId`, for support) as the reason, redacted, escaped and
//!   at most 4 KiB. A 409 is "rejected".
//! - A 5xx or network failure on a POST may have created the queue: we never repeat the POST
//!   blindly; we look the name up first.
//! - A `Retry-After` above 180 s is not waited (as the Go SDK): the call fails as rate limited,
//!   naming the wait. A token is asked for before every attempt, so one that expires while a
//!   call waits out `429`s is refreshed, never sent again.
//! - With no network (nothing listening, no route, a name that does not resolve) the
//!   connection is tried twice, then the call fails naming the host and the cause; a
//!   connection takes at most 5 s.
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
//!   lifetime); an answer without `expires_in` is trusted for 5 minutes, and none for more
//!   than a day (`expires_in: 18446744073709551615` is a day).
//! - Traffic for the optimizer comes from the analytics API: see [`analytics`] (30-minute
//!   buckets, closed ones only, at most 100 queue predicates per query, the voice series
//!   unless another media is asked, agents on queue now as the staffing).

pub mod analytics;
mod client;
mod config;
mod error;
mod paging;
mod permissions;
mod port;
pub mod skillgroup;
pub mod wire;

pub use client::GenesysTenant;
pub use config::{Config, login_base_for_api, region_domain};
pub use error::GenesysError;
pub use port::CAPABILITIES;
pub use tenant::Secret;
