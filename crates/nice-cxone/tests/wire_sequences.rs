//! The adapter against wiremock: exact request sequences for discovery, tokens, paging,
//! batch creates, list lag, partial updates, deactivation and throttling.

use std::time::Duration;

use base64::Engine as _;
use nice_cxone::{Config, CxoneTenant};
use serde_json::{Value, json};
use tenant::{Backoff, Jitter, Queue, Tenant, TenantError};
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const BASE: &str = "/inContactAPI/services/v34.0";
const KEY_SECRET: &str = "key-secret-do-not-print";

fn id_token(tenant_id: &str) -> String {
    let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.signature",
        enc.encode(r#"{"alg":"RS256"}"#),
        enc.encode(json!({"tenantId": tenant_id}).to_string())
    )
}

fn token_answer(access: &str, expires_in: u64, refresh: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
        "id_token": id_token("tenant-42"),
    }))
}

/// A client of `server` with fast waits (the production defaults are checked elsewhere).
fn config(server: &MockServer) -> Config {
    let mut cfg = Config::new("key-id", KEY_SECRET, "app-id", "app-secret");
    cfg.issuer = server.uri();
    cfg.requests_per_second = 1000.0;
    cfg.throttle = Backoff {
        initial: Duration::from_millis(40),
        max: Duration::from_millis(120),
        factor: 3.0,
        jitter: Jitter::None,
    };
    cfg.lag = Backoff::doubling(Duration::from_millis(10), Duration::from_millis(40));
    cfg
}

/// A client whose API base is fixed (no discovery) and whose token is always valid.
async fn client(server: &MockServer) -> CxoneTenant {
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(token_answer("access-1", 3600, None))
        .mount(server)
        .await;
    let mut cfg = config(server);
    cfg.api_base = Some(format!("{}{BASE}", server.uri()));
    CxoneTenant::new(cfg).unwrap()
}

/// `GET {BASE}/skills`, to be narrowed and answered.
fn list_skills() -> MockBuilder {
    Mock::given(method("GET")).and(path(format!("{BASE}/skills")))
}

/// `PUT {BASE}/skills/{id}` with exactly `body`, answered as CXone does.
fn put_skill(id: u64, body: Value) -> Mock {
    Mock::given(method("PUT"))
        .and(path(format!("{BASE}/skills/{id}")))
        .and(body_json(body))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "skillId": id})),
        )
        .expect(1)
}

fn skill(id: u64, name: &str) -> Value {
    json!({"skillId": id, "skillName": name, "mediaTypeId": 4, "isActive": true,
           "notes": "", "serviceLevelGoal": 80, "serviceLevelThreshold": 30, "scriptId": 7})
}

fn page(skills: &[Value], total: usize) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"totalRecords": total.to_string(), "skills": skills}))
}

