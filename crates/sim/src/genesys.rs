//! The simulator's Genesys Cloud face, under [`GENESYS_PREFIX`] on the same server and over
//! the same tenant state as the routing-API face:
//!
//! - `POST /genesys/oauth/token`: client credentials with HTTP Basic client auth only;
//! - `GET|POST /genesys/api/v2/routing/queues` (paged; `name` filter, exact unless it has a
//!   leading or trailing `*`), `GET|PUT|DELETE /genesys/api/v2/routing/queues/{id}`,
//!   `GET /genesys/api/v2/routing/skills`;
//! - `POST /genesys/api/v2/analytics/conversations/aggregates/query` and
//!   `…/analytics/queues/observations/query`, from the traffic model (`genesys/analytics.rs`);
//! - queues in the Genesys shape: no `version`; the service level is
//!   `mediaSettings.call.serviceLevel {percentage, durationMs}`; the routing-API-only fields
//!   (skill requirements, overflow, max wait, max waiters) are not shown and survive writes;
//! - a PUT replaces the whole queue (fields left out are erased) and needs no version;
//! - errors in the Genesys body `{message, code, status, contextId, details, errors}`;
//! - eventual consistency as options ([`GenesysLag`]): a created queue missing from the list
//!   for a while, a deleted queue still served (list and GET) for a while.
//!
//! The fault layer (429/503 with `Retry-After`, latency, drops, the rival admin on PUT) works
//! here as on the other face.

mod analytics;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    SimState,
    seed::{SCOPE_QUEUE_UPDATE, SCOPE_QUEUE_VIEW, SCOPE_SKILL_VIEW},
    tenant::{ApiError, Page, TokenError, version_of},
    wire,
};

mod skillgroups;

/// Where the Genesys face is mounted: a client's API base and login base are both
/// `{sim base URL}/genesys`.
pub const GENESYS_PREFIX: &str = "/genesys";
/// The Genesys face's token endpoint (exempt from faults unless `include_token_endpoint`).
pub(crate) const TOKEN_PATH: &str = "/genesys/oauth/token";
/// The Genesys face's queue collection (its writes can lose their answer, as on the other
/// face).
pub(crate) const QUEUES_PATH: &str = "/genesys/api/v2/routing/queues";

/// Routing-API fields a Genesys queue does not have: hidden by this face, kept on writes.
const HIDDEN: [&str; 4] = ["skillRequirements", "overflow", "maxWaitTime", "maxWaiters"];

/// Eventual-consistency options of the Genesys face (both off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GenesysLag {
    /// A created queue is missing from the list (not from GET) for this long.
    pub list_lag_ms: u64,
    /// A deleted queue is still listed and served by GET for this long.
    pub delete_cache_ms: u64,
}

/// What the face remembers to play the lag.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    lag: GenesysLag,
    created: HashMap<String, Instant>,
    /// Deleted queues (Genesys shape) and when.
    deleted: Vec<(Value, Instant)>,
    /// Skill expression groups, in the order they were made ([`skillgroups`]).
    pub(crate) skill_groups: Vec<Value>,
}

impl Memory {
    fn forget_old(&mut self) {
        let now = Instant::now();
        let list_lag = Duration::from_millis(self.lag.list_lag_ms);
        let cache = Duration::from_millis(self.lag.delete_cache_ms);
        self.created
            .retain(|_, at| now.duration_since(*at) < list_lag);
        self.deleted
            .retain(|(_, at)| now.duration_since(*at) < cache);
    }

    fn cached(&mut self, id: &str) -> Option<Value> {
        self.forget_old();
        self.deleted
            .iter()
            .find(|(q, _)| q["id"] == id)
            .map(|(q, _)| q.clone())
    }
}

impl SimState {
    /// Sets the Genesys face's eventual-consistency options.
    pub fn set_genesys_lag(&self, lag: GenesysLag) {
        let mut memory = self.genesys();
        memory.lag = lag;
        memory.forget_old();
    }
}

/// An error in the Genesys body.
#[derive(Debug)]
pub(crate) struct GenesysError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<Value>,
}

impl GenesysError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }
}

impl IntoResponse for GenesysError {
    fn into_response(self) -> Response {
        let body = json!({
            "message": self.message,
            "code": self.code,
            "status": self.status.as_u16(),
            "messageParams": {},
            "contextId": uuid::Uuid::new_v4().to_string(),
            "details": self.details,
            "errors": [],
        });
        (self.status, Json(body)).into_response()
    }
}

