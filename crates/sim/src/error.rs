//! The crate's one error type.

use std::{io, net::SocketAddr, path::PathBuf};

/// Everything that can go wrong when building or running a simulated tenant.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The seed file could not be read.
    #[error("cannot read seed file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The seed is not valid JSON for a [`Seed`](crate::Seed).
    #[error("invalid seed JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The seed is not valid YAML for a [`Seed`](crate::Seed).
    #[error("invalid seed YAML: {0}")]
    Yaml(String),
    /// The seed parsed but describes an impossible tenant; every reason is listed.
    #[error("invalid seed: {}", .0.join("; "))]
    InvalidSeed(Vec<String>),
    /// A fault setting is out of range.
    #[error("invalid faults: {0}")]
    InvalidFaults(String),
    /// No queue has that name (or id).
    #[error("no queue named {0:?}")]
    QueueNotFound(String),
    /// A direct state edit was refused.
    #[error("edit refused: {0}")]
    EditRefused(String),
    /// The listening socket could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// [`Sim::start`](crate::Sim::start) was called outside a tokio runtime.
    #[error("Sim::start must be called from within a tokio runtime")]
    NoRuntime,
    /// The server stopped with an I/O error.
    #[error("server error: {0}")]
    Serve(#[source] io::Error),
}
