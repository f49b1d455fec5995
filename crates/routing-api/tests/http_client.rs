//! The HTTP client against scripted answers (wiremock): exact request sequences for tokens,
//! retries, the rate limit, pagination, lost creates and error mapping.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use routing_api::{ApiError, ClientConfig, HttpTenant, RemoteQueue, RetryPolicy};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "client-secret-DO-NOT-SHOW";
const TOKEN_PATH: &str = "/oauth2/token";
const QUEUES: &str = "/api/v2/routing/queues";
const TOKEN_MARK: &str = "SENSITIVE";

/// Issues `tok-1-SENSITIVE`, `tok-2-SENSITIVE`, … so tests can tell tokens apart.
struct Tokens {
    issued: AtomicUsize,
    expires_in: u64,
    delay: Duration,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "access_token": format!("tok-{n}-{TOKEN_MARK}"),
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "scope": "routing:queue:view"
            }))
            .set_delay(self.delay)
    }
}

/// Serves `total` queues, paged by the request's pageNumber and pageSize.
struct Pages {
    total: usize,
}

impl Respond for Pages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let param = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let number = param("pageNumber").unwrap_or(1);
        let size = param("pageSize").unwrap_or(25);
        if !(1..=500).contains(&size) {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"code": "bad.request", "errors": ["pageSize"]}));
        }
        let start = (number - 1) * size;
        let entities: Vec<Value> = (start..(start + size).min(self.total))
            .map(|i| queue_json(&format!("q-{i:05}"), &format!("Queue {i}"), 1))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "entities": entities,
            "pageNumber": number,
            "pageSize": size,
            "total": self.total,
            "pageCount": self.total.div_ceil(size),
        }))
    }
}

fn queue_json(id: &str, name: &str, version: u64) -> Value {
    json!({
        "id": id,
        "name": name,
        "version": version,
        "skillRequirements": [],
        "overflow": null,
        "maxWaitTime": 300
    })
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        total_deadline: Duration::from_secs(20),
        max_retry_after: Duration::from_secs(5),
    }
}

fn config(server: &MockServer) -> ClientConfig {
    let mut config = ClientConfig::new(server.uri(), "client-1", SECRET);
    config.requests_per_second = 1000.0;
    config.retry = fast_retries();
    config
}

async fn mount_tokens(server: &MockServer, expires_in: u64, delay: Duration) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(Tokens {
            issued: AtomicUsize::new(0),
            expires_in,
            delay,
        })
        .mount(server)
        .await;
}

/// A server with a token endpoint (1 h tokens) and a client for it.
async fn setup() -> (MockServer, HttpTenant) {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600, Duration::ZERO).await;
    let client = HttpTenant::new(config(&server)).unwrap();
    (server, client)
}

async fn received(server: &MockServer, verb: &str, url_path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == url_path)
        .collect()
}

async fn count(server: &MockServer, verb: &str, url_path: &str) -> usize {
    received(server, verb, url_path).await.len()
}

fn queue_path(id: &str) -> String {
    format!("{QUEUES}/{id}")
}

async fn mount_queue(server: &MockServer, id: &str) {
    Mock::given(method("GET"))
        .and(path(queue_path(id)))
        .respond_with(ResponseTemplate::new(200).set_body_json(queue_json(id, "Billing", 7)))
        .mount(server)
        .await;
}

// ---- tokens ----

#[tokio::test]
async fn a_token_is_reused_across_calls_and_refreshed_when_it_nears_expiry() {
    let server = MockServer::start().await;
    // 2 s tokens with the default 30 s skew: refreshed after half their life, 1 s.
    mount_tokens(&server, 2, Duration::ZERO).await;
    mount_queue(&server, "q1").await;
    let client = HttpTenant::new(config(&server)).unwrap();

    for _ in 0..3 {
        client.get_queue("q1").await.unwrap();
    }
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.get_queue("q1").await.unwrap();
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 2);
    let gets = received(&server, "GET", &queue_path("q1")).await;
    let auth = |r: &Request| r.headers["authorization"].to_str().unwrap().to_owned();
    assert_eq!(auth(&gets[2]), format!("Bearer tok-1-{TOKEN_MARK}"));
    assert_eq!(auth(&gets[3]), format!("Bearer tok-2-{TOKEN_MARK}"));
    assert_eq!(client.stats().token_requests, 2);
}

