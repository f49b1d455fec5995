//! NICE CXone traffic for the optimizer against scripted answers (wiremock): the exact query
//! strings per media type and day, numbers as integers, strings and ISO-8601 durations, a 403
//! naming the endpoint, a 429, and an empty window.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use nice_cxone::{Config, CxoneTenant};
use serde_json::{Value, json};
use tenant::{Backoff, Jitter, Media, MetricsQuery, TenantError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const BASE: &str = "/inContactAPI/services/v34.0";
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

async fn on(server: &MockServer, at: &str, answers: Vec<ResponseTemplate>) {
    Mock::given(method("GET"))
        .and(path(format!("{BASE}{at}")))
        .respond_with(Sequence(answers, AtomicUsize::new(0)))
        .mount(server)
        .await;
}

/// A client with three skills: Sales (voice, 4), Support (voice, 4), Chat (chat, 3).
async fn setup() -> (MockServer, CxoneTenant) {
    let server = MockServer::start().await;
    let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let id_token = format!(
        "{}.{}.sig",
        enc.encode(r#"{"alg":"RS256"}"#),
        enc.encode(r#"{"tenantId":"t-1"}"#)
    );
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(ok(json!({"access_token": "a", "token_type": "Bearer",
            "expires_in": 3600, "id_token": id_token})))
        .mount(&server)
        .await;
    on(
        &server,
        "/skills",
        vec![ok(json!({"totalRecords": 3, "skills": [
            {"skillId": 11, "skillName": "Sales", "mediaTypeId": 4},
            {"skillId": "12", "skillName": "Support", "mediaTypeId": "4"},
            {"skillId": 13, "skillName": "Chat", "mediaTypeId": 3}
        ]}))],
    )
    .await;
    let mut cfg = Config::new("key-id", "key-secret", "app-id", "app-secret");
    cfg.issuer = server.uri();
    cfg.api_base = Some(format!("{}{BASE}", server.uri()));
    cfg.requests_per_second = 1000.0;
    cfg.throttle = Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(20),
        factor: 2.0,
        jitter: Jitter::None,
    };
    (server, CxoneTenant::new(cfg).unwrap())
}

fn query(window_seconds: u64) -> MetricsQuery {
    MetricsQuery {
        now: NOW,
        window_seconds,
        settle_seconds: 900,
        media: Media::Voice,
        names: Vec::new(),
    }
}

async fn queries(server: &MockServer, at: &str) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == format!("{BASE}{at}"))
        .map(|r| r.url.query().unwrap_or_default().to_string())
        .collect()
}

fn activity() -> ResponseTemplate {
    ok(
        json!({"lastPollTime": "2026-12-05T12:19:58Z", "skillActivity": [
            {"skillId": 11, "agentsLoggedIn": 14, "agentsAvailable": 3},
            {"skillId": "12", "agentsLoggedIn": "9", "agentsAvailable": 1}
        ]}),
    )
}

