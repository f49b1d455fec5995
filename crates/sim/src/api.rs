//! The HTTP surface: the contract's endpoints, the `/_sim/*` admin endpoints, and the fault
//! layer in front of them.

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{ConnectInfo, MatchedPath, Path, RawQuery, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::{
    Faults, SimState,
    faults::Verdict,
    seed::{SCOPE_QUEUE_UPDATE, SCOPE_QUEUE_VIEW, SCOPE_SKILL_VIEW},
    server::ConnDropper,
    tenant::{ApiError, Page, TokenError, version_of},
    wire,
};

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// The path of the queue collection.
pub const QUEUES_PATH: &str = "/api/v2/routing/queues";
/// The path of the skill collection.
pub const SKILLS_PATH: &str = "/api/v2/routing/skills";
/// The path of the traffic figures per queue (a simulator extension: `docs/metrics-api.md`).
pub const METRICS_PATH: &str = "/api/v2/analytics/queues/metrics";

/// The simulator's whole HTTP app over `state`, for [`serve`](crate::serve) or for
/// `tower::ServiceExt::oneshot` in tests.
///
/// Contract endpoints: `POST /oauth2/token`, `GET|POST /api/v2/routing/queues`,
/// `GET|PUT|DELETE /api/v2/routing/queues/{id}`, `GET /api/v2/routing/skills`; and the
/// traffic figures `GET /api/v2/analytics/queues/metrics` (`docs/metrics-api.md`).
///
/// Admin endpoints (no auth, no faults, not counted): `GET /_sim/stats`,
/// `POST /_sim/stats/reset`, `GET /_sim/faults`, `POST /_sim/faults` (a JSON [`Faults`]; fields
/// left out take their defaults), `PATCH /_sim/faults` (the fields given replace those in force,
/// the rest stay), `GET /_sim/queues`.
///
/// Without a connection (as under `oneshot`), a dropped response cannot close anything: it
/// is answered `502 {"code": "sim.dropped"}` with the header `x-sim-dropped: true` instead.
pub fn router(state: SimState) -> Router {
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(QUEUES_PATH, get(list_queues).post(create_queue))
        .route(
            "/api/v2/routing/queues/{id}",
            get(get_queue).put(put_queue).delete(delete_queue),
        )
        .route(SKILLS_PATH, get(list_skills))
        .route(METRICS_PATH, get(list_metrics))
        .merge(crate::cxone::routes())
        .route("/_sim/stats", get(sim_stats))
        .route("/_sim/stats/reset", post(sim_reset_stats))
        .route(
            "/_sim/faults",
            get(sim_faults).post(sim_set_faults).patch(sim_patch_faults),
        )
        .route("/_sim/queues", get(sim_queues))
        .nest(crate::genesys::GENESYS_PREFIX, crate::genesys::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), fault_layer))
        .with_state(state)
}

// ---- responses ----

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized => {
                let mut r =
                    json_response(StatusCode::UNAUTHORIZED, &json!({"code": "unauthorized"}));
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            Self::MissingScope(scope) => json_response(
                StatusCode::FORBIDDEN,
                &json!({"code": "missing.scope", "message": format!("requires {scope}")}),
            ),
            Self::NotFound => json_response(StatusCode::NOT_FOUND, &json!({"code": "not.found"})),
            Self::PreconditionRequired => json_response(
                StatusCode::PRECONDITION_REQUIRED,
                &json!({"code": "precondition.required"}),
            ),
            Self::Conflict(current) => json_response(
                StatusCode::CONFLICT,
                &json!({"code": "conflict", "currentVersion": current}),
            ),
            Self::NameTaken => json_response(StatusCode::CONFLICT, &json!({"code": "name.taken"})),
            Self::BadRequest(errors) => json_response(
                StatusCode::BAD_REQUEST,
                &json!({"code": "bad.request", "errors": errors}),
            ),
        }
    }
}

fn json_bytes_response(bytes: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

fn with_etag(mut response: Response, queue: &Value) -> Response {
    let etag = format!("\"{}\"", version_of(queue));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(vec![format!("body: invalid JSON: {e}")]))
}

fn page_of(query: Option<&str>) -> Result<Page, ApiError> {
    let q = wire::parse_form(query.unwrap_or_default());
    Page::parse(
        q.get("pageNumber").map(String::as_str),
        q.get("pageSize").map(String::as_str),
    )
}

// ---- token ----

