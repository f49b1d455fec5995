//! The Genesys Cloud face (`/genesys/...`) through the router (`oneshot`): Basic-auth token,
//! Genesys-shaped queues without versions, the `name` filter, full-replace PUT, the Genesys
//! error body, and the list lag and delete cache options.

mod common;

use axum::http::{Method, StatusCode};
use common::{App, small_seed};
use serde_json::json;
use sim::{Faults, GenesysLag};

// base64("cxqueues-demo:demo-secret")
const BASIC: &str = "Basic Y3hxdWV1ZXMtZGVtbzpkZW1vLXNlY3JldA==";

const TOKEN: &str = "/genesys/oauth/token";
const GRANT: &str = "grant_type=client_credentials";

async fn genesys_token(app: &App) -> String {
    let reply = app
        .token_form_at(TOKEN, GRANT, &[("authorization", BASIC)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["token_type"], "bearer");
    reply.body["access_token"].as_str().unwrap().to_owned()
}

const QUEUES: &str = "/genesys/api/v2/routing/queues";

#[tokio::test]
async fn the_token_needs_http_basic_client_auth() {
    let app = App::new(small_seed(), Faults::default());
    let form = "grant_type=client_credentials&client_id=cxqueues-demo&client_secret=demo-secret";
    let reply = app.token_form_at(TOKEN, form, &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "invalid_client");
    let wrong = "Basic Y3hxdWV1ZXMtZGVtbzpub3Bl"; // cxqueues-demo:nope
    let reply = app
        .token_form_at(TOKEN, GRANT, &[("authorization", wrong)])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    genesys_token(&app).await;
}

#[tokio::test]
async fn queues_show_in_the_genesys_shape_and_the_name_filter_narrows_the_list() {
    let app = App::new(small_seed(), Faults::default());
    let token = genesys_token(&app).await;
    let reply = app
        .call(
            &token,
            Method::GET,
            &format!("{QUEUES}?pageSize=2&pageNumber=1"),
            &[],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["pageCount"], 2);
    let first = &reply.body["entities"][0];
    assert!(
        first.get("version").is_none() && first.get("maxWaitTime").is_none(),
        "{first}"
    );
    assert_eq!(
        first["mediaSettings"]["call"]["serviceLevel"],
        json!({"percentage": 0.8, "durationMs": 20000})
    );
    let reply = app
        .call(&token, Method::GET, &format!("{QUEUES}?name=b"), &[], None)
        .await;
    let names: Vec<&str> = reply.body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["B"]);
}

#[tokio::test]
async fn a_put_replaces_the_queue_without_a_version_and_keeps_what_the_face_hides() {
    let app = App::new(small_seed(), Faults::default());
    let token = genesys_token(&app).await;
    let id = app.id_of("A");
    let url = format!("{QUEUES}/{id}");
    let mut body = app.call(&token, Method::GET, &url, &[], None).await.body;
    assert_eq!(body["wrapUp"], json!({"codes": ["x"]}));
    body.as_object_mut().unwrap().remove("wrapUp");
    body["description"] = json!("second");
    body["mediaSettings"]["call"]["serviceLevel"]["percentage"] = json!(0.9);
    let reply = app.call(&token, Method::PUT, &url, &[], Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let stored = app.state.queue(&id).unwrap();
    assert!(
        stored.get("wrapUp").is_none(),
        "left out of a PUT is erased"
    );
    assert_eq!(stored["description"], "second");
    assert_eq!(stored["serviceLevelTarget"]["threshold"], 90);
    assert_eq!(
        stored["overflow"]["targetId"],
        app.id_of("B"),
        "hidden fields survive"
    );
}

#[tokio::test]
async fn errors_come_in_the_genesys_body() {
    let app = App::new(small_seed(), Faults::default());
    let token = genesys_token(&app).await;
    let reply = app
        .call(&token, Method::GET, &format!("{QUEUES}/nope"), &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["status"], 404);
    assert_eq!(reply.body["code"], "not.found");
    assert!(reply.body["message"].is_string() && reply.body["contextId"].is_string());
    let reply = app.call("bad-token", Method::GET, QUEUES, &[], None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["status"], 401);
    let reply = app
        .call(
            &token,
            Method::POST,
            QUEUES,
            &[],
            Some(json!({"name": "B"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
}

#[tokio::test]
async fn a_created_queue_lags_in_the_list_and_a_deleted_one_lingers_in_the_cache() {
    let app = App::new(small_seed(), Faults::default());
    app.state.set_genesys_lag(GenesysLag {
        list_lag_ms: 60_000,
        delete_cache_ms: 60_000,
    });
    let token = genesys_token(&app).await;
    let created = app
        .call(
            &token,
            Method::POST,
            QUEUES,
            &[],
            Some(json!({"name": "N"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let list = app
        .call(&token, Method::GET, &format!("{QUEUES}?name=N"), &[], None)
        .await;
    assert_eq!(
        list.body["entities"],
        json!([]),
        "the list lags behind the create"
    );
    let got = app
        .call(&token, Method::GET, &format!("{QUEUES}/{id}"), &[], None)
        .await;
    assert_eq!(got.status, StatusCode::OK);

    let c = app.id_of("C");
    let del = app
        .call(&token, Method::DELETE, &format!("{QUEUES}/{c}"), &[], None)
        .await;
    assert_eq!(del.status, StatusCode::OK);
    assert!(app.state.queue(&c).is_none());
    let got = app
        .call(&token, Method::GET, &format!("{QUEUES}/{c}"), &[], None)
        .await;
    assert_eq!(got.status, StatusCode::OK, "the cache still serves it");
    app.state.set_genesys_lag(GenesysLag::default());
    let got = app
        .call(&token, Method::GET, &format!("{QUEUES}/{c}"), &[], None)
        .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    let list = app
        .call(&token, Method::GET, &format!("{QUEUES}?name=N"), &[], None)
        .await;
    assert_eq!(list.body["entities"][0]["id"], id.as_str());
}
