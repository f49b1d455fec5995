//! The one error type of the crate.

use std::path::PathBuf;

/// Why a proposal could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum OptimizeError {
    /// A metrics file that cannot be read: `origin` is `file:line:col`.
    #[error("{origin}: {message}")]
    Metrics { origin: String, message: String },
    /// A metrics row that names no queue of the repository.
    #[error("{origin}: queue {name:?} is not in the repository")]
    UnknownQueue { origin: String, name: String },
    /// Options that make no sense (`--tail`, `--only`).
    #[error("{0}")]
    Options(String),
    /// A Queue file that cannot be edited without losing something; nothing was written.
    #[error("{}: {message}", file.display())]
    Edit { file: PathBuf, message: String },
}
