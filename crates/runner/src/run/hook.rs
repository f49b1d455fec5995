//! `POST /v1/hooks/github`: GitHub's push event makes the runner fetch at once.
//!
//! - Off (404, "the hook is off") while `CXQUEUES_GITHUB_WEBHOOK_SECRET` is unset.
//! - `X-Hub-Signature-256: sha256=<hex>` must be the HMAC-SHA256 of the body under that
//!   secret, compared in constant time; a missing or wrong signature is 401 and nothing else
//!   is read.
//! - A signed `ping` is 200; a signed `push` for the followed branch is 202 and a fetch now;
//!   a push for another branch, or any other event, is 202 with no fetch.
//! - The body may be up to 25 MB (GitHub's largest payload), a limit of its own, apart from
//!   `--http-body-limit`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use tenant::Secret;
use tokio::sync::Notify;
use tracing::{debug, info};

use super::http::error;

/// The route's path.
pub const PATH: &str = "/v1/hooks/github";
/// The variable holding the webhook secret.
pub const SECRET_ENV: &str = "CXQUEUES_GITHUB_WEBHOOK_SECRET";
/// GitHub caps a webhook payload at 25 MB.
pub const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// What the hook needs.
#[derive(Clone, Debug)]
pub struct HookState {
    /// The webhook secret; `None`: the hook is off.
    pub secret: Option<Arc<Secret>>,
    /// The followed branch.
    pub branch: String,
    /// Wakes the remote's fetch loop; `None` when the runner follows a local checkout.
    pub fetch: Option<Arc<Notify>>,
}

impl HookState {
    /// The secret from `CXQUEUES_GITHUB_WEBHOOK_SECRET` (the hook is off without it).
    pub fn from_env(branch: &str, fetch: Option<Arc<Notify>>) -> Self {
        let secret = std::env::var(SECRET_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .map(|s| Arc::new(Secret::new(s)));
        Self {
            secret,
            branch: branch.to_string(),
            fetch,
        }
    }
}

/// The router of the hook, with its own body limit.
pub fn router(state: HookState) -> Router {
    Router::new().route(PATH, post(github)).with_state(state)
}

/// Whether `signature` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`, checked
/// in constant time.
pub fn signature_matches(secret: &Secret, body: &[u8], signature: Option<&str>) -> bool {
    let Some(hex_sig) = signature.and_then(|s| s.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn github(State(s): State<HookState>, headers: HeaderMap, body: Body) -> Response {
    let Some(secret) = &s.secret else {
        return error(
            StatusCode::NOT_FOUND,
            "the hook is off: set CXQUEUES_GITHUB_WEBHOOK_SECRET to turn it on",
        );
    };
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is above the {BODY_LIMIT}-byte limit"),
        );
    };
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !signature_matches(secret, &body, signature) {
        return error(
            StatusCode::UNAUTHORIZED,
            "a valid X-Hub-Signature-256 is required (HMAC-SHA256 of the body under the webhook secret)",
        );
    }
    let event = headers
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let delivery = headers
        .get("x-github-delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    match event {
        "ping" => (StatusCode::OK, Json(json!({"ok": true}))).into_response(),
        "push" => {
            let pushed = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("ref").and_then(|r| r.as_str()).map(str::to_string));
            let followed = format!("refs/heads/{}", s.branch);
            if pushed.as_deref() != Some(followed.as_str()) {
                debug!(
                    delivery,
                    pushed = pushed.as_deref().unwrap_or("-"),
                    "a push for another branch: no fetch"
                );
                return accepted(false, "the push is not for the followed branch");
            }
            match &s.fetch {
                Some(fetch) => {
                    info!(delivery, branch = %s.branch, "GitHub push: fetching now");
                    fetch.notify_one();
                    accepted(true, "fetching now")
                }
                None => accepted(false, "the runner follows a local checkout (no --git-url)"),
            }
        }
        other => {
            debug!(
                delivery,
                event = other,
                "a GitHub event other than push: ignored"
            );
            accepted(false, "only push events make the runner fetch")
        }
    }
}

