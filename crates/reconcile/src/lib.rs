//! The routing graph and the plan, pure; and apply over the `cxone::Tenant` trait.
//!
//! [`check_repository`] runs the cross-queue rules 2–7 of `repo-format.md` on a loaded
//! repository.

mod graph;

pub use graph::check_repository;
