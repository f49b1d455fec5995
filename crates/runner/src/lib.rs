//! `cxqueues`: declarative GitOps for contact-center routing queues.
//!
//! The binary's library. [`cli::main`] parses the command line, runs one command, and maps
//! its outcome to an exit code in one place ([`exit::finish`]).
//!
//! - `cmd_*`: one module per command, each a thin caller of the shared pieces below.
//! - [`pipeline`]: check → observe → plan → apply → record, shared by every command and the
//!   run loop.
//! - [`tenant`]: the one place that knows every platform adapter (`AnyTenant`, `connect`).
//! - [`output`]: every output format (plans, diagnostics).
//! - [`run`]: the continuous loop: git watch, controller, HTTP endpoints, status, metrics.
//! - [`recorder`]: what every apply leaves behind, the audit log ([`audit`]) and the webhook
//!   events ([`webhooks`]).

pub mod audit;
/// RFC 3339 times: the one home is `model::time` (this path stays for its callers).
pub mod cli;
pub mod cmd_audit;
pub mod cmd_comment;
pub mod cmd_import;
pub mod cmd_optimize;
pub mod cmd_plan;
pub mod cmd_run;
pub mod cmd_schema;
pub mod cmd_sim;
pub mod cmd_validate;
pub mod cmd_webhooks;
pub mod exit;
pub mod output;
pub mod pipeline;
pub mod printable;
pub mod recorder;
pub mod run;
pub mod tenant;
pub mod tenant_cxone;
pub mod tenant_genesys;
pub mod webhooks;

pub use cli::RepoArgs;

/// The runtime's timer, for apply's waits between conflict retries.
pub fn tokio_sleep() -> reconcile::Sleep {
    std::sync::Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}
