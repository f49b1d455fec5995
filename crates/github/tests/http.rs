//! The client against scripted GitHub answers (wiremock): paging, create or update by marker,
//! and each refusal worded for the workflow's author.

use std::time::Duration;

use github::{Client, Config, GitHubError, Upsert};
use serde_json::json;
use tenant::Secret;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghs_supersecrettoken123";
const MARK: &str = "<!-- cxqueues:plan tenant=acme -->";

fn client(server: &MockServer) -> Client {
    Client::new(Config {
        api_url: server.uri(),
        max_wait: Duration::from_secs(5),
        ..Config::new("octo/queues", Secret::new(TOKEN))
    })
    .unwrap()
}

/// A comment by the Actions token's identity (the token these tests use answers `GET /user`
/// with 403, see [`actions_token`]).
fn comment(id: u64, body: &str) -> serde_json::Value {
    comment_by(id, body, github::ACTIONS_BOT)
}

fn comment_by(id: u64, body: &str, login: &str) -> serde_json::Value {
    json!({"id": id, "body": body, "user": {"login": login}, "html_url": format!("https://github.com/octo/queues/pull/7#issuecomment-{id}")})
}

/// `GET /user` as GitHub answers it for a workflow's Actions token: 403.
async fn actions_token(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(server)
        .await;
}

const COMMENTS: &str = "/repos/octo/queues/issues/7/comments";

/// The first listing gets `first`; the one after it, an empty list.
async fn first_list_answer(server: &MockServer, first: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(first)
        .up_to_n_times(1)
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn upsert_creates_when_no_comment_carries_the_marker() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .and(query_param("per_page", "100"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/vnd.github+json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([comment(1, "LGTM")])))
        .expect(1)
        .mount(&server)
        .await;
    let body = format!("{MARK}\nplan");
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .and(body_json(json!({ "body": body })))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(2, &body)))
        .expect(1)
        .mount(&server)
        .await;
    let posted = client(&server).upsert_marked(7, MARK, &body).await.unwrap();
    assert_eq!(posted.action, Upsert::Created);
    assert_eq!(posted.comment.id, 2);
}

#[tokio::test]
async fn upsert_updates_the_marked_comment_found_on_the_next_page() {
    let server = MockServer::start().await;
    let next = format!("{}{COMMENTS}?per_page=100&page=2", server.uri());
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([comment(150, &format!("{MARK}\nold"))])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .and(wiremock::matchers::query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\""),
                )
                .set_body_json(json!([comment(1, &format!("> {MARK}\nquoted, not ours"))])),
        )
        .expect(1)
        .mount(&server)
        .await;
    actions_token(&server).await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/queues/issues/comments/150"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(150, "new")))
        .expect(1)
        .mount(&server)
        .await;
    let posted = client(&server)
        .upsert_marked(7, MARK, &format!("{MARK}\nnew"))
        .await
        .unwrap();
    assert_eq!(posted.action, Upsert::Updated);
    assert_eq!(posted.comment.id, 150);
}

#[tokio::test]
async fn a_429_is_retried_after_the_seconds_retry_after_names() {
    let server = MockServer::start().await;
    first_list_answer(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
    )
    .await;
    let started = std::time::Instant::now();
    let all = client(&server).comments(7).await.unwrap();
    assert!(all.is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
}

#[tokio::test]
async fn a_rate_limit_longer_than_the_bound_fails_at_once_and_says_so() {
    let server = MockServer::start().await;
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).comments(7).await.unwrap_err();
    assert!(matches!(e, GitHubError::RateLimited { .. }), "{e:?}");
    assert!(e.to_string().contains("rate limit"), "{e}");
}