#[tokio::test]
async fn discovery_reads_the_tenant_id_from_the_id_token_and_uses_the_api_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .and(header("authorization", "Basic YXBwLWlkOmFwcC1zZWNyZXQ="))
        .and(header("accept", "application/json"))
        .and(body_string_contains("grant_type=password"))
        .and(body_string_contains("username=key-id"))
        .respond_with(token_answer("access-1", 3600, None))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/.well-known/cxone-configuration"))
        .and(query_param("tenantId", "tenant-42"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"api_endpoint": format!("{}/api-na1", server.uri())})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api-na1/inContactAPI/services/v34.0/skills"))
        .and(header("authorization", "Bearer access-1"))
        .and(header("accept", "application/json"))
        .and(query_param("skip", "0"))
        .and(query_param("top", "100"))
        .respond_with(page(&[skill(1, "Sales_EN")], 1))
        .expect(1)
        .mount(&server)
        .await;
    let tenant = CxoneTenant::new(config(&server)).unwrap();
    let queues = tenant.list_queues().await.unwrap();
    assert_eq!(queues.len(), 1);
    assert_eq!(queues[0].id.as_deref(), Some("1"));
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_with_the_refresh_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .and(body_string_contains("grant_type=password"))
        .respond_with(token_answer("access-1", 1, Some("refresh-1")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=refresh-1"))
        .respond_with(token_answer("access-2", 3600, None))
        .expect(1)
        .mount(&server)
        .await;
    for token in ["access-1", "access-2"] {
        list_skills()
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(page(&[], 0))
            .expect(1)
            .mount(&server)
            .await;
    }
    let mut cfg = config(&server);
    cfg.api_base = Some(format!("{}{BASE}", server.uri()));
    let tenant = CxoneTenant::new(cfg).unwrap();
    tenant.list_queues().await.unwrap();
    // A one-second token is refreshed half-way through its life.
    tokio::time::sleep(Duration::from_millis(600)).await;
    tenant.list_queues().await.unwrap();
    assert_eq!(tenant.stats().token_requests, 2);
}

#[tokio::test]
async fn paging_stops_at_exactly_one_hundred_and_asks_again_at_one_hundred_and_one() {
    for (count, pages) in [(100usize, 1u64), (101, 2)] {
        let server = MockServer::start().await;
        let tenant = client(&server).await;
        let all: Vec<Value> = (0..count)
            .map(|i| skill(i as u64 + 1, &format!("S{i:03}")))
            .collect();
        list_skills()
            .and(query_param("skip", "0"))
            .respond_with(page(&all[..count.min(100)], count))
            .expect(1)
            .mount(&server)
            .await;
        list_skills()
            .and(query_param("skip", "100"))
            .respond_with(page(&all[100.min(count)..], count))
            .expect(pages - 1)
            .mount(&server)
            .await;
        let queues = tenant.list_queues().await.unwrap();
        assert_eq!(queues.len(), count);
        assert_eq!(tenant.stats().requests_to("GET /skills"), pages);
    }
}

#[tokio::test]
async fn paging_follows_links_next() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    list_skills()
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "skills": [skill(1, "A_1")],
            "_links": {"next": format!("{BASE}/skills?cursor=abc")}
        })))
        .expect(1)
        .mount(&server)
        .await;
    list_skills()
        .and(query_param("cursor", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "skills": [skill(2, "B_2")], "_links": {"next": null}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let names: Vec<String> = tenant
        .list_queues()
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["A_1", "B_2"]);
}

fn new_queue(name: &str) -> Queue {
    let mut q = Queue::named(name);
    q.settings.insert("cxone.mediaType".into(), json!("voice"));
    q
}

