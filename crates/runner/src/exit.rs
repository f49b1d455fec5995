//! Outcomes and errors of a command, and the one place that maps them to exit codes
//! (`shared/spec/cli.md`).

use std::process::ExitCode;

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
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
pub enum CliError {
    /// The command line or local input is wrong (exit 1).
    #[error("{0}")]
    Usage(String),
    /// The tenant could not be read or written (exit 3).
    #[error(transparent)]
    Tenant(#[from] tenant::TenantError),
    /// GitHub refused or could not be reached (exit 3; a wrong setting is exit 1).
    #[error(transparent)]
    GitHub(#[from] github::GitHubError),
    /// Anything else (exit 1).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<routing_api::ApiError> for CliError {
    fn from(e: routing_api::ApiError) -> Self {
        CliError::Tenant(e.into())
    }
}

pub fn finish(outcome: Result<Outcome, CliError>) -> ExitCode {
    let code = match outcome {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Invalid) => 1,
        Ok(Outcome::Changes) => 2,
        Ok(Outcome::Partial) => 4,
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                CliError::Usage(_) | CliError::Other(_) => 1,
                // A wrong local setting (a plain-http URL to a remote host, …) is the
                // command line's fault, not the tenant's.
                CliError::Tenant(tenant::TenantError::Config(_)) => 1,
                CliError::Tenant(tenant::TenantError::Unsupported(_)) => 1,
                CliError::Tenant(_) => 3,
                CliError::GitHub(g) if g.is_config() => 1,
                CliError::GitHub(_) => 3,
            }
        }
    };
    ExitCode::from(code)
}
