//! The routing-API client over the HTTP core, against throttling and absent servers (wiremock):
//! short tokens are refreshed before every attempt while `429`s are waited out; no network
//! is a clean error at once.

use std::time::Duration;

use futures::StreamExt;
use routing_api::{ClientConfig, HttpTenant, RemoteQueue, RetryPolicy};
use serde_json::{Value, json};
use tenant::http::testkit::ShortTokens;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ID: &str = "client-1";
const SECRET: &str = "s3cr3t/+ value&x=1";
const QUEUES: &str = "/api/v2/routing/queues";

fn config(server: &MockServer) -> ClientConfig {
    let mut config = ClientConfig::new(server.uri(), ID, SECRET);
    config.requests_per_second = 1000.0;
    config.retry = RetryPolicy {
        max_attempts: 6,
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        total_deadline: Duration::from_secs(60),
        max_retry_after: Duration::from_secs(5),
    };
    config
}

fn queue_json(id: &str, version: u64) -> Value {
    json!({"id": id, "name": format!("Queue {id}"), "version": version, "skillRequirements": []})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_three_second_tokens_and_every_fifth_request_throttled_120_writes_all_succeed() {
    let server = MockServer::start().await;
    let tenant = ShortTokens::new(Duration::from_secs(3));
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(tenant.token_endpoint(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(format!("^{QUEUES}/q[0-9]+$")))
        .respond_with(tenant.api(|r: &Request| {
            let id = r
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            ResponseTemplate::new(200).set_body_json(queue_json(&id, 2))
        }))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.requests_per_second = 40.0;
    let client = HttpTenant::new(c).unwrap();
    let results: Vec<_> = futures::stream::iter(0..120)
        .map(|i| {
            let client = client.clone();
            async move {
                let queue: RemoteQueue =
                    serde_json::from_value(queue_json(&format!("q{i}"), 1)).unwrap();
                client.update_queue(&queue, 1).await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    let seen = tenant.report();
    assert!(seen.throttled >= 24, "{seen:?}");
    assert_eq!((seen.expired, seen.unknown), (0, 0), "{seen:?}");
    // A token is asked for before every attempt: none is carried past its refresh point
    // (half of its 3 s) across a 1 s Retry-After wait.
    assert!(seen.oldest_use <= Duration::from_secs(2), "{seen:?}");
    assert!(seen.tokens_issued >= 2, "{seen:?}");
}
