//! The one token cache: a fast read path, a single-flight refresh, and the tokens in play
//! (for the redactor). The core asks it for a token before **every** attempt, so a token that
//! expires while a request waits out `429`s is refreshed, never sent again.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::RwLock;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::HttpError;
use crate::Secret;

/// A token answer without `expires_in` is trusted for this long.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// A token is never trusted for longer than this, whatever `expires_in` says (so that
/// `expires_in: 18446744073709551615` is a day, not an overflow).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How many earlier tokens (and their companions) stay redacted after they are replaced.
const REMEMBERED: usize = 8;

/// What an adapter's token request obtained.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The access token.
    pub token: Secret,
    /// Seconds until it expires, as the server said (`None`: not said).
    pub expires_in: Option<f64>,
    /// When the request that obtained it was sent (its lifetime counts from there).
    pub sent_at: Instant,
    /// Other secrets of the answer (a refresh token, an id token): redacted like the token.
    pub companions: Vec<Secret>,
}

/// An adapter's token request. The core single-flights it through a [`TokenCache`]
/// (`Auth::Token(cache, source)`).
pub trait TokenSource: Sync {
    /// The adapter's error (a failed token request answers every caller that waited for it).
    type Error: From<HttpError> + Clone + Send + Sync;

    /// One token request.
    fn fetch_token(&self) -> impl Future<Output = Result<Issued, Self::Error>> + Send;
}

/// A token and when to stop using it.
#[derive(Clone)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// The cached token of one client.
pub struct TokenCache<E> {
    current: RwLock<Option<Cached>>,
    /// Every token (and companion) issued lately, newest last.
    in_play: RwLock<VecDeque<Secret>>,
    /// Held by the one task fetching a token; the last failure and when it happened, so that
    /// callers that were already waiting for that refresh get the same error instead of
    /// sending a request each.
    refresh: tokio::sync::Mutex<Option<(Instant, E)>>,
    /// A token is refreshed this long before it expires (at most half its lifetime).
    skew: Duration,
}

impl<E: Clone> std::fmt::Debug for TokenCache<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("has_token", &self.fresh().is_some())
            .finish_non_exhaustive()
    }
}

impl<E: Clone> TokenCache<E> {
    /// An empty cache that refreshes `skew` before expiry (never before half a lifetime).
    pub fn new(skew: Duration) -> Self {
        Self {
            current: RwLock::new(None),
            in_play: RwLock::new(VecDeque::new()),
            refresh: tokio::sync::Mutex::new(None),
            skew,
        }
    }

    /// The cached token, if it is not yet due for a refresh.
    pub fn fresh(&self) -> Option<Secret> {
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.token.clone())
    }

    /// Every token and companion issued lately, to redact from anything a server says.
    pub fn in_play(&self) -> Vec<Secret> {
        let guard = self.in_play.read().unwrap_or_else(|p| p.into_inner());
        guard.iter().cloned().collect()
    }

    /// A usable token: the cached one, or one fetch shared by every waiter.
    pub async fn bearer<S: TokenSource<Error = E>>(&self, source: &S) -> Result<Secret, E> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let asked_at = Instant::now();
        let mut last_failure = self.refresh.lock().await;
        // Someone else may have refreshed (or failed to) while we waited for the lock.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        if let Some((failed_at, error)) = last_failure.as_ref()
            && *failed_at >= asked_at
        {
            return Err(error.clone());
        }
        match source.fetch_token().await {
            Ok(issued) => {
                *last_failure = None;
                Ok(self.store(issued))
            }
            Err(error) => {
                *last_failure = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    /// Caches `issued`: refreshed `skew` before it expires, but no earlier than half-way
    /// through its lifetime, so that short-lived tokens are still reused.
    fn store(&self, issued: Issued) -> Secret {
        let lifetime = lifetime(issued.expires_in);
        let refresh_at = issued.sent_at + lifetime - self.skew.min(lifetime / 2);
        {
            let mut in_play = self.in_play.write().unwrap_or_else(|p| p.into_inner());
            in_play.push_back(issued.token.clone());
            in_play.extend(issued.companions);
            while in_play.len() > REMEMBERED {
                in_play.pop_front();
            }
        }
        let token = issued.token;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
            token: token.clone(),
            refresh_at,
        });
        token
    }

    /// Drops `rejected` (the server answered 401 to it), unless another task has already
    /// replaced it with a newer token.
    pub fn rejected(&self, rejected: &Secret) {
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|c| &c.token == rejected) {
            *guard = None;
        }
    }

    /// Forgets the cached token, so that the next call fetches a new one.
    pub fn forget(&self) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// How long a token answered with `expires_in` is trusted: [`DEFAULT_TOKEN_LIFETIME`] when
/// not said or unusable, at most [`MAX_TOKEN_LIFETIME`].
pub fn lifetime(expires_in: Option<f64>) -> Duration {
    expires_in
        .filter(|secs| secs.is_finite() && *secs > 0.0)
        .map_or(DEFAULT_TOKEN_LIFETIME, |secs| {
            Duration::from_secs_f64(secs.min(MAX_TOKEN_LIFETIME.as_secs_f64()))
        })
}

/// An OAuth token endpoint's 200 answer (RFC 6749 §5.1), read field by field.
#[derive(Debug)]
pub struct TokenAnswer {
    pub access_token: Secret,
    /// Seconds, as a JSON number or a string holding one (`"3600"`, as some servers send).
    pub expires_in: Option<f64>,
    /// Every other field (`refresh_token`, `id_token`, …).
    pub fields: Map<String, Value>,
}

