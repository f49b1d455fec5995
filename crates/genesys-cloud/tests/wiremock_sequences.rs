//! The Genesys Cloud client against scripted answers (wiremock): exact request sequences for
//! the token, re-authentication, retries, paging, creates under list lag, full-replace
//! writes and delete polling.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genesys_cloud::{Config, GenesysTenant};
use serde_json::{Value, json};
use tenant::{Queue, Tenant, TenantError};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ID: &str = "cx-client";
const SECRET: &str = "s3cret-DO-NOT-SHOW";
const TOKEN_MARK: &str = "SENSITIVE";
const QUEUES: &str = "/api/v2/routing/queues";

/// Issues `tok-1-SENSITIVE`, `tok-2-SENSITIVE`, …
struct Tokens {
    issued: Arc<AtomicUsize>,
    expires_in: u64,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("tok-{n}-{TOKEN_MARK}"),
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }))
    }
}

/// Answers with each template in turn, then repeats the last.
struct Sequence(Vec<ResponseTemplate>, AtomicUsize);

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.1.fetch_add(1, Ordering::SeqCst);
        self.0[i.min(self.0.len() - 1)].clone()
    }
}

/// Answers 200 with the request's own body (a PUT that keeps what it was sent).
struct Echo;

impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_bytes(req.body.clone())
    }
}

fn seq(templates: Vec<ResponseTemplate>) -> Sequence {
    Sequence(templates, AtomicUsize::new(0))
}

fn queue_json(id: &str, name: &str) -> Value {
    json!({
        "id": id, "name": name, "description": "d",
        "division": {"id": "home"},
        "mediaSettings": {"call": {"alertingTimeoutSeconds": 8,
            "serviceLevel": {"percentage": 0.8, "durationMs": 20000}}},
        "modifiedBy": "user-1", "dateModified": "2026-01-01T00:00:00Z",
        "memberCount": 4
    })
}

fn page(entities: Vec<Value>) -> Value {
    let n = entities.len();
    json!({"entities": entities, "pageSize": 500, "pageNumber": 1, "total": n, "pageCount": 1})
}

fn config(server: &MockServer) -> Config {
    let mut c = Config::loopback(server.uri(), ID, SECRET);
    c.requests_per_second = 1000.0;
    c.retry_step = Duration::from_millis(10);
    c.settle_step = Duration::from_millis(10);
    c
}

/// A server that issues tokens valid for `expires_in` seconds, and a client for it with
/// `tweak` applied to its configuration.
async fn setup_with(
    expires_in: u64,
    tweak: impl FnOnce(&mut Config),
) -> (MockServer, GenesysTenant, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let issued = Arc::new(AtomicUsize::new(0));
    on(
        &server,
        "POST",
        "/oauth/token",
        Tokens {
            issued: issued.clone(),
            expires_in,
        },
    )
    .await;
    let mut c = config(&server);
    tweak(&mut c);
    (server, GenesysTenant::new(c).unwrap(), issued)
}

async fn setup() -> (MockServer, GenesysTenant, Arc<AtomicUsize>) {
    setup_with(86_400, |_| {}).await
}

async fn requests(server: &MockServer, verb: &str, url_path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == url_path)
        .collect()
}

/// Answers `verb path` (any query) with `answer`.
async fn on(server: &MockServer, verb: &str, at: impl AsRef<str>, answer: impl Respond + 'static) {
    Mock::given(method(verb))
        .and(path(at.as_ref()))
        .respond_with(answer)
        .mount(server)
        .await;
}

fn queue_path(id: &str) -> String {
    format!("{QUEUES}/{id}")
}

#[tokio::test]
async fn the_token_request_is_client_credentials_with_http_basic_auth() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .and(header(
            "authorization",
            format!("Bearer tok-1-{TOKEN_MARK}"),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(queue_json("q1", "A")))
        .mount(&server)
        .await;
    client.get_queue("q1").await.unwrap();
    let token = &requests(&server, "POST", "/oauth/token").await[0];
    // base64("cx-client:s3cret-DO-NOT-SHOW")
    assert_eq!(
        token.headers["authorization"],
        "Basic Y3gtY2xpZW50OnMzY3JldC1ETy1OT1QtU0hPVw=="
    );
    assert_eq!(
        String::from_utf8_lossy(&token.body),
        "grant_type=client_credentials"
    );
}

