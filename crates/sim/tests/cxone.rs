//! The CXone face of the simulator, through the router with `oneshot`.

mod common;

use axum::http::{Method, StatusCode, header};
use base64::Engine as _;
use common::{App, Reply};
use serde_json::{Value, json};
use sim::{Faults, RetryAfterFormat, Seed, SeedQueue};

const SKILLS: &str = "/inContactAPI/services/v34.0/skills";
const JSON: (&str, &str) = ("accept", "application/json");

fn app(names: &[&str]) -> App {
    App::new(
        Seed {
            queues: names.iter().map(|n| SeedQueue::named(*n)).collect(),
            ..Seed::default()
        },
        Faults::none(),
    )
}

fn basic(id: &str, secret: &str) -> String {
    let raw = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn token_reply(app: &App, form: &str, auth: Option<String>) -> Reply {
    let extra: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    app.token_form_at("/auth/token", form, &extra).await
}

fn password_form(secret: &str) -> String {
    format!(
        "grant_type=password&username={}&password={secret}",
        sim::CXONE_ACCESS_KEY_ID
    )
}

async fn token(app: &App) -> String {
    let c = app.state.client();
    let reply = token_reply(
        app,
        &password_form(sim::CXONE_ACCESS_KEY_SECRET),
        Some(basic(&c.client_id, &c.client_secret)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_password_grant_needs_the_access_key_and_basic_client_auth_and_carries_the_tenant_id() {
    let app = app(&[]);
    let c = app.state.client();
    let good = password_form(sim::CXONE_ACCESS_KEY_SECRET);
    let table = [
        (
            good.clone(),
            Some(basic(&c.client_id, &c.client_secret)),
            200,
        ),
        (good.clone(), None, 401),
        (good, Some(basic(&c.client_id, "wrong")), 401),
        (
            password_form("wrong"),
            Some(basic(&c.client_id, &c.client_secret)),
            400,
        ),
    ];
    for (form, auth, status) in table {
        let reply = token_reply(&app, &form, auth.clone()).await;
        assert_eq!(reply.status.as_u16(), status, "{form} {auth:?}");
    }
    let reply = token_reply(
        &app,
        &password_form(sim::CXONE_ACCESS_KEY_SECRET),
        Some(basic(&c.client_id, &c.client_secret)),
    )
    .await;
    let payload = reply.body["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["tenantId"], sim::CXONE_TENANT_ID);
    let refresh = reply.body["refresh_token"].as_str().unwrap();
    // The published refresh grant requires client_id: without it, refused.
    let bare = token_reply(
        &app,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
        Some(basic(&c.client_id, &c.client_secret)),
    )
    .await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    let again = token_reply(
        &app,
        &format!(
            "grant_type=refresh_token&refresh_token={refresh}&client_id={}",
            c.client_id
        ),
        Some(basic(&c.client_id, &c.client_secret)),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    let discovery = app
        .send(
            Method::GET,
            &format!(
                "/.well-known/cxone-configuration?tenantId={}",
                sim::CXONE_TENANT_ID
            ),
            &[("host", "127.0.0.1:9")],
            None,
        )
        .await;
    assert_eq!(discovery.body["api_endpoint"], "http://127.0.0.1:9");
}

#[tokio::test]
async fn skills_page_by_skip_and_top_with_the_published_total_and_a_next_link() {
    let names: Vec<String> = (0..5).map(|i| format!("S_{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let app = app(&refs);
    let t = token(&app).await;
    let first = app
        .call(
            &t,
            Method::GET,
            &format!("{SKILLS}?skip=0&top=2"),
            &[JSON],
            None,
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["totalRecords"], 5);
    assert_eq!(first.body["skills"].as_array().unwrap().len(), 2);
    let next = first.body["_links"]["next"].as_str().unwrap();
    assert_eq!(next, format!("{SKILLS}?skip=2&top=2"));
    let last = app
        .call(
            &t,
            Method::GET,
            &format!("{SKILLS}?skip=4&top=2"),
            &[JSON],
            None,
        )
        .await;
    assert_eq!(last.body["skills"][0]["skillName"], "S_4");
    assert!(last.body["_links"].get("next").is_none());
    let too_big = app
        .call(&t, Method::GET, &format!("{SKILLS}?top=101"), &[JSON], None)
        .await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    let no_accept = app.call(&t, Method::GET, SKILLS, &[], None).await;
    assert_eq!(no_accept.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn a_batch_create_answers_200_with_per_item_errors_and_the_new_skill_lags_the_list() {
    let app = app(&["Taken_1"]);
    let t = token(&app).await;
    let body = json!({"skills": [
        {"skillName": "New_1", "mediaTypeId": 3, "notes": "n"},
        {"skillName": "Taken_1", "mediaTypeId": 4},
        {"skillName": "No_Media"}]});
    let reply = app
        .call(&t, Method::POST, SKILLS, &[JSON], Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["errorCount"], 2);
    let ok: Vec<bool> = reply.body["skillsResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["success"].as_bool().unwrap())
        .collect();
    assert_eq!(ok, [true, false, false]);
    assert_eq!(
        reply.body["skillsResults"][1]["error"],
        "Skill name already exists"
    );
    let search = format!("{SKILLS}?searchString=New_1");
    let listed = app.call(&t, Method::GET, &search, &[JSON], None).await;
    assert_eq!(listed.body["totalRecords"], 0, "the list lags the create");
    tokio::time::sleep(sim::LIST_LAG).await;
    let listed = app.call(&t, Method::GET, &search, &[JSON], None).await;
    assert_eq!(listed.body["skills"][0]["mediaTypeId"], 3);
}

#[tokio::test]
async fn a_wrapped_put_changes_only_the_fields_it_sends() {
    let app = app(&["Sales_EN"]);
    let t = token(&app).await;
    let list = app.call(&t, Method::GET, SKILLS, &[JSON], None).await;
    let id = list.body["skills"][0]["skillId"].as_u64().unwrap();
    let uri = format!("{SKILLS}/{id}");
    let before = app.call(&t, Method::GET, &uri, &[JSON], None).await.body;
    let put = app
        .call(
            &t,
            Method::PUT,
            &uri,
            &[JSON],
            Some(json!({"skill": {"notes": "new", "maxPriority": 50}})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let after = app.call(&t, Method::GET, &uri, &[JSON], None).await.body;
    assert_eq!(after["notes"], "new");
    assert_eq!(after["maxPriority"], 50);
    for kept in ["serviceLevelGoal", "mediaTypeId", "campaignId", "isActive"] {
        assert_eq!(after[kept], before[kept], "{kept}");
    }
    let unwrapped = app
        .call(&t, Method::PUT, &uri, &[JSON], Some(json!({"notes": "x"})))
        .await;
    assert_eq!(unwrapped.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_429_can_come_without_retry_after() {
    let app = App::new(
        Seed::default(),
        Faults::none()
            .with_rate_429(1.0)
            .with_retry_after(2, RetryAfterFormat::Omitted),
    );
    let reply = app.send(Method::GET, SKILLS, &[JSON], None).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.headers.get(header::RETRY_AFTER).is_none());
}
