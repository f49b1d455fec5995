//! What a standby does with the routes that would start work (`POST /v1/reconcile`,
//! `/v1/optimize`, `/v1/hooks/github`): it forwards them to the leader's address (the Lease's
//! `cxqueues.io/endpoint` annotation) and returns the leader's answer, or answers 503 with
//! `Retry-After` when it cannot (no leader known, the leader unreachable, or a request that a
//! standby already forwarded). The leader, and a runner without `--leader-elect`, serve the
//! routes themselves.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::{debug, warn};

use super::hook;
use super::lease::Fence;
use super::status::SharedStatus;

/// Marks a forwarded request, so that it is never forwarded twice.
pub const FORWARDED: &str = "x-cxqueues-forwarded-by";

/// The routes a standby forwards; the others (probes, `/status`, `/metrics`) it serves.
pub const ROUTES: [&str; 3] = ["/v1/reconcile", "/v1/optimize", hook::PATH];

/// The largest body forwarded (the hook's, the largest of the three routes).
const BODY_LIMIT: usize = hook::BODY_LIMIT;

/// The largest answer of the leader passed back: far above any proposal or trigger answer,
/// and a bound on what a broken or impostor leader can make a standby hold.
const ANSWER_LIMIT: u64 = 16 * 1024 * 1024;

/// What the forwarding layer needs.
#[derive(Clone, Debug)]
pub struct Forwarder {
    pub fence: Fence,
    pub status: SharedStatus,
    pub identity: String,
    /// How long a client should wait before trying again (the election's retry period).
    pub retry_after: Duration,
    client: reqwest::Client,
}

impl Forwarder {
    pub fn new(
        fence: Fence,
        status: SharedStatus,
        identity: String,
        retry_after: Duration,
    ) -> Self {
        // Built as every client is (no redirects, timeouts, the one crypto provider).
        let client = tenant::http::build_client(
            concat!("cxqueues-standby/", env!("CARGO_PKG_VERSION")),
            Duration::from_secs(30),
            tenant::http::DEFAULT_CONNECT_TIMEOUT,
        )
        .unwrap_or_default();
        Self {
            fence,
            status,
            identity,
            retry_after,
            client,
        }
    }

