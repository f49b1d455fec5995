//! The Genesys client over the HTTP core, against throttling and absent servers (wiremock):
//! short tokens are refreshed before every attempt while `429`s are waited out; no network
//! is a clean error at once.

use std::time::Duration;

use futures::StreamExt;
use genesys_cloud::{Config, GenesysTenant};
use serde_json::{Value, json};
use tenant::Queue;
use tenant::http::testkit::ShortTokens;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ID: &str = "cx-client";
const SECRET: &str = "s3cret/+ DO-NOT-SHOW";
const QUEUES: &str = "/api/v2/routing/queues";

fn config(server: &MockServer) -> Config {
    let mut c = Config::loopback(server.uri(), ID, SECRET);
    c.requests_per_second = 1000.0;
    c.retry_step = Duration::from_millis(10);
    c.settle_step = Duration::from_millis(10);
    c
}

fn queue_json(id: &str) -> Value {
    json!({"id": id, "name": format!("Q {id}"), "description": "d", "division": {"id": "home"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_three_second_tokens_and_every_fifth_request_throttled_120_writes_all_succeed() {
    let server = MockServer::start().await;
    let tenant = ShortTokens::new(Duration::from_secs(3));
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
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
            ResponseTemplate::new(200).set_body_json(queue_json(&id))
        }))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.requests_per_second = 40.0;
    let client = GenesysTenant::new(c).unwrap();
    let results: Vec<_> = futures::stream::iter(0..120)
        .map(|i| {
            let client = client.clone();
            async move {
                let id = format!("q{i}");
                let mut q = Queue::named(format!("Q {id}"));
                q.id = Some(id.clone());
                client.put_queue(&id, &q).await
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

#[tokio::test]
async fn an_expires_in_at_the_end_of_time_is_trusted_for_a_day_not_an_overflow() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(
                r#"{"access_token": "tok-1", "expires_in": 18446744073709551615}"#,
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{QUEUES}/q1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(queue_json("q1")))
        .mount(&server)
        .await;
    let client = GenesysTenant::new(config(&server)).unwrap();
    client.get_queue("q1").await.unwrap();
    client.get_queue("q1").await.unwrap();
}

#[tokio::test]
async fn with_nothing_listening_the_error_names_the_host_and_the_cause_at_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut c = Config::loopback(format!("http://127.0.0.1:{port}"), ID, SECRET);
    c.retry_step = Duration::from_millis(10);
    let client = GenesysTenant::new(c).unwrap();
    let err = client.list_queues().await.unwrap_err().to_string();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    assert!(!err.contains("error sending request"), "{err}");
    assert_eq!(
        client.stats().token_requests,
        2,
        "tried twice, not six times"
    );
}
