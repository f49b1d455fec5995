//! What can go wrong talking to GitHub, each case worded for the person who reads a job log.

use std::time::Duration;

/// The one error type of this crate. No variant holds the token, and the messages GitHub
/// sends back passes through the HTTP core's redactor before it is kept.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// A wrong setting (URL, repository name, token missing): the command line's fault.
    #[error("{0}")]
    Config(String),
    /// 401: the token is not accepted.
    #[error(
        "GitHub rejected the token (401 Unauthorized) on {what}: GITHUB_TOKEN is invalid or has expired"
    )]
    Unauthorized { what: String },
    /// 403 or 404 that is not a rate limit: the token may not do this, or cannot see the
    /// repository or pull request.
    #[error(
        "GitHub refused {what} ({status}{detail}): the workflow's token cannot write comments on \
         pull requests of {repository}. Give the job `permissions: pull-requests: write` \
         (pull requests from forks get a read-only token), and check that GITHUB_REPOSITORY and \
         the pull request number are right"
    )]
    Forbidden {
        status: u16,
        what: String,
        repository: String,
        /// `: <GitHub's message>`, or empty.
        detail: String,
    },
    /// 422: GitHub would not take the body.
    #[error(
        "GitHub refused the comment body (422 Unprocessable Entity{detail}): it was {chars} \
         characters, and a comment may hold at most 65,536"
    )]
    BodyRejected { chars: usize, detail: String },
    /// A rate limit that outlasts what this command waits.
    #[error(
        "GitHub's rate limit on {what}: {reason}; gave up rather than wait longer than {max_wait:?}"
    )]
    RateLimited {
        what: String,
        reason: String,
        max_wait: Duration,
    },
    /// Any other answer that is not a success.
    #[error("GitHub answered {status} to {what}{detail}")]
    Status {
        status: u16,
        what: String,
        detail: String,
    },
    /// The answer could not be used (a redirect, which is never followed; a body past the
    /// client's limit).
    #[error("GitHub's answer to {what} cannot be used: {reason}")]
    Http { what: String, reason: String },
    /// No answer at all.
    #[error("cannot reach GitHub for {what}: {reason}")]
    Network { what: String, reason: String },
    /// An answer that is not the JSON expected.
    #[error("GitHub's answer to {what} is not the JSON expected: {reason}")]
    Decode { what: String, reason: String },
}

impl GitHubError {
    /// A wrong local setting (exit 1) rather than GitHub refusing (exit 3).
    pub fn is_config(&self) -> bool {
        matches!(self, GitHubError::Config(_))
    }
}