    fn unavailable(&self, why: &str) -> Response {
        let secs = self.retry_after.as_secs().max(1).to_string();
        let mut r = (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": format!("this runner is a standby and {why}: try again")})),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&secs) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// The middleware: the leader (or a runner without election) goes on; a standby forwards.
pub async fn forward(State(f): State<Forwarder>, req: Request, next: Next) -> Response {
    let starts_work =
        req.method() == axum::http::Method::POST && ROUTES.contains(&req.uri().path());
    if !starts_work || f.fence.leads() {
        return next.run(req).await;
    }
    if req.headers().contains_key(FORWARDED) {
        return f.unavailable("the request was already forwarded once (no leader answered it)");
    }
    let endpoint = f
        .status
        .read()
        .lease
        .as_ref()
        .and_then(|l| l.leader_endpoint.clone());
    let Some(endpoint) = endpoint else {
        return f.unavailable("knows no leader's address yet");
    };
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(json!({"error": format!("the body is above the {BODY_LIMIT}-byte limit")})),
        )
            .into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!("{}{path}", endpoint.trim_end_matches('/'));
    let mut out = f.client.request(parts.method.clone(), &url).body(body);
    for (name, value) in &parts.headers {
        if name == header::HOST || name == header::CONTENT_LENGTH || name == header::CONNECTION {
            continue;
        }
        out = out.header(name, value);
    }
    out = out.header(FORWARDED, f.identity.as_str());
    let answer = match out.send().await {
        Ok(a) => a,
        Err(e) => {
            debug!(leader = %endpoint, error = %e, "cannot forward to the leader");
            return f.unavailable("cannot reach the leader");
        }
    };
    let status = answer.status();
    let keep: Vec<(HeaderName, HeaderValue)> = answer
        .headers()
        .iter()
        .filter(|(n, _)| {
            [
                header::CONTENT_TYPE,
                header::RETRY_AFTER,
                header::WWW_AUTHENTICATE,
            ]
            .contains(n)
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let bytes = match tenant::http::read_capped(answer, ANSWER_LIMIT).await {
        Ok(b) => b,
        Err(tenant::http::BodyError::TooLarge { limit }) => {
            warn!(leader = %endpoint, limit, "the leader's answer is too large to pass back");
            return (
                StatusCode::BAD_GATEWAY,
                axum::Json(json!({"error": format!("the leader's answer is above the {limit}-byte limit; it was not passed back")})),
            )
                .into_response();
        }
        Err(tenant::http::BodyError::Transport(_)) => {
            return f.unavailable("the leader's answer was cut off");
        }
    };
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    for (n, v) in keep {
        r.headers_mut().insert(n, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::status::{LeaseStatus, Status};
    use axum::Router;
    use axum::http::{HeaderMap, Request};
    use axum::routing::{get, post};
    use tower::ServiceExt;

    #[tokio::test]
    async fn an_answer_of_the_leader_above_the_limit_is_a_502_not_held_whole() {
        let app = Router::new().route(
            "/v1/reconcile",
            post(|| async { vec![b'x'; ANSWER_LIMIT as usize + 1] }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let (code, _, body) =
            send(&standby(Some(format!("http://{addr}"))), post_reconcile()).await;
        assert_eq!(code, StatusCode::BAD_GATEWAY, "{body}");
        assert!(
            body.contains(&format!("above the {ANSWER_LIMIT}-byte limit")),
            "{body}"
        );
    }

    /// A leader that echoes who forwarded the request.
    async fn leader() -> String {
        let app = Router::new().route(
            "/v1/reconcile",
            post(|headers: HeaderMap| async move {
                let by = headers
                    .get(FORWARDED)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_string();
                (StatusCode::ACCEPTED, format!("leader, forwarded by {by}"))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    fn standby(endpoint: Option<String>) -> Router {
        let status = SharedStatus::new(Status::new("main", true));
        status.write().lease = Some(LeaseStatus {
            holder: Some("leader-0".into()),
            leader_endpoint: endpoint,
            ..LeaseStatus::default()
        });
        // Elected but never acquired: a standby.
        let fence = Fence::elected(Duration::from_secs(10));
        let f = Forwarder::new(fence, status, "standby-1".into(), Duration::from_secs(2));
        Router::new()
            .route("/v1/reconcile", post(|| async { "local" }))
            .route("/status", get(|| async { "local status" }))
            .layer(axum::middleware::from_fn_with_state(f, forward))
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let r = app.clone().oneshot(req).await.unwrap();
        let (code, headers) = (r.status(), r.headers().clone());
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (code, headers, String::from_utf8_lossy(&body).into_owned())
    }

    fn post_reconcile() -> Request<Body> {
        Request::post("/v1/reconcile").body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn a_standby_forwards_the_trigger_routes_to_the_leader_and_serves_the_rest_itself() {
        let app = standby(Some(leader().await));
        let (code, _, body) = send(&app, post_reconcile()).await;
        assert_eq!(code, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body, "leader, forwarded by standby-1");
        let status = Request::get("/status").body(Body::empty()).unwrap();
        let (code, _, body) = send(&app, status).await;
        assert_eq!((code, body.as_str()), (StatusCode::OK, "local status"));
    }

    #[tokio::test]
    async fn a_standby_that_cannot_forward_answers_503_with_retry_after() {
        let unreachable = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        let twice = Request::post("/v1/reconcile")
            .header(FORWARDED, "another-standby")
            .body(Body::empty())
            .unwrap();
        for (app, req, why) in [
            (standby(None), post_reconcile(), "no leader address"),
            (
                standby(Some(unreachable)),
                post_reconcile(),
                "leader unreachable",
            ),
            (standby(Some(leader().await)), twice, "already forwarded"),
        ] {
            let (code, headers, body) = send(&app, req).await;
            assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{why}: {body}");
            assert_eq!(headers[header::RETRY_AFTER], "2", "{why}");
            assert!(!body.contains("local"), "{why}: not served by the standby");
        }
    }
}
