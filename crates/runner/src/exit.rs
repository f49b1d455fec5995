//! Outcomes and errors of a command, and the one place that maps them to exit codes
//! (`shared/spec/cli.md`).
//!
//! cli.md knows five codes: 0 success, 1 "the repository is invalid, or the command line is
//! wrong", 2 changes (`--detailed-exitcode`), 3 "the tenant could not be read or written", 4 a
//! partial apply. An error keeps its cause (`#[source]`/`#[from]`), and [`finish`] prints the
//! chain as `error: …` then `  caused by: …` lines. Which code each kind of error gets:
//! - [`CliError::Usage`]: a wrong argument or local file: 1.
//! - [`CliError::Git`]: the followed repository (`--repo`, `--branch`) cannot be opened or
//!   read. It is not a usage error, but it is the command's input, so it is cli.md's "the
//!   repository is invalid": 1.
//! - [`CliError::Recorder`], [`CliError::Audit`], [`CliError::Webhooks`]: the audit log or the
//!   webhook outbox under `--state-dir` cannot be opened, read or written. Nothing was wrong
//!   with the tenant (3 would send an operator to the wrong place) and cli.md has no code of its
//!   own for local state, so they exit 1: the state directory named on the command line is
//!   unusable. Kept apart from `Usage` so that their cause (the I/O error) stays attached.
//! - [`CliError::Io`], [`CliError::Json`], [`CliError::Import`]: a file or socket the command
//!   line names (`--out`, `--plan`, `--listen`, `--metrics`, the event file) cannot be used: 1.
//! - [`CliError::Tenant`], [`CliError::GitHub`]: 3, except a wrong local setting: 1.
//! - [`CliError::Connect`]: a missing or unreadable setting (a secret file, the simulator's
//!   state): 1; the adapter refusing its configuration counts as [`CliError::Tenant`].
//! - [`CliError::PlanFile`]: a saved plan that cannot be read: 1.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::recorder::RecorderError;
use crate::recorder::audit::VerifyError;
use crate::recorder::webhooks::WebhookError;
use crate::run::git::GitError;

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exit 0.
    Success,
    /// The repository is invalid (exit 1); the command already reported why.
    Invalid,
    /// `--detailed-exitcode`: success, and there are changes (exit 2).
    Changes,
    /// Apply finished, but some queues were not reconciled (exit 4); already reported.
    Partial,
}