impl From<ApiError> for GenesysError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized => Self::new(
                StatusCode::UNAUTHORIZED,
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
            ),
            ApiError::MissingScope(scope) => Self::new(
                StatusCode::FORBIDDEN,
                "missing.permissions",
                format!(
                    "Unable to perform the requested action. You are missing the following permission(s): [{scope}]"
                ),
            ),
            ApiError::NotFound => Self::new(
                StatusCode::NOT_FOUND,
                "not.found",
                "The requested resource was not found.",
            ),
            ApiError::NameTaken => Self::new(
                StatusCode::BAD_REQUEST,
                "general.bad.request",
                "A queue with this name already exists.",
            ),
            ApiError::PreconditionRequired | ApiError::Conflict(_) => Self::new(
                StatusCode::CONFLICT,
                "general.conflict",
                "The queue was changed by another request.",
            ),
            ApiError::BadRequest(errors) => {
                let mut e = Self::new(
                    StatusCode::BAD_REQUEST,
                    "bad.request",
                    format!(
                        "The request could not be understood by the server due to malformed syntax: {}",
                        errors.join("; ")
                    ),
                );
                e.details = errors
                    .iter()
                    .map(|r| {
                        let field = r.split(':').next().unwrap_or_default();
                        json!({"errorCode": "invalid.value", "fieldName": field})
                    })
                    .collect();
                e
            }
        }
    }
}

pub(crate) type Answer = Result<Response, GenesysError>;

/// The Genesys face's routes (mounted under [`GENESYS_PREFIX`] by [`crate::router`]).
pub(crate) fn router() -> Router<SimState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route(
            "/api/v2/routing/queues",
            get(list_queues).post(create_queue),
        )
        .route(
            "/api/v2/routing/queues/{id}",
            get(get_queue).put(put_queue).delete(delete_queue),
        )
        .route("/api/v2/routing/skills", get(list_skills))
        .route(
            "/api/v2/routing/skillgroups",
            get(skillgroups::list).post(skillgroups::create),
        )
        .route(
            "/api/v2/routing/skillgroups/{id}",
            get(skillgroups::get_one)
                .patch(skillgroups::patch)
                .delete(skillgroups::delete),
        )
        .merge(analytics::routes())
}

/// A stored queue as Genesys shows it.
pub(crate) fn to_genesys(stored: &Value) -> Value {
    let mut obj = stored.as_object().cloned().unwrap_or_default();
    obj.remove("version");
    for key in HIDDEN {
        obj.remove(key);
    }
    if let Some(slt) = obj.remove("serviceLevelTarget") {
        let threshold = slt["threshold"].as_f64().unwrap_or(0.0);
        let time = slt["time"].as_u64().unwrap_or(0);
        let media = obj
            .entry("mediaSettings")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.entry("call").or_insert_with(|| json!({})));
        if let Some(Value::Object(call)) = media {
            // The exact level a Genesys write stored stays, unless the routing-API face has
            // changed the target since.
            let kept = call
                .get("serviceLevel")
                .and_then(rounded_target)
                .is_some_and(|t| t == slt);
            if !kept {
                call.insert(
                    "serviceLevel".into(),
                    json!({"percentage": threshold / 100.0, "durationMs": time * 1000}),
                );
            }
        }
    }
    Value::Object(obj)
}

/// The routing-API target a Genesys service level stands for (rounded to whole per cent and
/// seconds, the time within the routing API's 1–300), or `None` when it is out of range.
fn rounded_target(level: &Value) -> Option<Value> {
    let p = level.get("percentage").and_then(Value::as_f64)?;
    let ms = level.get("durationMs").and_then(Value::as_f64)?;
    ((0.0..=1.0).contains(&p) && ms >= 1000.0).then(|| {
        json!({
            "threshold": (p * 100.0).round() as i64,
            "time": ((ms / 1000.0).round() as i64).clamp(1, 300),
        })
    })
}

