//! OAuth token endpoint, scopes, and token expiry.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{App, small_seed};
use serde_json::json;
use sim::{Faults, Seed, SimClient};

#[tokio::test]
async fn token_request_with_form_credentials_grants_every_allowed_scope() {
    let app = App::new(small_seed(), Faults::default());
    let reply = app
        .token_form(
            "grant_type=client_credentials&client_id=cxqueues-demo&client_secret=demo-secret",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    let scope = reply.body["scope"].as_str().unwrap();
    for s in sim::ALL_SCOPES {
        assert!(scope.split(' ').any(|x| x == s), "{scope}");
    }
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(app.state.stats().tokens_issued, 1);
}

#[tokio::test]
async fn token_request_with_http_basic_credentials_is_accepted() {
    let app = App::new(small_seed(), Faults::default());
    // base64("cxqueues-demo:demo-secret")
    let reply = app
        .token_form(
            "grant_type=client_credentials",
            &[(
                "authorization",
                "Basic Y3hxdWV1ZXMtZGVtbzpkZW1vLXNlY3JldA==",
            )],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert!(reply.body["access_token"].as_str().is_some());
}

#[tokio::test]
async fn token_request_with_a_wrong_secret_answers_401_invalid_client() {
    let app = App::new(small_seed(), Faults::default());
    let reply = app
        .token_form(
            "grant_type=client_credentials&client_id=cxqueues-demo&client_secret=nope",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body, json!({"error": "invalid_client"}));
    let reply = app.token_form("grant_type=client_credentials", &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_request_with_another_grant_type_answers_400_unsupported_grant_type() {
    let app = App::new(small_seed(), Faults::default());
    let reply = app
        .token_form(
            "grant_type=password&client_id=cxqueues-demo&client_secret=demo-secret",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body, json!({"error": "unsupported_grant_type"}));
}

#[tokio::test]
async fn requested_scope_is_intersected_with_the_clients_allowed_scopes() {
    let mut seed = small_seed();
    seed.clients = vec![SimClient::new("viewer", "v-secret").with_scopes(&["routing:queue:view"])];
    let app = App::new(seed, Faults::default());
    let reply = app
        .token_form(
            "grant_type=client_credentials&client_id=viewer&client_secret=v-secret&scope=routing%3Aqueue%3Aview+routing%3Aqueue%3Aupdate",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["scope"], "routing:queue:view");
}

#[tokio::test]
async fn call_without_the_needed_scope_answers_403_missing_scope() {
    let app = App::new(small_seed(), Faults::default());
    let token = app.token(Some("routing:queue:view")).await;
    let id = app.id_of("B");
    let reply = app
        .call(
            &token,
            Method::PUT,
            &format!("/api/v2/routing/queues/{id}"),
            &[("if-match", "1")],
            Some(common::queue_body("B")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.body,
        json!({"code": "missing.scope", "message": "requires routing:queue:update"})
    );
    let skills = app
        .call(&token, Method::GET, "/api/v2/routing/skills", &[], None)
        .await;
    assert_eq!(skills.status, StatusCode::FORBIDDEN);
    assert_eq!(skills.body["message"], "requires routing:skill:view");
    let list = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
}

#[tokio::test]
async fn call_without_or_with_an_unknown_token_answers_401_unauthorized() {
    let app = App::new(small_seed(), Faults::default());
    let none = app
        .send(Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.body, json!({"code": "unauthorized"}));
    let bogus = app
        .call(
            "sim-not-a-token",
            Method::GET,
            "/api/v2/routing/skills",
            &[],
            None,
        )
        .await;
    assert_eq!(bogus.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(start_paused = true)]
async fn expired_token_answers_401_unauthorized() {
    let app = App::new(small_seed(), Faults::default().with_token_lifetime_secs(3));
    let reply = app
        .token_form(
            "grant_type=client_credentials&client_id=cxqueues-demo&client_secret=demo-secret",
            &[],
        )
        .await;
    assert_eq!(reply.body["expires_in"], 3);
    let token = reply.body["access_token"].as_str().unwrap().to_owned();
    let ok = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    tokio::time::advance(Duration::from_millis(2900)).await;
    let still = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(still.status, StatusCode::OK);
    tokio::time::advance(Duration::from_millis(200)).await;
    let expired = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.body, json!({"code": "unauthorized"}));
}

#[tokio::test]
async fn token_lifetime_changed_at_run_time_applies_to_new_tokens() {
    let app = App::new(Seed::default(), Faults::default());
    app.state
        .set_faults(Faults::default().with_token_lifetime_secs(2));
    let reply = app
        .token_form(
            "grant_type=client_credentials&client_id=cxqueues-demo&client_secret=demo-secret",
            &[],
        )
        .await;
    assert_eq!(reply.body["expires_in"], 2);
}
