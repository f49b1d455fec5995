//! The adapter against wiremock: exact request sequences for discovery, tokens, paging,
//! batch creates, list lag, partial updates, deactivation and throttling.

use std::time::Duration;

use base64::Engine as _;
use nice_cxone::{Config, CxoneTenant, WriteStyle};
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
    client_writing(server, WriteStyle::AsRead).await
}

/// [`client`] for a tenant whose PUT is known to be partial (`partialUpdates: true`).
async fn partial_client(server: &MockServer) -> CxoneTenant {
    client_writing(server, WriteStyle::ChangedOnly).await
}

async fn client_writing(server: &MockServer, style: WriteStyle) -> CxoneTenant {
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(token_answer("access-1", 3600, None))
        .mount(server)
        .await;
    let mut cfg = config(server);
    cfg.api_base = Some(format!("{}{BASE}", server.uri()));
    cfg.write_style = style;
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
        // The published refresh grant requires client_id.
        .and(body_string_contains("client_id=app-id"))
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
async fn a_tombstone_with_partial_updates_deactivates_the_skill_with_is_active_alone() {
    let server = MockServer::start().await;
    let tenant = partial_client(&server).await;
    put_skill(4711, json!({"skill": {"isActive": false}}))
        .mount(&server)
        .await;
    tenant.delete_queue("4711", None).await.unwrap();
    assert!(tenant.delete_queue("not-a-number", None).await.is_err());
}

#[tokio::test]
async fn with_partial_updates_an_update_sends_only_changed_managed_fields_so_a_rivals_edit_of_another_field_stays()
 {
    let server = MockServer::start().await;
    let tenant = partial_client(&server).await;
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
async fn a_campaign_is_sent_by_the_id_its_name_resolves_to_from_every_page_of_the_v34_list() {
    let server = MockServer::start().await;
    let tenant = partial_client(&server).await;
    let campaigns = |skip: &str, items: Value| {
        Mock::given(method("GET"))
            .and(path(format!("{BASE}/campaigns")))
            .and(query_param("skip", skip))
            .and(query_param("top", "100"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "businessUnitId": 4600000, "totalRecords": "101", "campaigns": items})))
            .expect(1)
    };
    let first: Vec<Value> = (1..=100)
        .map(|i| json!({"id": i, "name": format!("C{i}"), "isActive": true}))
        .collect();
    campaigns("0", Value::Array(first)).mount(&server).await;
    campaigns(
        "100",
        json!([{"id": "512", "name": "Sales EN (Tier 1)", "isActive": true}]),
    )
    .mount(&server)
    .await;
    put_skill(5, json!({"skill": {"campaignId": 512}}))
        .mount(&server)
        .await;
    let base = nice_cxone::wire::to_neutral(skill(5, "S_5").as_object().unwrap().clone());
    let mut want = base.clone();
    want.settings
        .insert("cxone.campaign".into(), json!("sales en (tier 1)"));
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
async fn a_safe_update_reads_the_skill_and_sends_every_writable_property_back_with_the_change() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    let read = json!({"skillId": 4711, "skillName": "Sales EN (Tier 1)", "mediaTypeId": 4,
        "mediaTypeName": "Phone Call", "campaignId": 12, "campaignName": "Sales", "notes": "",
        "serviceLevelGoal": 80, "serviceLevelThreshold": 3600, "isActive": true,
        "scriptId": 99, "screenPopDetail": "pop", "screenPopTriggerEvent": "2",
        "popThankYouURL": "https://thanks", "patronTypingPreview": true,
        "dispositions": [{"dispositionId": 3, "dispositionName": "Sold", "priority": 1}],
        "emailFromAddress": "", "TenantId": "t", "isRunning": false});
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/skills/4711")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&read))
        .expect(1)
        .mount(&server)
        .await;
    put_skill(
        4711,
        json!({"skill": {"skillName": "Sales EN (Tier 1)", "campaignId": 12, "notes": "",
            "serviceLevelGoal": 80, "serviceLevelThreshold": 3600, "isActive": true,
            "maxPriority": 7, "scriptId": 99, "screenPopDetails": "pop",
            "screenPopTriggerEvent": 2, "popThankYouUrl": "https://thanks",
            "patronTypingIndicator": true,
            "dispositions": [{"dispositionId": 3, "priority": 1}]}}),
    )
    .mount(&server)
    .await;
    let base = tenant.get_queue("4711").await.unwrap();
    let mut want = base.clone();
    want.settings.insert("cxone.priority.max".into(), json!(7));
    tenant
        .update_queue("4711", &base, &want, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_safe_tombstone_reads_the_skill_and_sends_it_back_inactive() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/skills/4711")))
        .respond_with(ResponseTemplate::new(200).set_body_json(skill(4711, "Sales_EN")))
        .expect(1)
        .mount(&server)
        .await;
    put_skill(
        4711,
        json!({"skill": {"skillName": "Sales_EN", "isActive": false, "notes": "",
            "serviceLevelGoal": 80, "serviceLevelThreshold": 30, "scriptId": 7}}),
    )
    .mount(&server)
    .await;
    tenant.delete_queue("4711", None).await.unwrap();
}

#[tokio::test]
async fn a_new_inactive_skill_is_created_then_deactivated_in_the_same_call() {
    let server = MockServer::start().await;
    let tenant = partial_client(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("{BASE}/skills")))
        .and(body_json(
            json!({"skills": [{"skillName": "Chat_EN", "mediaTypeId": 3}]}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errorCount": 0, "skillsResults": [{"success": true}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    list_skills()
        .respond_with(page(&[skill(77, "Chat_EN")], 1))
        .mount(&server)
        .await;
    put_skill(77, json!({"skill": {"isActive": false}}))
        .mount(&server)
        .await;
    let mut q = new_queue("Chat_EN");
    q.settings.insert("cxone.mediaType".into(), json!("chat"));
    q.settings.insert("cxone.active".into(), json!(false));
    let created = tenant.create_queue(&q).await.unwrap();
    assert_eq!(created.id.as_deref(), Some("77"));
    assert_eq!(created.settings["cxone.active"], json!(false));
}

/// Skills 0–99, named `S0`…`S99`: one full page.
fn a_full_page() -> Vec<Value> {
    (0..100).map(|i| skill(i, &format!("S{i}"))).collect()
}

/// `GET /skills` answering `pages` in turn, each `(skip, skills, total, next link)`.
async fn serve_pages(server: &MockServer, pages: Vec<(&str, Vec<Value>, &str, Option<String>)>) {
    for (skip, skills, total, next) in pages {
        let mut body = json!({"totalRecords": total, "skills": skills});
        if let Some(n) = next {
            body["_links"] = json!({"next": n});
        }
        list_skills()
            .and(query_param("skip", skip))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn a_next_link_pointing_at_itself_is_read_once_more_then_refused() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    let me = format!("{BASE}/skills?skip=0&top=100");
    serve_pages(&server, vec![("0", vec![skill(1, "A")], "1", Some(me))]).await;
    let err = tenant.list_queues().await.unwrap_err().to_string();
    assert!(err.contains("does not hold together"), "{err}");
    // Two reads of two pages each (the second page is the first again): never more.
    assert_eq!(tenant.stats().requests_to("GET /skills"), 4);
}

#[tokio::test]
async fn a_total_of_a_billion_over_a_page_that_repeats_is_refused_at_page_two() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    let full = a_full_page();
    list_skills()
        .respond_with(page(&full, 0).set_body_json(json!({
            "totalRecords": "1000000000", "skills": full})))
        .mount(&server)
        .await;
    let err = tenant.list_queues().await.unwrap_err().to_string();
    assert!(err.contains("page 2 repeats skill id 0"), "{err}");
    assert_eq!(tenant.stats().requests_to("GET /skills"), 4);
}

#[tokio::test]
async fn a_later_page_repeating_an_id_under_another_name_is_refused_when_it_does_so_twice() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    let first = a_full_page();
    serve_pages(
        &server,
        vec![
            ("0", first, "101", None),
            ("100", vec![skill(7, "Someone else's")], "101", None),
        ],
    )
    .await;
    let err = tenant.list_queues().await.unwrap_err().to_string();
    assert!(
        err.contains("lists skill id 7 as \"Someone else's\", an earlier page as \"S7\""),
        "{err}"
    );
}

#[tokio::test]
async fn a_skill_renamed_while_we_page_is_healed_by_listing_once_more() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    let first = a_full_page();
    list_skills()
        .and(query_param("skip", "0"))
        .respond_with(page(&first, 101))
        .mount(&server)
        .await;
    // The first read sees skill 7 renamed on page 2; the second read sees the new name alone.
    list_skills()
        .and(query_param("skip", "100"))
        .respond_with(page(&[skill(7, "Renamed")], 101))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    list_skills()
        .and(query_param("skip", "100"))
        .respond_with(page(&[skill(100, "S100")], 101))
        .mount(&server)
        .await;
    let queues = tenant.list_queues().await.unwrap();
    assert_eq!(queues.len(), 101);
}

#[tokio::test]
async fn a_skill_whose_id_cannot_be_parsed_is_listed_with_its_name_and_a_problem() {
    let server = MockServer::start().await;
    let tenant = client(&server).await;
    list_skills()
        .respond_with(page(
            &[
                skill(1, "A"),
                json!({"skillId": "sk-1000", "skillName": "Odd"}),
            ],
            2,
        ))
        .mount(&server)
        .await;
    let listed = tenant.listing().await.unwrap();
    let odd = listed
        .iter()
        .find_map(|l| match l {
            tenant::Listed::Unreadable(u) if u.name == "Odd" => Some(u),
            _ => None,
        })
        .unwrap();
    assert!(odd.problem.contains("sk-1000"), "{odd:?}");
    assert!(
        listed
            .iter()
            .any(|l| matches!(l, tenant::Listed::Queue(q) if q.name == "A"))
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