/// A Genesys request body as the stored shape: the call service level becomes
/// `serviceLevelTarget`, and the hidden fields come from `current` (what a PUT leaves out of
/// them is not the client's to erase: it cannot see them).
fn from_genesys(body: Value, current: Option<&Value>) -> Result<Value, GenesysError> {
    let Value::Object(mut obj) = body else {
        return Err(ApiError::BadRequest(vec!["body: must be a JSON object".into()]).into());
    };
    let level = obj
        .get("mediaSettings")
        .and_then(|m| m.get("call"))
        .and_then(|call| call.get("serviceLevel"))
        .cloned();
    if let Some(level) = level {
        match rounded_target(&level) {
            Some(target) => {
                obj.insert("serviceLevelTarget".into(), target);
            }
            None => {
                return Err(ApiError::BadRequest(vec![
                    "mediaSettings.call.serviceLevel: percentage must be 0–1 and durationMs at least 1000".into(),
                ])
                .into());
            }
        }
    }
    for key in [
        "memberCount",
        "userMemberCount",
        "joinedMemberCount",
        "dateCreated",
        "createdBy",
    ] {
        obj.remove(key);
    }
    if let Some(Value::Object(cur)) = current {
        for key in HIDDEN {
            match cur.get(key) {
                Some(v) => obj.insert(key.into(), v.clone()),
                None => obj.remove(key),
            };
        }
        if !obj.contains_key("serviceLevelTarget")
            && let Some(slt) = cur.get("serviceLevelTarget")
        {
            obj.insert("serviceLevelTarget".into(), slt.clone());
        }
    }
    Ok(Value::Object(obj))
}

fn page_and_name(query: Option<&str>) -> Result<(Page, Option<String>), GenesysError> {
    let q = wire::parse_form(query.unwrap_or_default());
    let page = Page::parse(
        q.get("pageNumber").map(String::as_str),
        q.get("pageSize").map(String::as_str),
    )?;
    Ok((page, q.get("name").cloned()))
}

/// Genesys's `name` filter: exact (ignoring case) unless a leading or trailing `*` makes it
/// a suffix, prefix or substring match.
fn name_matches(filter: &str, name: &str) -> bool {
    let name = name.to_lowercase();
    let f = filter.to_lowercase();
    match (f.strip_prefix('*'), f.strip_suffix('*')) {
        (Some(rest), _) if rest.ends_with('*') => name.contains(rest.trim_end_matches('*')),
        (Some(rest), None) => name.ends_with(rest),
        (None, Some(rest)) => name.starts_with(rest),
        _ => name == f,
    }
}

fn paged(items: Vec<Value>, page: Page) -> Response {
    let body = page.envelope(items.len(), items.iter());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn token(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = wire::parse_form(&String::from_utf8_lossy(&body));
    let Some((id, secret)) = wire::basic_auth(&headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "client credentials go in an HTTP Basic Authorization header"})),
        )
            .into_response();
    };
    let lifetime = st.fault_state().token_lifetime();
    let result = st.tenant().issue_token(
        form.get("grant_type").map(String::as_str),
        Some(&id),
        Some(&secret),
        None,
        lifetime,
    );
    match result {
        Ok((value, _)) => {
            st.stats_mut().tokens_issued += 1;
            Json(json!({"access_token": value, "token_type": "bearer", "expires_in": lifetime.as_secs()}))
                .into_response()
        }
        Err(e) => {
            let (status, error, description) = match e {
                TokenError::InvalidClient => (
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client not found or secret wrong".to_owned(),
                ),
                TokenError::UnsupportedGrantType => (
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "use grant_type=client_credentials".to_owned(),
                ),
                TokenError::InvalidRequest(why) => {
                    (StatusCode::BAD_REQUEST, "invalid_request", why)
                }
            };
            (
                status,
                Json(json!({"error": error, "error_description": description})),
            )
                .into_response()
        }
    }
}

async fn list_queues(
    State(st): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (page, name) = page_and_name(query.as_deref())?;
    let mut queues: Vec<Value> = {
        let tenant = st.tenant();
        tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
        tenant.all_queues()
    };
    let mut memory = st.genesys();
    memory.forget_old();
    queues.retain(|q| {
        q["id"]
            .as_str()
            .is_none_or(|id| !memory.created.contains_key(id))
    });
    let mut shown: Vec<Value> = queues.iter().map(to_genesys).collect();
    shown.extend(memory.deleted.iter().map(|(q, _)| q.clone()));
    drop(memory);
    if let Some(filter) = name {
        shown.retain(|q| name_matches(&filter, q["name"].as_str().unwrap_or_default()));
    }
    Ok(paged(shown, page))
}

async fn get_queue(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let found = {
        let tenant = st.tenant();
        tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
        tenant.queue(&id).map(to_genesys)
    };
    let queue = match found {
        Some(q) => q,
        None => st.genesys().cached(&id).ok_or(ApiError::NotFound)?,
    };
    Ok(Json(queue).into_response())
}