#[tokio::test]
async fn the_token_request_is_a_client_credentials_form_with_the_default_scopes() {
    let (server, client) = setup().await;
    mount_queue(&server, "q1").await;
    client.get_queue("q1").await.unwrap();
    let token = &received(&server, "POST", TOKEN_PATH).await[0];
    assert_eq!(
        token.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: Vec<(String, String)> = url_form(&token.body);
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(field("grant_type").as_deref(), Some("client_credentials"));
    assert_eq!(field("client_id").as_deref(), Some("client-1"));
    assert_eq!(field("client_secret").as_deref(), Some(SECRET));
    assert_eq!(
        field("scope").as_deref(),
        Some("routing:queue:view routing:queue:update routing:skill:view routing:overflow:view")
    );
}

fn url_form(body: &[u8]) -> Vec<(String, String)> {
    let text = format!("http://x/?{}", String::from_utf8_lossy(body));
    reqwest::Url::parse(&text)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn a_401_mid_run_causes_one_token_refresh_and_then_succeeds() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .and(header(
            "authorization",
            format!("Bearer tok-1-{TOKEN_MARK}"),
        ))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"code": "unauthorized"})))
        .mount(&server)
        .await;
    mount_queue(&server, "q1").await;

    let queue = client.get_queue("q1").await.unwrap();
    assert_eq!(queue.version, Some(7));
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 2);
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 2);
    let stats = client.stats();
    assert_eq!(stats.token_invalidations, 1);
    assert_eq!(stats.total_retries(), 0);
}

#[tokio::test]
async fn a_401_twice_in_a_row_is_unauthorized() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"code": "unauthorized"})))
        .mount(&server)
        .await;

    let err = client.get_queue("q1").await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }), "{err:?}");
    assert!(err.to_string().contains("401"), "{err}");
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 2);
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 2);
}

#[tokio::test]
async fn invalid_client_on_the_token_endpoint_is_unauthorized_with_a_clear_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let client = HttpTenant::new(config(&server)).unwrap();

    let err = client.list_queues().await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("invalid_client"), "{message}");
    assert!(message.contains("CXONE_CLIENT_SECRET"), "{message}");
    assert!(!message.contains(SECRET), "{message}");
    // A rejected credential is not retried.
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
    assert_eq!(count(&server, "GET", QUEUES).await, 0);
}

#[tokio::test]
async fn fifty_concurrent_calls_cause_exactly_one_token_request() {
    let server = MockServer::start().await;
    // A slow token endpoint, so that all fifty calls are waiting for the same token.
    mount_tokens(&server, 3600, Duration::from_millis(300)).await;
    mount_queue(&server, "q1").await;
    let client = HttpTenant::new(config(&server)).unwrap();

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_queue("q1").await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 50);
    assert_eq!(client.stats().token_requests, 1);
}

// ---- retries ----

#[tokio::test]
async fn a_429_with_retry_after_in_seconds_is_waited_out_and_retried() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"code": "too.many.requests"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_queue(&server, "q1").await;

    let started = Instant::now();
    client.get_queue("q1").await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 2);
    let stats = client.stats();
    assert_eq!(stats.total_retries(), 1);
    assert_eq!(
        stats.requests_with_status("GET /api/v2/routing/queues/{id}", "429"),
        1
    );
}

#[tokio::test]
async fn a_429_with_retry_after_as_an_http_date_is_waited_out_and_retried() {
    let (server, client) = setup().await;
    // Whole seconds only: "now + 2 s" is between 1 and 2 s away.
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", when.as_str())
                .set_body_json(json!({"code": "too.many.requests"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_queue(&server, "q1").await;

    let started = Instant::now();
    client.get_queue("q1").await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 2);
}

#[tokio::test]
async fn a_503_then_success_is_retried() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mount_queue(&server, "q1").await;

    client.get_queue("q1").await.unwrap();
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 3);
    assert_eq!(client.stats().total_retries(), 2);
}

#[tokio::test]
async fn a_retry_budget_running_out_is_retries_exhausted_naming_the_attempts() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"code": "unavailable"})))
        .mount(&server)
        .await;
    let mut config = config(&server);
    config.retry.max_attempts = 3;
    let client = HttpTenant::new(config).unwrap();

    let err = client.get_queue("q1").await.unwrap_err();
    match &err {
        ApiError::RetriesExhausted { attempts, last } => {
            assert_eq!(*attempts, 3);
            assert!(last.contains("503"), "{last}");
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert!(err.to_string().contains("3 attempts"), "{err}");
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_gives_up_without_waiting() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "60"))
        .mount(&server)
        .await;
    let mut config = config(&server);
    config.retry.max_retry_after = Duration::from_secs(120);
    config.retry.total_deadline = Duration::from_secs(10);
    let client = HttpTenant::new(config).unwrap();

    let started = Instant::now();
    let err = client.get_queue("q1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(err, ApiError::RetriesExhausted { attempts: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("deadline"), "{err}");
}

