//! The runner's HTTP side (axum): `GET /healthz`, `GET /readyz`, `GET /metrics`,
//! `GET /status` and `POST /v1/reconcile`.
//!
//! The trigger endpoint is on only when `CXQUEUES_TRIGGER_TOKEN` is set (404 otherwise). It
//! wants `Authorization: Bearer <token>`, compared in constant time (SHA-256 digests, so the
//! length does not leak either); anything else is 401. It reads no body and answers 202 with
//! the id of the trigger, which is the run's id unless the trigger was coalesced into a run
//! already queued (`/status` lists every trigger a run served).
//!
//! `/status` is open to probes unless `run --status-requires-token` asks for the same bearer
//! token. It carries no secret: tenant errors reach it only as the adapters' redacted and
//! sanitised text, webhook URLs without query or userinfo.
//!
//! [`serve`] bounds what clients can hold: at most `--http-max-connections` connections (by
//! default half the open-file limit, which `run` raises to its hard limit at start, at most
//! 4,096; at the cap a new connection closes the oldest one that has sent no request, and a
//! warning is logged once per burst), request
//! headers within `--http-header-timeout`, and no connection silent for longer than
//! `--http-idle-timeout`. Every route refuses a body above its limit with 413
//! (`--http-body-limit`; `/v1/optimize` has `--optimize-body-limit`). So clients cannot use up
//! the descriptors the reconciles need.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tracing::{info, warn};

use super::metrics::{CONTENT_TYPE, Metrics};
use super::status::SharedStatus;
use super::{Trigger, TriggerKind};
use crate::recorder::Recorder;

/// The trigger token, kept only as its digest. `Debug` shows nothing of it.
#[derive(Clone)]
pub(crate) struct TriggerToken([u8; 32]);

impl TriggerToken {
    pub(crate) fn new(token: &str) -> Self {
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
pub(crate) struct AppState {
    pub status: SharedStatus,
    pub metrics: Arc<Metrics>,
    pub triggers: mpsc::UnboundedSender<Trigger>,
    pub token: Option<TriggerToken>,
    /// Cleared when shutdown begins: no more triggers are taken.
    pub accepting: Arc<AtomicBool>,
    /// The webhook outbox, shown in `/status` as `webhooks: {pending, dead}`.
    pub recorder: Option<Arc<Recorder>>,
    /// `/status` wants the trigger token too (`run --status-requires-token`).
    pub status_requires_token: bool,
    /// The largest request body of these routes, in bytes (`run --http-body-limit`).
    pub body_limit: usize,
}

/// The default of `run --http-body-limit`: these routes take no body worth the name.
pub(crate) const DEFAULT_BODY_LIMIT: usize = 1024;
/// The default of `run --http-header-timeout`.
pub(crate) const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of `run --http-idle-timeout`.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The default of `run --http-max-connections` when the open-file limit is unknown.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 128;
/// The largest default of `run --http-max-connections`.
pub(crate) const MAX_DEFAULT_CONNECTIONS: usize = 4096;

/// Raises the soft open-file limit to the hard one (as Go's runtime does at start), so that
/// client connections cannot use up the descriptors the reconciles need. Returns the limit
/// now in force (`None` where it cannot be read).
pub(crate) fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current;
    // Linux refuses an infinite open-file limit; its own ceiling is fs.nr_open (2^20 by default).
    let hard = limit.maximum.unwrap_or(1 << 20);
    if soft.is_some_and(|s| s >= hard) {
        return soft;
    }
    let raised = rustix::process::Rlimit {
        current: Some(hard),
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => Some(hard),
        Err(e) => {
            warn!(error = %e, "cannot raise the open-file limit; keeping it");
            soft
        }
    }
}

/// The default connection cap for an open-file limit: half of it, at most
/// [`MAX_DEFAULT_CONNECTIONS`] (the other half stays for the tenant, git, the audit log and
/// webhooks).
pub(crate) fn default_max_connections(open_files: Option<u64>) -> usize {
    match open_files {
        Some(n) => usize::try_from(n / 2)
            .unwrap_or(usize::MAX)
            .clamp(1, MAX_DEFAULT_CONNECTIONS),
        None => DEFAULT_MAX_CONNECTIONS,
    }
}

/// What [`serve`] allows each client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServerLimits {
    /// A request's headers must arrive within this.
    pub header_timeout: Duration,
    /// A connection that neither sends nor receives for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; those beyond are closed on accept.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The router, for `axum::serve` or `tower::ServiceExt::oneshot`.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/v1/reconcile", post(trigger))
        .layer(middleware::from_fn_with_state(
            state.body_limit,
            refuse_large_bodies,
        ))
        .with_state(state)
}