#[tokio::test]
async fn one_call_per_media_type_with_exact_dates_and_every_number_form_read() {
    let (server, t) = setup().await;
    on(
        &server,
        "/wfm-data/skills/contacts",
        vec![ok(json!({"contactStats": [
            // Integers, numeric strings and ISO-8601 durations, as tenants send them.
            {"intervalStartDate": "2026-12-05T10:00:00.000Z", "skillId": 11, "skillName": "Sales",
             "mediaTypeId": 4, "totalContacts": 40, "totalHandled": 38, "averageHandleTime": 200,
             "abandonCount": 2, "serviceLevel": 91, "averageSpeedOfAnswer": "PT12S"},
            {"intervalStartDate": "2026-12-05T10:30:00.000Z", "skillId": "11", "skillName": "Sales",
             "mediaTypeId": "4", "totalContacts": "64", "totalHandled": "60",
             "averageHandleTime": "PT3M", "abandonCount": "4"},
            {"intervalStartDate": "2026-12-05T11:00:00Z", "skillId": 11, "totalContacts": 50,
             "averageHandleTime": "190.5"},
            // Incomplete: ends after the window.
            {"intervalStartDate": "2026-12-05T12:00:00Z", "skillId": 11, "totalContacts": 3}
        ]}))],
    )
    .await;
    on(&server, "/skills/activity", vec![activity()]).await;

    let got = t.queue_metrics(&query(7200)).await.unwrap();

    assert_eq!(
        queries(&server, "/wfm-data/skills/contacts").await,
        [
            "startDate=2026-12-05T10%3A00%3A00Z&endDate=2026-12-05T12%3A00%3A00Z&mediaTypeId=3",
            "startDate=2026-12-05T10%3A00%3A00Z&endDate=2026-12-05T12%3A00%3A00Z&mediaTypeId=4",
        ]
    );
    assert_eq!(queries(&server, "/skills/activity").await, [""]);
    let sales = got.iter().find(|q| q.name == "Sales").unwrap();
    assert_eq!(sales.queue_id.as_deref(), Some("11"));
    assert_eq!(sales.intervals.len(), 3, "{:?}", sales.intervals);
    let i = &sales.intervals[1];
    assert_eq!((i.seconds, i.offered, i.handled), (1800, 64.0, Some(60.0)));
    assert_eq!(i.average_handle_time_seconds, Some(180.0));
    assert_eq!(i.abandoned, Some(4.0));
    assert_eq!(sales.intervals[2].average_handle_time_seconds, Some(190.5));
    assert_eq!(sales.staffing.as_ref().unwrap().agents, 14);
    let support = got.iter().find(|q| q.name == "Support").unwrap();
    assert_eq!(support.staffing.as_ref().unwrap().agents, 9);
    // No records for Support in the window: no intervals, never a guess.
    assert!(support.intervals.is_empty());
}

#[tokio::test]
async fn a_window_longer_than_a_day_is_queried_a_day_at_a_time() {
    let (server, t) = setup().await;
    on(
        &server,
        "/wfm-data/skills/contacts",
        vec![ok(json!({"contactStats": []}))],
    )
    .await;
    on(&server, "/skills/activity", vec![activity()]).await;
    t.queue_metrics(&query(36 * 3600)).await.unwrap();
    let voice: Vec<String> = queries(&server, "/wfm-data/skills/contacts")
        .await
        .into_iter()
        .filter(|q| q.ends_with("mediaTypeId=4"))
        .collect();
    assert_eq!(
        voice,
        [
            "startDate=2026-12-04T00%3A00%3A00Z&endDate=2026-12-05T00%3A00%3A00Z&mediaTypeId=4",
            "startDate=2026-12-05T00%3A00%3A00Z&endDate=2026-12-05T12%3A00%3A00Z&mediaTypeId=4",
        ]
    );
}

#[tokio::test]
async fn a_number_in_no_known_form_is_refused_with_the_field_named() {
    let (server, t) = setup().await;
    on(
        &server,
        "/wfm-data/skills/contacts",
        vec![ok(json!({"contactStats": [
            {"intervalStartDate": "2026-12-05T10:00:00Z", "skillId": 11, "totalContacts": 4,
             "averageHandleTime": "three minutes"}
        ]}))],
    )
    .await;
    on(&server, "/skills/activity", vec![activity()]).await;
    let err = t.queue_metrics(&query(7200)).await.unwrap_err().to_string();
    assert!(
        err.contains("averageHandleTime: \"three minutes\""),
        "{err}"
    );
}

#[tokio::test]
async fn a_403_names_the_endpoint_that_refused() {
    let (server, t) = setup().await;
    on(
        &server,
        "/wfm-data/skills/contacts",
        vec![ResponseTemplate::new(403).set_body_json(json!({"error": "forbidden"}))],
    )
    .await;
    let err = t.queue_metrics(&query(7200)).await.unwrap_err();
    assert!(matches!(err, TenantError::Forbidden { .. }), "{err:?}");
    assert!(
        err.to_string().contains("GET /wfm-data/skills/contacts"),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_same_query_sent_again() {
    let (server, t) = setup().await;
    on(
        &server,
        "/wfm-data/skills/contacts",
        vec![ResponseTemplate::new(429), ok(json!({"contactStats": []}))],
    )
    .await;
    on(&server, "/skills/activity", vec![activity()]).await;
    let got = t.queue_metrics(&query(7200)).await.unwrap();
    assert!(got.iter().all(|q| q.intervals.is_empty()));
    let sent = queries(&server, "/wfm-data/skills/contacts").await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(sent[0], sent[1]);
}
