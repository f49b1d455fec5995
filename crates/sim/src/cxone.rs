//! The NICE CXone wire face over the same tenant state: a queue is an ACD skill.
//!
//! - `POST /auth/token`: the password grant (the access key as username/password) with the
//!   application as HTTP Basic, answering an `id_token` whose payload carries `tenantId`,
//!   and a `refresh_token` (the refresh grant is served too, and needs `client_id` in the
//!   form, as published).
//! - `GET /.well-known/cxone-configuration?tenantId=…` (no auth): `api_endpoint` is this
//!   server.
//! - Under `/inContactAPI/services/{version}`: `GET /skills` (skip/top, top at most 100,
//!   `searchString`, `_links.next`), `POST /skills` (a batch: HTTP 200 with per-item results
//!   and no id; a new skill stays out of the list for [`LIST_LAG`]), `GET|PUT /skills/{id}`
//!   (`{"skill": {…}}`; only the fields sent change, or with
//!   [`Faults::cxone_whole_put`](crate::Faults) the PUT replaces the skill whole), and
//!   `GET /campaigns` (v34: `{id, name, …}`, skip/top). Every body is in NICE's published v34
//!   shape ([`crate::full_cxone_skill`] seeds a skill with all 84 GET properties); see
//!   `cxone_skill.rs`.
//! - The reports `GET /wfm-data/skills/contacts` and `GET /skills/activity`, from the traffic
//!   model (`cxone/reporting.rs`).
//! - Every API call needs `Accept: application/json`, as CXone's does. A 429 from the fault
//!   layer carries no `Retry-After` with [`RetryAfterFormat::Omitted`](crate::RetryAfterFormat).
//!
//! A skill's id is `SKILL_ID_BASE` + the queue's listing sequence. Its CXone-only fields
//! are kept on the queue under `cxone`; `notes` is the queue's `description` and the service
//! level its `serviceLevelTarget`.

mod reporting;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::cxone_skill::{self, CREATED_AT, CXONE, CXONE_TENANT_ID, skill_of};
use crate::{
    SimState,
    seed::{SCOPE_QUEUE_UPDATE, SCOPE_QUEUE_VIEW},
    tenant::{ApiError, TokenError},
    wire,
};

/// The simulator's CXone access key (the API user's), for the password grant.
pub const CXONE_ACCESS_KEY_ID: &str = "cxqueues-demo-key";
pub const CXONE_ACCESS_KEY_SECRET: &str = "demo-key-secret";
/// How long a created skill stays out of the list.
pub const LIST_LAG: Duration = Duration::from_millis(400);
/// Skill ids are this plus the queue's listing sequence.
const SKILL_ID_BASE: u64 = 10_000;
/// The CXone token endpoint.
pub(crate) const TOKEN_PATH: &str = "/auth/token";
const REFRESH_PREFIX: &str = "sim-refresh.";
const MAX_TOP: u64 = 100;
/// The business unit every answer names.
const BUSINESS_UNIT_ID: u64 = 4_600_000;

/// The CXone routes, merged into [`crate::router`].
pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route("/.well-known/cxone-configuration", get(discovery))
        .route(
            "/inContactAPI/services/{version}/skills",
            get(list_skills).post(create_skills),
        )
        .route(
            "/inContactAPI/services/{version}/skills/{id}",
            get(get_skill).put(put_skill),
        )
        .route("/inContactAPI/services/{version}/campaigns", get(campaigns))
        .merge(reporting::routes())
}

/// A CXone-shaped error answer.
struct CxError(StatusCode, Value);

impl IntoResponse for CxError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<ApiError> for CxError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized => CxError(
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_token", "error_description": "The token is not valid"}),
            ),
            ApiError::MissingScope(s) => CxError(
                StatusCode::FORBIDDEN,
                json!({"message": format!("not permitted ({s})")}),
            ),
            ApiError::NotFound => CxError(StatusCode::NOT_FOUND, json!({"message": "Not found"})),
            ApiError::PreconditionRequired | ApiError::Conflict(_) => CxError(
                StatusCode::CONFLICT,
                json!({"message": "the skill changed meanwhile"}),
            ),
            ApiError::NameTaken => CxError(
                StatusCode::BAD_REQUEST,
                json!({"message": "Skill name already exists"}),
            ),
            ApiError::BadRequest(errors) => CxError(
                StatusCode::BAD_REQUEST,
                json!({"message": errors.join("; ")}),
            ),
        }
    }
}

fn needs_json(headers: &HeaderMap) -> Result<(), CxError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if accept.contains("application/json") || accept.contains("*/*") {
        Ok(())
    } else {
        Err(CxError(
            StatusCode::NOT_ACCEPTABLE,
            json!({"message": "No known way to render data"}),
        ))
    }
}

