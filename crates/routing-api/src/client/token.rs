//! The cached OAuth access token and the lock that keeps one refresh in flight.

use std::sync::RwLock;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use tenant::Secret;

use crate::ApiError;

/// A token and when to stop using it.
#[derive(Clone)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// What the last refresh attempt left behind, guarded by the refresh lock.
#[derive(Default)]
pub(crate) struct RefreshState {
    /// The last refresh failure and when it happened: callers that were already waiting
    /// for that refresh get the same error instead of sending a request each.
    pub last_failure: Option<(Instant, ApiError)>,
}

/// The token cache: a fast read path and a single-flight refresh lock.
#[derive(Default)]
pub(crate) struct TokenCache {
    current: RwLock<Option<Cached>>,
    /// Held by the one task that is fetching a token; everyone else waits on it.
    pub refresh: tokio::sync::Mutex<RefreshState>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("has_token", &self.has_token())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// The cached token, if it is not yet due for a refresh.
    pub fn fresh(&self) -> Option<Secret> {
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.token.clone())
    }

    /// The cached token, fresh or not (to redact it from anything a server says).
    pub fn current(&self) -> Option<Secret> {
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|c| c.token.clone())
    }

    /// Whether any token (fresh or not) is cached.
    pub fn has_token(&self) -> bool {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Caches `token`, obtained by a request sent at `sent_at` and valid for `lifetime`.
    /// It is refreshed `skew` before it expires, but no earlier than half-way through its
    /// lifetime, so that short-lived tokens are still reused.
    pub fn store(&self, token: Secret, sent_at: Instant, lifetime: Duration, skew: Duration) {
        let refresh_at = sent_at + lifetime - skew.min(lifetime / 2);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) =
            Some(Cached { token, refresh_at });
    }

    /// Drops `rejected` (the tenant answered 401 to it), unless another task has already
    /// replaced it with a newer token.
    pub fn invalidate(&self, rejected: &Secret) {
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|c| &c.token == rejected) {
            *guard = None;
        }
    }
}

/// The token endpoint's 200 answer.
pub(crate) struct TokenResponse {
    pub access_token: Secret,
    /// Seconds, as a JSON number or a string holding one (`"3600"`, as some servers send).
    pub expires_in: Option<f64>,
}

impl TokenResponse {
    /// Reads the answer field by field. `Err` says what is wrong (completing "a body that
    /// …") without quoting the body, which holds the token.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            format!(
                "is not JSON (it breaks at line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let Value::Object(fields) = value else {
            return Err(format!("is JSON {}, not an object", kind(&value)));
        };
        let access_token = match fields.get("access_token") {
            Some(Value::String(token)) if !token.trim().is_empty() => Secret::new(token.clone()),
            Some(Value::String(_)) => return Err("has an empty access_token".into()),
            Some(other) => {
                return Err(format!("has access_token as {}, not a string", kind(other)));
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
        })
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

/// The token endpoint's error answer (RFC 6749 §5.2).
#[derive(Default, Deserialize)]
pub(crate) struct TokenError {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refreshed_skew_before_expiry_but_not_before_half_its_life() {
        let cache = TokenCache::default();
        let now = Instant::now();
        cache.store(
            Secret::new("t"),
            now,
            Duration::from_secs(3600),
            Duration::from_secs(30),
        );
        let at = cache.current.read().unwrap().as_ref().unwrap().refresh_at;
        assert_eq!(at - now, Duration::from_secs(3570));
        cache.store(
            Secret::new("t"),
            now,
            Duration::from_secs(2),
            Duration::from_secs(30),
        );
        let at = cache.current.read().unwrap().as_ref().unwrap().refresh_at;
        assert_eq!(at - now, Duration::from_secs(1));
    }

    #[test]
    fn a_token_answer_is_read_field_by_field_and_problems_are_named() {
        let ok = [
            (r#"{"access_token":"t","expires_in":3600}"#, Some(3600.0)),
            (r#"{"access_token":"t","expires_in":"3600"}"#, Some(3600.0)),
            (r#"{"access_token":"t","expires_in":" 1.5 "}"#, Some(1.5)),
            (r#"{"access_token":"t","expires_in":null}"#, None),
            (r#"{"access_token":"t"}"#, None),
        ];
        for (body, expires_in) in ok {
            let answer = TokenResponse::parse(body.as_bytes()).unwrap();
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
            let problem = TokenResponse::parse(body.as_bytes()).err().unwrap();
            assert!(problem.contains(named), "{body}: {problem}");
            assert!(!problem.contains("SENSITIVE"), "{problem}");
        }
    }

    #[test]
    fn invalidating_an_old_token_keeps_the_new_one() {
        let cache = TokenCache::default();
        let now = Instant::now();
        let long = Duration::from_secs(60);
        cache.store(Secret::new("new"), now, long, Duration::ZERO);
        cache.invalidate(&Secret::new("old"));
        assert_eq!(cache.fresh(), Some(Secret::new("new")));
        cache.invalidate(&Secret::new("new"));
        assert_eq!(cache.fresh(), None);
        assert!(!format!("{cache:?}").contains("new"));
    }
}