async fn token(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = wire::parse_form(&String::from_utf8_lossy(&body));
    let basic = wire::basic_auth(&headers);
    let used_basic = basic.is_some();
    let lifetime = st.fault_state().token_lifetime();
    let result = {
        let mut tenant = st.tenant();
        // RFC 6749 §2.3.1 form-encodes Basic credentials; many clients send them raw.
        let (id, secret) = match basic {
            Some((id, secret)) if tenant.has_client(&id, &secret) => (Some(id), Some(secret)),
            Some((id, secret)) => (
                Some(wire::form_decode(&id)),
                Some(wire::form_decode(&secret)),
            ),
            None => (
                form.get("client_id").cloned(),
                form.get("client_secret").cloned(),
            ),
        };
        tenant.issue_token(
            form.get("grant_type").map(String::as_str),
            id.as_deref(),
            secret.as_deref(),
            form.get("scope").map(String::as_str),
            lifetime,
        )
    };
    let mut response = match result {
        Ok((value, token)) => {
            st.stats_mut().tokens_issued += 1;
            json_response(
                StatusCode::OK,
                &json!({
                    "access_token": value,
                    "token_type": "Bearer",
                    "expires_in": lifetime.as_secs(),
                    "scope": token.scopes.join(" "),
                }),
            )
        }
        Err(TokenError::InvalidClient) => {
            let mut r = json_response(
                StatusCode::UNAUTHORIZED,
                &json!({"error": "invalid_client"}),
            );
            if used_basic {
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"sim\""),
                );
            }
            r
        }
        Err(TokenError::UnsupportedGrantType) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "unsupported_grant_type"}),
        ),
        Err(TokenError::InvalidRequest(why)) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "invalid_request", "error_description": why}),
        ),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ---- queues ----

/// A paged list: the bearer needs `scope`; `list` serializes the page asked for.
fn list_page(
    st: &SimState,
    headers: &HeaderMap,
    query: Option<&str>,
    scope: &'static str,
    list: impl FnOnce(&crate::tenant::Tenant, Page) -> Result<Vec<u8>, ApiError>,
) -> Result<Response, ApiError> {
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(headers), scope)?;
    let page = page_of(query)?;
    let bytes = list(&tenant, page)?;
    drop(tenant);
    Ok(json_bytes_response(bytes))
}

async fn list_queues(
    State(st): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    list_page(
        &st,
        &headers,
        query.as_deref(),
        SCOPE_QUEUE_VIEW,
        |t, page| Ok(t.list_queues(page)),
    )
}

async fn get_queue(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let queue = tenant.queue(&id).ok_or(ApiError::NotFound)?;
    Ok(with_etag(json_response(StatusCode::OK, queue), queue))
}

