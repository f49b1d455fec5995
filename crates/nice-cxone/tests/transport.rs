//! The CXone client over the HTTP core, against throttling and absent servers (wiremock):
//! short tokens are refreshed before every attempt while `429`s are waited out; no network
//! is a clean error at once.

use std::time::Duration;

use futures::StreamExt;
use nice_cxone::{Config, CxoneTenant};
use serde_json::json;
use tenant::http::testkit::ShortTokens;
use tenant::{Backoff, Jitter, Queue, Tenant};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BASE: &str = "/inContactAPI/services/v34.0";
const KEY_ID: &str = "key-id";
const KEY_SECRET: &str = "key-secret/+ do-not-print";
const APP_ID: &str = "app-id";
const APP_SECRET: &str = "app-secret=& do-not-print";

fn config(server: &MockServer) -> Config {
    let mut cfg = Config::new(KEY_ID, KEY_SECRET, APP_ID, APP_SECRET);
    cfg.issuer = server.uri();
    cfg.api_base = Some(format!("{}{BASE}", server.uri()));
    cfg.requests_per_second = 1000.0;
    cfg.throttle = Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(40),
        factor: 2.0,
        jitter: Jitter::None,
    };
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_three_second_tokens_and_every_fifth_request_throttled_120_writes_all_succeed() {
    let server = MockServer::start().await;
    let tenant = ShortTokens::new(Duration::from_secs(3));
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(tenant.token_endpoint(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(format!("^{BASE}/skills/[0-9]+$")))
        .respond_with(tenant.api(|r: &Request| {
            let id: u64 = r
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .parse()
                .unwrap_or(0);
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "skillId": id}))
        }))
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.requests_per_second = 40.0;
    let client = CxoneTenant::new(cfg).unwrap();
    let results: Vec<_> = futures::stream::iter(1..=120)
        .map(|i| {
            let client = client.clone();
            async move {
                let id = i.to_string();
                let mut base = Queue::named(format!("Skill_{i}"));
                base.id = Some(id.clone());
                base.description = Some("old".into());
                let mut want = base.clone();
                want.description = Some("new".into());
                client.update_queue(&id, &base, &want, None).await
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
async fn with_nothing_listening_the_error_names_the_host_and_the_cause_at_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut cfg = Config::new(KEY_ID, KEY_SECRET, APP_ID, APP_SECRET);
    cfg.issuer = format!("http://127.0.0.1:{port}");
    let client = CxoneTenant::new(cfg).unwrap();
    let err = client.list_queues().await.unwrap_err().to_string();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    assert!(!err.contains("error sending request"), "{err}");
    assert_eq!(
        client.stats().token_requests,
        2,
        "tried twice, not four times"
    );
}
