//! The GitHub REST calls that `cxqueues comment` makes: list a pull request's comments
//! (following the `Link` header's `rel="next"`), create one, update one — and, on top of them,
//! [`Client::upsert_marked`], which keeps exactly one comment per hidden marker.
//!
//! The requests go through the workspace's one HTTP core (`tenant::http`): GitHub's rate
//! limits (a 429, or a 403 that says so) are waited out within `max_wait`, a read that met a
//! server error is repeated (a create never), bodies are read within a cap, and GitHub's text
//! is redacted (the token, raw and as HTTP Basic), escaped and bounded.
//!
//! # Why reqwest through the core, not octocrab
//!
//! octocrab (0.54) is a well-kept, complete GitHub client, but this command needs three
//! endpoints, and octocrab brings its own HTTP stack beside the one the workspace already has:
//! hyper-util's legacy client, hyper-rustls, tower-http, hyper-timeout, chrono, snafu,
//! secrecy, and by default jsonwebtoken on aws-lc-rs (a C build, for GitHub App JWTs that a
//! workflow token never needs). Its reqwest support is optional and only for its own
//! features. The workspace already has reqwest 0.13 with rustls (ring) for the tenant API, so
//! the three calls on reqwest add no crate to the build, keep one TLS configuration, and let
//! this crate decide the parts that matter here and that a generic client leaves to the
//! caller anyway: waiting out GitHub's primary and secondary rate limits within a bound
//! (`Retry-After`, `x-ratelimit-reset`), errors that name the workflow permission to add, and a
//! token that is a [`tenant::Secret`], sent as a sensitive header and never printed.

mod client;
mod error;
mod wire;

pub use client::{ACTIONS_BOT, Client, Comment, Config, Posted, Upsert, User};
pub use error::GitHubError;
pub use wire::{next_link, rate_limit_wait};

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// The default API root (`GITHUB_API_URL` overrides it, as on GitHub Enterprise Server).
pub const DEFAULT_API_URL: &str = "https://api.github.com";
