//! The NICE CXone wire face over the same tenant state: a queue is an ACD skill.
//!
//! - `POST /auth/token`: the password grant (the access key as username/password) with the
//!   application as HTTP Basic, answering an `id_token` whose payload carries `tenantId`,
//!   and a `refresh_token` (the refresh grant is served too).
//! - `GET /.well-known/cxone-configuration?tenantId=…` (no auth): `api_endpoint` is this
//!   server.
//! - Under `/inContactAPI/services/{version}`: `GET /skills` (skip/top, top at most 100,
//!   `searchString`, `totalRecords` as a string, `_links.next`), `POST /skills` (a batch:
//!   HTTP 200 with per-item results and no id; a new skill stays out of the list for
//!   [`LIST_LAG`]), `GET|PUT /skills/{id}` (`{"skill": {…}}`, only the fields sent change),
//!   `GET /campaigns`, and the reports `GET /wfm-data/skills/contacts` and
//!   `GET /skills/activity` from the traffic model (`cxone/reporting.rs`).
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

use crate::{
    SimState,
    seed::{SCOPE_QUEUE_UPDATE, SCOPE_QUEUE_VIEW},
    tenant::{ApiError, TokenError},
    wire,
};

/// The simulator's CXone access key (the API user's), for the password grant.
pub const CXONE_ACCESS_KEY_ID: &str = "cxqueues-demo-key";
pub const CXONE_ACCESS_KEY_SECRET: &str = "demo-key-secret";
/// The tenant id the `id_token` carries.
pub const CXONE_TENANT_ID: &str = "11ee0000-sim0-cx00-0000-000000000001";
/// How long a created skill stays out of the list.
pub const LIST_LAG: Duration = Duration::from_millis(400);
/// Skill ids are this plus the queue's listing sequence.
const SKILL_ID_BASE: u64 = 10_000;
/// The CXone token endpoint.
pub(crate) const TOKEN_PATH: &str = "/auth/token";
const REFRESH_PREFIX: &str = "sim-refresh.";
/// Where a created queue remembers when (ms since the epoch), for the list lag.
const CREATED_AT: &str = "createdAtMs";
const MAX_TOP: u64 = 100;
const CAMPAIGNS: [(i64, &str); 3] = [(1, "Default"), (2, "Sales"), (3, "Support")];

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

fn campaign_name(id: i64) -> Option<&'static str> {
    CAMPAIGNS.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// A stored queue as a CXone skill.
