//! Traffic for the optimizer from Genesys Cloud's analytics API.
//!
//! - History: `POST /api/v2/analytics/conversations/aggregates/query`, 30-minute buckets of
//!   the window ([`tenant::MetricsQuery::window`]), grouped by queue and media type, at most
//!   [`MAX_PREDICATES`] queues per query (the limit is not documented: this is what we send).
//!   offered = `nOffered.count`; handle time = `tHandle.sum / tHandle.count / 1000` (timers are
//!   milliseconds); answered within the service level = `tAnswered.count − nOverSla.count`;
//!   abandoned = `tAbandon.count`. Only the series of the asked media (`voice` by default) is
//!   read.
//! - A metric is emitted when what it measures **ends**, so a bucket still running is
//!   incomplete: the window ends `settle` before now, and a bucket the answer holds that does
//!   not lie wholly inside the window is dropped.
//! - Staffing: `POST /api/v2/analytics/queues/observations/query` with `oOnQueueUsers`, the
//!   agents on queue now, summed over its qualifiers (a snapshot).
//! - Permissions: `analytics:conversationAggregate:view`, `analytics:queueObservation:view`
//!   (and `routing:queue:view` for the list that maps names to ids); a 403 names the one the
//!   refused call needs.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use tenant::{Media, MetricsInterval, MetricsQuery, QueueMetrics, Staffing, TenantError, Window};

use crate::GenesysTenant;

pub(crate) const AGGREGATES: &str = "POST /api/v2/analytics/conversations/aggregates/query";
pub(crate) const OBSERVATIONS: &str = "POST /api/v2/analytics/queues/observations/query";
const AGGREGATES_PATH: [&str; 6] = [
    "api",
    "v2",
    "analytics",
    "conversations",
    "aggregates",
    "query",
];
const OBSERVATIONS_PATH: [&str; 6] = ["api", "v2", "analytics", "queues", "observations", "query"];

/// The most queue predicates one query carries.
pub const MAX_PREDICATES: usize = 100;

/// The metrics the aggregates query asks for.
pub const AGGREGATE_METRICS: [&str; 6] = [
    "nOffered",
    "tHandle",
    "tAnswered",
    "nOverSla",
    "tAbandon",
    "oServiceLevel",
];

/// The body of one aggregates query for `ids`.
pub fn aggregates_body(window: Window, ids: &[&str]) -> Map<String, Value> {
    let body = json!({
        "interval": window.to_string(),
        "granularity": "PT30M",
        "timeZone": "UTC",
        "groupBy": ["queueId", "mediaType"],
        "filter": {"type": "or", "predicates": predicates(ids)},
        "metrics": AGGREGATE_METRICS,
    });
    object(body)
}

/// The body of one observations query for `ids`.
pub fn observations_body(ids: &[&str]) -> Map<String, Value> {
    object(json!({
        "filter": {"type": "or", "predicates": predicates(ids)},
        "metrics": ["oOnQueueUsers"],
    }))
}