#[tokio::test]
async fn a_batch_create_with_a_failed_item_reports_the_servers_reason() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("{BASE}/skills")))
        .and(body_json(
            json!({"skills": [{"skillName": "Sales_EN", "mediaTypeId": 4}]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errorCount": 1,
            "skillsResults": [{"success": false, "error": "Skill name already exists"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = tenant
        .create_queue(&new_queue("Sales_EN"))
        .await
        .unwrap_err();
    match err {
        TenantError::Rejected { reasons } => {
            assert_eq!(reasons, [r#"skill "Sales_EN": Skill name already exists"#]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_lagging_list_is_polled_and_the_name_is_never_posted_twice() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("{BASE}/skills")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errorCount": 0, "skillsResults": [{"success": true}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The list does not show the new skill for the first two look-ups.
    list_skills()
        .and(query_param("searchString", "Chat_EN"))
        .respond_with(page(&[], 0))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    list_skills()
        .and(query_param("searchString", "Chat_EN"))
        .respond_with(page(&[skill(99, "Chat_EN_2"), skill(98, "Chat_EN")], 2))
        .mount(&server)
        .await;
    let created = tenant.create_queue(&new_queue("Chat_EN")).await.unwrap();
    assert_eq!(created.id.as_deref(), Some("98"));
    // Asked again in the same run (a retried apply), it is looked up, not posted.
    let again = tenant.create_queue(&new_queue("Chat_EN")).await.unwrap();
    assert_eq!(again.id.as_deref(), Some("98"));
    assert_eq!(tenant.stats().requests_to("POST /skills"), 1);
}

#[tokio::test]
async fn a_tombstone_deactivates_the_skill() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    put_skill(4711, json!({"skill": {"isActive": false}}))
        .mount(&server)
        .await;
    tenant.delete_queue("4711", None).await.unwrap();
    assert!(tenant.delete_queue("not-a-number", None).await.is_err());
}

#[tokio::test]
async fn an_update_sends_only_changed_managed_fields_so_a_rivals_edit_of_another_field_stays() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    // The plan's snapshot: scriptId 7. A rival has since set scriptId 8 in the console; our
    // PUT names only what we change, so the tenant keeps the rival's 8.
    let base = nice_cxone::wire::to_neutral(skill(4711, "Sales_EN").as_object().unwrap().clone());
    let mut want = base.clone();
    want.description = Some("Inbound sales".into());
    want.settings
        .insert("cxone.priority.max".into(), json!(100));
    put_skill(
        4711,
        json!({"skill": {"notes": "Inbound sales", "maxPriority": 100}}),
    )
    .mount(&server)
    .await;
    let written = tenant
        .update_queue("4711", &base, &want, None)
        .await
        .unwrap();
    assert_eq!(written.description.as_deref(), Some("Inbound sales"));
    let sent: Vec<Request> = server.received_requests().await.unwrap();
    let put = sent.iter().find(|r| r.method.as_str() == "PUT").unwrap();
    assert!(!String::from_utf8_lossy(&put.body).contains("scriptId"));
}

#[tokio::test]
async fn a_campaign_is_sent_by_the_id_its_name_resolves_to() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/campaigns")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"campaigns": [
            {"campaignId": 1, "campaignName": "Default"},
            {"campaignId": "12", "campaignName": "Sales"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    put_skill(5, json!({"skill": {"campaignId": 12}}))
        .mount(&server)
        .await;
    let base = nice_cxone::wire::to_neutral(skill(5, "S_5").as_object().unwrap().clone());
    let mut want = base.clone();
    want.settings
        .insert("cxone.campaign".into(), json!("Sales"));
    tenant.update_queue("5", &base, &want, None).await.unwrap();
    want.settings.insert("cxone.campaign".into(), json!("Nope"));
    let err = tenant
        .update_queue("5", &base, &want, None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("\"Nope\" is not a campaign"),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_then_succeeds() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    list_skills()
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    list_skills()
        .respond_with(page(&[], 0))
        .expect(1)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    tenant.list_queues().await.unwrap();
    // 40 ms, then 120 ms (the test's 2 s / 6 s).
    assert!(
        started.elapsed() >= Duration::from_millis(160),
        "{:?}",
        started.elapsed()
    );
    let stats = tenant.stats();
    assert_eq!(stats.requests_with_status("GET /skills", "429"), 2);
    assert_eq!(stats.total_retries(), 2);
}

#[tokio::test]
async fn a_429_that_does_not_end_gives_up_after_the_bounded_attempts() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    list_skills()
        .respond_with(ResponseTemplate::new(429))
        .expect(4)
        .mount(&server)
        .await;
    let err = tenant.list_queues().await.unwrap_err();
    assert!(
        matches!(err, TenantError::RateLimited { retry_after: None }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_wrong_access_key_is_unauthorized_without_the_secret_in_the_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "invalid_grant", "error_description": "Invalid access key"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let tenant = CxoneTenant::new(config(&server)).unwrap();
    let err = tenant.list_queues().await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("CXONE_ACCESS_KEY_ID"), "{shown}");
    assert!(shown.contains("Invalid access key"), "{shown}");
    assert!(
        !shown.contains(KEY_SECRET) && !shown.contains("app-secret"),
        "{shown}"
    );
}

#[test]
fn the_default_throttle_waits_two_then_six_seconds_capped() {
    let cfg = Config::new("k", "s", "c", "cs");
    let ceilings: Vec<u64> = (0..4).map(|a| cfg.throttle.ceiling(a).as_secs()).collect();
    assert_eq!(ceilings, [2, 6, 6, 6]);
    // Equal jitter: never sooner than half the step, never later than the step.
    assert_eq!(cfg.throttle.delay(1, 0.0), Duration::from_secs(3));
    assert_eq!(cfg.throttle.delay(1, 1.0), Duration::from_secs(6));
    assert_eq!(cfg.max_attempts, 4);
    assert_eq!(cfg.requests_per_second, 5.0);
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed_and_the_secret_goes_nowhere_else() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/auth/token", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.api_base = Some(format!("{}{BASE}", server.uri()));
    let tenant = CxoneTenant::new(cfg).unwrap();
    let err = tenant.list_queues().await.unwrap_err();
    assert!(!err.to_string().contains(KEY_SECRET), "{err}");
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "the form was sent to the other origin"
    );
}

#[tokio::test]
async fn an_answer_past_max_response_bytes_is_refused_naming_the_limit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(token_answer("access-1", 3600, None))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/skills")))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.api_base = Some(format!("{}{BASE}", server.uri()));
    cfg.max_response_bytes = 1024;
    let tenant = CxoneTenant::new(cfg).unwrap();
    let err = tenant.list_queues().await.unwrap_err();
    assert!(err.to_string().contains("larger than 1024 bytes"), "{err}");
}
