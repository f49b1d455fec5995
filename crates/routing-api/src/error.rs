//! Typed errors that say what failed and what to do about it.

/// What went wrong talking to the tenant.
///
/// Messages never contain a token or the client secret. The type is `Clone` so that one
/// failed token request can answer every caller that was waiting for it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    /// The tenant refused the client credentials (the token endpoint said `invalid_client`,
    /// or an API call answered 401 even to a freshly issued token). `reason` says which.
    #[error("the tenant refused the client credentials: {reason}")]
    Unauthorized { reason: String },
    /// The token lacks a scope the call needs.
    #[error(
        "permission denied: the client lacks the scope `{scope}`; grant it to the API client in the tenant's admin console"
    )]
    Forbidden { scope: String },
    /// The named object does not exist.
    #[error("{what} does not exist in the tenant")]
    NotFound { what: String },
    /// The version precondition failed: someone else wrote first.
    #[error("version conflict on queue {id}: the tenant is at version {current_version:?}")]
    Conflict {
        id: String,
        current_version: Option<u64>,
    },
    /// A create found the name taken.
    #[error("a queue named {name:?} already exists in the tenant")]
    NameTaken { name: String },
    /// The tenant rejected the request body.
    #[error("the tenant rejected the request: {}", errors.join("; "))]
    BadRequest { errors: Vec<String> },
    /// Retries ran out (429/503/5xx/transport).
    #[error("giving up after {attempts} attempts: {last}")]
    RetriesExhausted { attempts: u32, last: String },
    /// The tenant could not be reached.
    #[error("cannot reach the tenant at {base_url}: {reason}")]
    Network { base_url: String, reason: String },
    /// The tenant answered with a redirect. Redirects are never followed: the token, or the
    /// client-credentials form, would go wherever the server points. `location` is shown
    /// without its query, fragment or userinfo.
    #[error(
        "{endpoint} answered HTTP {status} redirecting to {location}; redirects are never followed, so nothing was sent there: check base_url and token_url"
    )]
    Redirected {
        endpoint: String,
        status: u16,
        location: String,
    },
    /// An answer's body was longer than `max_response_bytes`; the rest was not read.
    #[error(
        "{endpoint} answered with a body larger than {limit} bytes (max_response_bytes); it was not read further"
    )]
    ResponseTooLarge { endpoint: String, limit: u64 },
    /// A paged list the client will not trust: too long, or a page repeating what was listed.
    #[error("listing {endpoint} stopped at page {page}: {reason}")]
    BadListing {
        endpoint: String,
        page: u64,
        reason: String,
    },
    /// Any other unexpected answer.
    #[error("unexpected answer from the tenant: HTTP {status}: {body}")]
    Unexpected { status: u16, body: String },
    /// The client is configured wrongly (bad URL, plain http to a non-loopback host, …).
    #[error("client configuration: {0}")]
    Config(String),
    /// The caller asked for something the client cannot send (an update without an id, …).
    #[error("invalid request: {0}")]
    InvalidInput(String),
}

impl ApiError {
    /// Whether this is a version conflict (reconcile re-reads and retries).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ApiError::Conflict { .. })
    }

    /// Whether the credentials were refused (fix the configuration; retrying will not help).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Unauthorized { .. })
    }

    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::NotFound { .. })
    }
}