fn skill_of(seq: u64, q: &Value) -> Value {
    let cx = q.get("cxone").and_then(Value::as_object);
    let get = |k: &str, default: Value| cx.and_then(|c| c.get(k)).cloned().unwrap_or(default);
    let media = get("mediaTypeId", json!(4));
    let campaign = get("campaignId", json!(1));
    let mut skill = Map::new();
    skill.insert("skillId".into(), json!(skill_id(seq)));
    skill.insert("skillName".into(), q["name"].clone());
    skill.insert("mediaTypeId".into(), media);
    skill.insert("isActive".into(), get("isActive", json!(true)));
    skill.insert("campaignId".into(), campaign.clone());
    if let Some(name) = campaign.as_i64().and_then(campaign_name) {
        skill.insert("campaignName".into(), json!(name));
    }
    skill.insert(
        "notes".into(),
        q.get("description").cloned().unwrap_or(json!("")),
    );
    if let Some(slt) = q.get("serviceLevelTarget").filter(|v| v.is_object()) {
        skill.insert("serviceLevelGoal".into(), slt["threshold"].clone());
        // CXone is loose with types: the threshold comes back as a string.
        skill.insert(
            "serviceLevelThreshold".into(),
            json!(slt["time"].to_string()),
        );
    }
    for (k, default) in [
        ("initialPriority", json!(0)),
        ("acceleration", json!(1)),
        ("maxPriority", json!(1000)),
        ("enableShortAbandon", json!(false)),
        ("shortAbandonThreshold", json!(15)),
    ] {
        skill.insert(k.into(), get(k, default));
    }
    if let Some(cx) = cx {
        for (k, v) in cx {
            if k != CREATED_AT && !skill.contains_key(k) {
                skill.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(skill)
}

/// Applies a CXone skill body (POST or PUT spellings) onto a stored queue.
fn apply_skill(queue: &mut Map<String, Value>, skill: &Map<String, Value>) {
    let mut cx = queue
        .get("cxone")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut slt = queue
        .get("serviceLevelTarget")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| {
            json!({"threshold": 80, "time": 20})
                .as_object()
                .cloned()
                .unwrap_or_default()
        });
    for (k, v) in skill {
        match k.as_str() {
            "skillName" => {
                queue.insert("name".into(), v.clone());
            }
            "notes" => {
                queue.insert("description".into(), v.clone());
            }
            "serviceLevelGoal" => {
                slt.insert("threshold".into(), v.clone());
            }
            "serviceLevelThreshold" => {
                slt.insert("time".into(), v.clone());
            }
            // The PUT spelling: CXone fixes the media type at create.
            "mediatypeid" => {}
            _ => {
                cx.insert(k.clone(), v.clone());
            }
        }
    }
    queue.insert("serviceLevelTarget".into(), Value::Object(slt));
    queue.insert("cxone".into(), Value::Object(cx));
}

fn listed(q: &Value, now: u64) -> bool {
    let created = q
        .pointer(&format!("/cxone/{CREATED_AT}"))
        .and_then(Value::as_u64);
    created.is_none_or(|at| now >= at + u64::try_from(LIST_LAG.as_millis()).unwrap_or(0))
}

async fn list_skills(
    State(st): State<SimState>,
    Path(version): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let q = wire::parse_form(query.as_deref().unwrap_or_default());
    let number = |k: &str, default: u64| -> Result<u64, CxError> {
        q.get(k).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                CxError(
                    StatusCode::BAD_REQUEST,
                    json!({"message": format!("{k} must be a number")}),
                )
            })
        })
    };
    let skip = number("skip", 0)?;
    let top = number("top", 50)?;
    if top == 0 || top > MAX_TOP {
        return Err(CxError(
            StatusCode::BAD_REQUEST,
            json!({"message": format!("top must be 1 to {MAX_TOP}")}),
        ));
    }
    let search = q.get("searchString").map(|s| s.to_lowercase());
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let now = now_ms();
    let all: Vec<Value> = tenant
        .numbered()
        .filter(|(_, q)| listed(q, now))
        .filter(|(_, q)| {
            search.as_ref().is_none_or(|s| {
                q["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains(s))
            })
        })
        .map(|(seq, q)| skill_of(seq, q))
        .collect();
    drop(tenant);
    let total = all.len() as u64;
    let page: Vec<Value> = all
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(top).unwrap_or(usize::MAX))
        .collect();
    let mut body = json!({"totalRecords": total.to_string(), "skills": page});
    if skip + top < total {
        let mut next = format!(
            "/inContactAPI/services/{version}/skills?skip={}&top={top}",
            skip + top
        );
        if let Some(s) = q.get("searchString") {
            next.push_str("&searchString=");
            next.push_str(
                &s.replace('%', "%25")
                    .replace('&', "%26")
                    .replace(' ', "%20"),
            );
        }
        body["_links"] = json!({"self": null, "next": next});
    }
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
    Ok(Json(skill_of(seq, q)).into_response())
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
            Ok(()) => json!({"success": true, "error": null}),
            Err(reason) => json!({"success": false, "error": reason}),
        });
    }
    Ok(Json(json!({"errorCount": errors, "skillsResults": results})).into_response())
}

fn create_one(tenant: &mut crate::tenant::Tenant, item: Value, actor: &str) -> Result<(), String> {
    let Value::Object(skill) = item else {
        return Err("a skill must be an object".into());
    };
    let media = skill.get("mediaTypeId").and_then(Value::as_i64);
    if !matches!(media, Some(1 | 3..=7 | 9)) {
        return Err("mediaTypeId is required".into());
    }
    let mut queue = Map::new();
    apply_skill(&mut queue, &skill);
    if let Some(Value::Object(cx)) = queue.get_mut("cxone") {
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
    let mut tenant = st.tenant();
    let actor = tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    let seq = seq_of(&id).ok_or(ApiError::NotFound)?;
    let current = tenant.at_seq(seq).ok_or(ApiError::NotFound)?.clone();
    let uuid = current["id"].as_str().unwrap_or_default().to_owned();
    let version = crate::tenant::version_of(&current);
    let Value::Object(mut queue) = current else {
        return Err(ApiError::NotFound.into());
    };
    apply_skill(&mut queue, changes);
    tenant.update(&uuid, version, Value::Object(queue), &actor)?;
    Ok(Json(json!({"success": true, "skillId": skill_id(seq)})).into_response())
}

async fn campaigns(State(st): State<SimState>, headers: HeaderMap) -> Result<Response, CxError> {
    needs_json(&headers)?;
    st.tenant()
        .authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let list: Vec<Value> = CAMPAIGNS
        .iter()
        .map(|(id, name)| json!({"campaignId": id, "campaignName": name}))
        .collect();
    Ok(Json(json!({"totalRecords": list.len(), "campaigns": list})).into_response())
}