fn accepted(fetch: bool, reason: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({"fetch": fetch, "reason": reason})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::http::Request;
    use std::time::Duration;
    use tower::ServiceExt;

    const SECRET: &str = "hook-s3cret";

    /// The signature GitHub would send for `body`.
    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn app(secret: Option<&str>) -> (Router, Arc<Notify>) {
        let fetch = Arc::new(Notify::new());
        let state = HookState {
            secret: secret.map(|s| Arc::new(Secret::new(s.to_string()))),
            branch: "main".into(),
            fetch: Some(fetch.clone()),
        };
        (router(state), fetch)
    }

    fn hook(event: &str, body: &str, signature: Option<String>) -> Request<Body> {
        let mut b = Request::post(PATH)
            .header("x-github-event", event)
            .header("content-type", "application/json");
        if let Some(s) = signature {
            b = b.header("x-hub-signature-256", s);
        }
        b.body(Body::from(body.to_string())).unwrap()
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
        let r = app.clone().oneshot(req).await.unwrap();
        let code = r.status();
        let body = to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (code, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn fetched(fetch: &Notify) -> bool {
        tokio::time::timeout(Duration::from_millis(50), fetch.notified())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn each_hook_request_gets_the_decided_answer_and_only_a_signed_push_for_the_branch_fetches()
     {
        let push_main = r#"{"ref":"refs/heads/main","after":"abc"}"#;
        let push_dev = r#"{"ref":"refs/heads/dev"}"#;
        let good = |b: &str| Some(sign(SECRET, b.as_bytes()));
        let cases: Vec<(&str, &str, Option<String>, StatusCode, bool)> = vec![
            ("push", push_main, None, StatusCode::UNAUTHORIZED, false),
            (
                "push",
                push_main,
                Some(sign("wrong", push_main.as_bytes())),
                StatusCode::UNAUTHORIZED,
                false,
            ),
            (
                "push",
                push_main,
                Some("sha256=zz".into()),
                StatusCode::UNAUTHORIZED,
                false,
            ),
            (
                "push",
                push_main,
                Some(sign(SECRET, push_dev.as_bytes())),
                StatusCode::UNAUTHORIZED,
                false,
            ),
            ("ping", "{}", good("{}"), StatusCode::OK, false),
            (
                "push",
                push_dev,
                good(push_dev),
                StatusCode::ACCEPTED,
                false,
            ),
            (
                "issues",
                push_main,
                good(push_main),
                StatusCode::ACCEPTED,
                false,
            ),
            (
                "push",
                push_main,
                good(push_main),
                StatusCode::ACCEPTED,
                true,
            ),
        ];
        let (app, fetch) = app(Some(SECRET));
        for (event, body, sig, code, fetches) in cases {
            let (got, text) = send(&app, hook(event, body, sig.clone())).await;
            assert_eq!(got, code, "{event} {body} {sig:?}: {text}");
            assert!(!text.contains(SECRET));
            assert_eq!(fetched(&fetch).await, fetches, "{event} {body} {sig:?}");
        }
    }

    #[tokio::test]
    async fn without_a_secret_the_hook_is_off_with_404() {
        let (app, fetch) = app(None);
        let body = r#"{"ref":"refs/heads/main"}"#;
        let (code, text) = send(&app, hook("push", body, Some(sign("x", body.as_bytes())))).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(text.contains("the hook is off"), "{text}");
        assert!(!fetched(&fetch).await);
    }

    #[tokio::test]
    async fn the_hook_takes_a_body_larger_than_the_other_routes_limit() {
        let (app, fetch) = app(Some(SECRET));
        let big = format!(
            r#"{{"ref":"refs/heads/main","padding":"{}"}}"#,
            "x".repeat(3 * 1024 * 1024)
        );
        let (code, _) = send(&app, hook("push", &big, Some(sign(SECRET, big.as_bytes())))).await;
        assert_eq!(code, StatusCode::ACCEPTED);
        assert!(fetched(&fetch).await);
    }
}