#[tokio::test]
async fn an_unreachable_tenant_is_a_network_error_naming_the_base_url() {
    // A port with nothing listening on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}");
    let mut config = ClientConfig::new(&base, "client-1", SECRET);
    config.retry = RetryPolicy {
        max_attempts: 2,
        ..fast_retries()
    };
    let client = HttpTenant::new(config).unwrap();

    let err = client.list_queues().await.unwrap_err();
    match &err {
        ApiError::Network { base_url, reason } => {
            assert!(base_url.contains(&port.to_string()), "{base_url}");
            assert!(reason.contains("2 attempts"), "{reason}");
        }
        other => panic!("expected Network, got {other:?}"),
    }
    assert!(!err.to_string().contains(SECRET));
}

// ---- rate limit ----

#[tokio::test]
async fn the_rate_limit_holds_under_concurrency() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600, Duration::ZERO).await;
    mount_queue(&server, "q1").await;
    let mut config = config(&server);
    config.requests_per_second = 10.0;
    let client = HttpTenant::new(config).unwrap();

    // 31 requests (30 calls and a token) at 10 per second with a burst of 10: ≥ 2.1 s.
    let started = Instant::now();
    let calls = (0..30).map(|_| {
        let client = client.clone();
        async move { client.get_queue("q1").await }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    let stats = client.stats();
    assert!(stats.rate_limit_waits >= 15, "{stats:?}");
    assert!(stats.rate_limit_wait_seconds > 1.0, "{stats:?}");
}

// ---- pagination ----

#[tokio::test]
async fn pagination_fetches_all_1234_queues_in_three_requests() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(Pages { total: 1234 })
        .mount(&server)
        .await;

    let queues = client.list_queues().await.unwrap();
    assert_eq!(queues.len(), 1234);
    assert_eq!(queues[0].id.as_deref(), Some("q-00000"));
    assert_eq!(queues[1233].id.as_deref(), Some("q-01233"));
    let lists = received(&server, "GET", QUEUES).await;
    assert_eq!(lists.len(), 3);
    for (i, request) in lists.iter().enumerate() {
        let query = request.url.query().unwrap();
        assert!(query.contains(&format!("pageNumber={}", i + 1)), "{query}");
        assert!(query.contains("pageSize=500"), "{query}");
    }
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
}

#[tokio::test]
async fn listing_10000_queues_costs_20_list_requests_and_one_token_request() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(Pages { total: 10_000 })
        .mount(&server)
        .await;

    assert_eq!(client.list_queues().await.unwrap().len(), 10_000);
    let stats = client.stats();
    assert_eq!(stats.requests_to("GET /api/v2/routing/queues"), 20);
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.total_requests(), 21);
}

#[tokio::test]
async fn skills_are_listed_across_pages() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/routing/skills"))
        .respond_with(|request: &Request| {
            let page: usize = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "pageNumber")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap();
            let entities = match page {
                1 => json!([{"id": "s1", "name": "language:en", "state": "active"}]),
                2 => json!([{"id": "s2", "name": "language:fr", "state": "active"}]),
                _ => json!([]),
            };
            ResponseTemplate::new(200).set_body_json(json!({
                "entities": entities, "pageNumber": page, "pageSize": 1, "total": 2,
                "pageCount": 2
            }))
        })
        .mount(&server)
        .await;

    let skills = client.list_skills().await.unwrap();
    let names: Vec<_> = skills.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["language:en", "language:fr"]);
    assert_eq!(count(&server, "GET", "/api/v2/routing/skills").await, 2);
}

// ---- writes ----

#[tokio::test]
async fn unknown_fields_survive_a_get_put_round_trip() {
    let (server, client) = setup().await;
    let mut stored = queue_json("q1", "Billing", 3);
    stored["division"] = json!({"id": "d-1", "name": "Home"});
    stored["futureField"] = json!({"nested": [1, 2, 3], "flag": true});
    stored["dateModified"] = json!("2026-11-20T10:00:00Z");
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(stored.clone()))
        .mount(&server)
        .await;
    let mut answer = stored.clone();
    answer["version"] = json!(4);
    answer["description"] = json!("changed");
    Mock::given(method("PUT"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;

    let mut queue = client.get_queue("q1").await.unwrap();
    queue.description = Some("changed".into());
    let updated = client.update_queue(&queue, 3).await.unwrap();
    assert_eq!(updated.version, Some(4));
    assert_eq!(updated.extra["division"], stored["division"]);

    let put = &received(&server, "PUT", &queue_path("q1")).await[0];
    let if_match = put.headers["if-match"].to_str().unwrap();
    assert_eq!(if_match.trim_matches('"'), "3");
    let body: Value = put.body_json().unwrap();
    assert_eq!(body["division"], stored["division"]);
    assert_eq!(body["futureField"], stored["futureField"]);
    assert_eq!(body["description"], "changed");
    assert_eq!(body["name"], "Billing");
}

#[tokio::test]
async fn a_409_is_a_conflict_with_the_current_version_and_is_not_retried() {
    let (server, client) = setup().await;
    Mock::given(method("PUT"))
        .and(path(queue_path("q1")))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"code": "conflict", "currentVersion": 9})),
        )
        .mount(&server)
        .await;
    let mut queue = RemoteQueue::named("Billing");
    queue.id = Some("q1".into());

    let err = client.update_queue(&queue, 7).await.unwrap_err();
    match &err {
        ApiError::Conflict {
            id,
            current_version,
        } => {
            assert_eq!(id, "q1");
            assert_eq!(*current_version, Some(9));
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert!(err.is_conflict());
    assert_eq!(count(&server, "PUT", &queue_path("q1")).await, 1);
}

#[tokio::test]
async fn a_lost_update_that_was_applied_is_recognised_when_the_retry_conflicts() {
    let (server, client) = setup().await;
    Mock::given(method("PUT"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(queue_path("q1")))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"code": "conflict", "currentVersion": 4})),
        )
        .mount(&server)
        .await;
    let mut applied = queue_json("q1", "Billing", 4);
    applied["description"] = json!("new");
    applied["modifiedBy"] = json!("cxqueues");
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(applied))
        .mount(&server)
        .await;
    let mut queue: RemoteQueue = serde_json::from_value(queue_json("q1", "Billing", 3)).unwrap();
    queue.description = Some("new".into());

    let updated = client.update_queue(&queue, 3).await.unwrap();
    assert_eq!(updated.version, Some(4));
    assert_eq!(count(&server, "PUT", &queue_path("q1")).await, 2);
}