/// A command that could not run to its end.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The command line or local input is wrong (exit 1).
    #[error("{0}")]
    Usage(String),
    /// The tenant could not be read or written (exit 3).
    #[error(transparent)]
    Tenant(#[from] tenant::TenantError),
    /// GitHub refused or could not be reached (exit 3; a wrong setting is exit 1).
    #[error(transparent)]
    GitHub(#[from] github::GitHubError),
    /// The followed git repository cannot be opened or read (exit 1).
    #[error(transparent)]
    Git(#[from] GitError),
    /// The audit log or the webhook outbox cannot be opened or written (exit 1).
    #[error(transparent)]
    Recorder(#[from] RecorderError),
    /// The audit log cannot be read to verify it (exit 1).
    #[error(transparent)]
    Audit(#[from] VerifyError),
    /// The webhook outbox cannot be read or changed (exit 1).
    #[error(transparent)]
    Webhooks(#[from] WebhookError),
    /// A file or socket named on the command line cannot be used (exit 1).
    #[error("cannot {what} {}", path.display())]
    Io {
        /// What was tried, e.g. `write the plan to`.
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file named on the command line (or by the environment) is not the JSON it should be
    /// (exit 1).
    #[error("{}:{}:{}: {what} is not JSON", path.display(), source.line(), source.column())]
    Json {
        /// What the file is, e.g. `the event file`.
        what: &'static str,
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// `import` could not write its files: it wrote none (exit 1).
    #[error("cannot {what} {}: nothing was written", path.display())]
    Import {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No tenant could be reached with the settings given (exit 1; a tenant's refusal: 3).
    #[error(transparent)]
    Connect(#[from] crate::tenant::ConnectError),
    /// A saved plan (`--plan`) cannot be read (exit 1).
    #[error(transparent)]
    PlanFile(#[from] crate::output::plan::PlanFileError),
    /// Anything else (exit 1).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::pipeline::RunError> for CliError {
    fn from(e: crate::pipeline::RunError) -> Self {
        match e {
            crate::pipeline::RunError::Tenant(e) => CliError::Tenant(e),
            crate::pipeline::RunError::Recorder(e) => CliError::Recorder(e),
        }
    }
}

impl From<crate::output::Unprintable> for CliError {
    fn from(e: crate::output::Unprintable) -> Self {
        CliError::Io {
            what: "write to",
            path: "standard output".into(),
            source: e.0,
        }
    }
}

impl From<routing_api::ApiError> for CliError {
    fn from(e: routing_api::ApiError) -> Self {
        CliError::Tenant(e.into())
    }
}

pub(crate) fn finish(outcome: Result<Outcome, CliError>) -> ExitCode {
    let code = match outcome {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Invalid) => 1,
        Ok(Outcome::Changes) => 2,
        Ok(Outcome::Partial) => 4,
        Err(e) => {
            if crate::output::json_log() {
                // Every line JSON (`run --log-format json`): the error and its causes as one
                // event.
                let text = report(&e);
                let causes: Vec<&str> = text
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("caused by: "))
                    .collect();
                tracing::error!(caused_by = ?causes, "{e}");
            } else {
                eprint!("{}", report(&e));
            }
            exit_code(&e)
        }
    };
    ExitCode::from(code)
}

/// The exit code of an error (see the module's table).
pub(crate) fn exit_code(e: &CliError) -> u8 {
    match e {
        CliError::Usage(_) | CliError::Other(_) | CliError::Io { .. } => 1,
        CliError::PlanFile(_) | CliError::Json { .. } | CliError::Import { .. } => 1,
        CliError::Connect(crate::tenant::ConnectError::Tenant(t)) => tenant_code(t),
        CliError::Connect(_) => 1,
        CliError::Git(_) => 1,
        CliError::Recorder(_) | CliError::Audit(_) | CliError::Webhooks(_) => 1,
        CliError::Tenant(t) => tenant_code(t),
        CliError::GitHub(g) if g.is_config() => 1,
        CliError::GitHub(_) => 3,
    }
}

/// A tenant error's code: 3, except a wrong local setting (a plain-http URL to a remote host,
/// …), which is the command line's fault, not the tenant's: 1.
fn tenant_code(e: &tenant::TenantError) -> u8 {
    if e.kind().is_local() { 1 } else { 3 }
}

/// `error: …` and one `  caused by: …` line per cause in the chain. A cause whose text the
/// line above already shows (a message that ends with `: {source}`) is not repeated.
pub(crate) fn report(e: &CliError) -> String {
    let mut out = format!("error: {e}\n");
    let mut shown = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !shown.contains(&text) {
            out.push_str(&format!("  caused by: {text}\n"));
        }
        shown = text;
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: std::io::ErrorKind, msg: &str) -> std::io::Error {
        std::io::Error::new(kind, msg.to_string())
    }

    #[test]
    fn a_file_error_prints_its_cause_on_a_caused_by_line_and_exits_1() {
        let e = CliError::Io {
            what: "write the plan to",
            path: PathBuf::from("out/plan.json"),
            source: io(std::io::ErrorKind::PermissionDenied, "permission denied"),
        };
        assert_eq!(
            report(&e),
            "error: cannot write the plan to out/plan.json\n  caused by: permission denied\n"
        );
        assert_eq!(exit_code(&e), 1);
    }

    #[test]
    fn a_git_failure_is_not_a_usage_error_and_keeps_its_git_cause() {
        let e = CliError::from(GitError::NotARepository {
            path: PathBuf::from("/nowhere"),
            source: git2::Error::from_str("could not find repository"),
        });
        assert!(matches!(e, CliError::Git(_)));
        let cause = std::error::Error::source(&e).expect("the git2 error is kept");
        assert_eq!(cause.to_string(), "could not find repository");
        // The message already ends with the cause: it is shown once.
        assert_eq!(
            report(&e),
            "error: /nowhere: cannot open it as a git repository: could not find repository\n"
        );
        assert_eq!(exit_code(&e), 1);
    }

    #[test]
    fn an_audit_log_that_cannot_be_read_keeps_its_io_cause() {
        let e = CliError::from(VerifyError::Io {
            path: PathBuf::from("state/audit.jsonl"),
            source: io(std::io::ErrorKind::NotFound, "no such file"),
        });
        assert!(matches!(e, CliError::Audit(_)));
        let cause = std::error::Error::source(&e).expect("the io error is kept");
        assert_eq!(cause.to_string(), "no such file");
        assert_eq!(exit_code(&e), 1);
    }

    #[test]
    fn a_tenant_outage_exits_3_and_a_wrong_tenant_setting_exits_1() {
        let down = CliError::Tenant(tenant::TenantError::transport_message("connection refused"));
        assert_eq!(exit_code(&down), 3);
        let setting = CliError::Tenant(tenant::TenantError::Config("use https://".into()));
        assert_eq!(exit_code(&setting), 1);
    }
}