fn predicates(ids: &[&str]) -> Vec<Value> {
    ids.iter()
        .map(|id| json!({"dimension": "queueId", "value": id}))
        .collect()
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

fn unreadable(endpoint: &str, what: impl std::fmt::Display) -> TenantError {
    TenantError::transport_message(format!(
        "{endpoint} answered what Genesys Cloud does not describe: {what}"
    ))
}

/// A stat of a metric in one bucket.
fn stat(metrics: &[Value], name: &str, key: &str) -> Option<f64> {
    metrics
        .iter()
        .find(|m| m.get("metric").and_then(Value::as_str) == Some(name))?
        .get("stats")?
        .get(key)?
        .as_f64()
}

/// The closed intervals of the `media` series per queue id, from an aggregates answer.
/// Buckets outside `window` (incomplete ones) are dropped.
pub fn read_aggregates(
    answer: &Value,
    media: Media,
    window: Window,
) -> Result<HashMap<String, Vec<MetricsInterval>>, TenantError> {
    let mut out: HashMap<String, Vec<MetricsInterval>> = HashMap::new();
    let results = match answer.get("results") {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Array(r)) => r,
        Some(other) => return Err(unreadable(AGGREGATES, format!("results: {other}"))),
    };
    for result in results {
        let group = result.get("group");
        let Some(queue) = group.and_then(|g| g.get("queueId")).and_then(Value::as_str) else {
            continue;
        };
        let series = group
            .and_then(|g| g.get("mediaType"))
            .and_then(Value::as_str);
        if series.is_some_and(|m| m != media.as_str()) {
            continue;
        }
        let data = result
            .get("data")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for bucket in data {
            let text = bucket
                .get("interval")
                .and_then(Value::as_str)
                .ok_or_else(|| unreadable(AGGREGATES, "a bucket without its interval"))?;
            let (start, end) = text
                .split_once('/')
                .and_then(|(a, b)| {
                    Some((
                        model::time::parse_rfc3339(a)?,
                        model::time::parse_rfc3339(b)?,
                    ))
                })
                .filter(|(a, b)| b > a)
                .ok_or_else(|| unreadable(AGGREGATES, format!("interval {text:?}")))?;
            if start < window.start || end > window.end {
                continue;
            }
            let metrics = bucket
                .get("metrics")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            let handled = stat(metrics, "tHandle", "count").filter(|c| *c > 0.0);
            let aht = handled
                .zip(stat(metrics, "tHandle", "sum"))
                .map(|(count, sum)| sum / count / 1000.0);
            let answered_within = stat(metrics, "tAnswered", "count")
                .map(|a| (a - stat(metrics, "nOverSla", "count").unwrap_or(0.0)).max(0.0));
            out.entry(queue.to_string())
                .or_default()
                .push(MetricsInterval {
                    start,
                    seconds: u64::try_from(end - start).unwrap_or(0),
                    offered: stat(metrics, "nOffered", "count").unwrap_or(0.0),
                    handled,
                    average_handle_time_seconds: aht,
                    answered_within_service_level: answered_within,
                    abandoned: stat(metrics, "tAbandon", "count"),
                });
        }
    }
    for intervals in out.values_mut() {
        intervals.sort_by_key(|i| i.start);
    }
    Ok(out)
}

/// The agents on queue per queue id, from an observations answer: `oOnQueueUsers` summed over
/// its qualifiers (and over media types, where the answer splits them).
pub fn read_observations(answer: &Value) -> HashMap<String, u32> {
    let mut out: HashMap<String, u32> = HashMap::new();
    let results = answer
        .get("results")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for result in results {
        let Some(queue) = result.pointer("/group/queueId").and_then(Value::as_str) else {
            continue;
        };
        let data = result
            .get("data")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let on_queue: u64 = data
            .iter()
            .filter(|d| d.get("metric").and_then(Value::as_str) == Some("oOnQueueUsers"))
            .filter_map(|d| d.pointer("/stats/count").and_then(Value::as_u64))
            .sum();
        let slot = out.entry(queue.to_string()).or_default();
        *slot = slot.saturating_add(u32::try_from(on_queue).unwrap_or(u32::MAX));
    }
    out
}