fn parse(st: &SimState, body: &Bytes) -> Result<Value, GenesysError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        GenesysError::from(ApiError::BadRequest(vec![format!(
            "body: invalid JSON: {e}"
        )]))
    })?;
    // As Genesys: rule 1 always evaluates the queue itself and may not name it.
    if v.pointer("/conditionalGroupRouting/rules/0/queue")
        .is_some()
    {
        return Err(ApiError::BadRequest(vec![
            "conditionalGroupRouting.rules[0].queue: the first rule evaluates this queue; leave queue out".into(),
        ])
        .into());
    }
    if let Some(id) = skillgroups::unknown_member_groups(st, &v) {
        return Err(ApiError::BadRequest(vec![format!(
            "memberGroups: skill group {id} does not exist"
        )])
        .into());
    }
    Ok(v)
}

async fn create_queue(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Answer {
    let parsed = parse(&st, &body)?;
    let stored = {
        let mut tenant = st.tenant();
        let actor = tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
        tenant.create(from_genesys(parsed, None)?, &actor)?
    };
    if let Some(id) = stored["id"].as_str() {
        let mut memory = st.genesys();
        if memory.lag.list_lag_ms > 0 {
            memory.created.insert(id.to_owned(), Instant::now());
        }
    }
    Ok(Json(to_genesys(&stored)).into_response())
}

async fn put_queue(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let parsed = parse(&st, &body)?;
    let mut tenant = st.tenant();
    let actor = tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    // The rival admin strikes between the client's read and this write: without versions,
    // the write below wins.
    crate::tenant::rival_strikes(&st, &mut tenant, &id)?;
    let current = tenant.queue(&id).cloned().ok_or(ApiError::NotFound)?;
    let stored = from_genesys(parsed, Some(&current))?;
    let written = tenant.update(&id, version_of(&current), stored, &actor)?;
    Ok(Json(to_genesys(&written)).into_response())
}

async fn delete_queue(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let gone = {
        let mut tenant = st.tenant();
        tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
        let current = tenant.queue(&id).cloned().ok_or(ApiError::NotFound)?;
        tenant.delete(&id, version_of(&current))?;
        to_genesys(&current)
    };
    let mut memory = st.genesys();
    memory.created.remove(&id);
    if memory.lag.delete_cache_ms > 0 {
        memory.deleted.push((gone, Instant::now()));
    }
    Ok(StatusCode::OK.into_response())
}

async fn list_skills(
    State(st): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (page, _) = page_and_name(query.as_deref())?;
    let skills = {
        let tenant = st.tenant();
        tenant.authorize(wire::bearer(&headers), SCOPE_SKILL_VIEW)?;
        tenant.skills()
    };
    Ok(paged(skills, page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_filter_is_exact_unless_it_has_wildcards() {
        let table = [
            ("Support", "support", true),
            ("Support", "Support Tier 2", false),
            ("Support*", "Support Tier 2", true),
            ("*Tier 2", "Support Tier 2", true),
            ("*port Ti*", "Support Tier 2", true),
            ("*Tier 3", "Support Tier 2", false),
        ];
        for (filter, name, want) in table {
            assert_eq!(name_matches(filter, name), want, "{filter} vs {name}");
        }
    }

    #[test]
    fn a_stored_queue_shows_as_genesys_and_a_put_keeps_the_hidden_fields() {
        let stored = json!({
            "id": "q1", "name": "A", "version": 3, "maxWaitTime": 300, "maxWaiters": 10,
            "skillRequirements": [], "overflow": null,
            "serviceLevelTarget": {"threshold": 80, "time": 20},
            "acwSettings": {"wrapupPrompt": "OPTIONAL"}
        });
        let shown = to_genesys(&stored);
        assert_eq!(
            shown,
            json!({"id": "q1", "name": "A", "acwSettings": {"wrapupPrompt": "OPTIONAL"},
                   "mediaSettings": {"call": {"serviceLevel": {"percentage": 0.8, "durationMs": 20000}}}})
        );
        let mut body = shown.clone();
        body["mediaSettings"]["call"]["serviceLevel"]["percentage"] = json!(0.9);
        body.as_object_mut().unwrap().remove("acwSettings");
        let back = from_genesys(body, Some(&stored)).unwrap();
        assert_eq!(
            back["serviceLevelTarget"],
            json!({"threshold": 90, "time": 20})
        );
        assert_eq!(back["maxWaitTime"], 300);
        assert!(
            back.get("acwSettings").is_none(),
            "a PUT replaces the whole queue"
        );
    }

    #[test]
    fn a_service_level_out_of_range_is_a_genesys_error_body() {
        let body = json!({"name": "A", "mediaSettings": {"call": {"serviceLevel": {"percentage": 80, "durationMs": 20000}}}});
        let err = from_genesys(body, None).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err.details[0]["fieldName"],
            "mediaSettings.call.serviceLevel"
        );
    }
}
