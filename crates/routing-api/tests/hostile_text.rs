//! The routing-API client against a server whose error text is hostile (wiremock): the client
//! secret in every form, the bearer token, escapes and 100 kB become an error and log lines
//! with the secrets redacted, the escapes neutralised and the text bounded. (One test in this
//! binary: the log capture is the thread's, and no other test may race it.)

use std::time::Duration;

use routing_api::{ClientConfig, HttpTenant, RetryPolicy};
use serde_json::json;
use tenant::http::testkit::{LogCapture, assert_shown_safely, hostile_text};
use wiremock::matchers::{method, path};
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

/// What a server that echoes everything says: the secret in every form, the bearer token
/// it was sent, escapes and 100 kB.
fn echo(request: &Request) -> String {
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    format!("{bearer} {}", hostile_text(ID, SECRET))
}

#[tokio::test]
async fn hostile_server_text_is_redacted_escaped_and_bounded_in_the_error_and_the_log() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-SENSITIVE-1", "expires_in": 3600})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{QUEUES}/q1")))
        .respond_with(|r: &Request| ResponseTemplate::new(503).set_body_string(echo(r)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{QUEUES}/q1")))
        .respond_with(|r: &Request| {
            ResponseTemplate::new(400).set_body_json(json!({
                "code": echo(r), "message": echo(r), "errors": [echo(r), echo(r), echo(r)],
            }))
        })
        .mount(&server)
        .await;
    let client = HttpTenant::new(config(&server)).unwrap();
    let (log, _guard) = LogCapture::start();
    let err = client.get_queue("q1").await.unwrap_err();
    let credentials = [(ID, SECRET)];
    let tokens = ["tok-SENSITIVE-1"];
    let port = tenant::TenantError::from(err.clone());
    for (place, text) in [
        ("the error", err.to_string()),
        ("its Debug", format!("{err:?}")),
        ("the port's error", port.to_string()),
    ] {
        assert_shown_safely(place, &text, &credentials, &tokens, 4096 + 512);
        assert!(
            text.contains("\\u{1b}[2J"),
            "{place}: the escape is shown escaped"
        );
    }
    let log = log.text();
    assert!(log.contains("retrying"), "the 503 was logged: {log}");
    assert_shown_safely("the log", &log, &credentials, &tokens, 64 * 1024);
    for line in log.lines() {
        assert!(line.len() <= 6 * 1024, "a log line of {} bytes", line.len());
    }
}
