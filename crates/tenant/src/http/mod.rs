//! The one HTTP core (feature `http`), used by every adapter, by GitHub and by webhook
//! delivery; the port itself stays types and a trait.
//!
//! - [`HttpCore`]: the client built once ([`build_client`]: no redirects, timeouts, user
//!   agent, one rustls crypto provider), the [`Pacer`] (a `governor` rate limit), the one
//!   retry policy ([`RetryPolicy`]: [`crate::Backoff`], `Retry-After` honoured up to 180 s,
//!   an unsure POST never blindly repeated), the token cache consulted before every attempt
//!   ([`TokenCache`], [`TokenSource`]), capped body reads ([`read_capped`]) and the
//!   [`Redactor`] through which every server text passes before it becomes an error, a log
//!   line or a `/status` field.
//! - An adapter keeps only its token request ([`TokenSource::fetch_token`]), its error
//!   mapping (of a [`Reply`]), its paging and its wire mapping.

mod body;
mod core;
mod error;
mod pace;
mod redact;
mod retry;
#[cfg(feature = "http-testing")]
pub mod testkit;
mod token;

pub use self::core::{
    Auth, Body, Call, CoreConfig, DEFAULT_CONNECT_TIMEOUT, HttpCore, NoToken, Outcome,
    RateLimitRule, Repeat, Reply, build_client, install_crypto_provider, plain_cause, with_path,
};
pub use body::{BodyError, DEFAULT_MAX_RESPONSE_BYTES, read_capped};
pub use error::HttpError;
pub use pace::Pacer;
pub use redact::{MAX_SHOWN_BYTES, REDACTED, Redactor, sanitised};
pub use retry::{Budget, MAX_RETRY_AFTER, RetryPolicy, parse_retry_after};
pub use token::{
    DEFAULT_TOKEN_LIFETIME, Issued, MAX_TOKEN_LIFETIME, OAuthError, TokenAnswer, TokenCache,
    TokenSource, lifetime,
};
