//! `cxqueues audit verify [PATH]`: checks the audit log's hash chain.

use std::path::PathBuf;

use crate::cli::args::StateArgs;
use crate::exit::{CliError, Outcome};
use crate::recorder::audit::{self, VerifyError};

#[derive(Debug, clap::Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum AuditCommand {
    /// Checks the hash chain; exit 1 at the first broken record, named by line, or when a
    /// write intent has no outcome (each named by line and queue).
    Verify {
        /// The audit log (default: --audit-log, else <state-dir>/audit.jsonl).
        path: Option<PathBuf>,
        #[command(flatten)]
        state: StateArgs,
    },
}

pub(crate) fn run(args: AuditArgs) -> Result<Outcome, CliError> {
    match args.command {
        AuditCommand::Verify { path, state } => {
            let path = path.unwrap_or_else(|| state.audit_path());
            match audit::verify(&path) {
                Ok(report) if !report.unresolved.is_empty() => {
                    println!(
                        "unresolved: the chain of {} records is intact, but {} write intent(s) have no outcome (a process stopped mid-write; the tenant may hold changes the log does not record, until an apply or run reads the tenant and resolves them):",
                        report.records,
                        report.unresolved.len()
                    );
                    for i in &report.unresolved {
                        let id = i.queue_id.as_deref().unwrap_or("no id yet");
                        println!(
                            "  line {}: {} of queue {:?} ({id}), intent {}",
                            i.line, i.intended, i.queue_name, i.intent_id
                        );
                    }
                    Ok(Outcome::Invalid)
                }
                Ok(report) => {
                    match &report.last_hash {
                        Some(h) => println!("ok: {} records (last hash {h})", report.records),
                        None => println!("ok: {} records", report.records),
                    }
                    Ok(Outcome::Success)
                }
                Err(e @ VerifyError::Broken { .. }) => {
                    println!("{e}");
                    Ok(Outcome::Invalid)
                }
                Err(e @ VerifyError::Io { .. }) => Err(e.into()),
            }
        }
    }
}
