//! What a cxqueues queue is.
//!
//! The desired-state repository (`shared/spec/repo-format.md`) as Rust types: [`QueueDoc`]
//! and [`TenantDoc`], each value carrying the [`Loc`] (line, column) it came from, so that
//! every later check can point at the file, line and column it is about.
//!
//! [`load_repository`] reads a whole repository from disk, and [`parse_files`] from any set of
//! files (a git tree, say). YAML goes through a single entry point ([`yaml`]) on
//! `serde-saphyr` with an alias/node budget, duplicate keys as errors and a size cap. Problems
//! do not stop the load: they accumulate as [`Diagnostic`]s, so that a user sees all of them.
//!
//! [`schema`] generates the JSON Schemas in `schemas/` from these types.

mod cxone;
mod decimal;
mod diagnostic;
pub mod genesys;
mod id;
pub mod layout;
mod load;
pub mod schema;
mod spanned;
pub mod time;
mod types;
pub mod yaml;

pub use cxone::{CxoneMediaType, CxonePriority, CxoneShortAbandon, CxoneSpec, CxoneTenantSpec};
pub use decimal::{Decimal, DecimalRule};
pub use diagnostic::{Diagnostic, Rule, Severity};
pub use id::IdKind;
pub use load::{
    LoadOptions, QueueDef, RepoFile, Repository, load_repository, parse_files,
    read_repository_files,
};
pub use spanned::{Loc, Spanned};
pub use types::{
    API_VERSION, ApiVersion, Limits, OverflowDoc, Platform, Proficiency, QueueDoc, QueueKind,
    QueueMetadata, QueueSpec, ServiceLevelTargetDoc, SkillRequirementDoc, TenantDoc, TenantKind,
    TenantMetadata, TenantSpec, WebhookDoc, ranges,
};
