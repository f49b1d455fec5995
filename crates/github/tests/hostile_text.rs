//! The GitHub client against a server whose error text is hostile (wiremock): the token in
//! every form, escapes and 100 kB become an error and log lines with the token redacted, the
//! escapes neutralised and the text bounded. (One test in this binary: the log capture is the
//! thread's, and no other test may race it.)

use std::time::Duration;

use github::{Client, Config};
use serde_json::json;
use tenant::Secret;
use tenant::http::testkit::{LogCapture, assert_shown_safely, hostile_text};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghs_supersecrettoken123";
const MARK: &str = "<!-- cxqueues:plan tenant=acme -->";
const COMMENTS: &str = "/repos/octo/queues/issues/7/comments";

fn client(server: &MockServer) -> Client {
    Client::new(Config {
        api_url: server.uri(),
        max_wait: Duration::from_secs(5),
        ..Config::new("octo/queues", Secret::new(TOKEN))
    })
    .unwrap()
}

#[tokio::test]
async fn hostile_server_text_is_redacted_escaped_and_bounded_in_the_error_and_the_log() {
    let server = MockServer::start().await;
    let echo = hostile_text("x-access-token", TOKEN);
    // A 502 to the first list (retried: its text reaches the log), then an empty list.
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(502).set_body_json(json!({ "message": echo })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({ "message": echo })))
        .expect(1)
        .mount(&server)
        .await;
    let (log, _guard) = LogCapture::start();
    let e = client(&server)
        .upsert_marked(7, MARK, &format!("{MARK}\nplan"))
        .await
        .unwrap_err();
    let credentials = [("x-access-token", TOKEN)];
    for (place, text) in [
        ("the error", e.to_string()),
        ("its Debug", format!("{e:?}")),
    ] {
        assert_shown_safely(place, &text, &credentials, &[], 4096);
        assert!(text.contains("\\u{1b}[2J"), "{place}: {text}");
    }
    let log = log.text();
    assert!(log.contains("retrying"), "the 502 was logged: {log}");
    assert_shown_safely("the log", &log, &credentials, &[], 64 * 1024);
}
