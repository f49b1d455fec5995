//! The CXone client against a server whose error text is hostile (wiremock): the client
//! secret in every form, the bearer token, escapes and 100 kB become an error and log lines
//! with the secrets redacted, the escapes neutralised and the text bounded. (One test in this
//! binary: the log capture is the thread's, and no other test may race it.)

use std::time::Duration;

use nice_cxone::{Config, CxoneTenant};
use serde_json::json;
use tenant::http::testkit::{LogCapture, assert_shown_safely, hostile_text};
use tenant::{Backoff, Jitter, Tenant};
use wiremock::matchers::{method, path};
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

/// What a server that echoes everything says: both secrets in every form, the bearer token
/// it was sent, escapes and 100 kB (twice).
fn echo(request: &Request) -> String {
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    format!(
        "{bearer} {} {}",
        hostile_text(KEY_ID, KEY_SECRET),
        hostile_text(APP_ID, APP_SECRET)
    )
}

#[tokio::test]
async fn hostile_server_text_is_redacted_escaped_and_bounded_in_the_error_and_the_log() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "tok-SENSITIVE-1", "expires_in": 3600,
            "refresh_token": "refresh-SENSITIVE-1",
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/skills")))
        .respond_with(|r: &Request| ResponseTemplate::new(503).set_body_string(echo(r)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/skills")))
        .respond_with(|r: &Request| {
            ResponseTemplate::new(400).set_body_json(json!({"error_description": echo(r)}))
        })
        .mount(&server)
        .await;
    let client = CxoneTenant::new(config(&server)).unwrap();
    let (log, _guard) = LogCapture::start();
    let err = client.list_queues().await.unwrap_err();
    let credentials = [(KEY_ID, KEY_SECRET), (APP_ID, APP_SECRET)];
    let tokens = ["tok-SENSITIVE-1", "refresh-SENSITIVE-1"];
    for (place, text) in [
        ("the error", err.to_string()),
        ("its Debug", format!("{err:?}")),
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