#[tokio::test]
async fn a_lost_delete_followed_by_404_counts_as_deleted() {
    let (server, client) = setup().await;
    Mock::given(method("DELETE"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"code": "not.found"})))
        .mount(&server)
        .await;

    client.delete_queue("q1", 2).await.unwrap();
    let deletes = received(&server, "DELETE", &queue_path("q1")).await;
    assert_eq!(deletes.len(), 2);
    assert_eq!(
        deletes[0].headers["if-match"]
            .to_str()
            .unwrap()
            .trim_matches('"'),
        "2"
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_finds_the_queue_by_name_and_does_not_post_twice() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [queue_json("q-old", "Other", 2), queue_json("q-new", "Sales", 1)],
            "pageNumber": 1, "pageSize": 500, "total": 2, "pageCount": 1
        })))
        .mount(&server)
        .await;

    let created = client
        .create_queue(&RemoteQueue::named("Sales"))
        .await
        .unwrap();
    assert_eq!(created.id.as_deref(), Some("q-new"));
    assert_eq!(count(&server, "POST", QUEUES).await, 1);
    assert_eq!(count(&server, "GET", QUEUES).await, 1);
    assert_eq!(client.stats().create_lookups, 1);
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_posts_again_when_the_name_is_absent() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(201).set_body_json(queue_json("q-9", "Sales", 1)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [], "pageNumber": 1, "pageSize": 500, "total": 0, "pageCount": 0
        })))
        .mount(&server)
        .await;

    let mut new = RemoteQueue::named("Sales");
    new.id = Some("ignored".into());
    new.version = Some(5);
    let created = client.create_queue(&new).await.unwrap();
    assert_eq!(created.id.as_deref(), Some("q-9"));
    let posts = received(&server, "POST", QUEUES).await;
    assert_eq!(posts.len(), 2);
    let body: Value = posts[1].body_json().unwrap();
    assert!(
        body.get("id").is_none() && body.get("version").is_none(),
        "{body}"
    );
    assert_eq!(count(&server, "GET", QUEUES).await, 1);
}

#[tokio::test]
async fn a_429_on_create_is_posted_again_without_a_lookup() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(201).set_body_json(queue_json("q-9", "Sales", 1)))
        .mount(&server)
        .await;

    client
        .create_queue(&RemoteQueue::named("Sales"))
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", QUEUES).await, 2);
    assert_eq!(count(&server, "GET", QUEUES).await, 0);
}

// ---- error mapping ----

#[tokio::test]
async fn a_409_name_taken_on_create_is_name_taken() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({"code": "name.taken"})))
        .mount(&server)
        .await;

    let err = client
        .create_queue(&RemoteQueue::named("Sales"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::NameTaken { name } if name == "Sales"),
        "{err:?}"
    );
    assert_eq!(count(&server, "POST", QUEUES).await, 1);
}

#[tokio::test]
async fn a_403_names_the_missing_scope() {
    let (server, client) = setup().await;
    Mock::given(method("PUT"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"code": "missing.scope", "message": "requires routing:queue:update"}),
        ))
        .mount(&server)
        .await;
    let mut queue = RemoteQueue::named("Billing");
    queue.id = Some("q1".into());

    let err = client.update_queue(&queue, 1).await.unwrap_err();
    assert!(
        matches!(&err, ApiError::Forbidden { scope } if scope == "routing:queue:update"),
        "{err:?}"
    );
    assert!(err.to_string().contains("routing:queue:update"));
    assert_eq!(count(&server, "PUT", &queue_path("q1")).await, 1);
}