async fn refusal(status: u16, message: &str) -> GitHubError {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({ "message": message })))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .upsert_marked(7, MARK, &format!("{MARK}\nplan"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn each_refusal_says_what_to_do_and_never_shows_the_token() {
    let e = refusal(401, "Bad credentials").await;
    assert!(matches!(e, GitHubError::Unauthorized { .. }), "{e:?}");
    assert!(e.to_string().contains("GITHUB_TOKEN is invalid"), "{e}");
    for status in [403, 404] {
        let e = refusal(status, "Resource not accessible by integration").await;
        let msg = e.to_string();
        assert!(msg.contains("permissions: pull-requests: write"), "{msg}");
        assert!(msg.contains(&status.to_string()), "{msg}");
        assert!(
            msg.contains("Resource not accessible by integration"),
            "{msg}"
        );
    }
    let e = refusal(422, "Body is too long (maximum is 65536 characters)").await;
    assert!(matches!(e, GitHubError::BodyRejected { .. }), "{e:?}");
    assert!(e.to_string().contains("65,536"), "{e}");
    let e = refusal(500, &format!("echo {TOKEN}")).await;
    assert!(!e.to_string().contains(TOKEN), "{e}");
    assert!(!format!("{e:?}").contains(TOKEN), "{e:?}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_without_a_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let long = "x".repeat(github::COMMENT_LIMIT + 1);
    let e = client(&server).create_comment(7, &long).await.unwrap_err();
    assert!(
        matches!(e, GitHubError::BodyRejected { chars, .. } if chars == 65_537),
        "{e:?}"
    );
}

#[tokio::test]
async fn an_unreachable_api_names_the_host_and_the_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = Client::new(Config {
        api_url: format!("http://{addr}"),
        ..Config::new("octo/queues", Secret::new(TOKEN))
    })
    .unwrap();
    let e = c.comments(7).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, GitHubError::Network { .. }), "{e:?}");
    assert!(msg.contains("127.0.0.1"), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
}

#[tokio::test]
async fn a_server_error_repeats_a_read_but_never_a_create() {
    let server = MockServer::start().await;
    first_list_answer(&server, ResponseTemplate::new(502)).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .upsert_marked(7, MARK, &format!("{MARK}\nplan"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, GitHubError::Status { status: 502, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_rate_limit_reset_at_the_end_of_time_is_a_clean_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "18446744073709551615")
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).comments(7).await.unwrap_err();
    assert!(matches!(e, GitHubError::RateLimited { .. }), "{e:?}");
    assert!(e.to_string().contains("18446744073709551615s"), "{e}");
}

#[tokio::test]
async fn an_answer_past_the_size_cap_is_refused_not_read_whole() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_string("[".repeat(40 * 1024 * 1024)))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).comments(7).await.unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
}

#[tokio::test]
async fn only_a_marked_comment_by_the_tokens_own_identity_is_ever_edited() {
    // (GET /user answers with this login, or 403 for None; the marked comments' authors by
    // id; the comment edited, or None for a new one)
    type Case<'a> = (Option<&'a str>, &'a [(u64, &'a str)], Option<u64>);
    let cases: &[Case] = &[
        (None, &[(1, "octocat"), (2, "github-actions[bot]")], Some(2)),
        (None, &[(1, "octocat")], None),
        (None, &[(1, "renovate[bot]")], None),
        (
            Some("alice"),
            &[(1, "github-actions[bot]"), (2, "alice")],
            Some(2),
        ),
        (Some("alice"), &[(1, "github-actions[bot]")], None),
    ];
    for (login, authors, edited) in cases {
        let server = MockServer::start().await;
        match login {
            Some(l) => {
                Mock::given(method("GET"))
                    .and(path("/user"))
                    .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": l})))
                    .expect(1)
                    .mount(&server)
                    .await
            }
            None => actions_token(&server).await,
        }
        let listed: Vec<_> = authors
            .iter()
            .map(|(id, who)| comment_by(*id, &format!("{MARK}\nold"), who))
            .collect();
        Mock::given(method("GET"))
            .and(path(COMMENTS))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!(listed)))
            .mount(&server)
            .await;
        for (id, _) in authors.iter() {
            Mock::given(method("PATCH"))
                .and(path(format!("/repos/octo/queues/issues/comments/{id}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(comment(*id, "new")))
                .expect(u64::from(Some(*id) == *edited))
                .mount(&server)
                .await;
        }
        Mock::given(method("POST"))
            .and(path(COMMENTS))
            .respond_with(ResponseTemplate::new(201).set_body_json(comment(99, "new")))
            .expect(u64::from(edited.is_none()))
            .mount(&server)
            .await;
        let posted = client(&server)
            .upsert_marked(7, MARK, &format!("{MARK}\nnew"))
            .await
            .unwrap();
        match edited {
            Some(id) => assert_eq!(
                (posted.action, posted.comment.id),
                (Upsert::Updated, *id),
                "{login:?} {authors:?}"
            ),
            None => assert_eq!(posted.action, Upsert::Created, "{login:?} {authors:?}"),
        }
        server.verify().await;
    }
}
