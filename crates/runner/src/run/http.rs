//! The runner's HTTP side (axum): `GET /healthz`, `GET /readyz`, `GET /metrics`,
//! `GET /status` and `POST /v1/reconcile`.
//!
//! The trigger endpoint is on only when `CXQUEUES_TRIGGER_TOKEN` is set (404 otherwise). It
//! wants `Authorization: Bearer <token>`, compared in constant time (SHA-256 digests, so the
//! length does not leak either); anything else is 401. It reads no body and answers 202 with
//! the id of the trigger, which is the run's id unless the trigger was coalesced into a run
//! already queued (`/status` lists every trigger a run served).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;
use tracing::info;

use super::metrics::{CONTENT_TYPE, Metrics};
use super::status::SharedStatus;
use super::{Trigger, TriggerKind};
use crate::recorder::Recorder;

/// The trigger token, kept only as its digest. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct TriggerToken([u8; 32]);

impl TriggerToken {
    pub fn new(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    fn matches(&self, offered: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(offered.as_bytes()).into();
        bool::from(self.0.ct_eq(&digest))
    }
}

impl std::fmt::Debug for TriggerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TriggerToken(…)")
    }
}

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    pub status: SharedStatus,
    pub metrics: Arc<Metrics>,
    pub triggers: mpsc::UnboundedSender<Trigger>,
    pub token: Option<TriggerToken>,
    /// Cleared when shutdown begins: no more triggers are taken.
    pub accepting: Arc<AtomicBool>,
    /// The webhook outbox, shown in `/status` as `webhooks: {pending, dead}`.
    pub recorder: Option<Arc<Recorder>>,
}

/// The router, for `axum::serve` or `tower::ServiceExt::oneshot`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/v1/reconcile", post(trigger))
        .with_state(state)
}

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(s): State<AppState>) -> Response {
    if s.status.read().ready {
        Json(json!({"ready": true})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "reason": "no reconcile has completed yet"})),
        )
            .into_response()
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    match s.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the metrics",
        )
            .into_response(),
    }
}

async fn status(State(s): State<AppState>) -> Response {
    let body = serde_json::to_value(&*s.status.read());
    match body {
        Ok(mut v) => {
            if let (Some(r), Some(obj)) = (&s.recorder, v.as_object_mut()) {
                let hooks = serde_json::to_value(r.webhook_status()).unwrap_or_default();
                obj.insert("webhooks".to_string(), hooks);
            }
            Json(v).into_response()
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the status",
        )
            .into_response(),
    }
}

pub fn error(code: StatusCode, message: &str) -> Response {
    (code, Json(json!({"error": message}))).into_response()
}

/// The bearer check of the token endpoints (`/v1/reconcile`, `/v1/optimize`): 404 while
/// the endpoints are off (no token configured), 401 without the right token. `None`: go on.
pub fn authorize(token: Option<&TriggerToken>, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = token else {
        return Some(error(
            StatusCode::NOT_FOUND,
            "the trigger endpoint is off: set CXQUEUES_TRIGGER_TOKEN to turn it on",
        ));
    };
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    let authorized = offered.is_some_and(|t| token.matches(t));
    if !authorized {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "a valid `Authorization: Bearer <CXQUEUES_TRIGGER_TOKEN>` header is required",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"cxqueues\""),
        );
        return Some(r);
    }
    None
}

async fn trigger(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(r) = authorize(s.token.as_ref(), &headers) {
        return r;
    }
    if !s.accepting.load(Ordering::SeqCst) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down: no new runs are taken",
        );
    }
    let t = Trigger::new(TriggerKind::Manual);
    let id = t.id.to_string();
    if s.triggers.send(t).is_err() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down: no new runs are taken",
        );
    }
    info!(run = %id, "manual trigger accepted");
    (
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "trigger": "manual", "status": "queued"})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use crate::run::status::Status;

    fn client() -> crate::tenant::AnyTenant {
        let cfg = routing_api::ClientConfig::new(
            "http://127.0.0.1:9",
            "id",
            tenant::Secret::new("s".to_string()),
        );
        crate::tenant::AnyTenant::RoutingApi(routing_api::HttpTenant::new(cfg).unwrap())
    }

    fn app(token: Option<&str>) -> (Router, mpsc::UnboundedReceiver<Trigger>, SharedStatus) {
        let status = SharedStatus::new(Status::new("main", true));
        let (tx, rx) = mpsc::unbounded_channel();
        let state = AppState {
            status: status.clone(),
            metrics: Arc::new(Metrics::new(client(), status.clone())),
            triggers: tx,
            token: token.map(TriggerToken::new),
            accepting: Arc::new(AtomicBool::new(true)),
            recorder: None,
        };
        (router(state), rx, status)
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let r = app.clone().oneshot(req).await.unwrap();
        let code = r.status();
        let headers = r.headers().clone();
        let body = to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (code, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    fn post_trigger(auth: Option<&str>) -> Request<Body> {
        let mut b = Request::post("/v1/reconcile");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn a_trigger_without_a_token_or_with_a_wrong_one_is_401_and_starts_nothing() {
        let (app, mut rx, _) = app(Some("s3cret-token"));
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Bearer s3cret-tokenX"),
            Some("Basic czNjcmV0LXRva2Vu"),
            Some("s3cret-token"),
        ] {
            let (code, headers, body) = send(&app, post_trigger(auth)).await;
            assert_eq!(code, StatusCode::UNAUTHORIZED, "{auth:?}");
            assert!(headers.contains_key(header::WWW_AUTHENTICATE));
            assert!(!body.contains("s3cret"), "the body must not echo the token");
        }
        assert!(rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_trigger_with_the_token_is_accepted_with_the_run_id() {
        let (app, mut rx, _) = app(Some("s3cret-token"));
        let (code, _, body) = send(&app, post_trigger(Some("Bearer s3cret-token"))).await;
        assert_eq!(code, StatusCode::ACCEPTED);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let t = rx.try_recv().expect("a trigger was queued");
        assert_eq!(t.kind, TriggerKind::Manual);
        assert_eq!(v["id"], t.id.to_string());
    }

    #[tokio::test]
    async fn the_trigger_endpoint_is_off_without_a_token() {
        let (app, mut rx, _) = app(None);
        let (code, _, body) = send(&app, post_trigger(Some("Bearer anything"))).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(body.contains("CXQUEUES_TRIGGER_TOKEN"));
        assert!(rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn readyz_is_503_until_a_reconcile_completes() {
        let (app, _rx, status) = app(None);
        let get = |p: &str| Request::get(p).body(Body::empty()).unwrap();
        assert_eq!(send(&app, get("/healthz")).await.0, StatusCode::OK);
        assert_eq!(
            send(&app, get("/readyz")).await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        status.write().ready = true;
        assert_eq!(send(&app, get("/readyz")).await.0, StatusCode::OK);
        let (code, headers, body) = send(&app, get("/metrics")).await;
        assert_eq!(code, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text")
        );
        assert!(body.ends_with("# EOF\n"));
        let (code, _, body) = send(&app, get("/status")).await;
        assert_eq!(code, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["branch"], "main");
        assert_eq!(v["ready"], true);
    }
}