#[tokio::test]
async fn a_404_names_the_queue_id() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(queue_path("missing-1")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"code": "not.found"})))
        .mount(&server)
        .await;

    let err = client.get_queue("missing-1").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("missing-1"), "{err}");
    assert_eq!(count(&server, "GET", &queue_path("missing-1")).await, 1);
}

#[tokio::test]
async fn a_400_carries_the_servers_errors() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "bad.request",
            "errors": ["maxWaiters 500 is above 100", "unknown skill language:xx"]
        })))
        .mount(&server)
        .await;

    let err = client
        .create_queue(&RemoteQueue::named("Sales"))
        .await
        .unwrap_err();
    match &err {
        ApiError::BadRequest { errors } => assert_eq!(errors.len(), 2),
        other => panic!("expected BadRequest, got {other:?}"),
    }
    assert!(
        err.to_string().contains("unknown skill language:xx"),
        "{err}"
    );
    assert_eq!(count(&server, "POST", QUEUES).await, 1);
}

#[tokio::test]
async fn an_update_without_an_id_is_refused_before_sending() {
    let (server, client) = setup().await;
    let err = client
        .update_queue(&RemoteQueue::named("Sales"), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::InvalidInput(_)), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

// ---- configuration and secrecy ----

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused() {
    for base in ["http://api.example.com", "http://192.168.1.10:8080"] {
        let err = HttpTenant::new(ClientConfig::new(base, "id", SECRET)).unwrap_err();
        assert!(matches!(err, ApiError::Config(_)), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("https://"), "{message}");
        assert!(message.contains("loopback"), "{message}");
    }
    assert!(HttpTenant::new(ClientConfig::new("http://localhost:1", "id", SECRET)).is_ok());
    assert!(HttpTenant::new(ClientConfig::new("https://api.example.com", "id", SECRET)).is_ok());
}

#[tokio::test]
async fn debug_output_never_shows_the_secret_or_the_token() {
    let (server, client) = setup().await;
    mount_queue(&server, "q1").await;
    client.get_queue("q1").await.unwrap();

    let shown = format!("{client:?} {:?} {client:#?}", client.config());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains(TOKEN_MARK), "{shown}");
    assert!(shown.contains("client-1"), "{shown}");
    let stats = serde_json::to_string(&client.stats()).unwrap();
    assert!(
        !stats.contains(SECRET) && !stats.contains(TOKEN_MARK),
        "{stats}"
    );
}

#[tokio::test]
async fn one_client_is_shared_across_tasks_through_an_arc_too() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<HttpTenant>();
    let (server, client) = setup().await;
    mount_queue(&server, "q1").await;
    let shared = Arc::new(client);
    let task = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move { shared.get_queue("q1").await })
    };
    task.await.unwrap().unwrap();
    assert_eq!(
        shared
            .stats()
            .requests_to("GET /api/v2/routing/queues/{id}"),
        1
    );
}

// ---- hostile tenants: lists that never end ----