#[tokio::test]
async fn a_401_drops_the_token_and_authenticates_again_once() {
    let (server, client, issued) = setup().await;
    on(
        &server,
        "GET",
        queue_path("q1"),
        seq(vec![
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "token revoked", "status": 401})),
            ResponseTemplate::new(200).set_body_json(queue_json("q1", "A")),
        ]),
    )
    .await;
    let q = client.get_queue("q1").await.unwrap();
    assert_eq!(q.name, "A");
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    let gets = requests(&server, "GET", &queue_path("q1")).await;
    assert_eq!(
        gets[0].headers["authorization"],
        format!("Bearer tok-1-{TOKEN_MARK}")
    );
    assert_eq!(
        gets[1].headers["authorization"],
        format!("Bearer tok-2-{TOKEN_MARK}")
    );
    assert_eq!(client.stats().token_invalidations, 1);
}

#[tokio::test]
async fn a_second_401_is_unauthorized_with_the_servers_message_and_no_secret() {
    let (server, client, issued) = setup().await;
    on(&server, "GET", queue_path("q1"), ResponseTemplate::new(401).set_body_json(
            json!({"message": "Invalid login credentials", "code": "bad.credentials", "status": 401, "contextId": "ctx-1"}),
        )).await;
    let err = client.get_queue("q1").await.unwrap_err();
    assert!(err.is_unauthorized(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("Invalid login credentials") && text.contains("ctx-1"),
        "{text}"
    );
    assert!(
        !text.contains(SECRET) && !text.contains(TOKEN_MARK),
        "{text}"
    );
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_client_is_unauthorized_naming_the_variables_never_the_secret() {
    let server = MockServer::start().await;
    on(
        &server,
        "POST",
        "/oauth/token",
        ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "client not found"}),
        ),
    )
    .await;
    let client = GenesysTenant::new(config(&server)).unwrap();
    let err = client.list_queues().await.unwrap_err();
    let text = err.to_string();
    assert!(err.is_unauthorized(), "{text}");
    assert!(
        text.contains("client not found") && text.contains("GENESYSCLOUD_OAUTHCLIENT_ID"),
        "{text}"
    );
    assert!(!text.contains(SECRET), "{text}");
    assert!(!format!("{client:?}").contains(SECRET));
}

#[tokio::test]
async fn a_token_that_expires_mid_apply_is_fetched_again_before_the_next_call() {
    // expires_in 2 s: refreshed 1 s early (never more than half the lifetime).
    let (server, client, issued) = setup_with(2, |_| {}).await;
    on(
        &server,
        "GET",
        queue_path("q1"),
        ResponseTemplate::new(200).set_body_json(queue_json("q1", "A")),
    )
    .await;
    client.get_queue("q1").await.unwrap();
    client.get_queue("q1").await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.get_queue("q1").await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    let gets = requests(&server, "GET", &queue_path("q1")).await;
    assert_eq!(
        gets[2].headers["authorization"],
        format!("Bearer tok-2-{TOKEN_MARK}")
    );
    assert_eq!(client.stats().token_invalidations, 0, "no 401 was needed");
}

#[tokio::test]
async fn a_429_waits_retry_after_then_succeeds() {
    let (server, client, _) = setup().await;
    on(&server, "GET", queue_path("q1"), seq(vec![
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"message": "Rate limit exceeded", "code": "too.many.requests.retry.after", "status": 429})),
            ResponseTemplate::new(200).set_body_json(queue_json("q1", "A")),
        ])).await;
    let start = Instant::now();
    client.get_queue("q1").await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After was not waited"
    );
    assert_eq!(requests(&server, "GET", &queue_path("q1")).await.len(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_three_minutes_fails_as_rate_limited_without_waiting() {
    let (server, client, _) = setup().await;
    on(
        &server,
        "GET",
        queue_path("q1"),
        ResponseTemplate::new(429).insert_header("Retry-After", "600"),
    )
    .await;
    let err = client.get_queue("q1").await.unwrap_err();
    assert!(
        matches!(err, TenantError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(600)),
        "{err}"
    );
    assert_eq!(requests(&server, "GET", &queue_path("q1")).await.len(), 1);
}

#[tokio::test]
async fn a_5xx_is_retried_but_a_501_is_not() {
    let (server, client, _) = setup().await;
    on(
        &server,
        "GET",
        queue_path("q1"),
        seq(vec![
            ResponseTemplate::new(503),
            ResponseTemplate::new(500),
            ResponseTemplate::new(200).set_body_json(queue_json("q1", "A")),
        ]),
    )
    .await;
    on(
        &server,
        "GET",
        queue_path("q2"),
        ResponseTemplate::new(501).set_body_json(json!({"message": "not here", "status": 501})),
    )
    .await;
    client.get_queue("q1").await.unwrap();
    assert_eq!(requests(&server, "GET", &queue_path("q1")).await.len(), 3);
    let err = client.get_queue("q2").await.unwrap_err();
    assert!(
        err.to_string().contains("HTTP 501") && err.to_string().contains("not here"),
        "{err}"
    );
    assert_eq!(requests(&server, "GET", &queue_path("q2")).await.len(), 1);
}

#[tokio::test]
async fn the_list_asks_for_pages_of_500_and_stops_at_a_short_page() {
    let (server, client, _) = setup().await;
    let full: Vec<Value> = (0..500)
        .map(|i| queue_json(&format!("a{i}"), &format!("A{i}")))
        .collect();
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .and(query_param("pageSize", "500"))
        .and(query_param("pageNumber", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"entities": full, "pageCount": 2})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .and(query_param("pageNumber", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"entities": [queue_json("b", "B")], "pageCount": 2})),
        )
        .mount(&server)
        .await;
    let all = client.list_queues().await.unwrap();
    assert_eq!(all.len(), 501);
    assert_eq!(requests(&server, "GET", QUEUES).await.len(), 2);
}