/// 413 for a body declared above `limit`; a body sent without a length is cut at `limit`
/// for whichever handler reads it.
async fn refuse_large_bodies(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    next.run(req).await
}

fn too_large(limit: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is above the {limit}-byte limit"),
    )
}

/// One open connection, as the cap sees it: whether it has sent a request yet, and how to
/// close it.
#[derive(Debug)]
struct Slot {
    requested: Arc<AtomicBool>,
    close: Arc<Notify>,
}

/// The open connections by arrival order (the oldest first).
type Slots = Arc<Mutex<BTreeMap<u64, Slot>>>;

/// Makes room for one more connection when `open` is at `cap`: closes the oldest connection
/// that has not sent a request. `false`: every open connection has sent one (the new one is
/// refused).
fn make_room(open: &mut BTreeMap<u64, Slot>, cap: usize) -> Admission {
    if open.len() < cap {
        return Admission::Below;
    }
    let idle = open
        .iter()
        .find(|(_, s)| !s.requested.load(Ordering::SeqCst))
        .map(|(id, _)| *id);
    match idle.and_then(|id| open.remove(&id)) {
        Some(slot) => {
            slot.close.notify_one();
            Admission::Evicted
        }
        None => Admission::Refused,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admission {
    Below,
    Evicted,
    Refused,
}

/// Serves `app` on `listener` within `limits` until `stop` resolves; then lets the requests
/// in flight finish.
///
/// At the connection cap, a new connection closes the oldest one that has not sent a request
/// yet (so idle connections cannot lock out a kubelet's probe); only when every open
/// connection has sent one is the new connection closed instead.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    stop: impl Future<Output = ()>,
) {
    let slots: Slots = Arc::default();
    let mut next_id = 0u64;
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut at_cap = false;
    let mut accept_failing = false;
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut stop => break,
        };
        while connections.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                if !accept_failing {
                    warn!(error = %e, "cannot accept HTTP connections; trying again");
                    accept_failing = true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        accept_failing = false;
        let admission = make_room(
            &mut slots.lock().unwrap_or_else(|p| p.into_inner()),
            limits.max_connections,
        );
        match admission {
            Admission::Below if at_cap => {
                info!("HTTP connections are below the cap again");
                at_cap = false;
            }
            Admission::Below => {}
            Admission::Evicted | Admission::Refused if !at_cap => {
                warn!(
                    max_connections = limits.max_connections,
                    "HTTP connection cap reached: each new connection closes the oldest one that has sent no request, or is closed itself when all are busy (--http-max-connections)"
                );
                at_cap = true;
            }
            Admission::Evicted | Admission::Refused => {}
        }
        if admission == Admission::Refused {
            drop(stream);
            continue;
        }
        let id = next_id;
        next_id += 1;
        let requested = Arc::new(AtomicBool::new(false));
        let close = Arc::new(Notify::new());
        slots.lock().unwrap_or_else(|p| p.into_inner()).insert(
            id,
            Slot {
                requested: requested.clone(),
                close: close.clone(),
            },
        );
        let inner = TowerToHyperService::new(app.clone());
        let service = hyper::service::service_fn(move |req| {
            requested.store(true, Ordering::SeqCst);
            hyper::service::Service::call(&inner, req)
        });
        let mut closing = closing_rx.clone();
        let slots = slots.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let io = TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
            let conn = builder.serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                // Closed to make room: dropped as it is.
                () = close.notified() => {}
                _ = closing.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            slots.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    while connections.join_next().await.is_some() {}
}

/// A TCP stream that fails with `TimedOut` once nothing was read or written for `idle`.
struct IdleTimeout {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl IdleTimeout {
    fn new(inner: TcpStream, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn touch(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    /// While the stream waits: `TimedOut` once the deadline passed.
    fn expired<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection was idle for too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for IdleTimeout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    this.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending => this.expired(cx),
        }
    }
}

impl AsyncWrite for IdleTimeout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                if matches!(r, Ok(n) if n > 0) {
                    this.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending => this.expired(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(s): State<AppState>) -> Response {
    let reason = s.status.read().not_ready_reason();
    if let Some(reason) = reason {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "reason": reason})),
        )
            .into_response();
    }
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

