//! NICE CXone behind the tenant port: the queue is the **ACD skill**.
//!
//! The reference is NICE's published v34 Admin API schemas (`specs/`, a copy of
//! `shared/vendors/specs/nice-cxone/`, each naming its sources); every body sent and every
//! body the simulator serves is checked against them (`tests/conformance.rs`).
//!
//! - [`Config`]: how to reach a tenant (access key, registered application, issuer, API
//!   version, rate, [`WriteStyle`]). `Debug` never shows a secret.
//! - [`CxoneTenant`]: the [`tenant::Tenant`] implementation over the one HTTP core
//!   (`tenant::http`).
//! - [`CAPABILITIES`]: what a skill can hold (notes and the service level; the rest of the
//!   neutral fields live in the Studio script) and how it is written (last writer wins, a
//!   whole write after a read, deactivation instead of delete, integer ids);
//!   [`CAPABILITIES_PARTIAL`] with `spec.cxone.partialUpdates: true`.
//! - [`skill_name_problem`]: the one place that knows the skill-name rule.
//! - `wire`: the skill in neutral terms and the POST/PUT bodies; [`writable`]: the published
//!   PUT schema's properties and the safe write; `list`: paging that refuses lists that do
//!   not hold together; `campaigns`: campaigns by name.
//!
//! # Connection
//! 1. `POST {issuer}/auth/token`, form `grant_type=password`, `username` = access key id,
//!    `password` = access key secret, the application as HTTP Basic. The answer's
//!    `expires_in` says when to refresh; a `refresh_token`, when given, is used for that
//!    (`grant_type=refresh_token` with `client_id`, which the published request requires),
//!    falling back to the password grant if it is refused.
//! 2. The tenant id is the `tenantId` claim of the answer's `id_token`. The JWT's payload is
//!    base64url-decoded **without checking its signature**: the token came over TLS straight
//!    from the issuer we chose, and the claim only picks the API host, which the access token
//!    must then be valid for anyway.
//! 3. `GET {issuer}/.well-known/cxone-configuration?tenantId=…` gives `api_endpoint`; the API
//!    base is `{api_endpoint}/inContactAPI/services/v{N}.0`. [`Config::api_base`] skips this.
//!
//! Every request goes through the HTTP core (`tenant::http`) and sends
//! `Accept: application/json`. Requests share one client-side rate limit (default 5/s; CXone
//! publishes none). A 429 waits its `Retry-After` (seconds or an HTTP date, up to 180 s; a
//! longer wait fails at once, naming it), otherwise 2 s, then 6 s (capped, equal jitter), for
//! a bounded number of tries. The token is asked for before every attempt. Every server text
//! is redacted (the access key, the application secret and the tokens, in every form),
//! escaped and cut to 4 KiB before it reaches an error or a log line.
//!
//! # Writes
//! - **Safe writes (default).** NICE does not document whether `PUT /skills/{skillId}` keeps
//!   the properties it is not sent. An update therefore reads the skill (`GET
//!   /skills/{skillId}`, done by apply just before the write: [`CAPABILITIES`] says
//!   `updates: replace`) and sends every writable property of the published PUT schema that
//!   the GET returned, as read, with the changed ones replaced: the skill ends the same
//!   whether the PUT is partial or whole. The four spellings that differ between GET and PUT
//!   (`mediaTypeId`/`mediatypeid`, `popThankYouURL`/`popThankYouUrl`,
//!   `screenPopDetail`/`screenPopDetails`, `patronTypingPreview`/`patronTypingIndicator`) and
//!   `screenPopTriggerEvent` (a numeric string in the GET, an integer in the PUT) are mapped.
//!   The media type is fixed at creation and never sent. What the GET never returns
//!   (`divisionNo`, `enableParking`, `screenPopType`) cannot be sent as read and is left out;
//!   so is a value that does not read as the PUT's type or lies outside its published range
//!   or pattern (a strict server would refuse the whole PUT for it), and a dispositions list
//!   with an item lacking `dispositionId` or `priority`. A tombstone is a read and a PUT of
//!   the skill as read with `isActive: false`. A rival's change to a managed field between
//!   the plan and the read is reported ("overrode a concurrent change to X"); to a field we
//!   do not manage, it is kept (sent back as read).
//! - **`spec.cxone.partialUpdates: true`** (a tenant that has verified its PUT is partial):
//!   only the changed managed fields are sent, with no read first.
//! - **Inactive create.** `isActive` is not a property of a create item: a skill declared
//!   `active: false` is created, then deactivated by a PUT in the same apply (the plan says
//!   so).
//!
//! # Lists
//! `GET /skills` and `GET /campaigns` are read by `skip`/`top` (or `_links.next` on the API's
//! host). A page that repeats an id already read, an id listed under two names, or a
//! `_links.next` back to a page already read makes the list inconsistent: it is read once
//! more (a skill renamed while we page appears twice legitimately), and refused if it is
//! inconsistent again. A listed skill whose `skillId` is not an integer (`"sk-1000"`) is kept
//! as an unreadable queue: the plan names it and is not clean.
//!
//! # Assumptions (where the vendor documentation is silent)
//! - The PUT may be partial or whole (see Writes); `serviceLevelGoal` is a percentage and
//!   `serviceLevelThreshold` seconds (as working clients send 80/30 for "80 % in 30 s").
//! - Ranges are NICE's published ones: `serviceLevelThreshold` a whole number of seconds with
//!   no upper bound (0 kept as a tenant holds it), `serviceLevelGoal` 0–100,
//!   `shortAbandonThreshold` 0–300 (`model::Platform::ranges` and `model::CxoneSpec`).
//! - Skill names follow the v34 PUT pattern `^(([a-zA-Z0-9-:_\.\(\)^\s])*)$`, 1–30
//!   characters, with `\s` read as the ASCII space only and no space at either end. Skill
//!   names are matched exactly.
//! - Campaigns: v34 `{id, name}` (older `{campaignId, campaignName}` read too); a name
//!   matches exactly, else case-insensitively when exactly one campaign matches so. The plan
//!   compares names exactly, so a name matched only by case shows as a change until the
//!   document spells it as the tenant does (import does).
//! - The published GET schema types `acwTypeId` as an integer with a string enum; the
//!   adapter reads it as a number or a numeric string and sends an integer.
//! - `totalRecords` and ids may come as numbers or numeric strings; unknown properties of a
//!   reply are kept and never sent unless the PUT schema publishes them.
//! - The ACD error body is read from `error_description`, `message` or `error`, in that order.
//! - Traffic for the optimizer: see [`reporting`] (one history call per media type and day,
//!   numbers as integers, numeric strings or ISO-8601 durations, the interval length from
//!   the spacing of the records, 30 minutes when there is one).

mod campaigns;
mod client;
mod json;
mod list;
mod name;
mod port;
pub mod reporting;
pub mod wire;
pub mod writable;

pub use client::{Config, CxoneTenant};
pub use port::{CAPABILITIES, CAPABILITIES_PARTIAL};
pub use wire::{MEDIA_TYPES, WriteStyle, skill_name_problem};
