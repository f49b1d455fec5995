//! `cxqueues`: declarative GitOps for contact-center routing queues.
//!
//! The binary's library. [`cli::main`] parses the command line, runs one command, and maps
//! its outcome to an exit code in one place (`exit::finish`).
//!
//! Layers, lowest first (a module imports only its own layer and those below; `.ci/circles.py`
//! checks it):
//! - `output`: every output format (plans, diagnostics); [`cli::args`]: the argument groups
//!   several commands share.
//! - `tenant`: the one place that knows every platform adapter and the simulator (`AnyTenant`,
//!   `connect`; the simulator behind the default cargo feature `sim`).
//! - [`recorder`]: what every apply leaves behind, the audit log ([`recorder::audit`]) and the
//!   webhook events ([`recorder::webhooks`]).
//! - `pipeline`: check → observe → plan → apply → record, shared by every command and the
//!   run loop; it prints nothing.
//! - `run`: the continuous loop: git watch, controller, HTTP endpoints, status, metrics.
//! - `exit`: every outcome and error to an exit code, in one place.
//! - `cmd`: one module per command, each a thin caller of the layers below; never of another
//!   command.
//! - [`cli`]: the command line and its one dispatch.

// The library's surface is the command line ([`cli`]) and the recorder ([`recorder`]: the audit
// log and the webhooks, which their tests drive directly); every other layer is the crate's own.
pub mod cli;
mod cmd;
mod exit;
mod output;
mod pipeline;
pub mod recorder;
mod run;
mod tenant;

/// The runtime's timer, for apply's waits between conflict retries.
pub(crate) fn tokio_sleep() -> reconcile::Sleep {
    std::sync::Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}
