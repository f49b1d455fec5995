//! `cxqueues`: declarative GitOps for contact-center routing queues.
//!
//! The binary's library. [`cli::main`] parses the command line, runs one command, and maps
//! its outcome to an exit code in one place ([`exit::finish`]).
//!
//! - [`cmd`]: one module per command, each a thin caller of the shared pieces below.
//! - [`pipeline`]: check → observe → plan → apply → record, shared by every command and the
//!   run loop.
//! - [`tenant`]: the one place that knows every platform adapter (`AnyTenant`, `connect`).
//! - [`output`]: every output format (plans, diagnostics).
//! - [`run`]: the continuous loop: git watch, controller, HTTP endpoints, status, metrics.
//! - [`recorder`]: what every apply leaves behind, the audit log ([`recorder::audit`]) and the
//!   webhook events ([`recorder::webhooks`]).

pub mod cli;
pub mod cmd;
pub mod exit;
pub mod output;
pub mod pipeline;
pub mod recorder;
pub mod run;
pub mod tenant;

pub use cli::RepoArgs;

/// The runtime's timer, for apply's waits between conflict retries.
pub fn tokio_sleep() -> reconcile::Sleep {
    std::sync::Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}
