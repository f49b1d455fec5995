//! Genesys Cloud traffic for the optimizer against scripted answers (wiremock): the exact
//! aggregates and observations bodies, incomplete buckets, batches of 100 queues, a 403 that
//! names the permission, a 429, and an empty window.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use genesys_cloud::{Config, GenesysTenant};
use serde_json::{Value, json};
use tenant::{Media, MetricsQuery, TenantError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const AGGREGATES: &str = "/api/v2/analytics/conversations/aggregates/query";
const OBSERVATIONS: &str = "/api/v2/analytics/queues/observations/query";
/// 2026-12-05T12:20:00Z.
const NOW: i64 = 1_796_473_200;

struct Sequence(Vec<ResponseTemplate>, AtomicUsize);

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.1.fetch_add(1, Ordering::SeqCst);
        self.0[i.min(self.0.len() - 1)].clone()
    }
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn on(server: &MockServer, verb: &str, at: &str, answers: Vec<ResponseTemplate>) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(Sequence(answers, AtomicUsize::new(0)))
        .mount(server)
        .await;
}

/// A server with a token and `n` queues `Q000…`, ids `id-000…`, and a client for it.
async fn setup(n: usize) -> (MockServer, GenesysTenant) {
    let server = MockServer::start().await;
    on(
        &server,
        "POST",
        "/oauth/token",
        vec![ok(json!({"access_token": "tok", "expires_in": 86400}))],
    )
    .await;
    let queues: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("id-{i:03}"), "name": format!("Q{i:03}")}))
        .collect();
    on(
        &server,
        "GET",
        "/api/v2/routing/queues",
        vec![ok(json!({"entities": queues, "pageCount": 1}))],
    )
    .await;
    let mut c = Config::loopback(server.uri(), "id", "secret");
    c.requests_per_second = 1000.0;
    c.retry_step = Duration::from_millis(10);
    (server, GenesysTenant::new(c).unwrap())
}

fn query(names: &[&str]) -> MetricsQuery {
    MetricsQuery {
        now: NOW,
        window_seconds: 7200,
        settle_seconds: 900,
        media: Media::Voice,
        names: names.iter().map(|s| s.to_string()).collect(),
    }
}

async fn bodies(server: &MockServer, at: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == at)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

fn bucket(start: &str, end: &str, offered: u64, handled: u64, handle_ms: f64) -> Value {
    json!({"interval": format!("{start}/{end}"), "metrics": [
        {"metric": "nOffered", "stats": {"count": offered}},
        {"metric": "tHandle", "stats": {"count": handled, "sum": handle_ms}},
        {"metric": "tAnswered", "stats": {"count": handled}},
        {"metric": "nOverSla", "stats": {"count": 2}},
        {"metric": "tAbandon", "stats": {"count": offered - handled}},
        {"metric": "oServiceLevel", "stats": {"ratio": 0.9, "numerator": 9, "denominator": 10}}
    ]})
}

