//! Fault injection through the router: 429/503 with Retry-After, latency, rate limit,
//! scripted statuses, the rival admin, run-time changes, and the counters.

mod common;

use std::time::{Duration, SystemTime};

use axum::http::{Method, StatusCode};
use common::{App, queue_body, small_seed};
use serde_json::json;
use sim::{Faults, RetryAfterFormat, RivalAdmin, Stats};

const QUEUES: &str = "GET /api/v2/routing/queues";

#[tokio::test]
async fn rate_429_of_one_answers_every_call_429_with_retry_after_seconds() {
    let app = App::new(
        small_seed(),
        Faults::default()
            .with_rate_429(1.0)
            .with_retry_after(7, RetryAfterFormat::Seconds),
    );
    // The token endpoint is spared by default.
    let token = app.token(None).await;
    for _ in 0..5 {
        let reply = app
            .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
            .await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(reply.body, json!({"code": "too.many.requests"}));
        assert_eq!(reply.headers["retry-after"], "7");
    }
    assert_eq!(app.state.stats().count(QUEUES, 429), 5);
}

#[tokio::test]
async fn rate_429_with_http_date_format_sends_a_date_in_the_future() {
    let app = App::new(
        small_seed(),
        Faults::default()
            .with_rate_429(1.0)
            .with_retry_after(30, RetryAfterFormat::HttpDate),
    );
    let token = app.token(None).await;
    let reply = app
        .call(&token, Method::GET, "/api/v2/routing/skills", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let text = reply.headers["retry-after"].to_str().unwrap();
    let when = httpdate::parse_http_date(text).expect("an HTTP-date");
    let ahead = when.duration_since(SystemTime::now()).unwrap();
    assert!(
        ahead > Duration::from_secs(25) && ahead <= Duration::from_secs(31),
        "{ahead:?}"
    );
}

#[tokio::test]
async fn rate_503_of_one_answers_503_with_retry_after() {
    let app = App::new(small_seed(), Faults::default().with_rate_503(1.0));
    let token = app.token(None).await;
    let reply = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers["retry-after"], "1");
}

#[tokio::test]
async fn token_endpoint_faults_only_when_included() {
    let mut faults = Faults::default().with_rate_503(1.0);
    faults.include_token_endpoint = true;
    let app = App::new(small_seed(), faults);
    let reply = app
        .token_form(
            "grant_type=client_credentials&client_id=cxqueues-demo&client_secret=demo-secret",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let stats = app.state.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.tokens_issued, 0);
}