/// Serves pages of `size` queues: `ids(page)` picks the ids of each page, and every page
/// carries the envelope fields in `envelope` (a lying `pageCount` or `total`).
fn hostile_pages(
    size: usize,
    envelope: Value,
    ids: impl Fn(usize) -> Vec<usize> + Send + Sync + 'static,
) -> impl Respond {
    move |request: &Request| {
        let page: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "pageNumber")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let entities: Vec<Value> = ids(page)
            .into_iter()
            .take(size)
            .map(|i| queue_json(&format!("q-{i:07}"), &format!("Queue {i}"), 1))
            .collect();
        let mut body = json!({"entities": entities, "pageNumber": page, "pageSize": size});
        for (key, value) in envelope.as_object().unwrap() {
            body[key] = value.clone();
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// Ids `(page - 1) * 500 .. page * 500`: a full page of new queues, forever.
fn endless(page: usize) -> Vec<usize> {
    ((page - 1) * 500..page * 500).collect()
}

async fn list_against(
    responder: impl Respond + 'static,
    tune: impl FnOnce(&mut ClientConfig),
) -> (MockServer, Result<Vec<RemoteQueue>, ApiError>) {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(responder)
        .mount(&server)
        .await;
    let mut config = config(&server);
    tune(&mut config);
    let result = HttpTenant::new(config).unwrap().list_queues().await;
    (server, result)
}

#[tokio::test]
async fn a_tenant_that_serves_full_pages_forever_is_stopped_at_max_list_items_or_pages() {
    type Tune = fn(&mut ClientConfig);
    let cases: [(Tune, u64, &str); 2] = [
        (|c| c.max_list_items = 1200, 3, "max_list_items (1200)"),
        (|c| c.max_list_pages = 4, 4, "max_list_pages (4)"),
    ];
    for (tune, pages, named) in cases {
        let (server, result) = list_against(hostile_pages(500, json!({}), endless), tune).await;
        let err = result.unwrap_err();
        assert!(
            matches!(&err, ApiError::BadListing { page, .. } if *page == pages),
            "{err:?}"
        );
        assert!(err.to_string().contains(named), "{err}");
        assert_eq!(count(&server, "GET", QUEUES).await, pages as usize);
    }
}

#[tokio::test]
async fn a_page_count_or_total_beyond_the_limits_is_refused_at_the_first_page() {
    let cases = [
        (
            json!({"pageCount": 100_000}),
            "100000 pages, more than max_list_pages (10000)",
        ),
        (
            json!({"total": 1_000_000_000u64}),
            "1000000000 items, more than max_list_items (100000)",
        ),
    ];
    for (envelope, named) in cases {
        let (server, result) =
            list_against(hostile_pages(500, envelope.clone(), endless), |_| {}).await;
        let err = result.unwrap_err();
        assert!(
            matches!(err, ApiError::BadListing { page: 1, .. }),
            "{envelope}: {err:?}"
        );
        assert!(err.to_string().contains(named), "{envelope}: {err}");
        assert_eq!(count(&server, "GET", QUEUES).await, 1, "{envelope}");
    }
}

#[tokio::test]
async fn a_short_or_empty_page_ends_the_list_whatever_page_count_says() {
    let cases: [(usize, Vec<usize>); 2] = [(3, vec![0, 1, 2]), (0, vec![])];
    for (expected, ids) in cases {
        let (server, result) = list_against(
            hostile_pages(500, json!({"pageCount": 9000}), move |_| ids.clone()),
            |_| {},
        )
        .await;
        assert_eq!(result.unwrap().len(), expected);
        assert_eq!(count(&server, "GET", QUEUES).await, 1, "{expected} items");
    }
}

#[tokio::test]
async fn the_list_ends_when_total_is_reached_even_while_pages_stay_full() {
    let (server, result) = list_against(
        hostile_pages(500, json!({"total": 1000, "pageCount": 9000}), endless),
        |_| {},
    )
    .await;
    assert_eq!(result.unwrap().len(), 1000);
    assert_eq!(count(&server, "GET", QUEUES).await, 2);
}

#[tokio::test]
async fn a_tenant_serving_the_same_page_again_is_refused_naming_the_page() {
    let (server, result) = list_against(
        hostile_pages(500, json!({"pageCount": 50}), |_| (0..500).collect()),
        |_| {},
    )
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, ApiError::BadListing { page: 2, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("page 2"), "{message}");
    assert!(
        message.contains("repeats only ids already listed"),
        "{message}"
    );
    assert_eq!(count(&server, "GET", QUEUES).await, 2);
}

#[tokio::test]
async fn a_page_repeating_an_id_after_new_ones_is_refused_naming_the_id() {
    let (_, result) = list_against(
        hostile_pages(3, json!({}), |page| match page {
            1 => vec![0, 1, 2],
            _ => vec![3, 0, 4],
        }),
        |c| c.page_size = 3,
    )
    .await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("page 2"), "{err}");
    assert!(err.contains("\"q-0000000\""), "{err}");
}

#[tokio::test]
async fn ids_shifted_onto_the_next_page_by_a_concurrent_delete_are_listed_once() {
    let (_, result) = list_against(
        hostile_pages(3, json!({}), |page| match page {
            1 => vec![0, 1, 2],
            2 => vec![2, 3, 4],
            _ => vec![5],
        }),
        |c| c.page_size = 3,
    )
    .await;
    let ids: Vec<String> = result.unwrap().into_iter().filter_map(|q| q.id).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(ids[2], "q-0000002");
    assert_eq!(ids[5], "q-0000005");
}

// ---- hostile tenants: huge bodies ----

#[tokio::test]
async fn a_body_past_max_response_bytes_is_refused_naming_the_limit_and_not_retried() {
    let (server, _) = setup().await;
    let mut huge = queue_json("q1", "Billing", 1);
    huge["description"] = json!("x".repeat(8192));
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(huge))
        .mount(&server)
        .await;
    let mut config = config(&server);
    config.max_response_bytes = 4096;
    let client = HttpTenant::new(config).unwrap();

    let err = client.get_queue("q1").await.unwrap_err();
    assert!(
        matches!(err, ApiError::ResponseTooLarge { limit: 4096, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_response_bytes"), "{err}");
    assert_eq!(count(&server, "GET", &queue_path("q1")).await, 1);
}

/// A raw HTTP server that answers one request with a chunked body (no `Content-Length`) of
/// up to 1 GiB, and reports how many body bytes it managed to write before the client
/// hung up.
async fn endless_chunked_body() -> (String, tokio::task::JoinHandle<usize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client hung up before sending a request");
            request.extend_from_slice(&buf[..n]);
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b' '; 64 * 1024];
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        let mut written = 0usize;
        while written < 1 << 30 {
            if socket.write_all(&framed).await.is_err() {
                break;
            }
            written += 64 * 1024;
        }
        written
    });
    (base, task)
}