impl TokenAnswer {
    /// Reads the answer. `Err` says what is wrong (completing "a body that …") without
    /// quoting the body, which holds the token.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            format!(
                "is not JSON (it breaks at line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let Value::Object(mut fields) = value else {
            return Err(format!("is JSON {}, not an object", kind(&value)));
        };
        let access_token = match fields.remove("access_token") {
            Some(Value::String(token)) if !token.trim().is_empty() => Secret::new(token),
            Some(Value::String(_)) => return Err("has an empty access_token".into()),
            Some(other) => {
                return Err(format!(
                    "has access_token as {}, not a string",
                    kind(&other)
                ));
            }
            None => return Err("has no access_token".into()),
        };
        let expires_in = match fields.get("expires_in") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(text)) => Some(text.trim().parse::<f64>().map_err(|_| {
                "has expires_in as a string that is not a number of seconds".to_owned()
            })?),
            Some(other) => {
                return Err(format!(
                    "has expires_in as {}, not a number of seconds",
                    kind(other)
                ));
            }
        };
        Ok(Self {
            access_token,
            expires_in,
            fields,
        })
    }

    /// What the cache keeps of this answer, obtained by a request sent at `sent_at`, with
    /// the answer's other secrets (`refresh_token`, `id_token`) to redact.
    pub fn issued(self, sent_at: Instant, companions: Vec<Secret>) -> Issued {
        Issued {
            token: self.access_token,
            expires_in: self.expires_in,
            sent_at,
            companions,
        }
    }

    /// A string field of the answer as a secret (`refresh_token`, `id_token`), if present
    /// and not empty.
    pub fn secret_field(&self, name: &str) -> Option<Secret> {
        match self.fields.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(Secret::new(s.clone())),
            _ => None,
        }
    }
}

/// What kind of JSON value `value` is, in words.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A token endpoint's error answer (RFC 6749 §5.2).
#[derive(Debug, Default, Deserialize)]
pub struct OAuthError {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

impl OAuthError {
    /// The error body of `body`, or an empty one.
    pub fn parse(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(token: &str, expires_in: Option<f64>) -> Issued {
        Issued {
            token: Secret::new(token),
            expires_in,
            sent_at: Instant::now(),
            companions: vec![Secret::new(format!("{token}-refresh"))],
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_refreshed_skew_before_expiry_but_not_before_half_its_life() {
        let table = [
            (Some(3600.0), 3570),
            (Some(3.0), 1),
            (None, 270),
            (Some(18_446_744_073_709_551_615.0), 24 * 3600 - 30),
            (Some(f64::NAN), 270),
            (Some(-5.0), 270),
        ];
        for (expires_in, fresh_for) in table {
            let cache: TokenCache<String> = TokenCache::new(Duration::from_secs(30));
            cache.store(issued("t", expires_in));
            tokio::time::advance(Duration::from_millis(fresh_for * 1000 - 1)).await;
            assert!(cache.fresh().is_some(), "{expires_in:?}");
            tokio::time::advance(Duration::from_millis(1500)).await;
            assert!(cache.fresh().is_none(), "{expires_in:?}");
        }
    }

    #[tokio::test]
    async fn a_rejected_old_token_keeps_the_new_one_and_both_stay_in_play() {
        let cache: TokenCache<String> = TokenCache::new(Duration::ZERO);
        cache.store(issued("old", Some(60.0)));
        cache.store(issued("new", Some(60.0)));
        cache.rejected(&Secret::new("old"));
        assert_eq!(cache.fresh(), Some(Secret::new("new")));
        let in_play: Vec<String> = cache
            .in_play()
            .iter()
            .map(|s| s.expose().to_owned())
            .collect();
        assert_eq!(in_play, ["old", "old-refresh", "new", "new-refresh"]);
        cache.rejected(&Secret::new("new"));
        assert_eq!(cache.fresh(), None);
        assert!(!format!("{cache:?}").contains("new"));
    }

    #[test]
    fn a_token_answer_is_read_field_by_field_and_problems_are_named() {
        let ok = [
            (r#"{"access_token":"t","expires_in":3600}"#, Some(3600.0)),
            (r#"{"access_token":"t","expires_in":"3600"}"#, Some(3600.0)),
            (r#"{"access_token":"t","expires_in":" 1.5 "}"#, Some(1.5)),
            (
                r#"{"access_token":"t","expires_in":18446744073709551615}"#,
                Some(18_446_744_073_709_551_615.0),
            ),
            (r#"{"access_token":"t","expires_in":null}"#, None),
            (r#"{"access_token":"t"}"#, None),
        ];
        for (body, expires_in) in ok {
            let answer = TokenAnswer::parse(body.as_bytes()).unwrap();
            assert_eq!(answer.access_token, Secret::new("t"), "{body}");
            assert_eq!(answer.expires_in, expires_in, "{body}");
        }
        let bad = [
            (
                r#"{"access_token":"t","expires_in":"soon"}"#,
                "expires_in as a string",
            ),
            (
                r#"{"access_token":"t","expires_in":[1]}"#,
                "expires_in as an array",
            ),
            (r#"{"access_token":7}"#, "access_token as a number"),
            (r#"{"access_token":" "}"#, "empty access_token"),
            (r#"{"token":"t"}"#, "no access_token"),
            (r#"["t"]"#, "JSON an array, not an object"),
            ("{\"access_token\":\"SENSITIVE", "is not JSON"),
        ];
        for (body, named) in bad {
            let problem = TokenAnswer::parse(body.as_bytes()).err().unwrap();
            assert!(problem.contains(named), "{body}: {problem}");
            assert!(!problem.contains("SENSITIVE"), "{problem}");
        }
        let answer =
            TokenAnswer::parse(br#"{"access_token":"t","refresh_token":"r","id_token":""}"#)
                .unwrap();
        assert_eq!(answer.secret_field("refresh_token"), Some(Secret::new("r")));
        assert_eq!(answer.secret_field("id_token"), None);
    }
}