#[tokio::test(start_paused = true)]
async fn latency_delays_every_answer_by_the_configured_time() {
    let app = App::new(small_seed(), Faults::default().with_latency_ms(250));
    let started = tokio::time::Instant::now();
    let token = app.token(None).await;
    let reply = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn rate_limit_answers_429_once_the_burst_is_spent_and_recovers() {
    let app = App::new(
        small_seed(),
        Faults::default().with_rate_limit(2.0, Some(3)),
    );
    let token = app.token(None).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let reply = app
            .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
            .await;
        statuses.push(reply.status.as_u16());
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(reply.headers["retry-after"], "1");
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    tokio::time::advance(Duration::from_secs(1)).await;
    let reply = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn scripted_statuses_answer_the_next_requests_in_order() {
    let app = App::new(
        small_seed(),
        Faults::default().with_next_statuses(&[502, 504, 429]),
    );
    let token = app.token(None).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let reply = app
            .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
            .await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, vec![502, 504, 429, 200]);
    assert!(app.state.faults().next_statuses.is_empty());
}

#[tokio::test]
async fn rival_admin_causes_exactly_one_409_then_a_reread_put_succeeds() {
    let app = App::new(
        small_seed(),
        Faults::default().with_rival(RivalAdmin {
            field: "description".into(),
            value: json!("changed by rival"),
            times: 1,
            name: "rival@example.com".into(),
            queue: Some("B".into()),
        }),
    );
    let token = app.token(None).await;
    let id = app.id_of("B");
    let url = format!("/api/v2/routing/queues/{id}");
    // Read, then write with the version read.
    let read = app.call(&token, Method::GET, &url, &[], None).await;
    assert_eq!(read.body["version"], 1);
    let first = app
        .call(
            &token,
            Method::PUT,
            &url,
            &[("if-match", "1")],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(first.status, StatusCode::CONFLICT);
    assert_eq!(first.body["currentVersion"], 2);
    let stored = app.state.queue_by_name("B").unwrap();
    assert_eq!(stored["modifiedBy"], "rival@example.com");
    assert_eq!(stored["description"], "changed by rival");
    // Re-read, re-apply: the rival has spent its turn.
    let reread = app.call(&token, Method::GET, &url, &[], None).await;
    assert_eq!(reread.headers["etag"], "\"2\"");
    let second = app
        .call(
            &token,
            Method::PUT,
            &url,
            &[("if-match", "\"2\"")],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(second.body["version"], 3);
    let stats = app.state.stats();
    assert_eq!(stats.rival_edits, 1);
    assert_eq!(stats.count("PUT /api/v2/routing/queues/{id}", 409), 1);
    assert_eq!(stats.count("PUT /api/v2/routing/queues/{id}", 200), 1);
    assert_eq!(app.state.faults().rival.unwrap().times, 0);
}

#[tokio::test]
async fn rival_admin_ignores_puts_to_other_queues_and_puts_without_if_match() {
    let app = App::new(
        small_seed(),
        Faults::default().with_rival(RivalAdmin {
            queue: Some("B".into()),
            ..RivalAdmin::default()
        }),
    );
    let token = app.token(None).await;
    let c = app.id_of("C");
    let other = app
        .call(
            &token,
            Method::PUT,
            &format!("/api/v2/routing/queues/{c}"),
            &[("if-match", "1")],
            Some(queue_body("C")),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);
    let b = app.id_of("B");
    let no_if_match = app
        .call(
            &token,
            Method::PUT,
            &format!("/api/v2/routing/queues/{b}"),
            &[],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(no_if_match.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(app.state.stats().rival_edits, 0);
    assert_eq!(app.state.faults().rival.unwrap().times, 1);
}

#[tokio::test]
async fn faults_posted_to_sim_faults_take_effect_at_once() {
    let app = App::new(small_seed(), Faults::default());
    let token = app.token(None).await;
    let set = app
        .send(
            Method::POST,
            "/_sim/faults",
            &[],
            Some(json!({"rate_429": 1.0, "retry_after": "http-date", "retry_after_secs": 5})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(set.body["rate_429"], 1.0);
    let reply = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(httpdate::parse_http_date(reply.headers["retry-after"].to_str().unwrap()).is_ok());
    let bad = app
        .send(
            Method::POST,
            "/_sim/faults",
            &[],
            Some(json!({"rate_503": 2.0})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let read = app.send(Method::GET, "/_sim/faults", &[], None).await;
    assert_eq!(read.body["rate_429"], 1.0);
    // PATCH changes only the fields given.
    let patched = app
        .send(
            Method::PATCH,
            "/_sim/faults",
            &[],
            Some(json!({"rate_429": 0.0})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["rate_429"], 0.0);
    assert_eq!(patched.body["retry_after"], "http-date");
    assert_eq!(patched.body["retry_after_secs"], 5);
    let after = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(after.status, StatusCode::OK);
    // /_sim itself is never faulted.
    let dump = app.send(Method::GET, "/_sim/queues", &[], None).await;
    assert_eq!(dump.status, StatusCode::OK);
    assert_eq!(dump.body.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn dropped_response_without_a_connection_answers_502_sim_dropped() {
    let app = App::new(
        small_seed(),
        Faults::default().with_drop_after_apply_next(1, &["POST"]),
    );
    let token = app.token(None).await;
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(queue_body("New")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(reply.headers["x-sim-dropped"], "true");
    // …but the write was applied.
    assert_eq!(app.state.queue_by_name("New").unwrap()["version"], 1);
    assert_eq!(app.state.stats().dropped["POST /api/v2/routing/queues"], 1);
}

#[tokio::test]
async fn stats_count_requests_by_endpoint_and_status_and_reset() {
    let app = App::new(small_seed(), Faults::default());
    let token = app.token(None).await;
    let id = app.id_of("B");
    app.call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    app.call(
        &token,
        Method::GET,
        "/api/v2/routing/queues?pageSize=0",
        &[],
        None,
    )
    .await;
    app.call(
        &token,
        Method::GET,
        &format!("/api/v2/routing/queues/{id}"),
        &[],
        None,
    )
    .await;
    app.call(
        &token,
        Method::GET,
        "/api/v2/routing/queues/nope",
        &[],
        None,
    )
    .await;
    let stats: Stats = app.state.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.count("POST /oauth2/token", 200), 1);
    assert_eq!(stats.count(QUEUES, 200), 1);
    assert_eq!(stats.count(QUEUES, 400), 1);
    assert_eq!(stats.count("GET /api/v2/routing/queues/{id}", 200), 1);
    assert_eq!(stats.count("GET /api/v2/routing/queues/{id}", 404), 1);
    assert_eq!(stats.grand_total(), 5);
    let over_http = app.send(Method::GET, "/_sim/stats", &[], None).await;
    assert_eq!(over_http.body["requests"][QUEUES]["400"], 1);
    assert_eq!(over_http.body["token_requests"], 1);
    let reset = app.send(Method::POST, "/_sim/stats/reset", &[], None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(app.state.stats(), Stats::default());
}
