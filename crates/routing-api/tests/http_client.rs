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