async fn create_queue(
    State(st): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut tenant = st.tenant();
    let actor = tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    let queue = tenant.create(parse_body(&body)?, &actor)?;
    let mut response = with_etag(json_response(StatusCode::CREATED, &queue), &queue);
    let location = format!("{QUEUES_PATH}/{}", queue["id"].as_str().unwrap_or_default());
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

async fn put_queue(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut tenant = st.tenant();
    let actor = tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    tenant.version_of(&id)?;
    let if_match = wire::if_match(&headers)
        .ok_or(ApiError::PreconditionRequired)?
        .map_err(|e| ApiError::BadRequest(vec![e]))?;
    crate::tenant::rival_strikes(&st, &mut tenant, &id)?;
    let current = tenant.version_of(&id)?;
    if current != if_match {
        return Err(ApiError::Conflict(current));
    }
    let queue = tenant.update(&id, if_match, parse_body(&body)?, &actor)?;
    Ok(with_etag(json_response(StatusCode::OK, &queue), &queue))
}

async fn delete_queue(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    tenant.version_of(&id)?;
    let if_match = wire::if_match(&headers)
        .ok_or(ApiError::PreconditionRequired)?
        .map_err(|e| ApiError::BadRequest(vec![e]))?;
    tenant.delete(&id, if_match)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- skills ----

async fn list_skills(
    State(st): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    list_page(
        &st,
        &headers,
        query.as_deref(),
        SCOPE_SKILL_VIEW,
        |t, page| Ok(t.list_skills(page)),
    )
}

// ---- traffic figures ----

async fn list_metrics(
    State(st): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let form = wire::parse_form(query.as_deref().unwrap_or_default());
    list_page(
        &st,
        &headers,
        query.as_deref(),
        SCOPE_QUEUE_VIEW,
        |t, page| {
            let interval = match form.get("intervalSeconds") {
                None => crate::traffic::DEFAULT_INTERVAL_SECONDS,
                Some(text) => match text.trim().parse::<u32>() {
                    Ok(n) if (60..=86_400).contains(&n) => n,
                    _ => {
                        return Err(ApiError::BadRequest(vec![format!(
                            "intervalSeconds: must be an integer from 60 to 86400 (got {text:?})"
                        )]));
                    }
                },
            };
            Ok(t.list_metrics(page, interval))
        },
    )
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

// ---- /_sim ----

async fn sim_stats(State(st): State<SimState>) -> Json<crate::Stats> {
    Json(st.stats())
}

async fn sim_reset_stats(State(st): State<SimState>) -> StatusCode {
    st.reset_stats();
    StatusCode::NO_CONTENT
}

async fn sim_faults(State(st): State<SimState>) -> Json<Faults> {
    Json(st.faults())
}

async fn sim_set_faults(State(st): State<SimState>, body: Bytes) -> Result<Json<Faults>, ApiError> {
    let faults: Faults = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(vec![format!("body: {e}")]))?;
    faults
        .validate()
        .map_err(|e| ApiError::BadRequest(vec![e.to_string()]))?;
    st.set_faults(faults);
    Ok(Json(st.faults()))
}

async fn sim_patch_faults(
    State(st): State<SimState>,
    body: Bytes,
) -> Result<Json<Faults>, ApiError> {
    let Value::Object(patch) = parse_body(&body)? else {
        return Err(ApiError::BadRequest(vec![
            "body: must be a JSON object".into(),
        ]));
    };
    let mut merged = serde_json::to_value(st.faults()).unwrap_or_default();
    if let Value::Object(current) = &mut merged {
        current.extend(patch);
    }
    let faults: Faults = serde_json::from_value(merged)
        .map_err(|e| ApiError::BadRequest(vec![format!("body: {e}")]))?;
    faults
        .validate()
        .map_err(|e| ApiError::BadRequest(vec![e.to_string()]))?;
    st.set_faults(faults);
    Ok(Json(st.faults()))
}

async fn sim_queues(State(st): State<SimState>) -> Json<Vec<Value>> {
    Json(st.queues())
}

// ---- the fault layer ----

fn fault_response(status: u16, retry_after: Option<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = match status.as_u16() {
        429 => "too.many.requests",
        500 => "internal.error",
        502 => "bad.gateway",
        503 => "service.unavailable",
        504 => "gateway.timeout",
        _ => "sim.fault",
    };
    let mut response = json_response(status, &json!({"code": code}));
    if let Some(v) = retry_after.and_then(|r| HeaderValue::from_str(&r).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// Closes the connection without an answer; without a connection, answers 502.
fn dropped(dropper: Option<ConnDropper>) -> Response {
    if let Some(dropper) = dropper {
        dropper.drop_connection();
        // Never written: the connection fails on its first write.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = json_response(StatusCode::BAD_GATEWAY, &json!({"code": "sim.dropped"}));
    response
        .headers_mut()
        .insert("x-sim-dropped", HeaderValue::from_static("true"));
    response
}

async fn fault_layer(State(st): State<SimState>, request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/_sim" || path.starts_with("/_sim/") {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(path.as_str(), MatchedPath::as_str)
        .to_owned();
    let endpoint = format!("{method} {template}");
    let dropper = request
        .extensions()
        .get::<ConnectInfo<ConnDropper>>()
        .map(|c| c.0.clone());
    let is_token = path == TOKEN_PATH
        || path == crate::cxone::TOKEN_PATH
        || path == crate::genesys::TOKEN_PATH;
    if is_token {
        st.stats_mut().token_requests += 1;
    }
    let (verdict, latency) = {
        let mut faults = st.fault_state();
        let exempt = is_token && !faults.faults().include_token_endpoint;
        faults.before(exempt)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match verdict {
        Verdict::Answer {
            status,
            retry_after,
        } => {
            st.stats_mut().record(&endpoint, status);
            return fault_response(status, retry_after);
        }
        Verdict::Drop => {
            st.stats_mut().record_drop(&endpoint);
            return dropped(dropper);
        }
        Verdict::Pass => {}
    }
    let is_queue_write = matches!(method, Method::POST | Method::PUT | Method::DELETE)
        && (path.starts_with(QUEUES_PATH) || path.starts_with(crate::genesys::QUEUES_PATH));
    let response = next.run(request).await;
    if is_queue_write
        && response.status().is_success()
        && st.fault_state().drop_after_apply(method.as_str())
    {
        st.stats_mut().record_drop(&endpoint);
        return dropped(dropper);
    }
    st.stats_mut().record(&endpoint, response.status().as_u16());
    response
}