#[tokio::test]
async fn the_queries_carry_the_exact_bodies_and_incomplete_buckets_are_dropped() {
    let (server, t) = setup(3).await;
    on(
        &server,
        "POST",
        AGGREGATES,
        vec![ok(json!({"results": [
            {"group": {"queueId": "id-000", "mediaType": "voice"}, "data": [
                bucket("2026-12-05T10:00:00.000Z", "2026-12-05T10:30:00.000Z", 30, 28, 5_040_000.0),
                bucket("2026-12-05T11:30:00.000Z", "2026-12-05T12:00:00.000Z", 50, 45, 8_100_000.0),
                // The bucket still running when the query was made: incomplete, dropped.
                bucket("2026-12-05T12:00:00.000Z", "2026-12-05T12:30:00.000Z", 9, 3, 300_000.0)
            ]}
        ]}))],
    )
    .await;
    on(
        &server,
        "POST",
        OBSERVATIONS,
        vec![ok(json!({"results": [
            {"group": {"queueId": "id-000"}, "data": [
                {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": 5}},
                {"metric": "oOnQueueUsers", "qualifier": "INTERACTING", "stats": {"count": 7}}
            ]}
        ]}))],
    )
    .await;

    let got = t.queue_metrics(&query(&["Q000", "Q002"])).await.unwrap();

    let agg = bodies(&server, AGGREGATES).await;
    assert_eq!(
        agg,
        [json!({
            "interval": "2026-12-05T10:00:00Z/2026-12-05T12:00:00Z",
            "granularity": "PT30M",
            "timeZone": "UTC",
            "groupBy": ["queueId", "mediaType"],
            "filter": {"type": "or", "predicates": [
                {"dimension": "queueId", "value": "id-000"},
                {"dimension": "queueId", "value": "id-002"}
            ]},
            "metrics": ["nOffered", "tHandle", "tAnswered", "nOverSla", "tAbandon", "oServiceLevel"]
        })]
    );
    assert_eq!(
        bodies(&server, OBSERVATIONS).await,
        [json!({
            "filter": {"type": "or", "predicates": [
                {"dimension": "queueId", "value": "id-000"},
                {"dimension": "queueId", "value": "id-002"}
            ]},
            "metrics": ["oOnQueueUsers"]
        })]
    );

    assert_eq!(got.len(), 2);
    let q0 = &got[0];
    assert_eq!(q0.name, "Q000");
    assert_eq!(
        q0.window.unwrap().to_string(),
        "2026-12-05T10:00:00Z/2026-12-05T12:00:00Z"
    );
    assert_eq!(q0.intervals.len(), 2, "{:?}", q0.intervals);
    assert_eq!(q0.intervals[1].offered, 50.0);
    assert_eq!(q0.intervals[1].average_handle_time_seconds, Some(180.0));
    assert_eq!(q0.intervals[1].answered_within_service_level, Some(43.0));
    assert_eq!(q0.intervals[1].abandoned, Some(5.0));
    assert_eq!(q0.staffing.as_ref().unwrap().agents, 12);
    // Q002: an empty window, reported as such (no intervals), never a guess.
    assert_eq!(got[1].name, "Q002");
    assert!(got[1].intervals.is_empty());
}

#[tokio::test]
async fn queues_are_batched_one_hundred_predicates_per_query() {
    let (server, t) = setup(150).await;
    on(
        &server,
        "POST",
        AGGREGATES,
        vec![ok(json!({"results": []}))],
    )
    .await;
    on(
        &server,
        "POST",
        OBSERVATIONS,
        vec![ok(json!({"results": []}))],
    )
    .await;
    let got = t.queue_metrics(&query(&[])).await.unwrap();
    assert_eq!(got.len(), 150);
    let sizes: Vec<usize> = bodies(&server, AGGREGATES)
        .await
        .iter()
        .map(|b| b["filter"]["predicates"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 50]);
    assert_eq!(bodies(&server, OBSERVATIONS).await.len(), 2);
    assert!(got.iter().all(|q| q.intervals.is_empty()));
}

#[tokio::test]
async fn a_403_names_the_permission_the_refused_query_needs() {
    let denied = || {
        ResponseTemplate::new(403).set_body_json(json!({
            "message": "You are missing the following permission(s)", "code": "missing.permissions",
            "status": 403
        }))
    };
    let (server, t) = setup(1).await;
    on(&server, "POST", AGGREGATES, vec![denied()]).await;
    let err = t.queue_metrics(&query(&[])).await.unwrap_err();
    assert!(matches!(err, TenantError::Forbidden { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("analytics:conversationAggregate:view"),
        "{err}"
    );

    let (server, t) = setup(1).await;
    on(&server, "POST", AGGREGATES, vec![ok(json!({}))]).await;
    on(&server, "POST", OBSERVATIONS, vec![denied()]).await;
    let err = t.queue_metrics(&query(&[])).await.unwrap_err();
    assert!(
        err.to_string().contains("analytics:queueObservation:view"),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_query_sent_again() {
    let (server, t) = setup(1).await;
    on(
        &server,
        "POST",
        AGGREGATES,
        vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "0"),
            ok(json!({"results": []})),
        ],
    )
    .await;
    on(
        &server,
        "POST",
        OBSERVATIONS,
        vec![ok(json!({"results": []}))],
    )
    .await;
    let got = t.queue_metrics(&query(&[])).await.unwrap();
    assert_eq!(got.len(), 1);
    let sent = bodies(&server, AGGREGATES).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1]);
}
