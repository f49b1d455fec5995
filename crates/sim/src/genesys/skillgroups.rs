//! The Genesys face's skill expression groups (`/genesys/api/v2/routing/skillgroups`):
//!
//! - `GET` lists them cursor-paged (`pageSize`, `after`; `nextUri` while there are more),
//!   without their conditions, as Genesys does;
//! - `POST` makes one, `GET|PATCH|DELETE /{id}` read, change (only the fields sent) and
//!   delete one;
//! - a condition must name a routing skill of the tenant; a group a queue still has as a
//!   member group cannot be deleted (409), and a queue cannot name a skill group that does
//!   not exist as a member group (400), so that the order of writes is tested.
//!
//! Groups live with the face (not in the saved tenant state).

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use serde_json::{Map, Value, json};

use super::{Answer, GenesysError};
use crate::{
    SimState,
    seed::{SCOPE_QUEUE_UPDATE, SCOPE_QUEUE_VIEW},
    tenant::ApiError,
    wire,
};

/// The largest page the list serves.
const MAX_PAGE: usize = 100;

fn bad(message: impl Into<String>) -> GenesysError {
    GenesysError::new(StatusCode::BAD_REQUEST, "bad.request", message)
}

/// The problems of a body's `skillConditions`, against the tenant's routing skills.
fn check_conditions(conds: &Value, skills: &[String]) -> Result<(), GenesysError> {
    let Some(list) = conds.as_array() else {
        return Err(bad("skillConditions must be a list"));
    };
    for c in list {
        for rc in c
            .get("routingSkillConditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let skill = rc.get("routingSkill").and_then(Value::as_str).unwrap_or("");
            if !skills.iter().any(|s| s == skill) {
                return Err(bad(format!(
                    "routingSkill {skill:?} is not a routing skill"
                )));
            }
            let level = rc.get("proficiency").and_then(Value::as_u64);
            if level.is_none_or(|l| l > 5) {
                return Err(bad("proficiency must be 0–5"));
            }
        }
    }
    Ok(())
}

fn skill_names(st: &SimState) -> Vec<String> {
    st.tenant()
        .skills()
        .iter()
        .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

fn body_object(body: &Bytes) -> Result<Map<String, Value>, GenesysError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(bad("body: must be a JSON object")),
    }
}

/// The ids of the skill groups queues have as member groups.
fn referenced(st: &SimState) -> Vec<String> {
    st.tenant()
        .all_queues()
        .iter()
        .flat_map(|q| {
            q.get("memberGroups")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter(|g| g.get("type").and_then(Value::as_str) == Some("SKILLGROUP"))
        .filter_map(|g| g.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// A queue body's skill-group member groups that do not exist.
pub(crate) fn unknown_member_groups(st: &SimState, body: &Value) -> Option<String> {
    let memory = st.genesys();
    body.get("memberGroups")
        .and_then(Value::as_array)?
        .iter()
        .filter(|g| g.get("type").and_then(Value::as_str) == Some("SKILLGROUP"))
        .filter_map(|g| g.get("id").and_then(Value::as_str))
        .find(|id| !memory.skill_groups.iter().any(|s| s["id"] == *id))
        .map(str::to_owned)
}

pub(crate) async fn list(
    State(st): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    st.tenant()
        .authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let q = wire::parse_form(query.as_deref().unwrap_or_default());
    let size = q
        .get("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, MAX_PAGE);
    let start = q
        .get("after")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let memory = st.genesys();
    let entities: Vec<Value> = memory
        .skill_groups
        .iter()
        .skip(start)
        .take(size)
        .map(|g| {
            let mut g = g.clone();
            if let Some(o) = g.as_object_mut() {
                o.remove("skillConditions");
            }
            g
        })
        .collect();
    let end = start + entities.len();
    let mut page = json!({"entities": entities, "selfUri": "/api/v2/routing/skillgroups"});
    if end < memory.skill_groups.len() {
        page["nextUri"] = json!(format!(
            "/api/v2/routing/skillgroups?pageSize={size}&after={end}"
        ));
    }
    Ok(Json(page).into_response())
}

pub(crate) async fn create(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Answer {
    st.tenant()
        .authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    let body = body_object(&body)?;
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Err(bad("name is required"));
    };
    let conds = body.get("skillConditions").cloned().unwrap_or(json!([]));
    check_conditions(&conds, &skill_names(&st))?;
    let mut memory = st.genesys();
    if memory.skill_groups.iter().any(|g| g["name"] == name) {
        return Err(bad(format!("a skill group named {name:?} already exists")));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let group = json!({
        "id": id, "name": name, "skillConditions": conds,
        "memberCount": 0, "status": "Complete",
        "selfUri": format!("/api/v2/routing/skillgroups/{id}"),
    });
    memory.skill_groups.push(group.clone());
    Ok(Json(group).into_response())
}

pub(crate) async fn get_one(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    st.tenant()
        .authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let memory = st.genesys();
    let group = memory
        .skill_groups
        .iter()
        .find(|g| g["id"] == id)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    Ok(Json(group).into_response())
}

pub(crate) async fn patch(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    st.tenant()
        .authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    let body = body_object(&body)?;
    if let Some(conds) = body.get("skillConditions") {
        check_conditions(conds, &skill_names(&st))?;
    }
    let mut memory = st.genesys();
    let Some(group) = memory.skill_groups.iter_mut().find(|g| g["id"] == id) else {
        return Err(ApiError::NotFound.into());
    };
    for key in ["name", "description", "skillConditions", "memberDivisions"] {
        if let Some(v) = body.get(key) {
            group[key] = v.clone();
        }
    }
    Ok(Json(group.clone()).into_response())
}

pub(crate) async fn delete(
    State(st): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    st.tenant()
        .authorize(wire::bearer(&headers), SCOPE_QUEUE_UPDATE)?;
    if referenced(&st).contains(&id) {
        return Err(GenesysError::new(
            StatusCode::CONFLICT,
            "skill.group.in.use",
            "The skill group is a member group of a queue.",
        ));
    }
    let mut memory = st.genesys();
    let before = memory.skill_groups.len();
    memory.skill_groups.retain(|g| g["id"] != id);
    if memory.skill_groups.len() == before {
        return Err(ApiError::NotFound.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

impl SimState {
    /// The Genesys face's skill groups (with their conditions), in the order they were made.
    pub fn genesys_skill_groups(&self) -> Vec<Value> {
        self.genesys().skill_groups.clone()
    }

    /// Makes a skill group as someone else would (in the console), and returns its id.
    pub fn add_genesys_skill_group(&self, name: &str, skill_conditions: Value) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.genesys().skill_groups.push(json!({
            "id": id, "name": name, "skillConditions": skill_conditions, "memberCount": 0,
        }));
        id
    }
}
