//! Queue settings proposed from traffic metrics, as a change to the repository's YAML, never
//! to the tenant.
//!
//! - [`metrics`]: the figures per queue, from JSON or CSV.
//! - [`inputs`]: the figures from a tenant's closed intervals (busiest or mean) and staffing.
//! - [`propose()`]: a policy per queue — [`seed`] (the original tool's formula, reproduced
//!   exactly) or [`erlang`] C (the default) — then the bounds, each with a warning that names
//!   the computed value, and the changes against what the file declares. Fields the platform
//!   does not hold ([`Options::predicted_only`]) go under `predicted`; on Genesys Cloud the
//!   first `EstimatedWaitTime` rule of a queue's conditional group routing takes Erlang C's
//!   `maxWaitTime` figure as a change ([`Field::CgrEstimatedWaitTime`]).
//! - [`edit`]: the lossless edit of the Queue files (only changed scalars rewritten, missing
//!   fields inserted with their siblings' indentation), checked by reading the files back.
//! - [`render`]: the `text`, `json` and `diff` outputs.
//!
//! Pure: no I/O beyond what the caller passes in, no async.

pub mod edit;
pub mod erlang;
mod error;
pub mod inputs;
pub mod metrics;
mod propose;
pub mod render;
pub mod seed;
mod source;

pub use edit::{FileEdit, edit_files};
pub use error::OptimizeError;
pub use inputs::{InputSource, IntervalStat, from_tenant};
pub use metrics::{Metrics, MetricsDocument, MetricsRow, QueueMetrics};
pub use propose::{
    Change, DEFAULT_TAIL, Field, Options, Policy, Prediction, QueueProposal, Report, propose,
};
