//! The routing graph and the plan, pure; and apply over the tenant port ([`tenant::Tenant`]).
//!
//! - [`check_repository`] runs the cross-queue rules 2–7 of `repo-format.md` on a loaded
//!   repository.
//! - [`check_platform`] rejects, at file:line, the fields the tenant's platform cannot hold
//!   (its [`tenant::Capabilities`]).
//! - [`plan()`] diffs a repository against what a tenant holds ([`Observed`]), with the
//!   checks that need the tenant: a [`Plan`], or [`Rejected`] with every error (a plan never
//!   carries errors beside its changes). [`plan_for_platform`] also fits it to the platform.
//!   It does no I/O.
//! - [`observe`] reads a tenant; [`Plan::rebase`] re-checks a saved plan against it.
//! - [`apply()`] carries a plan out through any [`tenant::Tenant`]; each queue ends in a
//!   [`QueueResult`]: applied, failed with its [`tenant::TenantError`], or skipped with a
//!   [`SkipReason`].
//!
//! It depends on `model` and the port only: no HTTP, no async runtime (the caller passes its
//! timer in [`ApplyOptions::sleep`]).

mod apply;
mod desired;
pub mod generate;
mod graph;
pub mod import;
mod names;
mod only;
mod order;
mod plan;
mod platform;
mod rebase;
mod tenant_graph;

pub use apply::{
    ApplyObserver, ApplyOptions, ApplyReport, Override, QueueOutcome, QueueResult, SkipReason,
    Sleep, Status, apply, requests,
};
pub use desired::{Desired, DesiredOverflow, TargetRef};
pub use graph::{
    Chain, Edge, MAX_HOPS_SHOWN, Node, NodeIdx, RoutingGraph, Site, check_repository,
    sort_diagnostics,
};
pub use only::OnlyError;
pub use plan::{
    Action, Change, FieldChange, Observed, Op, Plan, Rejected, Revision, Summary, Unmanaged, plan,
};
pub use platform::{check_offline, check_platform, plan_for_platform};
pub use rebase::{Rebased, observe};