async fn status(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if s.status_requires_token
        && let Some(r) = authorize(s.token.as_ref(), &headers)
    {
        return r;
    }
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

pub(crate) fn error(code: StatusCode, message: &str) -> Response {
    (code, Json(json!({"error": message}))).into_response()
}

/// The bearer check of the token endpoints (`/v1/reconcile`, `/v1/optimize`): 404 while
/// the endpoints are off (no token configured), 401 without the right token. `None`: go on.
pub(crate) fn authorize(token: Option<&TriggerToken>, headers: &HeaderMap) -> Option<Response> {
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

async fn trigger(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if let Some(r) = authorize(s.token.as_ref(), &headers) {
        return r;
    }
    // The body means nothing here, but one sent without a length is still bounded.
    if axum::body::to_bytes(body, s.body_limit).await.is_err() {
        return too_large(s.body_limit);
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
        app_with(token, |_| {})
    }

    fn app_with(
        token: Option<&str>,
        adjust: impl FnOnce(&mut AppState),
    ) -> (Router, mpsc::UnboundedReceiver<Trigger>, SharedStatus) {
        let status = SharedStatus::new(Status::new("main", true));
        let (tx, rx) = mpsc::unbounded_channel();
        let state = AppState {
            status: status.clone(),
            metrics: Arc::new(Metrics::new(
                crate::run::metrics::stats_of(client()),
                status.clone(),
            )),
            triggers: tx,
            token: token.map(TriggerToken::new),
            accepting: Arc::new(AtomicBool::new(true)),
            recorder: None,
            status_requires_token: false,
            body_limit: DEFAULT_BODY_LIMIT,
        };
        let mut state = state;
        adjust(&mut state);
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

    #[tokio::test]
    async fn every_route_refuses_a_declared_body_above_its_limit_with_413() {
        let (app, mut rx, _) = app_with(Some("s3cret-token"), |s| s.body_limit = 64);
        for (method, path) in [
            ("GET", "/healthz"),
            ("GET", "/readyz"),
            ("GET", "/metrics"),
            ("GET", "/status"),
            ("POST", "/v1/reconcile"),
        ] {
            let req = Request::builder()
                .method(method)
                .uri(path)
                .header(header::AUTHORIZATION, "Bearer s3cret-token")
                .header(header::CONTENT_LENGTH, "65")
                .body(Body::from(vec![b'x'; 65]))
                .unwrap();
            let (code, _, body) = send(&app, req).await;
            assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE, "{method} {path}");
            assert!(body.contains("64-byte limit"), "{body}");
        }
        assert!(rx.try_recv().is_err(), "no trigger was queued");
        let at_limit = Request::get("/healthz")
            .header(header::CONTENT_LENGTH, "64")
            .body(Body::from(vec![b'x'; 64]))
            .unwrap();
        assert_eq!(send(&app, at_limit).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_trigger_with_an_undeclared_body_above_the_limit_is_413_and_starts_nothing() {
        let (app, mut rx, _) = app_with(Some("s3cret-token"), |s| s.body_limit = 64);
        let chunks = (0..4).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 32]));
        let req = Request::post("/v1/reconcile")
            .header(header::AUTHORIZATION, "Bearer s3cret-token")
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .unwrap();
        assert_eq!(send(&app, req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(rx.try_recv().is_err());
        let small = Request::post("/v1/reconcile")
            .header(header::AUTHORIZATION, "Bearer s3cret-token")
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(send(&app, small).await.0, StatusCode::ACCEPTED);
        assert!(rx.try_recv().is_ok());
    }

    #[tokio::test]
    async fn status_wants_the_trigger_token_when_the_option_asks_for_it() {
        let get = |auth: Option<&str>| {
            let mut b = Request::get("/status");
            if let Some(a) = auth {
                b = b.header(header::AUTHORIZATION, a);
            }
            b.body(Body::empty()).unwrap()
        };
        let (open, _rx, _) = app(Some("s3cret-token"));
        assert_eq!(send(&open, get(None)).await.0, StatusCode::OK);
        let (closed, _rx, _) = app_with(Some("s3cret-token"), |s| s.status_requires_token = true);
        let (code, _, body) = send(&closed, get(None)).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
        assert!(
            !body.contains("branch"),
            "no status without the token: {body}"
        );
        assert_eq!(
            send(&closed, get(Some("Bearer wrong"))).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (code, _, body) = send(&closed, get(Some("Bearer s3cret-token"))).await;
        assert_eq!(code, StatusCode::OK);
        assert!(body.contains("\"branch\":\"main\""), "{body}");
        // The probes stay open.
        let healthz = Request::get("/healthz").body(Body::empty()).unwrap();
        assert_eq!(send(&closed, healthz).await.0, StatusCode::OK);
    }

    // What the server logs, for the assertions.
    use tenant::http::testkit::LogCapture;

    /// [`serve`] on a loopback port: its address, its stop switch and its task.
    async fn start_server(
        limits: ServerLimits,
    ) -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let (app, _rx, _) = app(None);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, limits, async {
            let _ = stop_rx.await;
        }));
        (addr, stop_tx, server)
    }

    #[tokio::test]
    async fn a_client_that_trickles_its_headers_is_cut_off_by_the_header_timeout() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        const HEADERS: Duration = Duration::from_millis(300);
        let limits = ServerLimits {
            header_timeout: HEADERS,
            idle_timeout: Duration::from_secs(30),
            max_connections: 4,
        };
        let (addr, stop_tx, server) = start_server(limits).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let started = tokio::time::Instant::now();
        s.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        // One header byte every 50 ms: never idle, never done.
        let mut closed = false;
        while started.elapsed() < Duration::from_secs(5) {
            if s.write_all(b"X").await.is_err() {
                closed = true;
                break;
            }
            let mut buf = [0u8; 256];
            // Anything read (an error answer, the end, a reset) means the server gave up.
            if tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf))
                .await
                .is_ok()
            {
                closed = true;
                break;
            }
        }
        let took = started.elapsed();
        assert!(closed, "the connection stayed open for {took:?}");
        assert!(took >= HEADERS && took < Duration::from_secs(3), "{took:?}");
        assert_eq!(healthz_over_tcp(addr).await.unwrap(), "HTTP/1.1 200 OK");
        stop_tx.send(()).unwrap();
        server.await.unwrap();
    }

    /// `GET /healthz` over a fresh loopback connection: the status line, or the error.
    async fn healthz_over_tcp(addr: std::net::SocketAddr) -> Result<String, String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let mut text = String::new();
        s.read_to_string(&mut text)
            .await
            .map_err(|e| e.to_string())?;
        Ok(text.lines().next().unwrap_or_default().to_string())
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_connection_without_a_request_makes_room_for_healthz() {
        use tokio::io::AsyncReadExt;
        const CAP: usize = 4;
        let limits = ServerLimits {
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_connections: CAP,
        };
        // A subscriber of its own: the cap's warning callsite is shared with the test below,
        // and tracing decides a callsite's interest from the subscribers it knows.
        let log = LogCapture::default();
        let _guard = tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_writer(log.clone())
                .with_ansi(false)
                .finish(),
        );
        let (addr, stop_tx, server) = start_server(limits).await;
        let mut idle = Vec::new();
        for _ in 0..CAP {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
        // Let the server take them all in before the probe comes.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            healthz_over_tcp(addr).await.unwrap(),
            "HTTP/1.1 200 OK",
            "served at the cap, long before any idle timeout"
        );
        // The oldest idle connection was the one closed.
        let mut byte = [0u8; 1];
        let first = tokio::time::timeout(Duration::from_secs(5), idle[0].read(&mut byte)).await;
        assert!(matches!(first, Ok(Ok(0)) | Ok(Err(_))), "closed: {first:?}");
        let last =
            tokio::time::timeout(Duration::from_millis(200), idle[CAP - 1].read(&mut byte)).await;
        assert!(last.is_err(), "the newest idle one stays open: {last:?}");
        assert!(
            log.text().contains("HTTP connection cap reached"),
            "{}",
            log.text()
        );
        stop_tx.send(()).unwrap();
        server.await.unwrap();
    }

    #[test]
    fn the_default_connection_cap_is_half_the_open_file_limit_up_to_4096() {
        for (limit, cap) in [
            (Some(1024), 512),
            (Some(20_000), 4096),
            (Some(8192), 4096),
            (Some(1), 1),
            (None, DEFAULT_MAX_CONNECTIONS),
        ] {
            assert_eq!(default_max_connections(limit), cap, "{limit:?}");
        }
    }

    #[tokio::test]
    async fn idle_connections_beyond_the_cap_are_closed_and_healthz_answers_once_the_idle_ones_time_out()
     {
        use tokio::io::AsyncReadExt;
        const CAP: usize = 4;
        const IDLE: Duration = Duration::from_millis(400);
        let limits = ServerLimits {
            header_timeout: Duration::from_secs(30),
            idle_timeout: IDLE,
            max_connections: CAP,
        };
        let log = LogCapture::default();
        let _guard = tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_writer(log.clone())
                .with_ansi(false)
                .finish(),
        );
        let (addr, stop_tx, server) = start_server(limits).await;

        // Idle connections, three times the cap; each one is watched until the server closes it.
        let opened = tokio::time::Instant::now();
        let mut closed_at = JoinSet::new();
        for _ in 0..3 * CAP {
            let mut s = TcpStream::connect(addr).await.unwrap();
            closed_at.spawn(async move {
                let mut byte = [0u8; 1];
                let _ = tokio::time::timeout(Duration::from_secs(10), s.read(&mut byte)).await;
                opened.elapsed()
            });
        }
        let mut times = Vec::new();
        while let Some(t) = closed_at.join_next().await {
            times.push(t.unwrap());
        }
        times.sort();
        let early = times.iter().filter(|t| **t < IDLE).count();
        assert_eq!(
            early,
            2 * CAP,
            "those beyond the cap are closed at once: {times:?}"
        );
        assert!(
            times.iter().all(|t| *t < Duration::from_secs(5)),
            "the idle ones are closed by the idle timeout: {times:?}"
        );
        assert_eq!(
            healthz_over_tcp(addr).await.unwrap(),
            "HTTP/1.1 200 OK",
            "healthz answers once the idle connections are gone"
        );
        let text = log.text();
        assert_eq!(
            text.matches("HTTP connection cap reached").count(),
            1,
            "one line per burst: {text}"
        );
        assert!(text.contains("max_connections=4"), "{text}");
        stop_tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server stops")
            .unwrap();
    }
}
