//! The Genesys face's analytics, from the simulated traffic model ([`crate::traffic`]):
//!
//! - `POST /api/v2/analytics/conversations/aggregates/query`: the queues named by `queueId`
//!   predicates, in buckets of the body's `granularity` (`PT15M`, `PT30M` or `PT1H`) over its
//!   `interval`, grouped by `queueId` and `mediaType` (the simulated queues are all `voice`).
//!   A bucket that has not started is left out and one still running is partial, as Genesys
//!   emits a metric when what it measures ends; a bucket without traffic is left out.
//! - `POST /api/v2/analytics/queues/observations/query`: `oOnQueueUsers` per queue, split
//!   into the qualifiers `IDLE` and `INTERACTING`.
//!
//! Both need `routing:queue:view` here (the simulator does not model the analytics
//! permissions).

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
};
use serde_json::{Value, json};

use super::{Answer, GenesysError, parse};
use crate::{SimState, seed::SCOPE_QUEUE_VIEW, wire};

pub(super) fn routes() -> Router<SimState> {
    Router::new()
        .route(
            "/api/v2/analytics/conversations/aggregates/query",
            post(aggregates),
        )
        .route(
            "/api/v2/analytics/queues/observations/query",
            post(observations),
        )
}

fn bad(message: impl Into<String>) -> GenesysError {
    GenesysError::new(StatusCode::BAD_REQUEST, "bad.request", message)
}

/// The queue ids of the body's `queueId` predicates.
fn queue_ids(body: &Value) -> Vec<String> {
    body.pointer("/filter/predicates")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|p| p.get("dimension").and_then(Value::as_str) == Some("queueId"))
        .filter_map(|p| p.get("value").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `2026-12-05T10:00:00.000Z`, as Genesys writes interval ends.
fn millis_text(secs: i64) -> String {
    model::time::rfc3339_secs(secs).replace('Z', ".000Z")
}

async fn aggregates(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Answer {
    let body = parse(&st, &body)?;
    let interval = body
        .get("interval")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("interval is required"))?;
    let (start, end) = interval
        .split_once('/')
        .and_then(|(a, b)| {
            Some((
                model::time::parse_rfc3339(a)?,
                model::time::parse_rfc3339(b)?,
            ))
        })
        .filter(|(a, b)| a < b)
        .ok_or_else(|| bad(format!("interval {interval:?} is not start/end")))?;
    let step: i64 = match body.get("granularity").and_then(Value::as_str) {
        Some("PT15M") => 900,
        Some("PT30M") | None => 1800,
        Some("PT1H") => 3600,
        Some(other) => return Err(bad(format!("granularity {other:?} is not supported here"))),
    };
    if (end - start) / step > 10_000 {
        return Err(bad("the interval holds more than 10000 buckets"));
    }
    let ids = queue_ids(&body);
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let now = now();
    let mut results = Vec::new();
    for id in ids {
        let Some(q) = tenant.queue(&id) else {
            continue;
        };
        let mut data = Vec::new();
        let mut at = start;
        while at < end && at < now {
            let f = crate::traffic::interval(q, at, u32::try_from(step).unwrap_or(1800), now);
            if f.offered > 0 {
                let handle_ms = (f.handled * f.average_handle_time_seconds * 1000) as f64;
                data.push(json!({
                    "interval": format!("{}/{}", millis_text(at), millis_text(at + step)),
                    "metrics": [
                        {"metric": "nOffered", "stats": {"count": f.offered}},
                        {"metric": "tHandle", "stats": {"count": f.handled, "sum": handle_ms}},
                        {"metric": "tAnswered", "stats": {"count": f.handled}},
                        {"metric": "nOverSla", "stats": {"count": f.handled - f.answered_within_service_level}},
                        {"metric": "tAbandon", "stats": {"count": f.abandoned}},
                        {"metric": "oServiceLevel", "stats": {
                            "ratio": f.answered_within_service_level as f64 / f.offered as f64,
                            "numerator": f.answered_within_service_level,
                            "denominator": f.offered}}
                    ]
                }));
            }
            at += step;
        }
        if !data.is_empty() {
            results.push(json!({"group": {"queueId": id, "mediaType": "voice"}, "data": data}));
        }
    }
    Ok(Json(json!({"results": results})).into_response())
}

async fn observations(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Answer {
    let body = parse(&st, &body)?;
    let ids = queue_ids(&body);
    let tenant = st.tenant();
    tenant.authorize(wire::bearer(&headers), SCOPE_QUEUE_VIEW)?;
    let results: Vec<Value> = ids
        .iter()
        .filter_map(|id| tenant.queue(id).map(|q| (id, crate::traffic::agents(q))))
        .map(|(id, agents)| {
            let busy = agents * 3 / 4;
            json!({"group": {"queueId": id}, "data": [
                {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": agents - busy}},
                {"metric": "oOnQueueUsers", "qualifier": "INTERACTING", "stats": {"count": busy}}
            ]})
        })
        .collect();
    Ok(Json(json!({"results": results})).into_response())
}
