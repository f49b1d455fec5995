//! The routing graph and the plan, pure; and apply over the [`cxone::Tenant`] trait.
//!
//! - [`check_repository`] runs the cross-queue rules 2–7 of `repo-format.md` on a loaded
//!   repository.
//! - [`plan()`] diffs a repository against what a tenant holds ([`Observed`]), with the
//!   checks that need the tenant. It does no I/O.
//! - [`apply()`] carries a plan out through any [`cxone::Tenant`].

mod apply;
mod desired;
pub mod generate;
mod graph;
pub mod import;
mod names;
mod plan;
mod tenant_graph;

pub use apply::{ApplyObserver, ApplyOptions, ApplyReport, Override, QueueOutcome, Status, apply};
pub use desired::{Desired, DesiredOverflow, TargetRef};
pub use graph::{
    Chain, Edge, MAX_HOPS_SHOWN, Node, NodeIdx, RoutingGraph, Site, check_repository,
    sort_diagnostics,
};
pub use plan::{Action, Change, FieldChange, Observed, Plan, Summary, Unmanaged, plan};