impl GenesysTenant {
    /// The traffic of the queues `query` names (see the module).
    pub async fn queue_metrics(
        &self,
        query: &MetricsQuery,
    ) -> Result<Vec<QueueMetrics>, TenantError> {
        let window = query.window();
        let queues: Vec<(String, String)> = self
            .list_queues()
            .await?
            .into_iter()
            .filter(|q| query.wants(&q.name))
            .filter_map(|q| Some((q.id?, q.name)))
            .collect();
        let mut intervals = HashMap::new();
        let mut agents = HashMap::new();
        for chunk in queues.chunks(MAX_PREDICATES) {
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
            let answer = self
                .query(
                    AGGREGATES,
                    &AGGREGATES_PATH,
                    &aggregates_body(window, &ids),
                    "analytics:conversationAggregate:view",
                )
                .await?;
            intervals.extend(read_aggregates(&answer, query.media, window)?);
            let answer = self
                .query(
                    OBSERVATIONS,
                    &OBSERVATIONS_PATH,
                    &observations_body(&ids),
                    "analytics:queueObservation:view",
                )
                .await?;
            agents.extend(read_observations(&answer));
        }
        Ok(queues
            .into_iter()
            .map(|(id, name)| QueueMetrics {
                window: Some(window),
                intervals: intervals.remove(&id).unwrap_or_default(),
                staffing: Some(Staffing {
                    agents: agents.get(&id).copied().unwrap_or(0),
                    source: "oOnQueueUsers".into(),
                }),
                seed: None,
                queue_id: Some(id),
                name,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_converts_with_timers_in_milliseconds_and_other_media_left_out() {
        let window = Window {
            start: model::time::parse_rfc3339("2026-12-05T10:00:00Z").unwrap(),
            end: model::time::parse_rfc3339("2026-12-05T11:00:00Z").unwrap(),
        };
        let answer = json!({"results": [
            {"group": {"queueId": "q1", "mediaType": "voice"}, "data": [
                {"interval": "2026-12-05T10:30:00.000Z/2026-12-05T11:00:00.000Z", "metrics": [
                    {"metric": "nOffered", "stats": {"count": 40}},
                    {"metric": "tHandle", "stats": {"count": 36, "sum": 6_480_000.0}},
                    {"metric": "tAnswered", "stats": {"count": 37, "sum": 400_000.0}},
                    {"metric": "nOverSla", "stats": {"count": 7}},
                    {"metric": "tAbandon", "stats": {"count": 3, "sum": 90_000.0}}
                ]},
                // Still running: outside the window, dropped.
                {"interval": "2026-12-05T11:00:00.000Z/2026-12-05T11:30:00.000Z", "metrics": [
                    {"metric": "nOffered", "stats": {"count": 2}}
                ]}
            ]},
            {"group": {"queueId": "q1", "mediaType": "chat"}, "data": [
                {"interval": "2026-12-05T10:00:00.000Z/2026-12-05T10:30:00.000Z", "metrics": [
                    {"metric": "nOffered", "stats": {"count": 999}}
                ]}
            ]}
        ]});
        let got = read_aggregates(&answer, Media::Voice, window).unwrap();
        let q1 = &got["q1"];
        assert_eq!(q1.len(), 1);
        assert_eq!(
            q1[0],
            MetricsInterval {
                start: window.start + 1800,
                seconds: 1800,
                offered: 40.0,
                handled: Some(36.0),
                average_handle_time_seconds: Some(180.0),
                answered_within_service_level: Some(30.0),
                abandoned: Some(3.0),
            }
        );
        let chat = read_aggregates(&answer, Media::Chat, window).unwrap();
        assert_eq!(chat["q1"][0].offered, 999.0);
        assert!(
            read_aggregates(&json!({}), Media::Voice, window)
                .unwrap()
                .is_empty()
        );
        assert!(
            read_aggregates(
                &json!({"results": [{"group": {"queueId": "q"}, "data": [{"interval": "soon"}]}]}),
                Media::Voice,
                window
            )
            .unwrap_err()
            .to_string()
            .contains("interval \"soon\"")
        );
    }

    #[test]
    fn agents_on_queue_are_summed_over_qualifiers() {
        let answer = json!({"results": [{"group": {"queueId": "q1"}, "data": [
            {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": 4}},
            {"metric": "oOnQueueUsers", "qualifier": "INTERACTING", "stats": {"count": 8}},
            {"metric": "oOffQueueUsers", "qualifier": "AWAY", "stats": {"count": 50}}
        ]}]});
        assert_eq!(read_observations(&answer)["q1"], 12);
    }
}