#[tokio::test]
async fn an_endless_chunked_body_is_read_only_up_to_the_limit() {
    let tokens = MockServer::start().await;
    mount_tokens(&tokens, 3600, Duration::ZERO).await;
    let (base, server) = endless_chunked_body().await;
    let mut config = ClientConfig::new(base, "client-1", SECRET);
    config.token_url = Some(format!("{}{TOKEN_PATH}", tokens.uri()));
    config.retry = fast_retries();
    config.max_response_bytes = 1024 * 1024;
    let client = HttpTenant::new(config).unwrap();

    let err = client.get_queue("q1").await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::ResponseTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err:?}"
    );
    drop(client);
    let written = server.await.unwrap();
    assert!(
        written < 256 * 1024 * 1024,
        "the server wrote {written} bytes before the client hung up"
    );
}

// ---- hostile tenants: redirects ----

/// `err` is a redirect with `status` whose Display names `location` and whose Display and
/// Debug show none of `hidden`.
fn assert_redirect_named(err: &ApiError, status: u16, location: &str, hidden: &[&str]) {
    assert!(
        matches!(err, ApiError::Redirected { status: s, .. } if *s == status),
        "{err:?}"
    );
    assert!(err.to_string().contains(location), "{err}");
    let shown = format!("{err} {err:?}");
    for secret in hidden {
        assert!(!shown.contains(secret), "{secret}: {shown}");
    }
}

#[tokio::test]
async fn a_307_from_the_token_endpoint_is_an_error_and_the_form_is_sent_nowhere_else() {
    let elsewhere = MockServer::start().await;
    mount_tokens(&elsewhere, 3600, Duration::ZERO).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}{TOKEN_PATH}?code=STOLEN#frag", elsewhere.uri()).as_str(),
        ))
        .mount(&server)
        .await;
    let client = HttpTenant::new(config(&server)).unwrap();

    let err = client.get_queue("q1").await.unwrap_err();
    let location = format!("{}{TOKEN_PATH}", elsewhere.uri());
    assert_redirect_named(&err, 307, &location, &["STOLEN", "frag"]);
    assert_eq!(count(&elsewhere, "POST", TOKEN_PATH).await, 0);
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
}

#[tokio::test]
async fn a_302_on_the_queue_list_is_an_error_and_nothing_is_read_from_the_other_origin() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(Pages { total: 3 })
        .mount(&elsewhere)
        .await;
    let (server, client) = setup().await;
    let location =
        elsewhere.uri().replace("http://", "http://user:pa55word@") + QUEUES + "?token=abc";
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", location.as_str()))
        .mount(&server)
        .await;

    let err = client.list_queues().await.unwrap_err();
    let bare = format!("{}{QUEUES}", elsewhere.uri());
    assert_redirect_named(&err, 302, &bare, &["pa55word", "token=abc"]);
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert_eq!(count(&server, "GET", QUEUES).await, 1);
}

// ---- hostile tenants: what the server says ----

#[tokio::test]
async fn a_token_endpoint_echoing_the_request_never_shows_the_client_secret() {
    let echo_in_json = |request: &Request| {
        ResponseTemplate::new(400).set_body_json(json!({
            "error": format!("bad {}", String::from_utf8_lossy(&request.body)),
            "error_description": String::from_utf8_lossy(&request.body),
        }))
    };
    let echo_as_text =
        |request: &Request| ResponseTemplate::new(418).set_body_bytes(request.body.clone());
    let echo_as_401 = |request: &Request| {
        ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("secret {SECRET} is wrong ({})", String::from_utf8_lossy(&request.body)),
        }))
    };
    let responders: [fn(&Request) -> ResponseTemplate; 3] =
        [echo_in_json, echo_as_text, echo_as_401];
    for (i, responder) in responders.into_iter().enumerate() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(responder)
            .mount(&server)
            .await;
        let client = HttpTenant::new(config(&server)).unwrap();
        let err = client.get_queue("q1").await.unwrap_err();
        let shown = format!("{err} {err:?} {err:#?}");
        assert!(!shown.contains(SECRET), "responder {i}: {shown}");
        assert!(
            shown.contains("client_secret=***"),
            "responder {i}: {shown}"
        );
    }
}

