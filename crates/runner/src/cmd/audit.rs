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
        /// The log `apply --sim` and `run --sim` write: <state-dir>/sim/audit.jsonl.
        #[arg(long)]
        sim: bool,
    },
}

pub(crate) fn run(args: AuditArgs) -> Result<Outcome, CliError> {
    match args.command {
        AuditCommand::Verify { path, state, sim } => {
            let state = crate::recorder::sim_state_args(&state, sim);
            let path = path.unwrap_or_else(|| state.audit_path());
            let sim_log = crate::recorder::sim_state_args(&state, true).audit_path();
            if !sim && !path.exists() && sim_log.exists() {
                return Err(CliError::Usage(format!(
                    "no audit log at {}; the simulated tenant's is at {}: add --sim",
                    path.display(),
                    sim_log.display()
                )));
            }
            match audit::verify(&path) {
                Ok(report) if !report.unresolved.is_empty() => {
                    crate::output::print(format!(
                        "unresolved: the chain of {} records is intact, but {} write intent(s) have no outcome (a process stopped mid-write; the tenant may hold changes the log does not record, until an apply or run reads the tenant and resolves them):\n",
                        report.records,
                        report.unresolved.len()
                    ))?;
                    for i in &report.unresolved {
                        let id = i.queue_id.as_deref().unwrap_or("no id yet");
                        crate::output::print(format!(
                            "  line {}: {} of queue {:?} ({id}), intent {}\n",
                            i.line, i.intended, i.queue_name, i.intent_id
                        ))?;
                    }
                    Ok(Outcome::Invalid)
                }
                Ok(report) => {
                    match &report.last_hash {
                        Some(h) => crate::output::print(format!(
                            "ok: {} records (last hash {h})\n",
                            report.records
                        ))?,
                        None => crate::output::print(format!("ok: {} records\n", report.records))?,
                    }
                    Ok(Outcome::Success)
                }
                Err(e @ VerifyError::Broken { .. }) => {
                    crate::output::print(format!("{e}\n"))?;
                    Ok(Outcome::Invalid)
                }
                Err(e @ VerifyError::Io { .. }) => Err(e.into()),
            }
        }
    }
}