#[tokio::test]
async fn a_create_looks_the_name_up_first_and_never_posts_twice_in_one_run() {
    let (server, client, _) = setup().await;
    // The list lags: the name filter never shows the queue we create.
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .and(query_param("name", "New"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    on(
        &server,
        "POST",
        QUEUES,
        ResponseTemplate::new(200).set_body_json(queue_json("n1", "New")),
    )
    .await;
    let mut q = Queue::named("New");
    q.description = Some("d".into());
    let first = client.create_queue(&q).await.unwrap();
    let again = client.create_queue(&q).await.unwrap();
    assert_eq!(first.id.as_deref(), Some("n1"));
    assert_eq!(again.id.as_deref(), Some("n1"));
    let posts = requests(&server, "POST", QUEUES).await;
    assert_eq!(posts.len(), 1);
    let body: Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(body, json!({"name": "New", "description": "d"}));
}

#[tokio::test]
async fn a_queue_the_name_filter_finds_is_adopted_and_written_not_created_again() {
    let (server, client, _) = setup().await;
    let mut similar = queue_json("x", "New (old)");
    similar["name"] = json!("New (old)");
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .and(query_param("name", "New"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page(vec![similar, queue_json("n1", "New")])),
        )
        .mount(&server)
        .await;
    on(
        &server,
        "GET",
        queue_path("n1"),
        ResponseTemplate::new(200).set_body_json(queue_json("n1", "New")),
    )
    .await;
    Mock::given(method("PUT"))
        .and(path(queue_path("n1")))
        .respond_with(Echo)
        .mount(&server)
        .await;
    let mut q = Queue::named("New");
    q.description = Some("declared".into());
    let got = client.create_queue(&q).await.unwrap();
    assert_eq!(got.id.as_deref(), Some("n1"));
    assert!(requests(&server, "POST", QUEUES).await.is_empty());
    let put: Value =
        serde_json::from_slice(&requests(&server, "PUT", &queue_path("n1")).await[0].body).unwrap();
    assert_eq!(put["description"], "declared");
    assert_eq!(put["division"], json!({"id": "home"}));
    assert_eq!(client.stats().create_lookups, 1);
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_looked_up_before_posting_again() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .and(query_param("name", "New"))
        .respond_with(seq(vec![
            ResponseTemplate::new(200).set_body_json(page(vec![])),
            ResponseTemplate::new(200).set_body_json(page(vec![queue_json("n1", "New")])),
        ]))
        .mount(&server)
        .await;
    on(&server, "POST", QUEUES, ResponseTemplate::new(502)).await;
    for verb in ["GET", "PUT"] {
        let answer = ResponseTemplate::new(200).set_body_json(queue_json("n1", "New"));
        on(&server, verb, queue_path("n1"), answer).await;
    }
    let got = client.create_queue(&Queue::named("New")).await.unwrap();
    assert_eq!(got.id.as_deref(), Some("n1"));
    assert_eq!(requests(&server, "POST", QUEUES).await.len(), 1);
}

#[tokio::test]
async fn a_404_right_after_a_create_is_retried() {
    let (server, client, _) = setup().await;
    on(
        &server,
        "GET",
        QUEUES,
        ResponseTemplate::new(200).set_body_json(page(vec![])),
    )
    .await;
    on(
        &server,
        "POST",
        QUEUES,
        ResponseTemplate::new(200).set_body_json(queue_json("n1", "New")),
    )
    .await;
    on(
        &server,
        "GET",
        queue_path("n1"),
        seq(vec![
            ResponseTemplate::new(404)
                .set_body_json(json!({"message": "not found", "status": 404})),
            ResponseTemplate::new(404),
            ResponseTemplate::new(200).set_body_json(queue_json("n1", "New")),
        ]),
    )
    .await;
    on(
        &server,
        "GET",
        queue_path("other"),
        ResponseTemplate::new(404),
    )
    .await;
    client.create_queue(&Queue::named("New")).await.unwrap();
    assert_eq!(client.get_queue("n1").await.unwrap().name, "New");
    assert_eq!(requests(&server, "GET", &queue_path("n1")).await.len(), 3);
    // A queue this run did not create: a 404 is an answer at once.
    assert!(client.get_queue("other").await.unwrap_err().is_not_found());
    assert_eq!(
        requests(&server, "GET", &queue_path("other")).await.len(),
        1
    );
}

#[tokio::test]
async fn a_delete_polls_get_until_404_and_the_list_forgets_the_queue_meanwhile() {
    let (server, client, _) = setup().await;
    on(
        &server,
        "DELETE",
        queue_path("q1"),
        ResponseTemplate::new(204),
    )
    .await;
    on(
        &server,
        "GET",
        queue_path("q1"),
        seq(vec![
            ResponseTemplate::new(200).set_body_json(queue_json("q1", "A")),
            ResponseTemplate::new(200).set_body_json(queue_json("q1", "A")),
            ResponseTemplate::new(404),
        ]),
    )
    .await;
    on(
        &server,
        "GET",
        QUEUES,
        ResponseTemplate::new(200)
            .set_body_json(page(vec![queue_json("q1", "A"), queue_json("q2", "B")])),
    )
    .await;
    Tenant::delete_queue(&client, "q1", None).await.unwrap();
    assert_eq!(requests(&server, "GET", &queue_path("q1")).await.len(), 3);
    let del = &requests(&server, "DELETE", &queue_path("q1")).await[0];
    assert_eq!(del.url.query(), Some("forceDelete=false"));
    let names: Vec<String> = client
        .list_queues()
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(
        names,
        ["B"],
        "the cache still lists the deleted queue; we do not"
    );
}

#[tokio::test]
async fn a_delete_that_never_settles_fails_after_its_bound() {
    let (server, client, _) =
        setup_with(3600, |c| c.delete_settle = Duration::from_millis(200)).await;
    let still_there = ResponseTemplate::new(200).set_body_json(queue_json("q1", "A"));
    on(
        &server,
        "DELETE",
        queue_path("q1"),
        ResponseTemplate::new(204),
    )
    .await;
    on(&server, "GET", queue_path("q1"), still_there).await;
    let err = client.delete_queue("q1").await.unwrap_err();
    assert!(err.to_string().contains("still returns it"), "{err}");
}

#[tokio::test]
async fn a_rejected_write_carries_the_servers_message_and_field_details() {
    let (server, client, _) = setup().await;
    on(&server, "PUT", queue_path("q1"), ResponseTemplate::new(400).set_body_json(json!({
            "message": "The request could not be understood",
            "code": "bad.request", "status": 400, "contextId": "c-9",
            "details": [{"errorCode": "too.short", "fieldName": "mediaSettings.call.serviceLevel.durationMs"}]
        }))).await;
    let mut q = Queue::named("A");
    q.id = Some("q1".into());
    let err = client.put_queue("q1", &q).await.unwrap_err();
    let TenantError::Rejected { reasons } = &err else {
        panic!("{err}");
    };
    assert!(
        reasons[0].contains("could not be understood") && reasons[0].contains("c-9"),
        "{reasons:?}"
    );
    assert_eq!(
        reasons[1],
        "mediaSettings.call.serviceLevel.durationMs: too.short"
    );
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed_and_the_secret_goes_nowhere_else() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    on(
        &server,
        "POST",
        "/oauth/token",
        ResponseTemplate::new(307)
            .insert_header("Location", format!("{}/oauth/token", elsewhere.uri())),
    )
    .await;
    let client = GenesysTenant::new(config(&server)).unwrap();
    let err = client.list_queues().await.unwrap_err();
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "the form was sent to the other origin"
    );
}

#[tokio::test]
async fn an_answer_past_max_response_bytes_is_refused_naming_the_limit() {
    let (server, client, _) = setup_with(3600, |c| c.max_response_bytes = 1024).await;
    on(
        &server,
        "GET",
        QUEUES,
        ResponseTemplate::new(200).set_body_string("x".repeat(4096)),
    )
    .await;
    let err = client.list_queues().await.unwrap_err();
    assert!(err.to_string().contains("larger than 1024 bytes"), "{err}");
}
