//! The port's one error enum, and the kind that exit codes and metrics tell errors apart by.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What went wrong talking to a tenant, in terms every platform shares.
///
/// Messages never contain a token or a secret: adapters pass server text through the HTTP
/// core's redactor before it lands here.
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
    #[error("rate limited by the tenant{}", .retry_after.map(|d| format!(" (it asks to wait {} s)", d.as_secs_f64())).unwrap_or_default())]
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
    /// network, an unexpected status or body). `source` is the failure underneath, when
    /// there is one (a connection error, the HTTP core's error).
    #[error("{message}")]
    Transport {
        message: String,
        #[source]
        source: Option<Cause>,
    },
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

/// The failure underneath a [`TenantError`] (cheap to clone, so the error stays `Clone`).
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    /// Wraps `error`.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What kind of failure a [`TenantError`] is: what exit codes, metrics and the controller's
/// decisions go by, so that none of them reads an error's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The object does not exist.
    NotFound,
    /// Someone else wrote first.
    Conflict,
    /// The tenant throttles us.
    RateLimited,
    /// The credentials were refused.
    Unauthorized,
    /// A permission is missing.
    Forbidden,
    /// The tenant refused the request's content.
    Rejected,
    /// The tenant could not be reached, or its answer was unusable.
    Transport,
    /// The local configuration is wrong.
    Config,
    /// The adapter cannot do this.
    Unsupported,
    /// The caller's fence kept the write from being sent.
    Fenced,
}

impl ErrorKind {
    /// A short lower-case name, for metric labels and logs (`rate_limited`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Transport => "transport",
            ErrorKind::Config => "config",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Fenced => "fenced",
        }
    }

    /// Whether fixing it is the user's local job (a setting), not the tenant's.
    pub fn is_local(self) -> bool {
        matches!(self, ErrorKind::Config | ErrorKind::Unsupported)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TenantError {
    /// A transport failure in `message`'s words, with nothing underneath.
    pub fn transport_message(message: impl Into<String>) -> Self {
        TenantError::Transport {
            message: message.into(),
            source: None,
        }
    }

    /// A transport failure caused by `error` (its text is the message; it is the source).
    pub fn transport(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        TenantError::Transport {
            message: error.to_string(),
            source: Some(Cause::new(error)),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TenantError::NotFound { .. } => ErrorKind::NotFound,
            TenantError::Conflict { .. } => ErrorKind::Conflict,
            TenantError::RateLimited { .. } => ErrorKind::RateLimited,
            TenantError::Unauthorized { .. } => ErrorKind::Unauthorized,
            TenantError::Forbidden { .. } => ErrorKind::Forbidden,
            TenantError::Rejected { .. } => ErrorKind::Rejected,
            TenantError::Transport { .. } => ErrorKind::Transport,
            TenantError::Config(_) => ErrorKind::Config,
            TenantError::Unsupported(_) => ErrorKind::Unsupported,
            TenantError::Fenced(_) => ErrorKind::Fenced,
        }
    }

    /// Whether this is a version conflict (reconcile re-reads and retries).
    pub fn is_conflict(&self) -> bool {
        self.kind() == ErrorKind::Conflict
    }

    /// Whether the credentials were refused (fix the configuration; retrying will not help).
    pub fn is_unauthorized(&self) -> bool {
        self.kind() == ErrorKind::Unauthorized
    }

    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_kind_and_a_transport_error_keeps_its_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let table = [
            (
                TenantError::NotFound { what: "q".into() },
                ErrorKind::NotFound,
            ),
            (
                TenantError::Conflict {
                    id: "q".into(),
                    current_version: Some(2),
                },
                ErrorKind::Conflict,
            ),
            (
                TenantError::RateLimited {
                    retry_after: Some(Duration::from_secs(600)),
                },
                ErrorKind::RateLimited,
            ),
            (
                TenantError::Unauthorized { reason: "r".into() },
                ErrorKind::Unauthorized,
            ),
            (
                TenantError::Forbidden { reason: "r".into() },
                ErrorKind::Forbidden,
            ),
            (
                TenantError::Rejected {
                    reasons: vec!["r".into()],
                },
                ErrorKind::Rejected,
            ),
            (TenantError::transport(io), ErrorKind::Transport),
            (TenantError::Config("c".into()), ErrorKind::Config),
            (TenantError::Unsupported("u".into()), ErrorKind::Unsupported),
        ];
        for (error, kind) in table {
            assert_eq!(error.kind(), kind, "{error}");
        }
        let error = TenantError::transport(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
        let source = std::error::Error::source(&error).expect("a source");
        assert_eq!(source.to_string(), "connection refused");
        assert_eq!(error.to_string(), "connection refused");
        let waited = TenantError::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
        };
        assert!(waited.to_string().contains("600 s"), "{waited}");
    }
}
