//! The CXone face's reports, from the simulated traffic model ([`crate::traffic`]):
//!
//! - `GET …/wfm-data/skills/contacts?startDate&endDate&mediaTypeId` (`mediaTypeId` required):
//!   `contactStats`, one record per skill of that media type and 30-minute interval that has
//!   started (one still running is partial). The numbers come in the forms real tenants mix:
//!   `totalContacts` an integer, `totalHandled` a numeric string, `averageHandleTime` an
//!   ISO-8601 duration.
//! - `GET …/skills/activity`: `skillActivity` with `agentsLoggedIn` and `agentsAvailable`.

use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use super::{CxError, needs_json, skill_id, skill_of};
use crate::{SimState, seed::SCOPE_QUEUE_VIEW, wire};

/// The interval length of the history report.
const INTERVAL_SECONDS: i64 = 1800;

pub(super) fn routes() -> Router<SimState> {
    Router::new()
        .route(
            "/inContactAPI/services/{version}/wfm-data/skills/contacts",
            get(contacts),
        )
        .route(
            "/inContactAPI/services/{version}/skills/activity",
            get(activity),
        )
}

fn bad(message: String) -> CxError {
    CxError(StatusCode::BAD_REQUEST, json!({"message": message}))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `PT3M20S` for 200 seconds.
fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || out == "PT" {
        out.push_str(&format!("{s}S"));
    }
    out
}

async fn contacts(
    State(st): State<SimState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let q = wire::parse_form(query.as_deref().unwrap_or_default());
    let date = |k: &str| -> Result<i64, CxError> {
        let text = q.get(k).ok_or_else(|| bad(format!("{k} is required")))?;
        model::time::parse_rfc3339(text).ok_or_else(|| bad(format!("{k} {text:?} is not a date")))
    };
    let (start, end) = (date("startDate")?, date("endDate")?);
    let media: i64 = q
        .get("mediaTypeId")
        .ok_or_else(|| bad("mediaTypeId is required".into()))?
        .parse()
        .map_err(|_| bad("mediaTypeId must be a number".into()))?;
    if end <= start || end - start > 86_400 {
        return Err(bad(
            "endDate must be after startDate, at most one day".into()
        ));
    }
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let now = now();
    let mut stats = Vec::new();
    for (seq, queue) in tenant.numbered() {
        let skill = skill_of(skill_id(seq), queue, tenant.cxone_campaigns());
        if skill["mediaTypeId"].as_i64() != Some(media) {
            continue;
        }
        let mut at = start.div_euclid(INTERVAL_SECONDS) * INTERVAL_SECONDS;
        while at < end && at < now {
            if at >= start {
                let f = crate::traffic::interval(queue, at, 1800, now);
                stats.push(json!({
                    "intervalStartDate": model::time::rfc3339_secs(at),
                    "skillId": skill["skillId"],
                    "skillName": skill["skillName"],
                    "mediaTypeId": media,
                    "totalContacts": f.offered,
                    "totalHandled": f.handled.to_string(),
                    "averageHandleTime": duration(f.average_handle_time_seconds),
                    "abandonCount": f.abandoned,
                    "serviceLevel": (f.answered_within_service_level * 100).checked_div(f.offered).unwrap_or(0),
                    "averageSpeedOfAnswer": "PT15S",
                    "totalContactTime": duration(f.handled * f.average_handle_time_seconds),
                }));
            }
            at += INTERVAL_SECONDS;
        }
    }
    Ok(Json(json!({"contactStats": stats})).into_response())
}

async fn activity(
    State(st): State<SimState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CxError> {
    needs_json(&headers)?;
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let rows: Vec<Value> = tenant
        .numbered()
        .map(|(seq, queue)| {
            let agents = crate::traffic::agents(queue);
            json!({
                "skillId": skill_id(seq),
                "agentsLoggedIn": agents,
                "agentsAvailable": agents / 4,
                "queueCount": 0,
            })
        })
        .collect();
    Ok(Json(json!({
        "lastPollTime": model::time::rfc3339_secs(now()),
        "skillActivity": rows
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_are_iso_8601() {
        for (secs, text) in [
            (0, "PT0S"),
            (200, "PT3M20S"),
            (3600, "PT1H"),
            (3725, "PT1H2M5S"),
        ] {
            assert_eq!(super::duration(secs), text);
        }
    }
}
