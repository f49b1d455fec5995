//! The port's one error enum.

use std::time::Duration;

/// What went wrong talking to a tenant, in terms every platform shares.
///
/// Messages never contain a token or a secret: adapters redact server text before it lands
/// here.
#[derive(Clone, Debug, thiserror::Error)]
pub enum TenantError {
    /// The named object does not exist.
    #[error("{what} does not exist in the tenant")]
    NotFound { what: String },
    /// A conditional write failed: someone else wrote first.
    #[error("version conflict on queue {id}: the tenant is at version {current_version:?}")]
    Conflict {
        id: String,
        current_version: Option<u64>,
    },
    /// The tenant is rate limiting us and asks to wait `retry_after` (when it says).
    #[error("rate limited by the tenant{}", .retry_after.map(|d| format!(" (retry after {d:?})")).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// The tenant refused the credentials.
    #[error("the tenant refused the client credentials: {reason}")]
    Unauthorized { reason: String },
    /// The credentials lack a permission the call needs.
    #[error("permission denied: {reason}")]
    Forbidden { reason: String },
    /// The tenant rejected the request, with its reasons.
    #[error("the tenant rejected the request: {}", reasons.join("; "))]
    Rejected { reasons: Vec<String> },
    /// The tenant could not be reached or answered something unusable (retries ran out,
    /// network, an unexpected status or body).
    #[error("{message}")]
    Transport { message: String },
    /// The local configuration is wrong (bad URL, plain http to a non-loopback host, a missing
    /// credential): fixing it is the user's job, not the tenant's.
    #[error("client configuration: {0}")]
    Config(String),
    /// The platform's adapter cannot do this (yet).
    #[error("{0}")]
    Unsupported(String),
    /// The caller's fence refused the write before anything was sent (a runner that may no
    /// longer hold its leader Lease).
    #[error("not sent: {0}")]
    Fenced(String),
}

impl TenantError {
    /// Whether this is a version conflict (reconcile re-reads and retries).
    pub fn is_conflict(&self) -> bool {
        matches!(self, TenantError::Conflict { .. })
    }

    /// Whether the credentials were refused (fix the configuration; retrying will not help).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, TenantError::Unauthorized { .. })
    }

    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, TenantError::NotFound { .. })
    }
}