fn json_body(bytes: &Bytes) -> Result<Value, CxError> {
    serde_json::from_slice(bytes)
        .map_err(|e| CxError(StatusCode::BAD_REQUEST, json!({"message": e.to_string()})))
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

// ---- auth ----

async fn token(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = wire::parse_form(&String::from_utf8_lossy(&body));
    let Some((client_id, client_secret)) = wire::basic_auth(&headers) else {
        return CxError(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "client authentication (HTTP Basic) is required"}),
        )
        .into_response();
    };
    let grant = form.get("grant_type").map(String::as_str);
    let user_ok = match grant {
        Some("password") => {
            form.get("username").map(String::as_str) == Some(CXONE_ACCESS_KEY_ID)
                && form.get("password").map(String::as_str) == Some(CXONE_ACCESS_KEY_SECRET)
        }
        // The published refresh grant requires client_id, the application's.
        Some("refresh_token") if form.get("client_id") != Some(&client_id) => {
            return CxError(
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": "client_id is required with the refresh grant"}),
            )
            .into_response();
        }
        Some("refresh_token") => form
            .get("refresh_token")
            .is_some_and(|r| r.starts_with(REFRESH_PREFIX)),
        _ => {
            return CxError(
                StatusCode::BAD_REQUEST,
                json!({"error": "unsupported_grant_type"}),
            )
            .into_response();
        }
    };
    if !user_ok {
        return CxError(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": "Invalid access key or refresh token"}),
        )
        .into_response();
    }
    let lifetime = st.fault_state().token_lifetime();
    let issued = st.tenant().issue_token(
        Some("client_credentials"),
        Some(&client_id),
        Some(&client_secret),
        None,
        lifetime,
    );
    match issued {
        Ok((access, _)) => {
            st.stats_mut().tokens_issued += 1;
            let claims = json!({"tenantId": CXONE_TENANT_ID, "sub": CXONE_ACCESS_KEY_ID});
            let id_token = format!(
                "{}.{}.sim-signature",
                b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
                b64url(claims.to_string().as_bytes())
            );
            Json(json!({
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": lifetime.as_secs(),
                "refresh_token": format!("{REFRESH_PREFIX}{}", uuid::Uuid::new_v4().simple()),
                "id_token": id_token,
            }))
            .into_response()
        }
        Err(TokenError::InvalidClient) => CxError(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "Unknown application"}),
        )
        .into_response(),
        Err(TokenError::UnsupportedGrantType | TokenError::InvalidRequest(_)) => {
            CxError(StatusCode::BAD_REQUEST, json!({"error": "invalid_request"})).into_response()
        }
    }
}

async fn discovery(headers: HeaderMap, RawQuery(query): RawQuery) -> Result<Response, CxError> {
    let q = wire::parse_form(query.as_deref().unwrap_or_default());
    if q.get("tenantId").map(String::as_str) != Some(CXONE_TENANT_ID) {
        return Err(CxError(
            StatusCode::NOT_FOUND,
            json!({"message": "unknown tenantId"}),
        ));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    Ok(Json(json!({
        "private": false,
        "api_endpoint": format!("http://{host}"),
        "ui_endpoint": format!("http://{host}"),
        "auth_endpoint": format!("http://{host}"),
        "area": "sim1",
        "region": "sim",
        "domain": host,
        "uhDomain": host,
        "tenantId": CXONE_TENANT_ID,
    }))
    .into_response())
}

// ---- skills ----

fn skill_id(seq: u64) -> u64 {
    SKILL_ID_BASE + seq
}

fn seq_of(id: &str) -> Option<u64> {
    id.parse::<u64>().ok()?.checked_sub(SKILL_ID_BASE)
}

fn listed(q: &Value, now: u64) -> bool {
    let created = q
        .pointer(&format!("/{CXONE}/{CREATED_AT}"))
        .and_then(Value::as_u64);
    created.is_none_or(|at| now >= at + u64::try_from(LIST_LAG.as_millis()).unwrap_or(0))
}

fn bad_request(message: String) -> CxError {
    CxError(
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_request", "error_description": message}),
    )
}

/// `skip` and `top` of a list query (`top` 1–100, default 100).
fn paging(q: &std::collections::HashMap<String, String>) -> Result<(u64, u64), CxError> {
    let number = |k: &str, default: u64| -> Result<u64, CxError> {
        q.get(k).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| bad_request(format!("{k} must be a number")))
        })
    };
    let skip = number("skip", 0)?;
    let top = number("top", MAX_TOP)?;
    if top == 0 || top > MAX_TOP {
        return Err(bad_request(format!("top must be 1 to {MAX_TOP}")));
    }
    Ok((skip, top))
}

fn page_of<T>(all: Vec<T>, skip: u64, top: u64) -> Vec<T> {
    all.into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(top).unwrap_or(usize::MAX))
        .collect()
}