/// What the request's `Authorization` header said, echoed back.
fn echoed_authorization(request: &Request) -> String {
    let auth = request.headers.get("authorization").unwrap();
    format!("you sent {}", auth.to_str().unwrap())
}

#[tokio::test]
async fn an_api_error_echoing_the_bearer_token_is_redacted() {
    let (server, client) = setup().await;
    let echo_in_json = |request: &Request| {
        ResponseTemplate::new(400).set_body_json(json!({"message": echoed_authorization(request)}))
    };
    let echo_as_text = |request: &Request| {
        ResponseTemplate::new(418).set_body_string(echoed_authorization(request))
    };
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(echo_in_json)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(queue_path("q2")))
        .respond_with(echo_as_text)
        .mount(&server)
        .await;

    for id in ["q1", "q2"] {
        let err = client.get_queue(id).await.unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(TOKEN_MARK), "{id}: {shown}");
        assert!(shown.contains("Bearer ***"), "{id}: {shown}");
    }
}

#[tokio::test]
async fn server_text_is_shown_escaped_and_bounded() {
    let (server, client) = setup().await;
    let text = format!("\u{202e}gnp.exe\u{1b}[2J\nline two{}", "y".repeat(100_000));
    Mock::given(method("GET"))
        .and(path(queue_path("q1")))
        .respond_with(ResponseTemplate::new(418).set_body_string(text))
        .mount(&server)
        .await;

    let message = client.get_queue("q1").await.unwrap_err().to_string();
    assert!(
        !message.contains('\u{202e}') && !message.contains('\u{1b}'),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.contains("\\u{202e}gnp.exe\\u{1b}[2J\\nline two"),
        "{message}"
    );
    assert!(
        message.chars().count() < 1000,
        "{} chars",
        message.chars().count()
    );
}

// ---- hostile tenants: token answers ----

/// A server whose token endpoint answers 200 with `expires_in` as given, serving queue q1,
/// and a client for it.
async fn token_answer_with_expires_in(expires_in: Value) -> (MockServer, HttpTenant) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": format!("tok-{TOKEN_MARK}"), "expires_in": expires_in}),
        ))
        .mount(&server)
        .await;
    mount_queue(&server, "q1").await;
    let client = HttpTenant::new(config(&server)).unwrap();
    (server, client)
}

#[tokio::test]
async fn expires_in_as_a_string_is_accepted_and_honoured() {
    let (server, client) = token_answer_with_expires_in(json!("3600")).await;

    client.get_queue("q1").await.unwrap();
    client.get_queue("q1").await.unwrap();
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
}

#[tokio::test]
async fn an_unusable_expires_in_is_named_precisely() {
    let (_server, client) = token_answer_with_expires_in(json!("soon")).await;

    let message = client.get_queue("q1").await.unwrap_err().to_string();
    assert!(message.contains("expires_in"), "{message}");
    assert!(!message.contains("malformed JSON"), "{message}");
    assert!(!message.contains(TOKEN_MARK), "{message}");
}

// ---- unreadable list items ----

#[tokio::test]
async fn one_malformed_queue_in_a_list_is_set_apart_and_the_others_are_read() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [
                {"id": "q1", "name": "Billing", "version": 1, "maxWaiters": 10},
                {"id": "q2", "name": "Broken", "version": 1, "maxWaiters": -5},
                {"id": "q3", "name": "Sales", "version": 2},
            ],
            "pageNumber": 1, "pageSize": 500, "total": 3, "pageCount": 1,
        })))
        .mount(&server)
        .await;

    let listing = client.list_queues_checked().await.unwrap();
    let read: Vec<&str> = listing.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(read, ["Billing", "Sales"]);
    assert_eq!(listing.unreadable.len(), 1);
    let bad = &listing.unreadable[0];
    assert_eq!(bad.id.as_deref(), Some("q2"));
    assert_eq!(bad.name.as_deref(), Some("Broken"));
    assert!(bad.problem.contains("-5"), "{}", bad.problem);

    // Through the port: every queue, the unreadable one with its problem and nothing else.
    let queues = tenant::Tenant::listing(&client).await.unwrap();
    assert_eq!(queues.len(), 3);
    let broken = queues.iter().find(|q| q.name() == "Broken").unwrap();
    assert!(
        matches!(broken, tenant::Listed::Unreadable(u) if u.problem.contains("-5")),
        "{broken:?}"
    );
    assert!(
        queues
            .iter()
            .filter(|q| q.name() != "Broken")
            .all(|q| matches!(q, tenant::Listed::Queue(_)))
    );
    // The readable queues alone.
    let readable = tenant::Tenant::list_queues(&client).await.unwrap();
    assert_eq!(readable.len(), 2);

    // The plain list still refuses it, naming the queue.
    let err = client.list_queues().await.unwrap_err().to_string();
    assert!(err.contains("Broken"), "{err}");
}
