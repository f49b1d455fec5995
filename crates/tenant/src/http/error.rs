//! What the HTTP core itself can fail with (an adapter maps answers; these are the failures
//! that are not an answer to map).

use std::sync::Arc;

use crate::TenantError;

/// A failure of the transport, worded for the person who reads it. No variant holds a
/// secret: every server text in it went through the [`Redactor`](super::Redactor).
#[derive(Clone, Debug, thiserror::Error)]
pub enum HttpError {
    /// No answer: the host could not be resolved or connected to, or the connection failed.
    #[error("cannot reach {host} ({endpoint}): {cause}{}", attempts_note(*.attempts))]
    Network {
        /// `host:port`, never a path or query.
        host: String,
        endpoint: String,
        /// The cause in plain words (`connection refused`, `the host name could not be
        /// resolved`, `no connection within 5.0 s`).
        cause: String,
        attempts: u32,
        #[source]
        source: Option<Arc<reqwest::Error>>,
    },
    /// A redirect. Redirects are never followed: a token or a credentials form would go
    /// wherever the server points. `location` is shown without its query or userinfo.
    #[error(
        "{endpoint} answered HTTP {status} redirecting to {location}; redirects are never \
         followed, so nothing was sent there: check the configured address"
    )]
    Redirected {
        endpoint: String,
        status: u16,
        location: String,
    },
    /// An answer's body was larger than the client's limit; the rest was not read.
    #[error(
        "{endpoint}: the answer is larger than {limit} bytes (the client's limit); it was not read"
    )]
    TooLarge { endpoint: String, limit: u64 },
    /// The client could not be built or a request not encoded.
    #[error("client configuration: {0}")]
    Config(String),
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (gave up after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl From<HttpError> for TenantError {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Config(message) => TenantError::Config(message),
            other => TenantError::transport(other),
        }
    }
}