async fn list_skills(
    State(st): State<SimState>,
    Path(version): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let q = wire::parse_form(query.as_deref().unwrap_or_default());
    let (skip, top) = paging(&q)?;
    let search = q.get("searchString").map(|s| s.to_lowercase());
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let now = now_ms();
    let campaigns = tenant.cxone_campaigns();
    let all: Vec<(u64, &Value)> = tenant
        .numbered()
        .filter(|(_, q)| listed(q, now))
        .filter(|(_, q)| {
            search.as_ref().is_none_or(|s| {
                q["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains(s))
            })
        })
        .collect();
    let total = all.len() as u64;
    // Only the page's skills are built.
    let page: Vec<Value> = page_of(all, skip, top)
        .into_iter()
        .map(|(seq, q)| skill_of(skill_id(seq), q, campaigns))
        .collect();
    drop(tenant);
    let link = |skip: u64| {
        let mut url = format!("/inContactAPI/services/{version}/skills?skip={skip}&top={top}");
        if let Some(s) = q.get("searchString") {
            url.push_str("&searchString=");
            url.push_str(
                &s.replace('%', "%25")
                    .replace('&', "%26")
                    .replace(' ', "%20"),
            );
        }
        url
    };
    let mut links = json!({"self": link(skip)});
    if skip + top < total {
        links["next"] = json!(link(skip + top));
    }
    let body = json!({
        "_links": links,
        "businessUnitId": BUSINESS_UNIT_ID,
        "lastPollTime": crate::time::now_rfc3339(),
        "totalRecords": total,
        "skills": page,
    });
    Ok(Json(body).into_response())
}

async fn get_skill(
    State(st): State<SimState>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let seq = seq_of(&id).ok_or(ApiError::NotFound)?;
    let q = tenant.at_seq(seq).ok_or(ApiError::NotFound)?;
    Ok(Json(skill_of(skill_id(seq), q, tenant.cxone_campaigns())).into_response())
}

async fn create_skills(
    State(st): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let body = json_body(&body)?;
    let items = body
        .get("skills")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| {
            CxError(
                StatusCode::BAD_REQUEST,
                json!({"message": "body must be {\"skills\": [...]}"}),
            )
        })?;
    let mut tenant = st.tenant();
    let actor = tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    let mut results = Vec::new();
    let mut errors = 0;
    for item in items {
        let outcome = create_one(&mut tenant, item, &actor);
        if outcome.is_err() {
            errors += 1;
        }
        results.push(match outcome {
            Ok(()) => json!({"success": true}),
            Err(reason) => json!({"success": false, "error": reason}),
        });
    }
    Ok(Json(json!({"errorCount": errors, "skillsResults": results})).into_response())
}

fn create_one(tenant: &mut crate::tenant::Tenant, item: Value, actor: &str) -> Result<(), String> {
    let Value::Object(skill) = item else {
        return Err("a skill must be an object".into());
    };
    let problems = cxone_skill::problems(&skill, &cxone_skill::POST_PROPERTIES);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    if !cxone_skill::is_media_type(skill.get("mediaTypeId").and_then(Value::as_i64)) {
        return Err("mediaTypeId is required".into());
    }
    let mut queue = Map::new();
    cxone_skill::apply(&mut queue, &skill, false);
    if let Some(Value::Object(cx)) = queue.get_mut(CXONE) {
        cx.insert(CREATED_AT.into(), json!(now_ms()));
    }
    tenant
        .create(Value::Object(queue), actor)
        .map(|_| ())
        .map_err(|e| match e {
            ApiError::NameTaken => "Skill name already exists".to_string(),
            ApiError::BadRequest(reasons) => reasons.join("; "),
            _ => "the skill could not be created".to_string(),
        })
}

async fn put_skill(
    State(st): State<SimState>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let body = json_body(&body)?;
    let Some(Value::Object(changes)) = body.get("skill") else {
        return Err(CxError(
            StatusCode::BAD_REQUEST,
            json!({"message": "body must be {\"skill\": {...}}"}),
        ));
    };
    let problems = cxone_skill::problems(changes, &cxone_skill::PUT_PROPERTIES);
    if !problems.is_empty() {
        return Err(bad_request(problems.join("; ")));
    }
    let whole = st.fault_state().faults().cxone_whole_put;
    let mut tenant = st.tenant();
    let actor = tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    let seq = seq_of(&id).ok_or(ApiError::NotFound)?;
    let current = tenant.at_seq(seq).ok_or(ApiError::NotFound)?.clone();
    let uuid = current["id"].as_str().unwrap_or_default().to_owned();
    let version = crate::tenant::version_of(&current);
    let Value::Object(mut queue) = current else {
        return Err(ApiError::NotFound.into());
    };
    cxone_skill::apply(&mut queue, changes, whole);
    tenant.update(&uuid, version, Value::Object(queue), &actor)?;
    Ok(Json(json!({"success": true, "skillId": skill_id(seq)})).into_response())
}

async fn campaigns(
    State(st): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let q = wire::parse_form(query.as_deref().unwrap_or_default());
    let (skip, top) = paging(&q)?;
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let all: Vec<Value> = tenant
        .cxone_campaigns()
        .iter()
        .map(|(id, name)| {
            json!({"id": id, "name": name, "isActive": true,
                   "lastUpdateTime": "2026-01-01T00:00:00.000Z", "notes": ""})
        })
        .collect();
    drop(tenant);
    let total = all.len();
    Ok(Json(json!({
        "businessUnitId": BUSINESS_UNIT_ID,
        "totalRecords": total,
        "campaigns": page_of(all, skip, top),
    }))
    .into_response())
}
